/**
 * Reads what a viewer shows: an artifact's files in the runtime's formats, plus what belongs with
 * it in the metadata store (the anomalies computed from a statistics artifact, the blessing beside
 * an evaluation, the lineage graph, runs to compare). Pure Node and `vscode`-free, so it is unit
 * tested under plain Node; it reads the store's JSON directly (types only from the runtime) so the
 * extension host does not bundle lowdb just to draw a viewer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { approvalOf, isPendingApproval, ANOMALIES_FILE, SCHEMA_FILE, STATISTICS_FILE, type ExampleAnomaliesFile, type Schema, type DatasetFeatureStatisticsList, type ArtifactRecord, type ExecutionRecord, type StoreData } from '../../../runtime/src/host-api.ts';
import type { ArtifactRef, BlessingFile, EvaluationFile, LineageGraph, ModelInfo, PendingApproval, RunSummary, ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { parseMetricsJsonl } from '../../../protocol/viewer-shape.ts';

/** File names the Evaluator and Trainer write (runtime/src/components/evaluator/executor.ts, ml/bundle.ts). */
export const EVALUATION_FILE = 'evaluation.json';
export const BLESSING_FILE = 'blessing.json';
export const BUNDLE_INFO_FILE = 'bundle/bundle.json';
export const METRICS_FILE = 'logs/metrics.jsonl';
/** What a Tuner's HyperParameters artifact holds (runtime/src/components/trainer/executor.ts). */
export const BEST_HYPERPARAMETERS_FILE = 'best_hyperparameters.json';

export class ViewerError extends Error {}

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new ViewerError(`${file} does not exist (was the artifact deleted, or is the run still writing it?)`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new ViewerError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export function listFiles(dir: string, limit = 200): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= limit) return;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push({ path: relative(dir, full), bytes: statSync(full).size });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function producerOf(data: StoreData, artifactId: number): { execution?: ExecutionRecord; key?: string } {
  const event = data.events.find((e) => e.artifactId === artifactId && e.type === 'OUTPUT');
  return { execution: event ? data.executions.find((x) => x.id === event.executionId) : undefined, key: event?.key };
}

export function artifactRef(data: StoreData, artifact: ArtifactRecord): ArtifactRef {
  const { execution } = producerOf(data, artifact.id);
  return { id: artifact.id, type: artifact.type, uri: artifact.uri, nodeId: execution?.nodeId, runId: execution?.runId };
}

function requireArtifact(data: StoreData, id: number): ArtifactRecord {
  const artifact = data.artifacts.find((a) => a.id === id);
  if (!artifact) throw new ViewerError(`No artifact #${id} in this pipeline's metadata store`);
  return artifact;
}

/** Outputs of `type` of the executions that consumed `artifactId`, the newest first. */
function downstreamOutputs(data: StoreData, artifactId: number, type: string): { artifact: ArtifactRecord; execution: ExecutionRecord }[] {
  const consumers = new Set(data.events.filter((e) => e.type === 'INPUT' && e.artifactId === artifactId).map((e) => e.executionId));
  const out: { artifact: ArtifactRecord; execution: ExecutionRecord }[] = [];
  for (const e of data.events) {
    if (e.type !== 'OUTPUT' || !consumers.has(e.executionId)) continue;
    const artifact = data.artifacts.find((a) => a.id === e.artifactId && a.type === type && a.state === 'LIVE');
    const execution = data.executions.find((x) => x.id === e.executionId);
    if (artifact && execution) out.push({ artifact, execution });
  }
  return out.sort((a, b) => b.artifact.id - a.artifact.id);
}

/** The other outputs of the execution that produced `artifactId`. */
function siblingOutput(data: StoreData, artifactId: number, type: string): ArtifactRecord | undefined {
  const { execution } = producerOf(data, artifactId);
  if (!execution) return undefined;
  const ids = new Set(data.events.filter((e) => e.type === 'OUTPUT' && e.executionId === execution.id).map((e) => e.artifactId));
  return data.artifacts.find((a) => ids.has(a.id) && a.type === type);
}

/**
 * ManualApproval executions WAITING, undecided, with one of `artifactIds` among their inputs: the
 * approvals a person looking at those artifacts can decide. Oldest request first.
 */
export function pendingApprovals(data: StoreData, artifactIds: Iterable<number>): PendingApproval[] {
  const ids = new Set(artifactIds);
  const reviewing = new Set(data.events.filter((e) => e.type === 'INPUT' && ids.has(e.artifactId)).map((e) => e.executionId));
  return data.executions
    .filter((x) => isPendingApproval(x) && reviewing.has(x.id))
    .sort((a, b) => a.id - b.id)
    .map((x) => {
      const request = approvalOf(x);
      return { runId: x.runId, nodeId: x.nodeId, requestedAt: request?.requestedAt ?? x.startedAt, ...(request?.deadline ? { deadline: request.deadline } : {}) };
    });
}

/**
 * The viewer for one artifact, chosen by its type, with the approvals waiting on what it shows (the
 * artifact, the other outputs of the execution that made it, the anomalies computed from it).
 */
export function artifactPayload(data: StoreData, artifactId: number): ViewerPayload {
  const payload = artifactView(data, artifactId);
  if (!('artifact' in payload) || payload.kind === 'lineage' || payload.kind === 'unsupported') return payload;
  const { execution } = producerOf(data, payload.artifact.id);
  const shown = new Set([artifactId, payload.artifact.id]);
  if (execution) for (const e of data.events) if (e.type === 'OUTPUT' && e.executionId === execution.id) shown.add(e.artifactId);
  if (payload.kind === 'statistics' && payload.anomalies) shown.add(payload.anomalies.artifact.id);
  const approvals = pendingApprovals(data, shown);
  return approvals.length ? { ...payload, approvals } : payload;
}

function artifactView(data: StoreData, artifactId: number): ViewerPayload {
  const artifact = requireArtifact(data, artifactId);
  const ref = artifactRef(data, artifact);
  switch (artifact.type) {
    case 'ExampleStatistics': {
      const statistics = readJson<DatasetFeatureStatisticsList>(join(artifact.uri, STATISTICS_FILE));
      // Anomalies computed from these very statistics; the same run's when there are several.
      const candidates = downstreamOutputs(data, artifact.id, 'ExampleAnomalies');
      const found = candidates.find((c) => c.execution.runId === ref.runId) ?? candidates[0];
      const anomaliesFile = found && join(found.artifact.uri, ANOMALIES_FILE);
      const anomalies = anomaliesFile && existsSync(anomaliesFile) ? { artifact: artifactRef(data, found.artifact), file: readJson<ExampleAnomaliesFile>(anomaliesFile) } : undefined;
      return { kind: 'statistics', artifact: ref, statistics, anomalies };
    }
    case 'Schema':
      return { kind: 'schema', artifact: ref, schema: readJson<Schema>(join(artifact.uri, SCHEMA_FILE)) };
    case 'ExampleAnomalies':
      return { kind: 'anomalies', artifact: ref, anomalies: readJson<ExampleAnomaliesFile>(join(artifact.uri, ANOMALIES_FILE)) };
    case 'ModelEvaluation':
    case 'ModelBlessing': {
      const evaluationArtifact = artifact.type === 'ModelEvaluation' ? artifact : siblingOutput(data, artifact.id, 'ModelEvaluation');
      const blessingArtifact = artifact.type === 'ModelBlessing' ? artifact : siblingOutput(data, artifact.id, 'ModelBlessing');
      if (!evaluationArtifact) throw new ViewerError(`ModelBlessing #${artifact.id} has no ModelEvaluation beside it`);
      const blessingFile = blessingArtifact && join(blessingArtifact.uri, BLESSING_FILE);
      return {
        kind: 'evaluation',
        artifact: artifactRef(data, evaluationArtifact),
        evaluation: readJson<EvaluationFile>(join(evaluationArtifact.uri, EVALUATION_FILE)),
        blessing: blessingFile && existsSync(blessingFile) ? readJson<BlessingFile>(blessingFile) : undefined,
      };
    }
    case 'Model': {
      const bundleFile = join(artifact.uri, BUNDLE_INFO_FILE);
      const bundle = existsSync(bundleFile) ? readJson<Partial<ModelInfo>>(bundleFile) : {};
      const metricsFile = join(artifact.uri, METRICS_FILE);
      const info: ModelInfo = {
        backend: bundle.backend ?? (artifact.properties.backend as string | undefined),
        task: bundle.task,
        label: bundle.label,
        classes: bundle.classes,
        inputFeatures: bundle.inputFeatures,
        rawFeatures: bundle.rawFeatures,
        createdAt: bundle.createdAt,
        trainMetrics: bundle.trainMetrics,
        ...trainerSettings(data, artifact.id),
        files: listFiles(join(artifact.uri, 'bundle')),
      };
      return { kind: 'model', artifact: ref, info, epochs: existsSync(metricsFile) ? parseMetricsJsonl(readFileSync(metricsFile, 'utf8')) : [] };
    }
    default:
      return { kind: 'unsupported', artifact: ref, files: listFiles(artifact.uri), reason: `No dedicated viewer for ${artifact.type} yet: its files are listed.` };
  }
}

/** Trainer parameters that are about the code, not the training: left out of the model viewer's list. */
const NOT_TRAINING = new Set(['module_file', 'run_fn', 'hyperparameters']);

/**
 * The hyperparameters run_fn got (the executor's order: the Trainer's `hyperparameters` param,
 * then a wired HyperParameters artifact's best values on top) and the Trainer's other parameters,
 * from the execution that made the model (a cache hit's source execution holds the inputs).
 */
export function trainerSettings(data: StoreData, modelId: number): Pick<ModelInfo, 'hyperparameters' | 'training'> {
  const { execution } = producerOf(data, modelId);
  if (execution?.component !== 'Trainer') return {};
  const source = execution.cachedFrom ? (data.executions.find((x) => x.id === execution.cachedFrom) ?? execution) : execution;
  const values = new Map<string, { value: string | number | boolean; source: string }>();
  const own = source.params.hyperparameters;
  if (own && typeof own === 'object') {
    for (const [name, value] of Object.entries(own as Record<string, unknown>)) {
      if (['string', 'number', 'boolean'].includes(typeof value)) values.set(name, { value: value as string | number | boolean, source: `${source.nodeId} params` });
    }
  }
  const tunedEvent = data.events.find((e) => e.type === 'INPUT' && e.executionId === source.id && e.key === 'hyperparameters');
  const tuned = tunedEvent && data.artifacts.find((a) => a.id === tunedEvent.artifactId);
  if (tuned) {
    const file = join(tuned.uri, BEST_HYPERPARAMETERS_FILE);
    const best = existsSync(file) ? readJson<Record<string, unknown>>(file) : {};
    const by = `${tuned.type} #${tuned.id}${producerOf(data, tuned.id).execution ? ` (${producerOf(data, tuned.id).execution!.nodeId})` : ''}`;
    for (const [name, value] of Object.entries(best)) {
      if (['string', 'number', 'boolean'].includes(typeof value)) values.set(name, { value: value as string | number | boolean, source: by });
    }
  }
  const training: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(source.params)) {
    if (!NOT_TRAINING.has(name) && ['string', 'number', 'boolean'].includes(typeof value)) training[name] = value as string | number | boolean;
  }
  return { hyperparameters: [...values].map(([name, v]) => ({ name, ...v })).sort((a, b) => a.name.localeCompare(b.name)), training };
}

/** The artifacts and executions behind an artifact, back to external data, as a graph (shared ancestors once). */
export function lineagePayload(data: StoreData, artifactId: number): ViewerPayload {
  const root = requireArtifact(data, artifactId);
  const graph: LineageGraph = { root: `a${root.id}`, nodes: [], edges: [] };
  const seen = new Set<string>();
  const visitArtifact = (artifact: ArtifactRecord) => {
    const key = `a${artifact.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    graph.nodes.push({ key, kind: 'artifact', id: artifact.id, label: `${artifact.type} #${artifact.id}`, detail: artifact.state.toLowerCase(), state: artifact.state });
    const { execution, key: output } = producerOf(data, artifact.id);
    if (!execution) return;
    // A cache hit's outputs were made by the execution it reused: show that one's inputs too.
    graph.edges.push({ from: `e${execution.id}`, to: key, label: output ?? '' });
    visitExecution(execution);
  };
  const visitExecution = (execution: ExecutionRecord) => {
    const key = `e${execution.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    graph.nodes.push({
      key,
      kind: 'execution',
      id: execution.id,
      label: `${execution.nodeId} (${execution.component})`,
      detail: `#${execution.id} ${execution.state.toLowerCase()}${execution.cachedFrom ? ` from #${execution.cachedFrom}` : ''} · ${execution.runId}`,
      state: execution.state,
    });
    const source = execution.cachedFrom ? (data.executions.find((x) => x.id === execution.cachedFrom) ?? execution) : execution;
    for (const e of data.events) {
      if (e.type !== 'INPUT' || (e.executionId !== execution.id && e.executionId !== source.id)) continue;
      const input = data.artifacts.find((a) => a.id === e.artifactId);
      if (!input) continue;
      if (!graph.edges.some((x) => x.from === `a${input.id}` && x.to === key)) graph.edges.push({ from: `a${input.id}`, to: key, label: e.key });
      visitArtifact(input);
    }
  };
  visitArtifact(root);
  return { kind: 'lineage', artifact: artifactRef(data, root), graph };
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Params of every node and the numeric results (evaluation overall metrics, trainer metrics) of each run, oldest run first. */
export function comparePayload(data: StoreData, pipeline: string, runIds: string[]): ViewerPayload {
  const runs: RunSummary[] = runIds.map((runId) => {
    const context = data.contexts.find((c) => c.type === 'pipeline_run' && c.name === runId);
    if (!context) throw new ViewerError(`No run ${runId} in this pipeline's metadata store`);
    const p = context.properties as { state?: string; startedAt?: string; finishedAt?: string };
    const executions = data.executions.filter((e) => e.runId === runId).sort((a, b) => a.id - b.id);
    const params: Record<string, string> = {};
    const metrics: Record<string, number> = {};
    for (const x of executions) {
      for (const [k, v] of Object.entries(x.params)) params[`${x.nodeId}.${k}`] = scalar(v);
      const outputs = data.events.filter((e) => e.type === 'OUTPUT' && e.executionId === (x.cachedFrom ?? x.id)).map((e) => data.artifacts.find((a) => a.id === e.artifactId));
      for (const a of outputs) {
        if (!a) continue;
        const numbers = a.type === 'ModelEvaluation' ? (a.properties.overall as Record<string, unknown> | undefined) : a.type === 'Model' ? (a.properties.metrics as Record<string, unknown> | undefined) : undefined;
        for (const [k, v] of Object.entries(numbers ?? {})) if (typeof v === 'number' && Number.isFinite(v)) metrics[`${x.nodeId}.${k}`] = v;
      }
    }
    return {
      runId,
      state: p.state ?? 'UNKNOWN',
      startedAt: p.startedAt ?? '',
      durationMs: p.startedAt && p.finishedAt ? Date.parse(p.finishedAt) - Date.parse(p.startedAt) : undefined,
      params,
      metrics,
      nodes: executions.map((x) => ({ nodeId: x.nodeId, state: x.state, durationMs: x.finishedAt ? Date.parse(x.finishedAt) - Date.parse(x.startedAt) : undefined })),
    };
  });
  // Oldest first: the first run is the reference, so deltas read as what changed since.
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { kind: 'compare', pipeline, runs };
}
