/** Runs side by side: parameters and metrics that differ, each run's delta against a reference run, and a metric charted across runs. */
import { useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { ChartView } from './chart.tsx';
import { compareRuns, formatDelta, formatNumber, type ComparisonRow } from '../../../protocol/viewer-shape.ts';
import { metricDirection } from '../../../protocol/evaluation-plots.ts';
import { Header, type Of } from './viewer-page.tsx';

/** `trainer.loss` → `loss`: the direction of a metric is that of its last part. */
const metricOf = (key: string) => key.slice(key.lastIndexOf('.') + 1);

function deltaTone(key: string, delta: number | undefined, isMetric: boolean): string {
  if (!isMetric || delta === undefined || delta === 0) return '';
  const direction = metricDirection(metricOf(key));
  if (!direction) return '';
  return (delta > 0) === (direction === 'higher') ? ' up' : ' down';
}

export function CompareView({ payload }: { payload: Of<'compare'> }) {
  const { runs } = payload;
  const [onlyDiffs, setOnlyDiffs] = useState(true);
  const [reference, setReference] = useState(0);
  const table = useMemo(() => compareRuns(runs, reference), [runs, reference]);
  const charted = table.metrics.filter((r) => r.values.some((v) => typeof v === 'number'));
  const [metric, setMetric] = useState(() => (charted.find((r) => r.differs) ?? charted[0])?.key);
  const chart = useMemo((): ChartConfiguration | undefined => {
    const row = table.metrics.find((r) => r.key === metric);
    if (!row) return undefined;
    // A line over the runs in time order, its axis fitted to the values: small changes show.
    return {
      type: 'line',
      data: { labels: runs.map((r) => r.runId), datasets: [{ label: row.key, data: row.values.map((v) => (typeof v === 'number' ? v : null)) as number[], pointRadius: 4, spanGaps: true }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { grace: '10%', title: { display: true, text: row.key } } } },
    };
  }, [table, metric, runs]);

  const section = (title: 'Parameters' | 'Metrics', rows: ComparisonRow[]) => {
    const shown = onlyDiffs ? rows.filter((r) => r.differs) : rows;
    return (
      <section>
        <h2>
          {title} <span className="muted">({shown.length} of {rows.length})</span>
        </h2>
        <table className={`compare-table ${title.toLowerCase()}`}>
          <thead>
            <tr>
              <th>{title === 'Parameters' ? 'parameter' : 'metric'}</th>
              {runs.map((r, i) => [
                <th key={r.runId} className={i === reference ? 'reference' : ''}>
                  {r.runId}
                  {i === reference ? <span className="muted"> (reference)</span> : null}
                </th>,
                i === reference ? null : (
                  <th key={`${r.runId}-delta`} className="num delta">
                    Δ
                  </th>
                ),
              ])}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.key} className={r.differs ? 'differs' : ''} data-key={r.key}>
                <td>{r.key}</td>
                {r.values.map((v, i) => [
                  <td key={i} className={typeof v === 'number' ? 'num' : ''}>
                    {typeof v === 'number' ? formatNumber(v) : (v ?? '–')}
                  </td>,
                  i === reference ? null : (
                    <td key={`${i}-delta`} className={`num delta${deltaTone(r.key, r.deltas?.[i], title === 'Metrics')}`}>
                      {formatDelta(r.deltas?.[i])}
                    </td>
                  ),
                ])}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    );
  };
  return (
    <div className="viewer compare">
      <Header title={`Compare runs of ${payload.pipeline}`} subtitle={runs.map((r) => `${r.runId}: ${r.state.toLowerCase()}${r.durationMs !== undefined ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ''}`).join(' · ')} />
      <div className="controls">
        <label className="toggle">
          <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} /> only differences
        </label>
        <label>
          deltas against{' '}
          <select aria-label="Reference run" className="reference-run" value={reference} onChange={(e) => setReference(Number(e.target.value))}>
            {runs.map((r, i) => (
              <option key={r.runId} value={i}>
                {r.runId}
              </option>
            ))}
          </select>
        </label>
      </div>
      {chart ? (
        <section className="run-chart">
          <h2>
            Across runs:{' '}
            <select aria-label="Metric to chart" className="chart-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
              {charted.map((r) => (
                <option key={r.key}>{r.key}</option>
              ))}
            </select>
          </h2>
          <ChartView config={chart} label={`${metric} per run`} height={220} />
        </section>
      ) : null}
      {section('Metrics', table.metrics)}
      {section('Parameters', table.params)}
    </div>
  );
}
