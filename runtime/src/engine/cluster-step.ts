/**
 * One node of a run, executed on its own: what a cluster step (an Argo container) does. Inputs
 * come from the metadata store (upstream outputs of the same run id, else their latest successful
 * outputs), the node runs through the same `runNode` as the local scheduler, and data-parallel
 * components can instead run as a shard plan, map steps and a merge step (core/fan-out.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { getOrCreateContext, outputsOf } from '../metadata/records.ts';
import { openMetadataStore } from '../metadata/open.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import type { ArtifactRecord, StoreData } from '../core/metadata-types.ts';
import { UserError } from '../core/errors.ts';
import { type ArtifactRef, type ExecutorContext } from '../core/component.ts';
import type { FanOut, ShardContext } from '../core/fan-out.ts';
import { FileNodeLogger } from './node-logger.ts';
import { paramsWithDefaults, resolveFromStore, runNode, type NodeResult } from './node-runner.ts';
import type { PipelinePlan, PlanNode } from '../core/plan.ts';
import { type RunEvent, type RunState } from '../core/run-events.ts';
import { createPool } from './pool.ts';
import { type WorkerPool } from '../core/worker-pool.ts';
import { findLatestOutputs } from './scheduler.ts';

export interface SingleNodeOptions {
  runId: string;
  useCache?: boolean;
  workers?: number;
  pool?: WorkerPool;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** Where a fanned-out node's map steps leave their partials for the merge step. */
export function shardScratch(root: string, runId: string, nodeId: string): string {
  return join(root, 'runs', runId, `${nodeId}.shards`);
}

/** A map phase: 1, or 2 for a component with a second map phase (FanOut.second). */
export type MapPhase = 1 | 2;

function partialFile(scratch: string, index: number, phase: MapPhase = 1): string {
  // No padding: an Argo template can name this file from the shard parameter alone.
  return join(scratch, `${phase === 2 ? 'phase2-' : ''}partial-${index}.v8`);
}

/** The reduce step's result: the second phase's carry and items, read by its map steps and the merge. */
function secondPlanFile(scratch: string): string {
  return join(scratch, 'phase2-plan.v8');
}

/** v8 serialisation is the structured clone the pool uses: doubles and typed arrays stay exact. */
function writeAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp-${process.pid}`, serialize(value));
  renameSync(`${file}.tmp-${process.pid}`, file);
}

/** All partials of one map phase in item order, or a clear error naming the missing shards. */
function readPartials(nodeId: string, scratch: string, count: number, phase: MapPhase, step: 'merge' | 'reduce'): unknown[] {
  const missing = [...Array(count).keys()].filter((i) => !existsSync(partialFile(scratch, i, phase)));
  if (missing.length) {
    throw new UserError(`Node "${nodeId}" cannot ${step}: ${phase === 2 ? 'phase-2 ' : ''}shard(s) ${missing.join(', ')} of ${count} have no partial in ${scratch}`);
  }
  return [...Array(count).keys()].map((i) => deserialize(readFileSync(partialFile(scratch, i, phase))));
}

function readSecondPlan(nodeId: string, scratch: string): { carry: unknown; items: unknown[] } {
  const file = secondPlanFile(scratch);
  if (!existsSync(file)) throw new UserError(`Node "${nodeId}": no phase-2 plan in ${scratch}; run its phase-2 plan step (--plan-shards F --phase 2) first`);
  return deserialize(readFileSync(file)) as { carry: unknown; items: unknown[] };
}

function findNode(plan: PipelinePlan, nodeId: string): PlanNode {
  const node = plan.nodes.find((n) => n.id === nodeId);
  if (!node) throw new UserError(`No node "${nodeId}" in pipeline ${plan.name} (nodes: ${plan.nodes.map((n) => n.id).join(', ')})`);
  return node;
}

/** Outputs of the node's latest successful execution in run `runId`, if any. */
function outputsInRun(data: StoreData, nodeId: string, runId: string): Record<string, ArtifactRecord> | undefined {
  const candidates = data.executions
    .filter((e) => e.runId === runId && e.nodeId === nodeId && (e.state === 'COMPLETE' || e.state === 'CACHED'))
    .sort((a, b) => b.id - a.id);
  for (const e of candidates) {
    const outputs = outputsOf(data, e.id);
    if (Object.values(outputs).every((a) => a.state === 'LIVE')) return outputs;
  }
  return undefined;
}

/** The node's input artifacts: upstream outputs of this run, falling back to their latest ones. */
export async function resolveInputs(store: MetadataBackend, plan: PipelinePlan, node: PlanNode, runId: string): Promise<Record<string, ArtifactRecord>> {
  const seq = await store.queries.seqOf(runId);
  const data = await store.queries.view(seq === undefined ? [] : [seq]);
  const inputs: Record<string, ArtifactRecord> = {};
  const missing: string[] = [];
  for (const [name, ref] of Object.entries(node.inputs)) {
    const outputs = outputsInRun(data, ref.node, runId) ?? (await findLatestOutputs(store.queries, plan.name, ref.node));
    const artifact = outputs?.[ref.output];
    if (artifact) inputs[name] = artifact;
    else missing.push(ref.node);
  }
  if (missing.length) {
    throw new UserError(`Node "${node.id}" needs the outputs of ${[...new Set(missing)].join(', ')}, which have no successful execution in run ${runId} or before`);
  }
  return inputs;
}

async function openStore(plan: PipelinePlan, runId: string): Promise<MetadataBackend> {
  const store = await openMetadataStore(plan.root, plan.metadata);
  // Steps of one run may start in any order: whoever comes first creates the run and its context.
  await store.ensureRun(runId, plan.name);
  await store.transaction(runId, (data) => {
    const pipelineCtx = getOrCreateContext(data, 'pipeline', plan.name, { file: plan.file });
    const run = getOrCreateContext(data, 'pipeline_run', runId, { pipeline: plan.name, pipelineContextId: pipelineCtx.id });
    run.properties.startedAt ??= new Date().toISOString();
    run.properties.state ??= 'RUNNING';
  });
  return store;
}

async function withPool<T>(options: SingleNodeOptions, work: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = options.pool ?? createPool(options.workers);
  try {
    return await work(pool);
  } finally {
    if (!options.pool) await pool.close();
  }
}

/** Runs one node exactly as the local scheduler would, with inputs from the store. */
export async function runSingleNode(plan: PipelinePlan, nodeId: string, options: SingleNodeOptions): Promise<NodeResult> {
  const node = findNode(plan, nodeId);
  const store = await openStore(plan, options.runId);
  const inputs = await resolveInputs(store, plan, node, options.runId);
  return withPool(options, (pool) =>
    runNode(
      {
        plan,
        store,
        pool,
        runId: options.runId,
        useCache: options.useCache ?? true,
        signal: options.signal ?? new AbortController().signal,
        emit: options.onEvent ?? (() => undefined),
      },
      node,
      inputs,
    ),
  );
}

/** The component's fan-out protocol, or undefined when it has none or the node turned it off. */
export async function fanOutOf(plan: PipelinePlan, node: PlanNode): Promise<FanOut | undefined> {
  if (node.run?.fan_out === false) return undefined;
  return plan.registry.get(node.component)?.loadFanOut?.();
}

async function requireFanOut(plan: PipelinePlan, node: PlanNode): Promise<FanOut> {
  const fanOut = await fanOutOf(plan, node);
  if (!fanOut) throw new UserError(`Node "${node.id}" (${node.component}) does not fan out over shards: run it without --shard/--merge`);
  return fanOut;
}

function toRef(a: ArtifactRecord): ArtifactRef {
  return { id: a.id, type: a.type, uri: a.uri, properties: a.properties };
}

/** A map step's context: inputs and params as the executor would see them, a log, no outputs. */
function shardContext(plan: PipelinePlan, node: PlanNode, inputs: Record<string, ArtifactRecord>, runId: string, log: FileNodeLogger, signal: AbortSignal): ShardContext {
  const def = plan.registry.get(node.component)!;
  return {
    nodeId: node.id,
    params: paramsWithDefaults(def, node.params),
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, toRef(a)])) as ShardContext['inputs'],
    pipelineDir: plan.dir,
    resolvePath: (p) => resolve(plan.dir, p),
    log,
    signal,
    scratch: shardScratch(plan.root, runId, node.id),
  };
}

async function shardSetup(plan: PipelinePlan, nodeId: string, options: SingleNodeOptions, logName: string) {
  const node = findNode(plan, nodeId);
  const fanOut = await requireFanOut(plan, node);
  const store = await openStore(plan, options.runId);
  const inputs = await resolveInputs(store, plan, node, options.runId);
  const log = new FileNodeLogger(join(plan.root, 'runs', options.runId, `${nodeId}.${logName}.log`), (level, message) =>
    options.onEvent?.({ type: 'log', nodeId, level, message }),
  );
  const ctx = shardContext(plan, node, inputs, options.runId, log, options.signal ?? new AbortController().signal);
  // Store-resolved inputs (the Evaluator's latest blessed baseline) as the merge's runNode resolves them.
  const def = plan.registry.get(node.component)!;
  const resolved = await resolveFromStore(def, node.id, ctx.params as Record<string, unknown>, inputs, store, plan.name, options.runId);
  if (resolved) ctx.resolved = Object.fromEntries(Object.entries(resolved).map(([k, a]) => [k, a ? toRef(a) : undefined]));
  return { node, fanOut, store, inputs, log, ctx };
}

/**
 * The plan step of map phase 1: how many map steps the node needs (items are recomputed by each
 * step). Of phase 2: the reduce step, which folds phase 1's partials into the carry and plans
 * phase 2's items, both written to the scratch folder for its map steps and the merge.
 */
export async function planShards(plan: PipelinePlan, nodeId: string, options: SingleNodeOptions, phase: MapPhase = 1): Promise<number> {
  const { node, fanOut, log, ctx } = await shardSetup(plan, nodeId, options, phase === 1 ? 'plan' : 'plan-2');
  try {
    const items = await fanOut.plan(ctx);
    if (phase === 1) {
      // A stale scratch folder (an earlier attempt of this run) must not feed the merge.
      rmSync(ctx.scratch, { recursive: true, force: true });
      log.info(`${items.length} shard(s)`);
      return items.length;
    }
    const second = requireSecondPhase(fanOut, node);
    const reduced = await second.reduce(ctx, readPartials(nodeId, ctx.scratch, items.length, 1, 'reduce'));
    for (let i = 0; existsSync(partialFile(ctx.scratch, i, 2)); i++) rmSync(partialFile(ctx.scratch, i, 2));
    writeAtomically(secondPlanFile(ctx.scratch), reduced);
    log.info(`phase 2: ${reduced.items.length} shard(s)`);
    return reduced.items.length;
  } finally {
    log.close();
  }
}

function requireSecondPhase(fanOut: FanOut, planNode: PlanNode): NonNullable<FanOut['second']> {
  if (!fanOut.second) throw new UserError(`Node "${planNode.id}" (${planNode.component}) has a single map phase: drop --phase 2`);
  return fanOut.second;
}

/** A map step: shard `index`'s partial of the given phase, written atomically to the node's scratch folder. */
export async function runShard(plan: PipelinePlan, nodeId: string, index: number, options: SingleNodeOptions, phase: MapPhase = 1): Promise<void> {
  const { node, fanOut, log, ctx } = await shardSetup(plan, nodeId, options, phase === 1 ? `shard-${index}` : `shard2-${index}`);
  try {
    const second = phase === 2 ? requireSecondPhase(fanOut, node) : undefined;
    const secondPlan = second ? readSecondPlan(nodeId, ctx.scratch) : undefined;
    const items = secondPlan ? secondPlan.items : await fanOut.plan(ctx);
    if (!Number.isInteger(index) || index < 0 || index >= items.length) {
      throw new UserError(`Shard ${index} of node "${nodeId}" does not exist (the ${phase === 2 ? 'phase-2 ' : ''}plan has ${items.length} shard(s))`);
    }
    mkdirSync(ctx.scratch, { recursive: true });
    const partial = second ? await second.map(ctx, items[index], index, secondPlan!.carry) : await fanOut.map(ctx, items[index], index);
    writeAtomically(partialFile(ctx.scratch, index, phase), partial);
    log.info(`${phase === 2 ? 'phase 2 ' : ''}shard ${index + 1}/${items.length} done`);
  } finally {
    log.close();
  }
}

/** The merge step: every partial of the last phase, merged by the component and recorded as the node's execution. */
export async function mergeShards(plan: PipelinePlan, nodeId: string, options: SingleNodeOptions): Promise<NodeResult> {
  const { node, fanOut, store, inputs, log, ctx } = await shardSetup(plan, nodeId, options, 'merge');
  let partials: unknown[];
  let carry: unknown;
  try {
    if (fanOut.second) {
      const secondPlan = readSecondPlan(nodeId, ctx.scratch);
      carry = secondPlan.carry;
      partials = readPartials(nodeId, ctx.scratch, secondPlan.items.length, 2, 'merge');
    } else {
      partials = readPartials(nodeId, ctx.scratch, (await fanOut.plan(ctx)).length, 1, 'merge');
    }
  } finally {
    log.close();
  }
  const result = await withPool(options, (pool) =>
    runNode(
      {
        plan,
        store,
        pool,
        runId: options.runId,
        useCache: options.useCache ?? true,
        signal: ctx.signal,
        emit: options.onEvent ?? (() => undefined),
      },
      node,
      inputs,
      { executor: (executorContext: ExecutorContext) => fanOut.merge({ ...executorContext, scratch: ctx.scratch }, partials, carry) },
    ),
  );
  if (result.state === 'COMPLETE' || result.state === 'CACHED') rmSync(ctx.scratch, { recursive: true, force: true });
  return result;
}

/** Records a run's final state from its node executions (an Argo exit handler's job). */
export async function finishRun(plan: PipelinePlan, runId: string): Promise<RunState> {
  const store = await openStore(plan, runId);
  return store.transaction(runId, (data) => {
    const latest = new Map<string, string>();
    for (const e of data.executions) if (e.runId === runId) latest.set(e.nodeId, e.state);
    const nodeStates = Object.fromEntries(plan.nodes.map((n) => [n.id, latest.get(n.id) ?? 'SKIPPED']));
    const state: RunState = Object.values(nodeStates).every((s) => s === 'COMPLETE' || s === 'CACHED') ? 'COMPLETE' : 'FAILED';
    getOrCreateContext(data, 'pipeline_run', runId, { state, finishedAt: new Date().toISOString(), nodeStates });
    return state;
  });
}
