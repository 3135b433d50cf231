/** The ModelEvaluation viewer: metrics per slice, baseline comparison and thresholds. */
import { useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { ChartView } from './chart.tsx';
import { formatNumber, metricNames, sortSlices, type SortKey } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function EvaluationView({ payload }: { payload: Of<'evaluation'> }) {
  const { evaluation, blessing } = payload;
  const metrics = useMemo(() => metricNames(evaluation.slices), [evaluation]);
  const [sort, setSort] = useState<SortKey>({ column: 'example_count', descending: true });
  const [chartMetric, setChartMetric] = useState(metrics.find((m) => /auc/i.test(m)) ?? metrics[0]);
  const slices = sortSlices(evaluation.slices, sort);
  const hasBaseline = evaluation.slices.some((s) => s.baseline_metrics);
  const chart: ChartConfiguration | undefined = useMemo(() => {
    if (!chartMetric) return undefined;
    const shown = evaluation.slices.filter((s) => s.metrics[chartMetric] !== null && s.metrics[chartMetric] !== undefined).slice(0, 40);
    return {
      type: 'bar',
      data: {
        labels: shown.map((s) => s.name),
        datasets: [
          { label: `candidate ${chartMetric}`, data: shown.map((s) => s.metrics[chartMetric] as number) },
          ...(hasBaseline ? [{ label: `baseline ${chartMetric}`, data: shown.map((s) => s.baseline_metrics?.[chartMetric] ?? null) as number[] }] : []),
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: 'y' },
    };
  }, [chartMetric, evaluation, hasBaseline]);
  const header = (column: string, label = column) => (
    <th
      key={column}
      className={`sortable num${sort.column === column ? ' sorted' : ''}`}
      aria-sort={sort.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none'}
      onClick={() => setSort({ column, descending: sort.column === column ? !sort.descending : true })}
    >
      {label} {sort.column === column ? (sort.descending ? '▼' : '▲') : ''}
    </th>
  );
  return (
    <div className="viewer evaluation">
      <Header
        title={`Evaluation #${payload.artifact.id}`}
        subtitle={`${evaluation.task} · label ${evaluation.label} · split ${evaluation.split}${evaluation.baseline ? ` · baseline model #${evaluation.baseline.id ?? '?'} (${evaluation.baseline.source})` : ' · no baseline'}`}
      />
      {blessing ? (
        <section className={`blessing ${blessing.blessed ? 'blessed' : 'not-blessed'}`}>
          <h2>
            <span className={`codicon codicon-${blessing.blessed ? 'verified' : 'error'}`} /> {blessing.blessed ? 'Blessed' : 'Not blessed'}
          </h2>
          <ul className="thresholds">
            {blessing.reasons.map((r, i) => (
              <li key={i} className={r.passed ? 'pass' : 'fail'}>
                <span className={`codicon codicon-${r.passed ? 'pass' : 'error'}`} /> {r.passed ? 'pass' : 'FAIL'}: {r.message}
              </li>
            ))}
            {blessing.reasons.length === 0 ? <li className="muted">No thresholds configured.</li> : null}
          </ul>
        </section>
      ) : null}
      <section>
        <h2>Metrics by slice</h2>
        <table className="metrics-table">
          <thead>
            <tr>
              {header('name', 'slice')}
              {header('example_count', 'examples')}
              {metrics.map((m) => header(m))}
            </tr>
          </thead>
          <tbody>
            {slices.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td className="num">{formatNumber(s.example_count)}</td>
                {metrics.map((m) => {
                  const ci = s.confidence_intervals?.[m];
                  const diff = s.diff?.[m];
                  return (
                    <td key={m} className="num" title={ci ? `95 % CI [${formatNumber(ci[0])}, ${formatNumber(ci[1])}]` : undefined}>
                      {formatNumber(s.metrics[m])}
                      {diff !== undefined && diff !== null ? <span className={`diff ${diff >= 0 ? 'up' : 'down'}`}> {`${diff >= 0 ? '+' : ''}${formatNumber(diff)}`}</span> : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {chart ? (
        <section>
          <h2>
            Chart:{' '}
            <select aria-label="Metric to chart" value={chartMetric} onChange={(e) => setChartMetric(e.target.value)}>
              {metrics.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </h2>
          <ChartView config={chart} label={`${chartMetric} by slice`} height={Math.max(160, Math.min(40, evaluation.slices.length) * 22 + 60)} />
        </section>
      ) : null}
    </div>
  );
}
