import type { Static, TObject } from '@sinclair/typebox';
import { ARTIFACT_TYPES, type ArtifactType } from './artifacts.ts';
import type { WorkerPool } from './worker-pool.ts';
import type { ArtifactRecord, StoreData } from './metadata-types.ts';
import type { RunEvent } from './run-events.ts';

export type ComponentCategory = 'data' | 'model' | 'deployment' | 'custom';

/**
 * What a node needs from the machine while it runs (the scheduler's CoreGate, engine/resources.ts):
 * `shared` cores (the default: CPU work, data-parallel nodes), `exclusive` use (a node that
 * measures latency runs alone), or `idle` (it waits for a person, it does not compute).
 */
export type ResourceClass = 'shared' | 'exclusive' | 'idle';

export interface PortSpec<T extends ArtifactType = ArtifactType> {
  type: T;
  description: string;
  /** Inputs only: the node may run without it. */
  optional?: boolean;
  /**
   * Outputs only: the parameter whose value is this output's artifact type (TFX's Importer); `type`
   * is then what it has when the parameter is unset or not a type.
   */
  typeFromParam?: string;
}

export type Ports = Record<string, PortSpec>;

/** The artifact type an output has on a node with these params (see PortSpec.typeFromParam). */
export function outputTypeOf(port: PortSpec, params: Record<string, unknown> | undefined): ArtifactType {
  const value = port.typeFromParam ? params?.[port.typeFromParam] : undefined;
  return typeof value === 'string' && (ARTIFACT_TYPES as readonly string[]).includes(value) ? (value as ArtifactType) : port.type;
}

/**
 * What a component declares once. The registry's schemas drive validation, caching, the CLI's
 * docs and (later) the editor; nothing else may restate them.
 *
 * Parameter schema annotations understood by the engine:
 * - `'x-path': 'file' | 'glob' | 'dir'` — a path relative to the pipeline file: validated not to
 *   escape the workspace, and its content hashed into the cache key.
 * - `'x-module': true` — a user module file: same as x-path, content hashed.
 * - `'x-destination': true` — on an x-path parameter the component writes to (the Pusher's
 *   registry): validated like any path, but its content is not an input, so it is not hashed.
 * - `'x-span-range': '<param>'` — on an x-path parameter that may hold a {SPAN} pattern: the
 *   parameter with the span range, so the cache key hashes only the selected spans' files.
 */
export interface ComponentSpec<I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> {
  type: string;
  /** Bump when the executor's output changes for the same inputs: it is part of the cache key. */
  version: string;
  category: ComponentCategory;
  /** Codicon shown for the component on the canvas; default: one per category. */
  icon?: string;
  description: string;
  inputs: I;
  outputs: O;
  params: P;
  /**
   * What the node needs from the machine (engine/resources.ts): `shared` (default) cores,
   * `exclusive` use while it measures latency, or `idle` (it waits, it does not compute).
   */
  resources?: ResourceClass;
}

export interface ArtifactRef {
  id: number;
  type: ArtifactType;
  uri: string;
  properties: Record<string, unknown>;
}

export interface OutputArtifact {
  type: ArtifactType;
  /** Directory created for the executor; write everything under it. */
  uri: string;
  /** Executors fill these in (row counts, split names, ...); recorded on the artifact. */
  properties: Record<string, unknown>;
}

export interface NodeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface Progress {
  /** Units done so far (rows, shards, ...). */
  done: number;
  total?: number;
  unit: string;
  /** Units per second so far (long nodes: rows predicted per second). */
  perSecond?: number;
  /** Estimated time left, from the rate so far. */
  etaMs?: number;
  /** The latest values of what is being optimised (the Trainer's loss and metrics, per epoch). */
  metrics?: Record<string, number>;
}

export type InputsOf<I extends Ports> = {
  [K in keyof I]: I[K]['optional'] extends true ? ArtifactRef | undefined : ArtifactRef;
};

/**
 * Read-only access to the metadata store for executors that resolve artifacts beyond their wired
 * inputs (TFX resolvers, e.g. the Evaluator's latest blessed baseline model).
 */
export interface MetadataView {
  /** The pipeline this execution belongs to (the name of its `pipeline` context). */
  pipeline: string;
  /** The running execution, so queries can leave it out. */
  executionId: number;
  /** The execution's cache key: a rerun of the same work has the same one (the Trainer's checkpoints are kept under it). */
  cacheKey?: string;
  /** A fresh snapshot of the store, taken without a lock. Treat it as read-only. */
  read(): Promise<Readonly<StoreData>>;
  /**
   * A locked store transaction, for components that record state beyond their outputs
   * (ManualApproval marks its execution WAITING and records the decision). Touch only your own
   * execution.
   */
  update?<T>(change: (data: StoreData) => T): Promise<T>;
}

export interface ExecutorContext<I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> {
  nodeId: string;
  /** Validated parameters with schema defaults applied. */
  params: Static<P>;
  inputs: InputsOf<I>;
  outputs: { [K in keyof O]: OutputArtifact };
  /** Directory of the pipeline file; relative parameters resolve against it. */
  pipelineDir: string;
  resolvePath(relative: string): string;
  pool: WorkerPool;
  log: NodeLogger;
  progress(progress: Progress): void;
  signal: AbortSignal;
  /** Absent where an executor runs outside a pipeline run (hand-built contexts in tests). */
  metadata?: MetadataView;
  /** Run events beyond logs and progress (ManualApproval's `approval`); absent outside a run. */
  emit?(event: RunEvent): void;
  /**
   * What the component's `resolveInputs` picked from the store for this execution (the artifacts
   * the cache key covers); absent when the component has no resolver or outside a run.
   */
  resolved?: Record<string, ArtifactRef | undefined>;
  /**
   * True when the scheduler runs this node alone (resource class `exclusive`), false when other
   * nodes may run beside it; absent outside the local scheduler (a cluster step, a test).
   */
  exclusive?: boolean;
}

export type Executor<I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> = (
  ctx: ExecutorContext<I, O, P>,
) => Promise<void>;

/** What a component's input resolver sees: a store snapshot and the node's wired inputs. */
export interface ResolveQuery<P extends TObject = TObject> {
  data: Readonly<StoreData>;
  /** The pipeline being run (the name of its `pipeline` context). */
  pipeline: string;
  nodeId: string;
  /** Validated parameters with schema defaults applied. */
  params: Static<P>;
  /** The wired input artifacts (undefined: an optional input left unwired). */
  inputs: Record<string, ArtifactRecord | undefined>;
}

/**
 * Picks the artifacts an executor reads from the metadata store beyond its wired inputs (TFX
 * resolvers: ExampleValidator's previous-span statistics). Pure over the snapshot. The engine calls
 * it before the cache lookup: the picked artifacts join the cache key (id and fingerprint), are
 * recorded as INPUT events under these names (lineage), and reach the executor as `ctx.resolved`,
 * so a cached result never stands for a comparison against a different artifact. Names must not
 * clash with the spec's inputs.
 */
export type InputResolver<P extends TObject = TObject> = (query: ResolveQuery<P>) => Record<string, ArtifactRecord | undefined>;
