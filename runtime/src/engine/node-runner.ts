import { mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';
import { buildManifest, verifyManifest } from '../metadata/artifact-manifest.ts';
import { type ArtifactType, VOLATILE_CONTENT } from '../core/artifacts.ts';
import { writeError } from '../metadata/store.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import {
  addEvent,
  associate,
  attribute,
  createArtifact,
  createExecution,
  executionById,
  finishExecution,
  getOrCreateContext,
  outputsOf,
} from '../metadata/records.ts';
import { outputTypeOf, type ArtifactRef, type ExecutorContext, type OutputArtifact, type Ports } from '../core/component.ts';
import type { ComponentDefinition } from '../core/registry.ts';
import { isUserError, UserError } from '../core/errors.ts';
import type { WorkerPool } from '../core/worker-pool.ts';
import type { PipelinePlan, PlanNode } from '../core/plan.ts';
import type { RunEvent } from '../core/run-events.ts';
import { cacheKey, hashPathParam, pathParams, resolvedKeyParts, spanRangeFor } from './fingerprint.ts';
import { sha256 } from '../core/hash.ts';
import { FileNodeLogger } from './node-logger.ts';
import { moduleSourceHash } from '../modules/load-module.ts';
import { assertFilesInside, findWorkspaceRoot } from '../util/paths.ts';

export interface NodeRunContext {
  plan: PipelinePlan;
  store: MetadataBackend;
  pool: WorkerPool;
  runId: string;
  useCache: boolean;
  signal: AbortSignal;
  emit: (event: RunEvent) => void;
  /** Whether the scheduler gave this node the machine alone (resource class `exclusive`). */
  exclusive?: boolean;
}

export interface NodeResult {
  /** WAITING: interrupted while waiting for a person (ManualApproval); the execution stays for a resume. */
  state: 'COMPLETE' | 'CACHED' | 'FAILED' | 'CANCELED' | 'WAITING';
  execution: ExecutionRecord;
  outputs: Record<string, ArtifactRecord>;
  error?: string;
}

/** Parameters with the schema's defaults applied (the spec's params never change in place). */
export function paramsWithDefaults(def: ComponentDefinition, params: Record<string, unknown>): Record<string, unknown> {
  return Value.Default(def.spec.params, structuredClone(params)) as Record<string, unknown>;
}

export function runLogFile(root: string, runId: string, nodeId: string): string {
  return join(root, 'runs', runId, `${nodeId}.log`);
}

function toRef(a: ArtifactRecord): ArtifactRef {
  return { id: a.id, type: a.type, uri: a.uri, properties: a.properties };
}

/**
 * What the component's resolver picks from the store beyond the wired inputs (undefined: it has
 * none). Taken once, before the cache lookup, so the key, the lineage and the executor all see the
 * same artifacts.
 */
export async function resolveFromStore(
  def: ComponentDefinition,
  nodeId: string,
  params: Record<string, unknown>,
  inputs: Record<string, ArtifactRecord | undefined>,
  store: MetadataBackend,
  pipeline: string,
  runId: string,
): Promise<Record<string, ArtifactRecord | undefined> | undefined> {
  if (!def.resolveInputs) return undefined;
  const picked = def.resolveInputs({ data: await historyFor(store, def, pipeline, runId), pipeline, nodeId, params, inputs });
  const clash = Object.keys(picked).find((name) => name in (def.spec.inputs as Ports));
  if (clash) throw new UserError(`${def.spec.type}'s input resolver returned "${clash}", which is also a wired input`, { nodeId });
  return picked;
}

/**
 * The part of the store a component's resolver or executor looks back at: this run and the
 * pipeline's newest runs that published the artifact types the component reads or writes.
 */
function historyFor(store: MetadataBackend, def: ComponentDefinition, pipeline: string, runId: string) {
  const ports = [...Object.values(def.spec.inputs as Ports), ...Object.values(def.spec.outputs as Ports)] as { type: string }[];
  return store.queries.historyView(pipeline, runId, ports.map((p) => p.type));
}

/**
 * All outputs LIVE and their files still exactly as published (size and mtime per file, rehashed
 * where the mtime moved): the condition for reusing an execution. An output without a manifest
 * (recorded before manifests existed) is not trusted.
 */
async function outputsUsable(outputs: Record<string, ArtifactRecord>, expected: string[]): Promise<boolean> {
  for (const k of expected) {
    const a = outputs[k];
    if (a?.state !== 'LIVE' || !a.manifest || !(await verifyManifest(a.uri, a.manifest))) return false;
  }
  return true;
}

/** What `runNode` does beyond running the component's own executor on fresh records. */
export interface RunNodeOptions {
  /** Runs instead of the component's executor, e.g. a fan-out merge step; same records, same outputs. */
  executor?: (executorContext: ExecutorContext) => Promise<void>;
  /** Resume: continue this WAITING execution (and its PENDING outputs) instead of recording a new one. */
  adoptExecutionId?: number;
}

/**
 * Runs one node of a pipeline run in five steps: computes its cache key, reuses a previous
 * execution's outputs when allowed (hit), or records a RUNNING execution with PENDING outputs
 * (record), runs the executor (execute), and then publishes the outputs (LIVE) and the final
 * state in one transaction (publish). Used by the local scheduler and by the cluster-step entry
 * points (cluster-step.ts) alike.
 */
export async function runNode(
  ctx: NodeRunContext,
  node: PlanNode,
  inputArtifacts: Record<string, ArtifactRecord | undefined>,
  options: RunNodeOptions = {},
): Promise<NodeResult> {
  const job = await keyNode(ctx, node, inputArtifacts);
  if (ctx.useCache && options.adoptExecutionId === undefined) {
    const hit = await reuseCached(job);
    if (hit) return hit;
  }
  // Record the execution and its PENDING outputs before any file is written.
  const started = options.adoptExecutionId !== undefined ? await adoptWaiting(job, options.adoptExecutionId) : await recordStart(job);
  const outcome = await execute(job, started, options.executor);
  if (outcome.waiting) return { state: 'WAITING', execution: started.execution, outputs: started.outputs, error: 'waiting for approval' };
  return publish(job, started, outcome);
}

/** One node's run as the steps after the key share it. */
interface NodeJob {
  ctx: NodeRunContext;
  node: PlanNode;
  def: ComponentDefinition;
  params: Record<string, unknown>;
  inputArtifacts: Record<string, ArtifactRecord | undefined>;
  /** What the component's resolver picked from the store (undefined: it has no resolver). */
  resolved: Record<string, ArtifactRecord | undefined> | undefined;
  key: string;
  /** What lineage shows as the data and code behind the outputs. */
  contentHashes: Record<string, string>;
  logFile: string;
}

interface Started {
  execution: ExecutionRecord;
  outputs: Record<string, ArtifactRecord>;
}

type Manifest = Awaited<ReturnType<typeof buildManifest>>;

interface Outcome {
  error: unknown;
  /** The error as the execution records it. */
  message: string | undefined;
  /** Interrupted while waiting for a person: the WAITING execution stays, outputs stay PENDING. */
  waiting: boolean;
  canceled: boolean;
  outputArtifacts: Record<string, OutputArtifact>;
  manifests: Record<string, Manifest>;
}

/** Cache key: the component, its parameters, the inputs' fingerprints, the files it reads and what its resolver picked. */
async function keyNode(ctx: NodeRunContext, node: PlanNode, inputArtifacts: Record<string, ArtifactRecord | undefined>): Promise<NodeJob> {
  const { plan, store, runId } = ctx;
  const def = plan.registry.get(node.component);
  if (!def) throw new UserError(`Unknown component "${node.component}"`, { nodeId: node.id, field: 'component' });
  const spec = def.spec;
  const params = paramsWithDefaults(def, node.params);
  const files = await hashPathFiles(plan, node, def, params);
  const inputs: Record<string, string> = {};
  for (const [k, a] of Object.entries(inputArtifacts)) if (a) inputs[k] = a.fingerprint;
  const resolved = await resolveFromStore(def, node.id, params, inputArtifacts, store, plan.name, runId);
  const key = cacheKey({
    component: spec.type,
    version: spec.version,
    params,
    inputs,
    files,
    module: def.sourceHash,
    ...(resolved ? { resolved: resolvedKeyParts(resolved) } : {}),
  });
  const contentHashes: Record<string, string> = { ...files, ...(def.sourceHash ? { component_module: def.sourceHash } : {}) };
  return { ctx, node, def, params, inputArtifacts, resolved, key, contentHashes, logFile: runLogFile(plan.root, runId, node.id) };
}

/**
 * The content hash of every file a path parameter names. Each must really (symlinks followed) lie
 * in the workspace: the validator checked the names, this checks what a folder or glob turned out
 * to hold.
 */
async function hashPathFiles(plan: PipelinePlan, node: PlanNode, def: ComponentDefinition, params: Record<string, unknown>): Promise<Record<string, string>> {
  const spec = def.spec;
  const workspace = findWorkspaceRoot(plan.dir);
  const files: Record<string, string> = {};
  for (const name of pathParams(spec.params)) {
    const value = params[name];
    if (typeof value !== 'string') continue;
    if ((spec.params.properties[name] as { 'x-module'?: boolean })['x-module']) {
      const module = resolve(plan.dir, value);
      assertFilesInside(workspace, [module], `Parameter "${name}" of node "${node.id}"`);
      files[name] = await moduleSourceHash(module);
    } else {
      files[name] = await hashPathParam(value, plan.dir, { spanRange: spanRangeFor(spec.params, name, params), within: workspace });
    }
  }
  return files;
}

/** The pipeline, run and node contexts an execution and its outputs belong to. */
function contextsOf(job: NodeJob, data: StoreData) {
  const { plan, runId } = job.ctx;
  return [
    getOrCreateContext(data, 'pipeline', plan.name),
    getOrCreateContext(data, 'pipeline_run', runId),
    getOrCreateContext(data, 'node', `${plan.name}.${job.node.id}`),
  ];
}

/** Wired and resolved inputs alike are INPUT events: lineage shows what the outputs came from. */
function addInputEvents(job: NodeJob, data: StoreData, executionId: number): void {
  for (const [k, a] of Object.entries({ ...job.inputArtifacts, ...job.resolved })) if (a) addEvent(data, executionId, a.id, 'INPUT', k);
}

function newExecution(job: NodeJob, data: StoreData, state: 'CACHED' | 'RUNNING', cachedFrom?: number): ExecutionRecord {
  const spec = job.def.spec;
  const execution = createExecution(data, {
    component: spec.type,
    componentVersion: spec.version,
    nodeId: job.node.id,
    runId: job.ctx.runId,
    state,
    params: job.params,
    cacheKey: job.key,
    ...(cachedFrom !== undefined ? { cachedFrom } : {}),
    pid: process.pid,
    host: hostname(),
    logFileFor: () => job.logFile,
  });
  execution.properties.contentHashes = job.contentHashes;
  return execution;
}

/** Hit: a CACHED execution that points at a previous execution's still-intact outputs. */
async function reuseCached(job: NodeJob): Promise<NodeResult | undefined> {
  const { store, runId } = job.ctx;
  const outputNames = Object.keys(job.def.spec.outputs);
  // The cache index names the executions with this key; only their runs are read.
  const prior = await store.findCached(job.key, (outputs) => outputsUsable(outputs, outputNames));
  if (!prior) return undefined;
  const hit = await store.transaction(runId, (data) => {
    const outputs = prior.outputs;
    const execution = newExecution(job, data, 'CACHED', prior.execution.cachedFrom ?? prior.execution.id);
    execution.finishedAt = execution.startedAt;
    associate(data, execution.id, contextsOf(job, data));
    addInputEvents(job, data, execution.id);
    for (const [k, a] of Object.entries(outputs)) addEvent(data, execution.id, a.id, 'OUTPUT', k);
    return { execution, outputs };
  });
  if (!hit) return undefined;
  const logger = new FileNodeLogger(job.logFile, () => undefined);
  logger.info(`cache hit: reused the outputs of execution ${hit.execution.cachedFrom} (key ${job.key.slice(0, 12)})`);
  if (job.resolved) logger.info(`resolved from the metadata store: ${describeResolved(job.resolved)}`);
  logger.close();
  return { state: 'CACHED', execution: hit.execution, outputs: hit.outputs };
}

/** Record: a RUNNING execution with one PENDING artifact per output. */
function recordStart(job: NodeJob): Promise<Started> {
  const { plan, store, runId } = job.ctx;
  const spec = job.def.spec;
  return store.transaction(runId, (data) => {
    const execution = newExecution(job, data, 'RUNNING');
    const ctxs = contextsOf(job, data);
    associate(data, execution.id, ctxs);
    addInputEvents(job, data, execution.id);
    const outputs: Record<string, ArtifactRecord> = {};
    for (const name of Object.keys(spec.outputs)) {
      const a = createArtifact(
        data,
        outputTypeOf(spec.outputs[name], job.params),
        () => join(plan.root, job.node.id, name, String(execution.id)),
        sha256(`${job.key}/${name}`),
      );
      attribute(data, a.id, ctxs);
      addEvent(data, execution.id, a.id, 'OUTPUT', name);
      outputs[name] = a;
    }
    return { execution, outputs };
  });
}

/** Record, on resume: the WAITING execution and its PENDING outputs, now owned by this process. */
function adoptWaiting(job: NodeJob, id: number): Promise<Started> {
  return job.ctx.store.transaction(job.ctx.runId, (data) => {
    const execution = executionById(data, id);
    if (execution?.state !== 'WAITING') throw new UserError(`Execution ${id} of node "${job.node.id}" is no longer WAITING`, { nodeId: job.node.id });
    execution.pid = process.pid;
    return { execution, outputs: outputsOf(data, id) };
  });
}

/** Execute: the executor (or its override) on empty output folders, then the outputs' manifests. */
async function execute(job: NodeJob, started: Started, executor: RunNodeOptions['executor']): Promise<Outcome> {
  const { ctx, node, def } = job;
  const logger = new FileNodeLogger(job.logFile, (level, message) => ctx.emit({ type: 'log', nodeId: node.id, level, message }));
  const outputArtifacts: Record<string, OutputArtifact> = {};
  for (const [name, a] of Object.entries(started.outputs)) {
    rmSync(a.uri, { recursive: true, force: true }); // leftovers of an abandoned attempt with the same id
    mkdirSync(a.uri, { recursive: true });
    outputArtifacts[name] = { type: a.type, uri: a.uri, properties: {} };
  }
  const executorContext = executorContextFor(job, started, outputArtifacts, logger);

  logger.info(`${def.spec.type}@${def.spec.version} execution ${started.execution.id} (cache key ${job.key.slice(0, 12)})`);
  if (job.resolved) logger.info(`resolved from the metadata store: ${describeResolved(job.resolved)}`);
  let error: unknown;
  try {
    ctx.signal.throwIfAborted();
    const run = executor ?? (await def.loadExecutor());
    await run(executorContext);
    ctx.signal.throwIfAborted();
  } catch (e) {
    error = e;
  }

  // The outputs' content, hashed once now: their fingerprints (what downstream keys use) and the
  // manifest a later cache hit re-checks.
  let manifests: Record<string, Manifest> = {};
  if (error === undefined) {
    try {
      for (const [name, a] of Object.entries(outputArtifacts)) manifests[name] = await buildManifest(a.uri, VOLATILE_CONTENT[a.type as ArtifactType]);
    } catch (e) {
      error = e;
      manifests = {};
    }
  }

  const canceled = ctx.signal.aborted;
  const message = error === undefined ? undefined : describeError(error);
  const waiting =
    canceled && (await ctx.store.transaction(ctx.runId, (data) => executionById(data, started.execution.id)?.state)) === 'WAITING';
  if (waiting) {
    logger.warn('interrupted while waiting for approval: the execution stays WAITING for `tributary resume`');
  } else {
    if (message && !canceled) logger.error(message);
    if (canceled) logger.warn('canceled');
  }
  logger.close();
  return { error, message, waiting, canceled, outputArtifacts, manifests };
}

function executorContextFor(job: NodeJob, started: Started, outputs: Record<string, OutputArtifact>, logger: FileNodeLogger): ExecutorContext {
  const { ctx, node, def, resolved } = job;
  const { plan, store, runId } = ctx;
  const inputs: Record<string, ArtifactRef | undefined> = {};
  for (const [k, a] of Object.entries(job.inputArtifacts)) inputs[k] = a ? toRef(a) : undefined;
  return {
    nodeId: node.id,
    params: job.params,
    inputs: inputs as ExecutorContext['inputs'],
    outputs,
    pipelineDir: plan.dir,
    resolvePath: (p) => resolve(plan.dir, p),
    pool: ctx.pool,
    log: logger,
    progress: (p) => ctx.emit({ type: 'progress', nodeId: node.id, ...p }),
    signal: ctx.signal,
    metadata: {
      pipeline: plan.name,
      executionId: started.execution.id,
      cacheKey: job.key,
      read: async () => historyFor(store, def, plan.name, runId),
      update: (change) => store.transaction(runId, change),
    },
    emit: ctx.emit,
    ...(ctx.exclusive !== undefined ? { exclusive: ctx.exclusive } : {}),
    ...(resolved ? { resolved: Object.fromEntries(Object.entries(resolved).map(([k, a]) => [k, a ? toRef(a) : undefined])) } : {}),
  };
}

/** Publish: the final state and, on success, the outputs LIVE with their fingerprints, in one transaction. */
async function publish(job: NodeJob, started: Started, outcome: Outcome): Promise<NodeResult> {
  const { error, message, canceled, outputArtifacts, manifests } = outcome;
  const finished = await job.ctx.store.transaction(job.ctx.runId, (data) => {
    const state = error === undefined ? 'COMPLETE' : canceled ? 'CANCELED' : 'FAILED';
    const execution = finishExecution(data, started.execution.id, state, { error: message });
    const outputs = outputsOf(data, execution.id);
    for (const [name, a] of Object.entries(outputs)) {
      if (state === 'COMPLETE') {
        a.state = 'LIVE';
        a.properties = outputArtifacts[name].properties;
        a.fingerprint = manifests[name].fingerprint;
        a.manifest = manifests[name].files;
      } else {
        a.state = 'ABANDONED';
      }
      a.updatedAt = execution.finishedAt!;
    }
    return { execution, outputs };
  });
  if (finished.execution.state !== 'COMPLETE') {
    for (const a of Object.values(finished.outputs)) rmSync(a.uri, { recursive: true, force: true });
  }
  return {
    state: finished.execution.state as NodeResult['state'],
    execution: finished.execution,
    outputs: finished.outputs,
    error: message,
  };
}

function describeResolved(resolved: Record<string, ArtifactRecord | undefined>): string {
  return Object.entries(resolved).map(([k, a]) => `${k} = ${a ? `${a.type} #${a.id}` : 'none'}`).join(', ') || 'nothing';
}

/** User errors read as their message (with location); anything else keeps its stack for debugging. */
export function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') e = writeError(e);
  if (isUserError(e)) {
    const l = e.location;
    const where =
      l?.file && !e.message.includes(l.file) ? `${l.file}${l.line ? `:${l.line}` : ''}${l.column ? `:${l.column}` : ''}: ` : '';
    return `${where}${e.message}`;
  }
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}
