/** The ExampleAnomalies viewer: anomalies per split with severity and reason. */
import { anomalyRows } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function AnomaliesView({ payload }: { payload: Of<'anomalies'> }) {
  const rows = anomalyRows(payload.anomalies);
  return (
    <div className="viewer anomalies">
      <Header title={`Anomalies #${payload.artifact.id}`} subtitle={rows.length ? `${rows.length} anomal${rows.length === 1 ? 'y' : 'ies'}` : undefined} />
      {rows.length === 0 ? (
        <p className="ok">
          <span className="codicon codicon-pass" /> No anomalies: the data matches the schema.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>severity</th>
              <th>feature</th>
              <th>split</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.split}/${r.feature}`} className={`severity-${r.severity.toLowerCase()}`}>
                <td>
                  <span className={`codicon codicon-${r.severity === 'ERROR' ? 'error' : 'warning'}`} /> {r.severity}
                </td>
                <td>{r.feature}</td>
                <td>{r.split}</td>
                <td>
                  <strong>{r.shortDescription}</strong> {r.description} <span className="muted">{r.reasons.join(', ')}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
