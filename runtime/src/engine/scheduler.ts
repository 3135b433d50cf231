import { randomBytes } from 'node:crypto';
import { openMetadataStore } from '../metadata/open.ts';
import type { MetadataBackend, StoreQueries } from '../metadata/backend.ts';
import { currentRuntime } from '../util/run-runtime.ts';
import { getOrCreateContext, outputsOf } from '../metadata/records.ts';
import { ownerProperties } from '../metadata/store.ts';
import type { ArtifactRecord, StoreData } from '../core/metadata-types.ts';
import { UserError } from '../core/errors.ts';
import { createPool } from './pool.ts';
import { type WorkerPool } from '../core/worker-pool.ts';
import { startCpuMeter, type CpuBreakdown } from '../util/thread-cpu.ts';
import { timelineMark } from '../util/pool-timeline.ts';
import { runNode, type NodeResult } from './node-runner.ts';
import type { PipelinePlan, PlanNode } from '../core/plan.ts';
import { type NodeState, type RunEvent, type RunState } from '../core/run-events.ts';
import { AlertDispatcher } from '../alerts/dispatcher.ts';
import { priorExecutions, type PriorExecution } from './resume.ts';
import { CoreGate } from './resources.ts';

export interface RunOptions {
  /** Run only these nodes; their inputs come from earlier runs. */
  only?: string[];
  /** Run this node and everything downstream of it. */
  from?: string;
  useCache?: boolean;
  workers?: number;
  /** Reuse an existing pool (tests, long-lived hosts); otherwise one is made and closed. */
  pool?: WorkerPool;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  runId?: string;
  /**
   * Continue this earlier run: its successful nodes are reused, WAITING approvals are picked up
   * where they were, rejected ones stay failed, everything else runs.
   */
  resume?: string;
  /** Alert delivery tuning (tests); the rules come from the plan. */
  alerts?: { attempts?: number; backoffMs?: number };
}

export interface NodeSummary {
  id: string;
  component: string;
  /** WAITING: interrupted while a ManualApproval waited; `resume` continues it. */
  state: NodeState | 'WAITING';
  executionId?: number;
  durationMs?: number;
  error?: string;
  outputs?: Record<string, { id: number; type: string; uri: string; properties: Record<string, unknown> }>;
}

export interface RunSummary {
  runId: string;
  pipeline: string;
  /** WAITING: stopped with approvals pending (a resumable run). */
  state: RunState | 'WAITING';
  wallMs: number;
  peakRssMb: number;
  /** CPU time of the run by thread group (only when the run started its own pool). */
  cpu?: CpuBreakdown;
  nodes: NodeSummary[];
}

export function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(2).toString('hex')}`;
}

/** The nodes a run executes: all, `only`, or `from` plus its descendants. */
export function selectNodes(plan: PipelinePlan, options: Pick<RunOptions, 'only' | 'from'>): Set<string> {
  const ids = new Set(plan.nodes.map((n) => n.id));
  for (const id of [...(options.only ?? []), ...(options.from ? [options.from] : [])]) {
    if (!ids.has(id)) throw new UserError(`No node "${id}" in pipeline ${plan.name} (nodes: ${[...ids].join(', ')})`);
  }
  if (options.only?.length) return new Set(options.only);
  if (!options.from) return ids;
  const selected = new Set([options.from]);
  for (const n of plan.nodes) {
    if (Object.values(n.inputs).some((ref) => selected.has(ref.node))) selected.add(n.id);
  }
  return selected;
}

/**
 * Outputs of a node's latest successful execution in this pipeline, from the store: its runs are
 * read newest first, a page at a time, until one has them (a partial run's usual case: the last one).
 */
export async function findLatestOutputs(reader: StoreQueries, pipeline: string, nodeId: string): Promise<Record<string, ArtifactRecord> | undefined> {
  const PAGE = 20;
  for (let before = Infinity; ; ) {
    const seqs = await reader.runSeqs({ pipeline, limit: PAGE, before });
    if (!seqs.length) return undefined;
    const found = latestOutputs(await reader.view(seqs), pipeline, nodeId);
    if (found) return found;
    before = seqs[seqs.length - 1];
  }
}

/** Outputs of a node's latest successful execution in this pipeline, for nodes a partial run does not execute. */
export function latestOutputs(data: StoreData, pipeline: string, nodeId: string): Record<string, ArtifactRecord> | undefined {
  const nodeCtx = data.contexts.find((c) => c.type === 'node' && c.name === `${pipeline}.${nodeId}`);
  if (!nodeCtx) return undefined;
  const executionIds = new Set(data.associations.filter((a) => a.contextId === nodeCtx.id).map((a) => a.executionId));
  const candidates = data.executions
    .filter((e) => executionIds.has(e.id) && (e.state === 'COMPLETE' || e.state === 'CACHED'))
    .sort((a, b) => b.id - a.id);
  for (const e of candidates) {
    const outputs = outputsOf(data, e.id);
    if (Object.values(outputs).every((a) => a.state === 'LIVE')) return outputs;
  }
  return undefined;
}

/**
 * Runs a pipeline as a DAG: every node starts as soon as its inputs exist, so independent nodes
 * run in parallel; a failed or canceled node stops only its descendants. Aborting the signal
 * (Ctrl-C) cancels running executions, which are recorded CANCELED.
 */
export async function runPipeline(plan: PipelinePlan, options: RunOptions = {}): Promise<RunSummary> {
  const started = performance.now();
  timelineMark('runPipeline start');
  if (!options.resume) selectNodes(plan, options); // a bad --only/--from fails before any worker starts
  // The workers start first: their start-up (~100 ms: threads, module load) then overlaps opening
  // the store and recording the run, instead of following it.
  const meter = options.pool ? undefined : await startCpuMeter();
  const pool = options.pool ?? createPool(options.workers);
  let summary: RunSummary;
  try {
    summary = await runWithPool(plan, options, pool, started, meter);
  } finally {
    if (!options.pool) await pool.close();
    timelineMark('pool closed');
  }
  // The wall time covers the pool's start and close, as it always has.
  return { ...summary, wallMs: Math.round(performance.now() - started) };
}

async function runWithPool(
  plan: PipelinePlan,
  options: RunOptions,
  pool: WorkerPool,
  started: number,
  meter?: { stop(): CpuBreakdown },
): Promise<RunSummary> {
  const store = await openMetadataStore(plan.root, plan.metadata);
  try {
    return await runOnStore(plan, options, pool, started, store, meter);
  } finally {
    await store.close();
  }
}

async function runOnStore(
  plan: PipelinePlan,
  options: RunOptions,
  pool: WorkerPool,
  started: number,
  store: MetadataBackend,
  meter?: { stop(): CpuBreakdown },
): Promise<RunSummary> {
  const { runId, prior, selected } = await whatToRun(store, plan, options);
  const signal = options.signal ?? new AbortController().signal;
  // Internal subscriber: alert rules see every event (and finished nodes' outputs) the caller sees.
  const alerts = plan.alerts?.length ? new AlertDispatcher(plan, runId, { ...options.alerts, emit: (e) => options.onEvent?.(e) }) : undefined;
  const emit = (e: RunEvent, finished?: NodeSummary) => {
    options.onEvent?.(e);
    alerts?.observe(e, finished);
  };

  // Crash recovery costs the runs left open, not the history.
  await store.recover();
  const external = await externalInputs(store, plan, selected);
  await recordRunStart(store, plan, runId, selected, prior !== undefined);
  if (external.missing.length) {
    throw new UserError(
      `Node(s) ${external.missing.join(', ')} have no successful run yet; run them first or run without --only/--from`,
    );
  }

  emit({ type: 'run-start', runId, nodes: plan.nodes.filter((n) => selected.has(n.id)).map((n) => n.id) });
  const run: ActiveRun = {
    plan,
    options,
    store,
    pool,
    runId,
    signal,
    emit,
    selected,
    prior,
    external: external.found,
    results: new Map(),
    summaries: new Map(),
    nodeById: new Map(plan.nodes.map((n) => [n.id, n])),
    // Resource classes: a latency-measuring node runs alone (engine/resources.ts).
    gate: new CoreGate(),
  };
  await runSelectedNodes(run);
  timelineMark('nodes done');

  const nodes = plan.nodes.filter((n) => selected.has(n.id)).map((n) => run.summaries.get(n.id)!);
  const { state, waiting, peakRssMb, cpu } = await recordRunEnd(run, nodes, meter);
  emit(waiting.length ? { type: 'run-end', runId, state: 'CANCELED', waiting } : { type: 'run-end', runId, state: state as RunState });
  await alerts?.settle();
  timelineMark('runPipeline end');
  return {
    runId,
    pipeline: plan.name,
    state,
    wallMs: Math.round(performance.now() - started),
    peakRssMb,
    ...(cpu && { cpu }),
    nodes,
  };
}

/** The run's id and its nodes: a new run's selection, or what a resumed run still has to do. */
async function whatToRun(store: MetadataBackend, plan: PipelinePlan, options: RunOptions) {
  const runId = options.resume ?? options.runId ?? newRunId();
  const resumed = options.resume === undefined ? undefined : await store.queries.seqOf(options.resume);
  if (options.resume !== undefined && resumed === undefined) throw new UserError(`No run ${options.resume} in ${plan.root} (see tributary runs)`);
  const prior = options.resume ? priorExecutions(await store.queries.view([resumed!]), plan, options.resume) : undefined;
  const selected = prior ? prior.selected : selectNodes(plan, options);
  return { runId, prior, selected };
}

/** Inputs produced by nodes this run does not execute: their latest outputs in this pipeline. */
async function externalInputs(store: MetadataBackend, plan: PipelinePlan, selected: Set<string>) {
  const found: Record<string, Record<string, ArtifactRecord>> = {};
  const missing: string[] = [];
  for (const n of plan.nodes) {
    if (!selected.has(n.id)) continue;
    for (const ref of Object.values(n.inputs)) {
      if (selected.has(ref.node) || found[ref.node]) continue;
      const outs = await findLatestOutputs(store.queries, plan.name, ref.node);
      if (outs) found[ref.node] = outs;
      else missing.push(ref.node);
    }
  }
  return { found, missing: [...new Set(missing)] };
}

async function recordRunStart(store: MetadataBackend, plan: PipelinePlan, runId: string, selected: Set<string>, resumed: boolean): Promise<void> {
  await store.ensureRun(runId, plan.name);
  await store.transaction(runId, (data) => {
    const pipelineCtx = getOrCreateContext(data, 'pipeline', plan.name, { file: plan.file });
    getOrCreateContext(data, 'pipeline_run', runId, {
      pipeline: plan.name,
      pipelineContextId: pipelineCtx.id,
      state: 'RUNNING',
      runtime: currentRuntime(),
      // The owner: if this process dies, whoever opens the store next closes the run as FAILED.
      ...ownerProperties(),
      ...(resumed ? { resumedAt: new Date().toISOString() } : { startedAt: new Date().toISOString(), nodes: [...selected] }),
    });
  });
}

/** What every node of one run shares while the run schedules them. */
interface ActiveRun {
  plan: PipelinePlan;
  options: RunOptions;
  store: MetadataBackend;
  pool: WorkerPool;
  runId: string;
  signal: AbortSignal;
  emit: (e: RunEvent, finished?: NodeSummary) => void;
  selected: Set<string>;
  prior: ReturnType<typeof priorExecutions> | undefined;
  /** Outputs of the nodes this run does not execute, by node id. */
  external: Record<string, Record<string, ArtifactRecord>>;
  results: Map<string, Promise<NodeResult | undefined>>;
  summaries: Map<string, NodeSummary>;
  nodeById: Map<string, PlanNode>;
  gate: CoreGate;
}

async function runSelectedNodes(run: ActiveRun): Promise<void> {
  const { plan, store, runId } = run;
  try {
    await Promise.all(plan.nodes.filter((n) => run.selected.has(n.id)).map((n) => schedule(run, n)));
  } catch (e) {
    // A node that could not even start (a bad path, a resolver's error): the run ends FAILED, with
    // the reason, rather than RUNNING until someone recovers it.
    const error = e instanceof Error ? e.message : String(e);
    await store.transaction(runId, (data) => void getOrCreateContext(data, 'pipeline_run', runId, { state: 'FAILED', finishedAt: new Date().toISOString(), error })).catch(() => undefined);
    throw e;
  }
}

/** A node's result, started once: as soon as its upstream nodes have succeeded. */
function schedule(run: ActiveRun, node: PlanNode): Promise<NodeResult | undefined> {
  let promise = run.results.get(node.id);
  if (!promise) {
    promise = runScheduled(run, node);
    run.results.set(node.id, promise);
  }
  return promise;
}

async function runScheduled(run: ActiveRun, node: PlanNode): Promise<NodeResult | undefined> {
  const { plan, emit, signal } = run;
  const summary: NodeSummary = { id: node.id, component: node.component, state: 'QUEUED' };
  run.summaries.set(node.id, summary);
  emit({ type: 'node-state', nodeId: node.id, state: 'QUEUED' });
  const inputs = await upstreamInputs(run, node, summary);
  if (!inputs) return undefined;
  if (signal.aborted) return cancel(run, summary);
  const before: PriorExecution | undefined = run.prior?.byNode.get(node.id);
  const resources = plan.registry.get(node.component)?.spec.resources ?? 'shared';
  if (resources === 'exclusive' && run.gate.running > 0 && !before?.reuse) {
    emit({ type: 'log', nodeId: node.id, level: 'info', message: `waiting for exclusive use of the machine (it measures latency): ${run.gate.running} node(s) running` });
  }
  const release = before?.reuse ? () => undefined : await run.gate.acquire(resources);
  if (signal.aborted) {
    release();
    return cancel(run, summary);
  }
  summary.state = 'RUNNING';
  if (!before?.reuse) emit({ type: 'node-state', nodeId: node.id, state: 'RUNNING' });
  const t0 = performance.now();
  let result: NodeResult;
  try {
    result =
      before?.reuse ??
      (await runNode(
        { plan, store: run.store, pool: run.pool, runId: run.runId, useCache: run.options.useCache ?? true, signal, emit, exclusive: resources === 'exclusive' },
        node,
        inputs,
        { adoptExecutionId: before?.adopt },
      ));
  } finally {
    release();
  }
  summarize(summary, result, Math.round(performance.now() - t0));
  // NodeState has no WAITING (editors map every state): a paused node reads CANCELED with a reason.
  const waiting = result.state === 'WAITING';
  emit(
    {
      type: 'node-state',
      nodeId: node.id,
      state: result.state === 'WAITING' ? 'CANCELED' : result.state,
      executionId: result.execution.id,
      durationMs: summary.durationMs,
      ...(waiting ? { reason: `waiting for approval: tributary approve ${run.runId} ${node.id}, then tributary resume --run ${run.runId}` } : { error: result.error }),
    },
    before?.reuse ? undefined : summary,
  );
  return result;
}

/** The node's inputs once its upstream nodes are done; undefined (and the node SKIPPED) when one of them failed. */
async function upstreamInputs(run: ActiveRun, node: PlanNode, summary: NodeSummary): Promise<Record<string, ArtifactRecord | undefined> | undefined> {
  const inputs: Record<string, ArtifactRecord | undefined> = {};
  for (const [name, ref] of Object.entries(node.inputs)) {
    if (!run.selected.has(ref.node)) {
      inputs[name] = run.external[ref.node][ref.output];
      continue;
    }
    const upstream = await schedule(run, run.nodeById.get(ref.node)!);
    if (!upstream || (upstream.state !== 'COMPLETE' && upstream.state !== 'CACHED')) {
      summary.state = 'SKIPPED';
      const reason = `upstream ${ref.node} did not succeed`;
      summary.error = reason;
      run.emit({ type: 'node-state', nodeId: node.id, state: 'SKIPPED', reason });
      return undefined;
    }
    inputs[name] = upstream.outputs[ref.output];
  }
  return inputs;
}

function cancel(run: ActiveRun, summary: NodeSummary): undefined {
  summary.state = 'CANCELED';
  run.emit({ type: 'node-state', nodeId: summary.id, state: 'CANCELED' });
  return undefined;
}

function summarize(summary: NodeSummary, result: NodeResult, durationMs: number): void {
  Object.assign(summary, {
    state: result.state,
    executionId: result.execution.id,
    durationMs,
    error: result.error,
    // Outputs of a failed or canceled execution were never published.
    outputs:
      result.state === 'COMPLETE' || result.state === 'CACHED'
        ? Object.fromEntries(
            Object.entries(result.outputs).map(([k, a]) => [k, { id: a.id, type: a.type, uri: a.uri, properties: a.properties }]),
          )
        : undefined,
  });
}

/** The run's final state from its nodes', recorded with what the run cost. */
async function recordRunEnd(run: ActiveRun, nodes: NodeSummary[], meter: { stop(): CpuBreakdown } | undefined) {
  const waiting = nodes.filter((n) => n.state === 'WAITING').map((n) => n.id);
  const state: RunState | 'WAITING' = waiting.length
    ? 'WAITING'
    : run.signal.aborted
      ? 'CANCELED'
      : nodes.every((n) => n.state === 'COMPLETE' || n.state === 'CACHED')
        ? 'COMPLETE'
        : 'FAILED';
  // What the run cost, kept with it: `tributary runs` shows it beside the time.
  const cpu = meter?.stop();
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  await run.store.transaction(run.runId, (data) => {
    getOrCreateContext(data, 'pipeline_run', run.runId, {
      state,
      finishedAt: new Date().toISOString(),
      nodeStates: Object.fromEntries(nodes.map((n) => [n.id, n.state])),
      peakRssMb,
      ...(cpu && { cpu }),
    });
  });
  return { state, waiting, peakRssMb, cpu };
}
