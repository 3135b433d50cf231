/** Data over time: one feature's key statistics per span (line chart + table), anomalies marked. */
import { useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { ChartView, seriesColor, themeColor } from './chart.tsx';
import type { FeatureTrends, TrendPoint } from '../../../protocol/viewer-payload.ts';
import { formatNumber } from '../../../protocol/viewer-shape.ts';

/** Anomalous spans get a bigger triangle in the error colour; absent values leave a gap. */
function trendChart(points: TrendPoint[], numeric: boolean): ChartConfiguration {
  const error = themeColor('--vscode-editorError-foreground', '#f14c4c');
  const marked = (i: number) => ({
    pointRadius: points.map((p) => (p.anomalies.length ? 6 : 3)),
    pointStyle: points.map((p) => (p.anomalies.length ? 'triangle' : 'circle')),
    pointBackgroundColor: points.map((p) => (p.anomalies.length ? error : seriesColor(i))),
    pointBorderColor: points.map((p) => (p.anomalies.length ? error : seriesColor(i))),
    borderColor: seriesColor(i),
    spanGaps: false,
  });
  const main = numeric
    ? { label: 'mean', data: points.map((p) => p.mean ?? null), yAxisID: 'y', ...marked(0) }
    : { label: 'unique values', data: points.map((p) => p.unique ?? null), yAxisID: 'y', ...marked(0) };
  return {
    type: 'line',
    data: {
      labels: points.map((p) => `span ${p.label}`),
      datasets: [main, { label: 'missing %', data: points.map((p) => p.missingPct ?? null), yAxisID: 'y1', borderDash: [4, 3], ...marked(1) }] as ChartConfiguration['data']['datasets'],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { title: { display: true, text: 'span' } },
        y: { position: 'left', title: { display: true, text: main.label } },
        y1: { position: 'right', min: 0, title: { display: true, text: 'missing %' }, grid: { drawOnChartArea: false } },
      },
    },
  };
}

export function TrendsView({ trends }: { trends: FeatureTrends }) {
  const [split, setSplit] = useState(trends.splits[0] ?? '');
  const points = useMemo(() => trends.series[split] ?? [], [trends, split]);
  const chart = useMemo(() => trendChart(points, trends.numeric), [points, trends.numeric]);
  const columns = trends.numeric ? ['count', 'missing', 'mean', 'std', 'min', 'median', 'max'] : ['count', 'missing', 'unique', 'top values'];
  return (
    <div className="viewer trends">
      <header>
        <h1>
          Trends: {trends.feature} <span className="muted">{trends.type ?? ''}</span>
        </h1>
        <div className="muted">
          pipeline {trends.pipeline}
          {trends.nodeId ? `, statistics of ${trends.nodeId}` : ''}, {points.length} span(s)
        </div>
        {trends.splits.length > 1 ? (
          <label>
            split{' '}
            <select value={split} onChange={(e) => setSplit(e.target.value)}>
              {trends.splits.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        ) : null}
      </header>
      {points.length ? <ChartView config={chart} label={`${trends.feature} per span`} height={260} /> : <p className="muted">No spans recorded for this split.</p>}
      <table className="trends-table">
        <thead>
          <tr>
            <th>span</th>
            <th>run</th>
            {columns.map((c) => (
              <th key={c} className={c === 'top values' ? '' : 'num'}>
                {c}
              </th>
            ))}
            <th>anomalies</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={`${p.label}-${p.runId}`} className={p.anomalies.length ? `anomalous severity-${p.anomalies.some((a) => a.severity === 'ERROR') ? 'error' : 'warning'}` : ''}>
              <td className="feature-name">{p.label}</td>
              <td>{p.runId}</td>
              {!p.present ? (
                <td colSpan={columns.length} className="muted">
                  absent from this span
                </td>
              ) : (
                <>
                  <td className="num">{formatNumber(p.count)}</td>
                  <td className={`num${(p.missingPct ?? 0) > 0 ? ' missing' : ''}`}>{p.missingPct === undefined ? '–' : `${p.missingPct.toFixed(1)} %`}</td>
                  {trends.numeric ? (
                    [p.mean, p.std, p.min, p.median, p.max].map((x, i) => (
                      <td key={i} className="num">
                        {formatNumber(x)}
                      </td>
                    ))
                  ) : (
                    <>
                      <td className="num">{formatNumber(p.unique)}</td>
                      <td>{p.topValues ?? ''}</td>
                    </>
                  )}
                </>
              )}
              <td>
                {p.anomalies.map((a, i) => (
                  <div key={i} className="anomaly-note">
                    <span className={`codicon codicon-${a.severity === 'ERROR' ? 'error' : 'warning'}`} /> {a.description}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
