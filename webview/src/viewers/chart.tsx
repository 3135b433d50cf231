/**
 * chart.js in React, coloured from VS Code's theme variables (light, dark, high contrast): the
 * `--vscode-charts-*` palette, foreground and grid colours are read when the chart is created and
 * again whenever VS Code switches theme (it rewrites the body's class and style).
 */
import { useEffect, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, type ChartConfiguration } from 'chart.js';
import { color } from 'chart.js/helpers';
import { BarWithErrorBar, BarWithErrorBarsController, PointWithErrorBar, ScatterWithErrorBarsController } from 'chartjs-chart-error-bars';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Legend, Tooltip, Filler);
// 95 % intervals as error bars: bars per slice, points of the calibration plot.
Chart.register(BarWithErrorBarsController, BarWithErrorBar, ScatterWithErrorBarsController, PointWithErrorBar);

/** Points of a chart's data that carry an interval (`yMin`/`xMin`): what error bars it draws. */
export function errorBarCount(config: ChartConfiguration): number {
  return config.data.datasets.reduce((n, d) => n + (d.data as unknown[]).filter((p) => typeof p === 'object' && p !== null && ('yMin' in p || 'xMin' in p)).length, 0);
}

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

export function themeColor(variable: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

/** The i-th series colour of the current theme. */
export function seriesColor(i: number): string {
  return themeColor(PALETTE[i % PALETTE.length], FALLBACK[i % FALLBACK.length]);
}

/** `css` (any CSS colour) with opacity `alpha`: area fills under the theme's line colours. */
export function translucent(css: string, alpha: number): string {
  return color(css).alpha(alpha).rgbString();
}

/**
 * A copy the theme may colour in (borderColor ??= …) without touching the memoised config; options
 * are shared, so callbacks (tooltips, hover) survive, which structuredClone would refuse.
 */
function copy(config: ChartConfiguration): ChartConfiguration {
  return { ...config, data: { ...config.data, datasets: config.data.datasets.map((d) => ({ ...d })) } } as ChartConfiguration;
}

function themed(config: ChartConfiguration): ChartConfiguration {
  const foreground = themeColor('--vscode-foreground', '#cccccc');
  const grid = themeColor('--vscode-charts-lines', 'rgba(128,128,128,0.3)');
  const font = themeColor('--vscode-font-family', 'sans-serif');
  Chart.defaults.color = foreground;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = font;
  config.data.datasets.forEach((d, i) => {
    const color = seriesColor(i);
    d.borderColor ??= color;
    d.backgroundColor ??= String(config.type).startsWith('bar') ? color : 'transparent';
  });
  return config;
}

export function ChartView({ config, height = 220, width, label, className }: { config: ChartConfiguration; height?: number; width?: number; label: string; className?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    let chart = new Chart(canvas.current, themed(copy(config)));
    const observer = new MutationObserver(() => {
      chart.destroy();
      chart = new Chart(canvas.current!, themed(copy(config)));
    });
    observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    return () => (observer.disconnect(), chart.destroy());
  }, [config]);
  // What the canvas draws, readable from the page (tests, assistive tools): its series and error bars.
  return (
    <div
      className={`chart${className ? ` ${className}` : ''}`}
      style={{ height, ...(width !== undefined && { width }) }}
      data-series={config.data.datasets.map((d) => d.label ?? '').join('|')}
      data-error-bars={errorBarCount(config)}
    >
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
