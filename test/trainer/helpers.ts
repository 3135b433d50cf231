/** Builds the inputs of the model components by hand: transformed examples, graph, contexts. */
import type { Progress } from '../../runtime/src/core/component.ts';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentDefinition } from '../../runtime/src/core/registry.ts';
import type { ExecutorContext, OutputArtifact } from '../../runtime/src/core/component.ts';
import { paramsWithDefaults } from '../../runtime/src/engine/node-runner.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { shardColumns, writeShards, writeTransformGraph } from '../ml/fixtures.ts';

/** The ground truth of the synthetic problem: raw row → label (linearly separable + a category effect). */
export function labelOf(x1: number, x2: number, k: number): number {
  return 2 * x1 - x2 + (k === 2 ? 1.5 : 0) > 0.3 ? 1 : 0;
}

export interface RawRow {
  x1: number;
  x2: number;
  k: number;
  label: number;
}

/** Deterministic raw rows (LCG), and the same rows transformed as the fixture graph does. */
export function syntheticRows(n: number, seed: number): RawRow[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  return Array.from({ length: n }, () => {
    const x1 = rand() * 2 - 1;
    const x2 = rand() * 2 - 1;
    const k = Math.floor(rand() * 3);
    return { x1, x2, k, label: labelOf(x1, x2, k) };
  });
}

function transformed(rows: RawRow[]) {
  return {
    x1_xf: Float32Array.from(rows, (r) => 2 * r.x1),
    x2_xf: Float32Array.from(rows, (r) => r.x2 - 1),
    k_xf: Int32Array.from(rows, (r) => r.k),
    label_xf: Float32Array.from(rows, (r) => r.label),
  };
}

export interface Fixture {
  dir: string;
  examplesUri: string;
  graphUri: string;
  train: RawRow[];
  eval: RawRow[];
}

export function makeFixture(nTrain = 2000, nEval = 600): Fixture {
  // Inside the workspace, as pipeline roots are: compiled modules resolve npm packages from here.
  const base = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'trib-trainer-'));
  const examplesUri = join(dir, 'examples');
  const graphUri = join(dir, 'graph');
  const train = syntheticRows(nTrain, 1);
  const evalRows = syntheticRows(nEval, 2);
  writeShards(join(examplesUri, 'Split-train'), shardColumns(transformed(train), 500));
  writeShards(join(examplesUri, 'Split-eval'), shardColumns(transformed(evalRows), 500));
  writeTransformGraph(graphUri);
  return { dir, examplesUri, graphUri, train, eval: evalRows };
}

export function executorContext(
  def: ComponentDefinition<any, any, any>,
  opts: { params: Record<string, unknown>; inputs: Record<string, { type: string; uri: string; properties?: Record<string, unknown> } | undefined>; outDir: string; pool: WorkerPool },
) {
  const logs: string[] = [];
  const outputs: Record<string, OutputArtifact> = {};
  for (const [name, port] of Object.entries(def.spec.outputs)) {
    const uri = join(opts.outDir, name);
    mkdirSync(uri, { recursive: true });
    outputs[name] = { type: (port as { type: OutputArtifact['type'] }).type, uri, properties: {} };
  }
  const inputs = Object.fromEntries(
    Object.entries(opts.inputs).map(([k, v], i) => [k, v ? { id: i + 1, type: v.type, uri: v.uri, properties: v.properties ?? {} } : undefined]),
  );
  const progress: Progress[] = [];
  const ctx = {
    nodeId: 'node',
    params: paramsWithDefaults(def, opts.params),
    inputs,
    outputs,
    pipelineDir: process.cwd(),
    resolvePath: (p: string) => join(process.cwd(), p),
    pool: opts.pool,
    log: { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`WARN ${m}`), error: (m: string) => logs.push(`ERROR ${m}`) },
    progress: (p: Progress) => progress.push(p),
    signal: new AbortController().signal,
  } as unknown as ExecutorContext;
  return { ctx, logs, outputs, progress };
}

/**
 * Runs the Trainer's executor as the engine would, one output folder per attempt under
 * `<fx.dir>/root/trainer/`, with an optional cache key (checkpoints of unfinished work live under it).
 */
export async function runTrainer(fx: Fixture, pool: WorkerPool, params: Record<string, unknown>, attempt: string, options: { cacheKey?: string; inputs?: Record<string, { type: string; uri: string }> } = {}) {
  const { trainer } = await import('../../runtime/src/components/trainer/index.ts');
  const { ctx, logs, outputs, progress } = executorContext(trainer, {
    params: { module_file: 'test/trainer/fixtures/trainer_module.ts', batch_size: 64, backend: 'cpu', ...params },
    inputs: { examples: { type: 'Examples', uri: fx.examplesUri }, transform_graph: { type: 'TransformGraph', uri: fx.graphUri }, ...options.inputs },
    outDir: join(fx.dir, 'root', 'trainer', attempt),
    pool,
  });
  if (options.cacheKey) (ctx as { metadata?: unknown }).metadata = { pipeline: 'p', executionId: 1, cacheKey: options.cacheKey, read: async () => ({}) };
  const execute = await trainer.loadExecutor();
  let error: Error | undefined;
  try {
    await execute(ctx as never);
  } catch (e) {
    error = e as Error;
  }
  return { logs, model: outputs.model, progress, error };
}

/** Mocha hooks of a Trainer test: a fresh fixture and a one-worker pool, removed afterwards. */
export function useTrainerFixture(): { fx: Fixture; pool: WorkerPool } {
  const state = {} as { fx: Fixture; pool: WorkerPool };
  before(async () => {
    const { createPool } = await import('../../runtime/src/engine/pool.ts');
    state.fx = makeFixture();
    state.pool = createPool(1);
  });
  after(async () => {
    await state.pool.close();
    const { rmSync } = await import('node:fs');
    rmSync(state.fx.dir, { recursive: true, force: true });
  });
  return state;
}
