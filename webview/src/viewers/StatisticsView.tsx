import { useMemo, useState } from 'react';
import type { HistogramBucket } from '../../../runtime/src/formats/statistics.ts';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { formatNumber, sortFeatureRows, statisticsTable, type FeatureRow, type SplitFeatureStats } from '../../../protocol/viewer-shape.ts';

type StatisticsPayload = Extract<ViewerPayload, { kind: 'statistics' }>;

/** Split colours are CSS classes (split-0, split-1, …) so each theme colours them. */
function Histogram({ perSplit }: { perSplit: (HistogramBucket[] | undefined)[] }) {
  const width = 160;
  const height = 40;
  const present = perSplit.filter((b): b is HistogramBucket[] => !!b && b.length > 0);
  if (present.length === 0) return null;
  // Heights as shares of each split's total, so splits of different sizes compare.
  const shares = perSplit.map((b) => {
    if (!b) return undefined;
    const total = b.reduce((s, x) => s + x.sampleCount, 0) || 1;
    return b.map((x) => x.sampleCount / total);
  });
  const top = Math.max(...shares.flatMap((s) => s ?? []), 1e-9);
  return (
    <svg className="histogram" width={width} height={height} role="img" aria-label="histogram">
      {shares.map((s, split) =>
        s?.map((share, i) => {
          const w = width / s.length / perSplit.length;
          const h = (share / top) * (height - 2);
          return <rect key={`${split}-${i}`} className={`split-${split}`} x={(i * width) / s.length + split * w} y={height - h} width={Math.max(1, w - 0.5)} height={h} />;
        }),
      )}
    </svg>
  );
}

function TopValues({ perSplit, splits }: { perSplit: (SplitFeatureStats | undefined)[]; splits: string[] }) {
  return (
    <div className="top-values">
      {perSplit.map((s, i) =>
        s?.topValues?.length ? (
          <div key={splits[i]} className={`split-text-${i}`}>
            {s.topValues.slice(0, 3).map((t) => (
              <span key={t.value} className="top-value" title={`${splits[i]}: ${t.value} × ${t.frequency}`}>
                {t.value || '(empty)'} <span className="muted">{formatNumber(t.frequency)}</span>
              </span>
            ))}
          </div>
        ) : null,
      )}
    </div>
  );
}

/** A list feature's values per example: range and average per split, and the value-count histogram. */
function ValueCounts({ perSplit, splits }: { perSplit: (SplitFeatureStats | undefined)[]; splits: string[] }) {
  if (!perSplit.some((s) => s?.valueCounts)) return null;
  return (
    <div className="value-counts" data-testid="value-counts">
      {perSplit.map((s, i) =>
        s?.valueCounts ? (
          <div key={splits[i]} className={`split-text-${i}`} title={`${splits[i]}: ${formatNumber(s.valueCounts.total)} values in ${formatNumber(s.count)} examples`}>
            list: {s.valueCounts.min}–{s.valueCounts.max} values, avg {formatNumber(s.valueCounts.avg)}
          </div>
        ) : null,
      )}
      <Histogram perSplit={perSplit.map((p) => p?.valueCounts?.histogram)} />
    </div>
  );
}

function FeatureTable({ title, rows, splits, numeric }: { title: string; rows: FeatureRow[]; splits: string[]; numeric: boolean }) {
  if (rows.length === 0) return null;
  const columns = numeric ? ['count', 'missing', 'mean', 'std dev', 'zeros', 'min', 'median', 'max'] : ['count', 'missing', 'unique', 'top values'];
  return (
    <section>
      <h2>
        {title} <span className="muted">({rows.length})</span>
      </h2>
      <table className="stats-table">
        <thead>
          <tr>
            <th>feature</th>
            <th>split</th>
            {columns.map((c) => (
              <th key={c} className="num">
                {c}
              </th>
            ))}
            <th>{numeric ? 'histogram' : ''}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const perSplit = splits.map((s) => row.splits[s]);
            return perSplit.map((s, i) => (
              <tr key={`${row.name}-${splits[i]}`} className={`${row.anomaly ? `anomalous severity-${row.anomaly.severity.toLowerCase()}` : ''}${i === 0 ? ' first-split' : ''}`} data-feature={row.name}>
                {i === 0 ? (
                  <td rowSpan={splits.length} className="feature-name">
                    <div>{row.name}</div>
                    <div className="muted">{row.type}</div>
                    <ValueCounts perSplit={perSplit} splits={splits} />
                    {row.anomaly ? (
                      <div className="anomaly-note" title={row.anomaly.description}>
                        <span className={`codicon codicon-${row.anomaly.severity === 'ERROR' ? 'error' : 'warning'}`} /> {row.anomaly.description} ({row.anomaly.splits.join(', ')})
                      </div>
                    ) : null}
                  </td>
                ) : null}
                <td className={`split-text-${i}`}>{splits[i]}</td>
                {!s ? (
                  <td colSpan={columns.length} className="muted">
                    not in this split
                  </td>
                ) : (
                  <>
                    <td className="num">{formatNumber(s.count)}</td>
                    <td className={`num${s.missingPct > 0 ? ' missing' : ''}`}>{`${s.missingPct.toFixed(s.missingPct > 0 && s.missingPct < 0.1 ? 2 : 1)} %`}</td>
                    {numeric ? (
                      <>
                        <td className="num">{formatNumber(s.mean)}</td>
                        <td className="num">{formatNumber(s.std)}</td>
                        <td className="num">{formatNumber(s.zeros)}</td>
                        <td className="num">{formatNumber(s.min)}</td>
                        <td className="num">{formatNumber(s.median)}</td>
                        <td className="num">{formatNumber(s.max)}</td>
                      </>
                    ) : (
                      <>
                        <td className="num">{formatNumber(s.unique)}</td>
                        <td>{i === 0 ? <TopValues perSplit={perSplit} splits={splits} /> : null}</td>
                      </>
                    )}
                  </>
                )}
                {i === 0 ? <td rowSpan={splits.length}>{numeric ? <Histogram perSplit={perSplit.map((p) => p?.histogram)} /> : null}</td> : null}
              </tr>
            ));
          })}
        </tbody>
      </table>
    </section>
  );
}

export function StatisticsView({ payload }: { payload: StatisticsPayload }) {
  const [filter, setFilter] = useState('');
  const table = useMemo(() => statisticsTable(payload.statistics, payload.anomalies?.file), [payload]);
  const splits = table.splits.map((s) => s.name);
  const match = (r: FeatureRow) => r.name.toLowerCase().includes(filter.toLowerCase());
  const anomalous = [...table.numeric, ...table.categorical].filter((r) => r.anomaly).length;
  return (
    <div className="viewer statistics">
      <header>
        <h1>Statistics #{payload.artifact.id}</h1>
        <div className="legend">
          {table.splits.map((s, i) => (
            <span key={s.name} className={`legend-item split-text-${i}`}>
              <span className={`swatch split-bg-${i}`} /> {s.name}: {formatNumber(s.numExamples)} examples
            </span>
          ))}
          {payload.anomalies ? (
            <span className="legend-item">
              {anomalous ? `${anomalous} feature(s) with anomalies` : 'no anomalies'} (ExampleAnomalies #{payload.anomalies.artifact.id})
            </span>
          ) : null}
        </div>
        <input className="filter" type="search" placeholder="Filter features" aria-label="Filter features" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </header>
      <FeatureTable title="Numeric features" rows={sortFeatureRows(table.numeric.filter(match))} splits={splits} numeric />
      <FeatureTable title="Categorical features" rows={sortFeatureRows(table.categorical.filter(match))} splits={splits} numeric={false} />
    </div>
  );
}
