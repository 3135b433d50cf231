/**
 * A feature's histogram, one filled step line per split on a shared value axis (each split keeps
 * its own bucket edges), drawn by chart.js. Hovering shows, for every split, the bucket under the
 * pointer: its range, count and share. The tooltip is HTML beside the small chart, which a canvas
 * tooltip would not fit in.
 */
import { useMemo, useRef, useState } from 'react';
import type { ChartConfiguration, ChartEvent, Chart } from 'chart.js';
import { ChartView, seriesColor, translucent } from './chart.tsx';
import { barAt, barLabel, type HistogramSeries } from '../../../protocol/viewer-shape.ts';

interface Hover {
  left: number;
  /** The chart is in the right half of the page: the tip opens to the left, so it is not cut off. */
  flip: boolean;
  lines: { index: number; text: string }[];
}

export function HistogramChart({ series, label, width = 180, height = 48 }: { series: HistogramSeries[]; label: string; width?: number; height?: number }) {
  const [hover, setHover] = useState<Hover | undefined>();
  const box = useRef<HTMLDivElement>(null);
  const config = useMemo((): ChartConfiguration<'line'> => {
    const onHover = (event: ChartEvent, _elements: unknown, chart: Chart) => {
      if (event.type === 'mouseout' || event.x === null) return setHover(undefined);
      const x = chart.scales.x.getValueForPixel(event.x);
      if (x === undefined) return setHover(undefined);
      const lines = series.flatMap((s) => {
        const i = barAt(s, x);
        return i < 0 ? [] : [{ index: s.index, text: barLabel(s.split, s.bars[i]) }];
      });
      const rect = box.current?.getBoundingClientRect();
      const flip = !!rect && rect.left + rect.width / 2 > window.innerWidth / 2;
      setHover(lines.length ? { left: event.x, flip, lines } : undefined);
    };
    return {
      type: 'line',
      data: {
        datasets: series.map((s) => {
          const line = seriesColor(s.index);
          const last = s.bars[s.bars.length - 1];
          return {
            label: s.split,
            // Stepped "after": each bar's height holds from its left edge to the next point; the last drops to 0 at its right edge.
            data: [...s.bars.map((b) => ({ x: b.x0, y: b.density })), { x: last.x1, y: 0 }],
            stepped: 'after' as const,
            fill: 'origin',
            borderColor: line,
            backgroundColor: translucent(line, 0.3),
            borderWidth: 1,
            pointRadius: 0,
            pointHoverRadius: 0,
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        events: ['mousemove', 'mouseout'],
        onHover: onHover as never,
        scales: { x: { type: 'linear', display: false }, y: { display: false, beginAtZero: true } },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
      },
    };
  }, [series]);
  if (series.length === 0) return null;
  return (
    <div ref={box} className="histogram" style={{ width }} onMouseLeave={() => setHover(undefined)} data-splits={series.length}>
      <ChartView config={config as ChartConfiguration} height={height} width={width} label={label} />
      {hover ? (
        <div className="histogram-tip" role="tooltip" style={hover.flip ? { right: Math.max(0, width - hover.left + 8) } : { left: Math.min(hover.left + 8, width) }}>
          {hover.lines.map((l) => (
            <div key={l.index} className={`split-text-${l.index}`}>
              {l.text}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
