/** Two runs side by side: parameters, metrics and artifacts that differ. */
import { useMemo, useState } from 'react';
import { compareRuns, formatNumber } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function CompareView({ payload }: { payload: Of<'compare'> }) {
  const [onlyDiffs, setOnlyDiffs] = useState(true);
  const table = useMemo(() => compareRuns(payload.runs), [payload.runs]);
  const section = (title: string, rows: typeof table.params) => {
    const shown = onlyDiffs ? rows.filter((r) => r.differs) : rows;
    return (
      <section>
        <h2>
          {title} <span className="muted">({shown.length} of {rows.length})</span>
        </h2>
        <table className="compare-table">
          <thead>
            <tr>
              <th>{title === 'Parameters' ? 'parameter' : 'metric'}</th>
              {payload.runs.map((r) => (
                <th key={r.runId}>{r.runId}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.key} className={r.differs ? 'differs' : ''}>
                <td>{r.key}</td>
                {r.values.map((v, i) => (
                  <td key={i} className={typeof v === 'number' ? 'num' : ''}>
                    {typeof v === 'number' ? formatNumber(v) : (v ?? '–')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    );
  };
  return (
    <div className="viewer compare">
      <Header title={`Compare runs of ${payload.pipeline}`} subtitle={payload.runs.map((r) => `${r.runId}: ${r.state.toLowerCase()}${r.durationMs !== undefined ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ''}`).join(' · ')} />
      <label className="toggle">
        <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} /> only differences
      </label>
      {section('Parameters', table.params)}
      {section('Metrics', table.metrics)}
    </div>
  );
}
