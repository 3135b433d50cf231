/** The Model viewer: bundle info, the hyperparameters and settings it was trained with, and training curves. */
import { useMemo } from 'react';
import { ChartView } from './chart.tsx';
import { curveSeries, formatBytes, formatNumber } from '../../../protocol/viewer-shape.ts';
import { Header, type Of } from './viewer-page.tsx';

export function ModelView({ payload }: { payload: Of<'model'> }) {
  const { info } = payload;
  const curves = useMemo(() => curveSeries(payload.epochs), [payload.epochs]);
  const total = info.files.reduce((s, f) => s + f.bytes, 0);
  return (
    <div className="viewer model">
      <Header title={`Model #${payload.artifact.id}`} subtitle={payload.artifact.nodeId ? `from ${payload.artifact.nodeId}` : undefined} />
      <section className="model-info">
        <dl>
          <dt>backend</dt>
          <dd>{info.backend ?? 'unknown'}</dd>
          <dt>task</dt>
          <dd>{info.task ?? 'unknown'}</dd>
          <dt>label</dt>
          <dd>{info.label ?? '–'}</dd>
          {info.classes ? (
            <>
              <dt>classes</dt>
              <dd>{info.classes.join(', ')}</dd>
            </>
          ) : null}
          <dt>size</dt>
          <dd>
            {formatBytes(total)} in {info.files.length} files
          </dd>
          <dt>inputs</dt>
          <dd>{info.inputFeatures?.join(', ') ?? '–'}</dd>
          <dt>raw features</dt>
          <dd>{info.rawFeatures?.map((f) => `${f.name}: ${f.type}`).join(', ') ?? '–'}</dd>
        </dl>
        {info.trainMetrics ? (
          <table>
            <tbody>
              {Object.entries(info.trainMetrics).map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td className="num">{formatNumber(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section className="hyperparameters">
        <div>
          <h2>Hyperparameters</h2>
          {info.hyperparameters?.length ? (
            <table className="hyperparameter-table">
              <thead>
                <tr>
                  <th>name</th>
                  <th className="num">value</th>
                  <th>from</th>
                </tr>
              </thead>
              <tbody>
                {info.hyperparameters.map((h) => (
                  <tr key={h.name} data-name={h.name}>
                    <td>{h.name}</td>
                    <td className="num">{typeof h.value === 'number' ? formatNumber(h.value) : String(h.value)}</td>
                    <td className="muted">{h.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{info.hyperparameters ? 'None: run_fn got an empty ctx.hyperparameters.' : 'Unknown: the store does not record which Trainer execution made this model.'}</p>
          )}
        </div>
        {info.training && Object.keys(info.training).length ? (
          <div>
            <h2>Trainer settings</h2>
            <dl className="training-params">
              {Object.entries(info.training).map(([k, v]) => (
                <div key={k} className="param">
                  <dt>{k}</dt>
                  <dd>{typeof v === 'number' ? formatNumber(v) : String(v)}</dd>
                </div>
              ))}
            </dl>
          </div>
        ) : null}
      </section>
      <section>
        <h2>Training curves</h2>
        {curves.series.length === 0 ? <p className="muted">No metrics.jsonl in this model's logs.</p> : null}
        <div className="curves">
          {curves.series.map((s) => (
            <div key={s.metric} className="curve">
              <h3>{s.metric}</h3>
              <ChartView
                label={`${s.metric} per epoch`}
                height={200}
                config={{
                  type: 'line',
                  data: {
                    labels: curves.epochs,
                    datasets: [
                      { label: 'train', data: s.train as number[], pointRadius: 2, tension: 0.2 },
                      ...(s.validation ? [{ label: 'validation', data: s.validation as number[], pointRadius: 2, tension: 0.2, borderDash: [4, 3] }] : []),
                    ],
                  },
                  options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { title: { display: true, text: 'epoch' } } } },
                }}
              />
            </div>
          ))}
        </div>
      </section>
    </div>
  );
}
