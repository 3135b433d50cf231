/** The Schema viewer: features with type, presence and domain. */
import { formatNumber } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function SchemaView({ payload }: { payload: Of<'schema'> }) {
  const domains = new Map((payload.schema.stringDomain ?? []).map((d) => [d.name ?? '', d.value]));
  return (
    <div className="viewer schema">
      <Header title={`Schema #${payload.artifact.id}`} subtitle={`${payload.schema.feature.length} features`} />
      <table>
        <thead>
          <tr>
            <th>feature</th>
            <th>type</th>
            <th>presence</th>
            <th>valency</th>
            <th>domain</th>
          </tr>
        </thead>
        <tbody>
          {payload.schema.feature.map((f) => {
            const values = f.stringDomain?.value ?? (f.domain ? domains.get(f.domain) : undefined);
            const domain = values
              ? `${values.length} values: ${values.slice(0, 8).join(', ')}${values.length > 8 ? ', …' : ''}`
              : f.intDomain
                ? `int [${formatNumber(f.intDomain.min)}, ${formatNumber(f.intDomain.max)}]${f.intDomain.isCategorical ? ' categorical' : ''}`
                : f.floatDomain
                  ? `float [${formatNumber(f.floatDomain.min)}, ${formatNumber(f.floatDomain.max)}]`
                  : '';
            return (
              <tr key={f.name} className={f.deprecated ? 'deprecated' : ''}>
                <td>{f.name}</td>
                <td>{f.type}</td>
                <td>{f.presence?.minFraction === 1 ? 'required' : f.presence?.minFraction !== undefined ? `≥ ${formatNumber(f.presence.minFraction * 100)} %` : 'optional'}</td>
                <td>{f.valueCount ? `${f.valueCount.min ?? 0}..${f.valueCount.max ?? '∞'}` : 'single'}</td>
                <td title={values?.join(', ')}>{domain}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
