/**
 * The statistics viewer (TFDV's Facets Overview): one row per feature and split, sortable by any
 * column, with each feature's drift from a baseline split and a histogram that tells its buckets
 * on hover.
 */
import { useMemo, useState } from 'react';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';
import {
  ATTENTION,
  formatNumber,
  histogramSeries,
  sortFeatureRows,
  statisticsTable,
  type FeatureColumn,
  type FeatureRow,
  type FeatureSort,
  type SplitFeatureStats,
} from '../../../protocol/viewer-shape.ts';
import { HistogramChart } from './HistogramChart.tsx';

type StatisticsPayload = Extract<ViewerPayload, { kind: 'statistics' }>;

/** Short names of the drift measures, as TFDV's comparators are called. */
const MEASURE = { 'L-infinity': 'L∞', 'Jensen-Shannon': 'JSD' } as const;

/** The split's top values, in that split's own row. */
function TopValues({ stats, split }: { stats: SplitFeatureStats; split: string }) {
  if (!stats.topValues?.length) return null;
  return (
    <div className="top-values">
      {stats.topValues.slice(0, 3).map((t) => (
        <span key={t.value} className="top-value" title={`${split}: ${t.value} × ${t.frequency}`}>
          {t.value || '(empty)'} <span className="muted">{formatNumber(t.frequency)}</span>
        </span>
      ))}
    </div>
  );
}

/** A list feature's values per example: range and average per split, and the value-count histogram. */
function ValueCounts({ row, splits }: { row: FeatureRow; splits: string[] }) {
  const perSplit = splits.map((s) => row.splits[s]);
  if (!perSplit.some((s) => s?.valueCounts)) return null;
  const series = histogramSeries(splits.map((split, i) => ({ split, buckets: perSplit[i]?.valueCounts?.histogram })));
  return (
    <div className="value-counts" data-testid="value-counts">
      {perSplit.map((s, i) =>
        s?.valueCounts ? (
          <div key={splits[i]} className={`split-text-${i}`} title={`${splits[i]}: ${formatNumber(s.valueCounts.total)} values in ${formatNumber(s.count)} examples`}>
            list: {s.valueCounts.min}–{s.valueCounts.max} values, avg {formatNumber(s.valueCounts.avg)}
          </div>
        ) : null,
      )}
      <HistogramChart series={series} label={`values per example of ${row.name}`} width={160} height={36} />
    </div>
  );
}

interface Column {
  key: FeatureColumn;
  label: string;
  /** Cell content for one split's numbers. */
  cell(s: SplitFeatureStats, split: string): React.ReactNode;
  numeric?: boolean;
}

const NUMERIC_COLUMNS: Column[] = [
  { key: 'mean', label: 'mean', cell: (s) => formatNumber(s.mean), numeric: true },
  { key: 'std', label: 'std dev', cell: (s) => formatNumber(s.std), numeric: true },
  { key: 'zeros', label: 'zeros', cell: (s) => formatNumber(s.zeros), numeric: true },
  { key: 'min', label: 'min', cell: (s) => formatNumber(s.min), numeric: true },
  { key: 'median', label: 'median', cell: (s) => formatNumber(s.median), numeric: true },
  { key: 'max', label: 'max', cell: (s) => formatNumber(s.max), numeric: true },
];

const CATEGORICAL_COLUMNS: Column[] = [
  { key: 'unique', label: 'unique', cell: (s) => formatNumber(s.unique), numeric: true },
  { key: 'top', label: 'top values', cell: (s, split) => <TopValues stats={s} split={split} /> },
];

function SortHeader({ column, label, sort, setSort, numeric = true }: { column: FeatureColumn; label: string; sort: FeatureSort; setSort(s: FeatureSort): void; numeric?: boolean }) {
  const active = sort.column === column;
  return (
    <th
      className={`sortable${numeric ? ' num' : ''}${active ? ' sorted' : ''}`}
      data-column={column}
      aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
      onClick={() => setSort({ ...sort, column, descending: active ? !sort.descending : column !== 'name' && column !== 'type' })}
    >
      {label} {active ? (sort.descending ? '▼' : '▲') : ''}
    </th>
  );
}

function FeatureTable(props: { title: string; rows: FeatureRow[]; splits: string[]; baseline?: string; numeric: boolean; sort: FeatureSort; setSort(s: FeatureSort): void }) {
  const { title, rows, splits, baseline, numeric, sort, setSort } = props;
  if (rows.length === 0) return null;
  const columns = numeric ? NUMERIC_COLUMNS : CATEGORICAL_COLUMNS;
  const compared = splits.length > 1 && baseline !== undefined;
  return (
    <section>
      <h2>
        {title} <span className="muted">({rows.length})</span>
      </h2>
      <table className={`stats-table ${numeric ? 'numeric' : 'categorical'}`}>
        <thead>
          <tr>
            <SortHeader column="name" label="feature" sort={sort} setSort={setSort} numeric={false} />
            <th>split</th>
            <SortHeader column="count" label="count" sort={sort} setSort={setSort} />
            <SortHeader column="missing" label="missing" sort={sort} setSort={setSort} />
            {columns.map((c) => (
              <SortHeader key={c.key} column={c.key} label={c.label} sort={sort} setSort={setSort} numeric={c.numeric} />
            ))}
            {compared ? <SortHeader column="drift" label={`drift vs ${baseline}`} sort={sort} setSort={setSort} /> : null}
            <th>{numeric ? 'histogram' : ''}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) =>
            splits.map((split, i) => {
              const s = row.splits[split];
              const drift = row.drift?.[split];
              return (
                <tr key={`${row.name}-${split}`} className={`${row.anomaly ? `anomalous severity-${row.anomaly.severity.toLowerCase()}` : ''}${i === 0 ? ' first-split' : ''}`} data-feature={row.name} data-split={split}>
                  {i === 0 ? (
                    <td rowSpan={splits.length} className="feature-name">
                      <div>{row.name}</div>
                      <div className="muted">{row.type}</div>
                      <ValueCounts row={row} splits={splits} />
                      {row.anomaly ? (
                        <div className="anomaly-note" title={row.anomaly.description}>
                          <span className={`codicon codicon-${row.anomaly.severity === 'ERROR' ? 'error' : 'warning'}`} /> {row.anomaly.description} ({row.anomaly.splits.join(', ')})
                        </div>
                      ) : null}
                    </td>
                  ) : null}
                  <td className={`split-text-${i}`}>{split}</td>
                  {!s ? (
                    <td colSpan={columns.length + 2} className="muted">
                      not in this split
                    </td>
                  ) : (
                    <>
                      <td className="num">{formatNumber(s.count)}</td>
                      <td className={`num${s.missingPct > 0 ? ' missing' : ''}`}>{`${s.missingPct.toFixed(s.missingPct > 0 && s.missingPct < 0.1 ? 2 : 1)} %`}</td>
                      {columns.map((c) => (
                        <td key={c.key} className={c.numeric ? 'num' : 'top-values-cell'}>
                          {c.cell(s, split)}
                        </td>
                      ))}
                    </>
                  )}
                  {compared ? (
                    <td className="num drift" title={drift ? `${drift.measure} distance from ${baseline}${drift.exact ? '' : ' (at least: only top values known)'}` : undefined}>
                      {split === baseline ? <span className="muted">baseline</span> : drift ? `${drift.exact ? '' : '≥ '}${drift.value.toFixed(4)} ${MEASURE[drift.measure]}` : '–'}
                    </td>
                  ) : null}
                  {i === 0 ? (
                    <td rowSpan={splits.length}>
                      {numeric ? <HistogramChart series={histogramSeries(splits.map((sp) => ({ split: sp, buckets: row.splits[sp]?.histogram })))} label={`histogram of ${row.name}`} /> : null}
                    </td>
                  ) : null}
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
    </section>
  );
}

const SORT_CHOICES: { column: FeatureColumn; label: string }[] = [
  { column: 'attention', label: 'anomalies, then drift' },
  { column: 'drift', label: 'drift' },
  { column: 'name', label: 'name' },
  { column: 'missing', label: 'missing %' },
  { column: 'count', label: 'count' },
  { column: 'mean', label: 'mean' },
  { column: 'std', label: 'std dev' },
  { column: 'unique', label: 'unique values' },
];

export function StatisticsView({ payload }: { payload: StatisticsPayload }) {
  const names = payload.statistics.datasets.map((d) => d.name);
  const [filter, setFilter] = useState('');
  const [baseline, setBaseline] = useState<string | undefined>(undefined);
  const table = useMemo(() => statisticsTable(payload.statistics, payload.anomalies?.file, baseline ?? (names.includes('train') ? 'train' : names[0])), [payload, baseline]);
  const [sort, setSort] = useState<FeatureSort>({ ...ATTENTION, split: table.baselineSplit });
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
        <div className="controls">
          <input className="filter" type="search" placeholder="Filter features" aria-label="Filter features" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <label>
            sort by{' '}
            <select aria-label="Sort features by" className="sort-column" value={sort.column} onChange={(e) => setSort({ ...sort, column: e.target.value as FeatureColumn, descending: e.target.value !== 'name' })}>
              {SORT_CHOICES.map((c) => (
                <option key={c.column} value={c.column}>
                  {c.label}
                </option>
              ))}
              {SORT_CHOICES.some((c) => c.column === sort.column) ? null : <option value={sort.column}>{sort.column}</option>}
            </select>
          </label>
          <button type="button" className="sort-direction" aria-label="Sort direction" title="Reverse the order" onClick={() => setSort({ ...sort, descending: !sort.descending })}>
            {sort.descending ? '▼' : '▲'}
          </button>
          {splits.length > 1 ? (
            <>
              <label>
                values of{' '}
                <select aria-label="Split whose values sort" className="sort-split" value={sort.split} onChange={(e) => setSort({ ...sort, split: e.target.value })}>
                  {splits.map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </label>
              <label>
                drift against{' '}
                <select aria-label="Baseline split for drift" className="baseline-split" value={table.baselineSplit} onChange={(e) => setBaseline(e.target.value)}>
                  {splits.map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </label>
            </>
          ) : null}
        </div>
      </header>
      <FeatureTable title="Numeric features" rows={sortFeatureRows(table.numeric.filter(match), sort)} splits={splits} baseline={table.baselineSplit} numeric sort={sort} setSort={setSort} />
      <FeatureTable title="Categorical features" rows={sortFeatureRows(table.categorical.filter(match), sort)} splits={splits} baseline={table.baselineSplit} numeric={false} sort={sort} setSort={setSort} />
    </div>
  );
}
