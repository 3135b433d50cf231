/**
 * Experiment tracking over the metadata store: per run its parameters, module hashes, data spans,
 * training curve (the Trainer's logs/metrics.jsonl) and evaluation metrics (the Evaluator's
 * evaluation.json), and the differences between two runs. What `tributary runs --metrics` and
 * `tributary compare` print, and the editor's run-comparison charts use. Pure: files are read
 * through the loaders passed in.
 */
import { listRuns } from './report.ts';
import { outputsOf } from './records.ts';
import type { ExecutionRecord, StoreData } from '../core/metadata-types.ts';

export interface EpochMetrics {
  epoch: number;
  [metric: string]: number;
}

export interface ExperimentLoaders {
  /** The per-epoch records of a Model artifact's logs/metrics.jsonl; [] or undefined when absent. */
  trainingCurve(modelUri: string): EpochMetrics[] | undefined;
  /** The overall-slice metrics of a ModelEvaluation artifact's evaluation.json; undefined when absent. */
  evaluationMetrics(evaluationUri: string): Record<string, number> | undefined;
}

export interface ExperimentRun {
  runId: string;
  state: string;
  startedAt: string;
  durationMs?: number;
  /** `node.param` → value (objects and arrays as canonical JSON), for every executed node. */
  params: Record<string, string>;
  /** `node.param` → content hash of the file or module a path parameter names. */
  moduleHashes: Record<string, string>;
  /** Example-producing node → the span (and version) of the Examples it output in this run. */
  spans: Record<string, { span: number; version?: number }>;
  /** The training curve of the run's Model (first Trainer node), oldest epoch first. */
  trainingCurve: EpochMetrics[];
  /** The last epoch's metrics (`loss`, `val_loss`, ...). */
  trainMetrics: Record<string, number>;
  /** The Evaluator's overall metrics. */
  evalMetrics: Record<string, number>;
  /** The Evaluator's verdict, when one ran. */
  blessed?: boolean;
  nodeStates: Record<string, string>;
}

const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));

const show = (v: unknown) => (typeof v === 'string' ? v : sortedJson(v));

/** The executions that describe a run: one per node, the last attempt (a node may run once per run). */
function executionsByNode(data: Readonly<StoreData>, runId: string): Map<string, ExecutionRecord> {
  const out = new Map<string, ExecutionRecord>();
  for (const e of data.executions) if (e.runId === runId) out.set(e.nodeId, e);
  return out;
}

export function experimentRuns(data: StoreData, pipeline: string, load: ExperimentLoaders): ExperimentRun[] {
  return listRuns(data)
    .filter((r) => r.pipeline === pipeline)
    .map((r) => {
      const run: ExperimentRun = {
        runId: r.runId,
        state: r.state,
        startedAt: r.startedAt,
        ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
        params: {},
        moduleHashes: {},
        spans: {},
        trainingCurve: [],
        trainMetrics: {},
        evalMetrics: {},
        nodeStates: {},
      };
      for (const [nodeId, e] of executionsByNode(data, r.runId)) {
        run.nodeStates[nodeId] = e.state;
        for (const [k, v] of Object.entries(e.params)) if (v !== undefined) run.params[`${nodeId}.${k}`] = show(v);
        const hashes = (e.properties.contentHashes ?? {}) as Record<string, string>;
        for (const [k, h] of Object.entries(hashes)) run.moduleHashes[`${nodeId}.${k}`] = h;
        if (e.state !== 'COMPLETE' && e.state !== 'CACHED') continue;
        for (const a of Object.values(outputsOf(data, e.id))) {
          if (a.state !== 'LIVE') continue;
          const p = a.properties as { span?: unknown; version?: unknown; blessed?: unknown; overall?: unknown };
          if (a.type === 'Examples' && typeof p.span === 'number') {
            run.spans[nodeId] = { span: p.span, ...(typeof p.version === 'number' ? { version: p.version } : {}) };
          } else if (a.type === 'Model' && run.trainingCurve.length === 0) {
            run.trainingCurve = load.trainingCurve(a.uri) ?? [];
            const last = run.trainingCurve[run.trainingCurve.length - 1];
            if (last) run.trainMetrics = Object.fromEntries(Object.entries(last).filter(([k]) => k !== 'epoch'));
          } else if (a.type === 'ModelEvaluation' && Object.keys(run.evalMetrics).length === 0) {
            // The file has every metric; the artifact's `overall` property is the fallback when it is gone.
            run.evalMetrics = load.evaluationMetrics(a.uri) ?? numbersOf(p.overall);
          } else if (a.type === 'ModelBlessing' && typeof p.blessed === 'boolean' && run.blessed === undefined) {
            run.blessed = p.blessed;
          }
        }
      }
      return run;
    });
}

function numbersOf(v: unknown): Record<string, number> {
  if (!v || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number' && Number.isFinite(x))) as Record<string, number>;
}

/** `node.param` keys whose values are not the same in every run (missing counts as a value). */
export function differingParams(runs: ExperimentRun[]): string[] {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.params)));
  return [...keys].filter((k) => new Set(runs.map((r) => r.params[k])).size > 1).sort();
}

export interface ValueDiff {
  key: string;
  a?: string;
  b?: string;
}

export interface MetricDiff {
  key: string;
  a?: number;
  b?: number;
  /** b − a when both exist. */
  delta?: number;
}

export interface RunComparison {
  a: string;
  b: string;
  states: { a: string; b: string };
  params: ValueDiff[];
  spans: ValueDiff[];
  moduleHashes: ValueDiff[];
  /** `train.<metric>` (last epoch) and `eval.<metric>` (overall slice); every metric of either run. */
  metrics: MetricDiff[];
  blessed: { a?: boolean; b?: boolean };
}

function diffStrings(a: Record<string, string>, b: Record<string, string>): ValueDiff[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => ({ key: k, ...(k in a ? { a: a[k] } : {}), ...(k in b ? { b: b[k] } : {}) }));
}

const spanText = (s: { span: number; version?: number }) => `${s.span}${s.version !== undefined ? ` v${s.version}` : ''}`;

export function compareRuns(a: ExperimentRun, b: ExperimentRun): RunComparison {
  const spans = (r: ExperimentRun) => Object.fromEntries(Object.entries(r.spans).map(([k, s]) => [k, spanText(s)]));
  const metrics = (r: ExperimentRun) => ({
    ...Object.fromEntries(Object.entries(r.trainMetrics).map(([k, v]) => [`train.${k}`, v])),
    ...Object.fromEntries(Object.entries(r.evalMetrics).map(([k, v]) => [`eval.${k}`, v])),
  });
  const ma = metrics(a);
  const mb = metrics(b);
  const metricKeys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
  return {
    a: a.runId,
    b: b.runId,
    states: { a: a.state, b: b.state },
    params: diffStrings(a.params, b.params),
    spans: diffStrings(spans(a), spans(b)),
    moduleHashes: diffStrings(a.moduleHashes, b.moduleHashes),
    metrics: metricKeys.map((key) => ({
      key,
      ...(key in ma ? { a: ma[key] } : {}),
      ...(key in mb ? { b: mb[key] } : {}),
      ...(key in ma && key in mb ? { delta: mb[key] - ma[key] } : {}),
    })),
    blessed: { a: a.blessed, b: b.blessed },
  };
}
