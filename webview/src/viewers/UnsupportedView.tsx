/** What a viewer shows for an artifact type it has no view for. */
import { formatBytes } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function UnsupportedView({ payload }: { payload: Of<'unsupported'> }) {
  return (
    <div className="viewer unsupported">
      <Header title={`${payload.artifact.type} #${payload.artifact.id}`} subtitle={payload.reason} />
      <table>
        <tbody>
          {payload.files.map((f) => (
            <tr key={f.path}>
              <td>{f.path}</td>
              <td className="num">{formatBytes(f.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
