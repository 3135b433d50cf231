/** Schema, anomalies, evaluation, model (info + training curves), lineage and run comparison. */
import { useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { ChartView } from './chart.tsx';
import type { LineageGraph, ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { anomalyRows, compareRuns, curveSeries, formatBytes, formatNumber, metricNames, sortSlices, type SortKey } from '../../../protocol/viewer-shape.ts';
import { layoutLineage } from './lineage-layout.ts';

type Of<K extends ViewerPayload['kind']> = Extract<ViewerPayload, { kind: K }>;

function Header({ title, subtitle }: { title: string; subtitle?: string }) {
  return (
    <header>
      <h1>{title}</h1>
      {subtitle ? <div className="muted">{subtitle}</div> : null}
    </header>
  );
}

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

export function LineageView({ graph, onOpen }: { graph: LineageGraph; onOpen(artifactId: number): void }) {
  const laid = useMemo(() => layoutLineage(graph), [graph]);
  return (
    <div className="viewer lineage">
      <Header title={`Lineage of ${graph.nodes.find((n) => n.key === graph.root)?.label ?? graph.root}`} subtitle="Artifacts (boxes) and executions (rounded); click an artifact to open it." />
      {/* Scaled down to the panel's width (never up): a long chain stays readable at a glance. */}
      <svg className="lineage-graph" viewBox={`0 0 ${laid.width} ${laid.height}`} width="100%" style={{ maxWidth: laid.width }} role="img" aria-label="lineage graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrow" />
          </marker>
        </defs>
        {laid.edges.map((e, i) => (
          <g key={i}>
            <path className="edge" d={e.path} markerEnd="url(#arrow)" />
            <text className="edge-label" x={e.labelX} y={e.labelY}>
              {e.label}
            </text>
          </g>
        ))}
        {laid.nodes.map((n) => (
          <g
            key={n.key}
            className={`lineage-node ${n.kind}${n.key === graph.root ? ' root' : ''} state-${n.state.toLowerCase()}`}
            transform={`translate(${n.x - n.width / 2},${n.y - n.height / 2})`}
            role={n.kind === 'artifact' ? 'button' : undefined}
            tabIndex={n.kind === 'artifact' ? 0 : undefined}
            data-key={n.key}
            onClick={() => n.kind === 'artifact' && onOpen(n.id)}
            onKeyDown={(e) => n.kind === 'artifact' && e.key === 'Enter' && onOpen(n.id)}
          >
            <rect width={n.width} height={n.height} rx={n.kind === 'execution' ? 14 : 2} />
            <text x={10} y={20} className="title">
              {n.label}
            </text>
            <text x={10} y={38} className="detail">
              {n.detail}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

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
