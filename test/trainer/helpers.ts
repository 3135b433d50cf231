/** Builds the inputs of the model components by hand: transformed examples, graph, contexts. */
import type { Progress } from '../../runtime/src/core/component.ts';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentDefinition } from '../../runtime/src/core/registry.ts';
import type { ExecutorContext, OutputArtifact } from '../../runtime/src/core/component.ts';
import { paramsWithDefaults } from '../../runtime/src/engine/node-runner.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
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

/** Deterministic raw rows, and the same rows transformed as the fixture graph does. */
export function syntheticRows(n: number, seed: number): RawRow[] {
  const rand = mulberry32(seed);
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

function executorContext(
  def: ComponentDefinition<any, any, any>,
  opts: {
    params: Record<string, unknown>;
    inputs: Record<string, { type: string; uri: string; properties?: Record<string, unknown> } | undefined>;
    outDir: string;
    pool: WorkerPool;
    /** The execution's cache key, as the engine hands it over (the Trainer keys its checkpoints by it). */
    cacheKey?: string;
  },
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
    ...(opts.cacheKey !== undefined ? { metadata: { pipeline: 'p', executionId: 1, cacheKey: opts.cacheKey, read: async () => ({}) } } : {}),
  } as unknown as ExecutorContext;
  return { ctx, logs, outputs, progress };
}

type InputRef = { type: string; uri: string };

/**
 * The setup a Trainer or Tuner test suite shares: the fixture's examples and transform graph and
 * one pool worker, made before the suite and removed after it. `run` runs the component's
 * executor on them with `defaults` under `params`, writing below the fixture's folder; it returns
 * the executor's error rather than throwing it.
 */
export function modelComponentSuite(def: ComponentDefinition<any, any, any>, defaults: Record<string, unknown>, rows: { train?: number; eval?: number } = {}) {
  let fx: Fixture | undefined;
  let pool: WorkerPool | undefined;
  before(() => {
    fx = makeFixture(rows.train, rows.eval);
    pool = createPool(1);
  });
  after(async () => {
    await pool?.close();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });
  return {
    get fixture(): Fixture {
      if (!fx) throw new Error('the fixture exists only inside the suite');
      return fx;
    },
    async run(params: Record<string, unknown>, outDir: string, options: { inputs?: Record<string, InputRef>; cacheKey?: string } = {}) {
      const fixture = this.fixture;
      const { ctx, logs, outputs, progress } = executorContext(def, {
        params: { ...defaults, ...params },
        inputs: { examples: { type: 'Examples', uri: fixture.examplesUri }, transform_graph: { type: 'TransformGraph', uri: fixture.graphUri }, ...options.inputs },
        outDir: join(fixture.dir, outDir),
        pool: pool!,
        ...(options.cacheKey !== undefined ? { cacheKey: options.cacheKey } : {}),
      });
      let error: Error | undefined;
      try {
        await (await def.loadExecutor())(ctx as never);
      } catch (e) {
        error = e as Error;
      }
      return { logs, outputs, progress, error };
    },
  };
}
