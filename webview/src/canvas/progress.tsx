import type { NodeRunInfo } from '../../../protocol/messages.ts';

/** The metric a sparkline follows: the loss when there is one, else the first reported. */
export function mainMetric(series: Record<string, number[]> | undefined): string | undefined {
  if (!series) return undefined;
  const names = Object.keys(series).filter((n) => series[n].length > 0);
  return names.find((n) => n === 'loss') ?? names.find((n) => !n.startsWith('val_')) ?? names[0];
}

/** `epoch 3/8 · loss 0.412`, `12,000 rows`, `2/6 trials`: what a running node has done so far. */
export function progressText(run: NodeRunInfo): string | undefined {
  const p = run.progress;
  if (!p) return undefined;
  const count = p.total !== undefined ? `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}` : p.done.toLocaleString('en-US');
  const what = p.unit === 'epochs' ? `epoch ${count}` : `${count} ${p.unit}`;
  const metric = mainMetric(p.metrics ? Object.fromEntries(Object.entries(p.metrics).map(([k, v]): [string, number[]] => [k, [v]])) : undefined);
  return metric && p.metrics ? `${what} · ${metric} ${formatMetric(p.metrics[metric])}` : what;
}

export function formatMetric(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** The SVG points of a sparkline of `values` in a width × height box (the minimum at the bottom). */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const span = Math.max(...values) - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - ((v - min) / span) * (height - 2)).toFixed(1)}`).join(' ');
}

/** A metric's values so far as a small line (the Trainer's loss per epoch). */
export function Sparkline({ name, values, width = 120, height = 24 }: { name: string; values: readonly number[]; width?: number; height?: number }) {
  const last = values.at(-1);
  return (
    <span className="sparkline" title={`${name}: ${values.map(formatMetric).join(', ')}`} data-metric={name} data-points={values.length}>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${name} per epoch`}>
        <polyline points={sparklinePoints(values, width, height)} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      {last !== undefined ? <span className="sparkline-value">{`${name} ${formatMetric(last)}`}</span> : null}
    </span>
  );
}
