import { mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';
import { buildManifest, verifyManifest } from '../metadata/artifact-manifest.ts';
import { writeError, type MetadataStore } from '../metadata/store.ts';
import {
  addEvent,
  associate,
  attribute,
  createArtifact,
  createExecution,
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
  store: MetadataStore;
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
  store: MetadataStore,
  pipeline: string,
  runId: string,
): Promise<Record<string, ArtifactRecord | undefined> | undefined> {
  if (!def.resolveInputs) return undefined;
  const picked = def.resolveInputs({ data: historyFor(store, def, pipeline, runId), pipeline, nodeId, params, inputs });
  const clash = Object.keys(picked).find((name) => name in (def.spec.inputs as Ports));
  if (clash) throw new UserError(`${def.spec.type}'s input resolver returned "${clash}", which is also a wired input`, { nodeId });
  return picked;
}

/**
 * The part of the store a component's resolver or executor looks back at: this run and the
 * pipeline's newest runs that published the artifact types the component reads or writes.
 */
function historyFor(store: MetadataStore, def: ComponentDefinition, pipeline: string, runId: string) {
  const ports = [...Object.values(def.spec.inputs as Ports), ...Object.values(def.spec.outputs as Ports)] as { type: string }[];
  return store.reader.historyView(pipeline, runId, ports.map((p) => p.type));
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

/**
 * Runs one node of a pipeline run: computes its cache key, reuses a previous execution's outputs
 * when allowed, or records a RUNNING execution with PENDING outputs, runs the executor, and then
 * publishes the outputs (LIVE) and the final state in one transaction. Used by the local scheduler
 * and by the cluster-step entry points (cluster-step.ts) alike.
 */
export async function runNode(
  ctx: NodeRunContext,
  node: PlanNode,
  inputArtifacts: Record<string, ArtifactRecord | undefined>,
  /** Runs instead of the component's executor, e.g. a fan-out merge step; same records, same outputs. */
  executorOverride?: (executorContext: ExecutorContext) => Promise<void>,
  /** Resume: continue this WAITING execution (and its PENDING outputs) instead of recording a new one. */
  adoptExecutionId?: number,
): Promise<NodeResult> {
  const { plan, store, runId } = ctx;
  const def = plan.registry.get(node.component);
  if (!def) throw new UserError(`Unknown component "${node.component}"`, { nodeId: node.id, field: 'component' });
  const spec = def.spec;
  const params = paramsWithDefaults(def, node.params);

  // Every file a path parameter names must really (symlinks followed) lie in the workspace: the
  // validator checked the names, this checks what a folder or glob turned out to hold.
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
  // Wired and resolved inputs alike are INPUT events: lineage shows what the outputs came from.
  const recordedInputs = { ...inputArtifacts, ...resolved };
  const outputNames = Object.keys(spec.outputs);
  // What lineage shows as the data and code behind the outputs.
  const contentHashes: Record<string, string> = { ...files, ...(def.sourceHash ? { component_module: def.sourceHash } : {}) };
  const logFile = runLogFile(plan.root, runId, node.id);

  const contexts = (data: StoreData) => [
    getOrCreateContext(data, 'pipeline', plan.name),
    getOrCreateContext(data, 'pipeline_run', runId),
    getOrCreateContext(data, 'node', `${plan.name}.${node.id}`),
  ];

  if (ctx.useCache && adoptExecutionId === undefined) {
    // The cache index names the executions with this key; only their runs are read.
    const prior = await store.findCached(key, (outputs) => outputsUsable(outputs, outputNames));
    const hit =
      prior &&
      (await store.transaction(runId, (data) => {
        const outputs = prior.outputs;
        const execution = createExecution(data, {
          component: spec.type,
          componentVersion: spec.version,
          nodeId: node.id,
          runId,
          state: 'CACHED',
          params,
          cacheKey: key,
          cachedFrom: prior.execution.cachedFrom ?? prior.execution.id,
          pid: process.pid,
          host: hostname(),
          logFileFor: () => logFile,
        });
        execution.finishedAt = execution.startedAt;
        execution.properties.contentHashes = contentHashes;
        associate(data, execution.id, contexts(data));
        for (const [k, a] of Object.entries(recordedInputs)) if (a) addEvent(data, execution.id, a.id, 'INPUT', k);
        for (const [k, a] of Object.entries(outputs)) addEvent(data, execution.id, a.id, 'OUTPUT', k);
        return { execution, outputs };
      }));
    if (hit) {
      const logger = new FileNodeLogger(logFile, () => undefined);
      logger.info(`cache hit: reused the outputs of execution ${hit.execution.cachedFrom} (key ${key.slice(0, 12)})`);
      if (resolved) logger.info(`resolved from the metadata store: ${describeResolved(resolved)}`);
      logger.close();
      return { state: 'CACHED', execution: hit.execution, outputs: hit.outputs };
    }
  }

  // Record the execution and its PENDING outputs before any file is written.
  const adopt = (id: number) =>
    store.transaction(runId, (data) => {
      const execution = data.executions.find((e) => e.id === id && e.state === 'WAITING');
      if (!execution) throw new UserError(`Execution ${id} of node "${node.id}" is no longer WAITING`, { nodeId: node.id });
      execution.pid = process.pid;
      return { execution, outputs: outputsOf(data, id) };
    });
  const started = adoptExecutionId !== undefined ? await adopt(adoptExecutionId) : await store.transaction(runId, (data) => {
    const execution = createExecution(data, {
      component: spec.type,
      componentVersion: spec.version,
      nodeId: node.id,
      runId,
      state: 'RUNNING',
      params,
      cacheKey: key,
      pid: process.pid,
      host: hostname(),
      logFileFor: () => logFile,
    });
    execution.properties.contentHashes = contentHashes;
    const ctxs = contexts(data);
    associate(data, execution.id, ctxs);
    for (const [k, a] of Object.entries(recordedInputs)) if (a) addEvent(data, execution.id, a.id, 'INPUT', k);
    const outputs: Record<string, ArtifactRecord> = {};
    for (const name of outputNames) {
      const a = createArtifact(
        data,
        outputTypeOf(spec.outputs[name], params),
        () => join(plan.root, node.id, name, String(execution.id)),
        sha256(`${key}/${name}`),
      );
      attribute(data, a.id, ctxs);
      addEvent(data, execution.id, a.id, 'OUTPUT', name);
      outputs[name] = a;
    }
    return { execution, outputs };
  });

  const logger = new FileNodeLogger(logFile, (level, message) => ctx.emit({ type: 'log', nodeId: node.id, level, message }));
  const outputArtifacts: Record<string, OutputArtifact> = {};
  for (const [name, a] of Object.entries(started.outputs)) {
    rmSync(a.uri, { recursive: true, force: true }); // leftovers of an abandoned attempt with the same id
    mkdirSync(a.uri, { recursive: true });
    outputArtifacts[name] = { type: a.type, uri: a.uri, properties: {} };
  }

  const executorInputs: Record<string, ArtifactRef | undefined> = {};
  for (const [k, a] of Object.entries(inputArtifacts)) executorInputs[k] = a ? toRef(a) : undefined;
  const executorContext: ExecutorContext = {
    nodeId: node.id,
    params,
    inputs: executorInputs as ExecutorContext['inputs'],
    outputs: outputArtifacts,
    pipelineDir: plan.dir,
    resolvePath: (p) => resolve(plan.dir, p),
    pool: ctx.pool,
    log: logger,
    progress: (p) => ctx.emit({ type: 'progress', nodeId: node.id, ...p }),
    signal: ctx.signal,
    metadata: {
      pipeline: plan.name,
      executionId: started.execution.id,
      cacheKey: key,
      read: async () => historyFor(store, def, plan.name, runId),
      update: (change) => store.transaction(runId, change),
    },
    emit: ctx.emit,
    ...(ctx.exclusive !== undefined ? { exclusive: ctx.exclusive } : {}),
    ...(resolved ? { resolved: Object.fromEntries(Object.entries(resolved).map(([k, a]) => [k, a ? toRef(a) : undefined])) } : {}),
  };

  logger.info(`${spec.type}@${spec.version} execution ${started.execution.id} (cache key ${key.slice(0, 12)})`);
  if (resolved) logger.info(`resolved from the metadata store: ${describeResolved(resolved)}`);
  let error: unknown;
  try {
    ctx.signal.throwIfAborted();
    const execute = executorOverride ?? (await def.loadExecutor());
    await execute(executorContext);
    ctx.signal.throwIfAborted();
  } catch (e) {
    error = e;
  }

  // The outputs' content, hashed once now: their fingerprints (what downstream keys use) and the
  // manifest a later cache hit re-checks.
  let manifests: Record<string, Awaited<ReturnType<typeof buildManifest>>> = {};
  if (error === undefined) {
    try {
      for (const [name, a] of Object.entries(outputArtifacts)) manifests[name] = await buildManifest(a.uri);
    } catch (e) {
      error = e;
      manifests = {};
    }
  }

  const canceled = ctx.signal.aborted;
  const message = error === undefined ? undefined : describeError(error);
  // Interrupted while waiting for a person: the WAITING execution stays, outputs stay PENDING.
  const waiting = canceled && (await store.transaction(runId, (data) => data.executions.find((e) => e.id === started.execution.id)?.state)) === 'WAITING';
  if (waiting) {
    logger.warn('interrupted while waiting for approval: the execution stays WAITING for `tributary resume`');
    logger.close();
    return { state: 'WAITING', execution: started.execution, outputs: started.outputs, error: 'waiting for approval' };
  }
  if (message && !canceled) logger.error(message);
  if (canceled) logger.warn('canceled');
  logger.close();

  const finished = await store.transaction(runId, (data) => {
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
