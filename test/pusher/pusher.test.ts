import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { execute as evaluate } from '../../runtime/src/components/evaluator/executor.ts';
import { evaluatorParams } from '../../runtime/src/components/evaluator/spec.ts';
import { execute as push } from '../../runtime/src/components/pusher/executor.ts';
import { pusherParams } from '../../runtime/src/components/pusher/spec.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { taxiLikeColumns, writeExamples, writeModelArtifact } from '../serving/fixtures.ts';

describe('Pusher', () => {
  let root: string;
  let registry: string;
  let pool: WorkerPool;
  let n = 0;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'pusher-'));
    registry = join(root, 'registry');
    pool = createPool(1);
    writeExamples(join(root, 'examples'), 'eval', taxiLikeColumns(80));
    await writeModelArtifact(join(root, 'good'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    await writeModelArtifact(join(root, 'weak'), { features: ['x1', 'x2'], weights: [0.3, 0.4], bias: 0 });
  });
  after(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A real Evaluator blessing of `model` against `baseline`. */
  async function blessing(model: string, baseline?: string): Promise<string> {
    const { ctx } = makeContext({
      root: join(root, `eval-${n++}`),
      pool,
      params: Value.Default(evaluatorParams, { label: 'label', thresholds: [{ metric: 'auc', lower_bound: 0.6, change: { direction: 'higher_is_better' } }] }) as Record<string, unknown>,
      inputs: {
        examples: { type: 'Examples', uri: join(root, 'examples') },
        model: { type: 'Model', uri: join(root, model) },
        baseline_model: baseline ? { type: 'Model', uri: join(root, baseline) } : undefined,
      },
      outputs: { evaluation: 'ModelEvaluation', blessing: 'ModelBlessing' },
    });
    await evaluate(ctx);
    return ctx.outputs.blessing.uri;
  }

  async function runPusher(model: string, blessingUri?: string, extra: Record<string, unknown> = {}, infra?: string) {
    const { ctx, log } = makeContext({
      root: join(root, `push-${n++}`),
      pool,
      params: Value.Default(pusherParams, { registry, model_name: 'taxi', ...extra }) as Record<string, unknown>,
      inputs: {
        model: { type: 'Model', uri: join(root, model) },
        model_blessing: blessingUri ? { type: 'ModelBlessing', uri: blessingUri } : undefined,
        infra_blessing: infra ? { type: 'InfraBlessing', uri: infra } : undefined,
      },
      outputs: { pushed_model: 'PushedModel' },
    });
    await push(ctx);
    return { props: ctx.outputs.pushed_model.properties, file: JSON.parse(readFileSync(join(ctx.outputs.pushed_model.uri, 'pushed.json'), 'utf8')), log };
  }

  it('pushes a blessed model as increasing versions, never overwriting one, and moves labels', async () => {
    const b = await blessing('good');
    const first = await runPusher('good', b, { labels: ['stable'] });
    assert.equal(first.props.pushed, true);
    assert.equal(first.props.version, 1);
    const v1Weights = readFileSync(join(registry, 'taxi', '1', 'weights.bin'));
    assert.deepEqual(v1Weights, readFileSync(join(root, 'good', 'bundle', 'weights.bin')));
    // Someone else's folder for version 3 (incomplete: no bundle.json) and a complete version 2.
    const second = await runPusher('good', b, { labels: ['canary'] });
    assert.equal(second.props.version, 2);
    mkdirSync(join(registry, 'taxi', '3'));
    writeFileSync(join(registry, 'taxi', '3', 'keep.txt'), 'mine');
    const third = await runPusher('good', b, { labels: ['canary'] });
    assert.equal(third.props.version, 4);
    assert.equal(readFileSync(join(registry, 'taxi', '3', 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(readFileSync(join(registry, 'taxi', '1', 'weights.bin')), v1Weights);
    const index = JSON.parse(readFileSync(join(registry, 'taxi', 'index.json'), 'utf8'));
    assert.deepEqual(index.labels, { stable: 1, canary: 4 });
    assert.ok(!readdirSync(join(registry, 'taxi')).some((f) => f.startsWith('.tmp')), 'no temp folders left');
  });

  it('refuses a model the Evaluator did not bless (worse than its baseline), with the reason', async () => {
    const before = readdirSync(join(registry, 'taxi')).sort();
    const b = await blessing('weak', 'good');
    const r = await runPusher('weak', b);
    assert.equal(r.props.pushed, false);
    assert.match(r.file.reason, /did not bless.*auc/);
    assert.deepEqual(readdirSync(join(registry, 'taxi')).sort(), before);
    assert.ok(r.log.warn.some((l) => /Not pushed/.test(l)));
  });

  it('refuses when the InfraValidator did not bless, and rejects a blessing of another model', async () => {
    const b = await blessing('good');
    const infra = join(root, 'infra');
    mkdirSync(infra, { recursive: true });
    writeFileSync(join(infra, 'infra_blessing.json'), JSON.stringify({ blessed: false, reasons: [{ passed: false, message: 'p99 250 ms > 200 ms' }] }));
    const r = await runPusher('good', b, {}, infra);
    assert.equal(r.props.pushed, false);
    assert.match(r.file.reason, /InfraValidator.*p99 250 ms/);
    await assert.rejects(runPusher('weak', b), /blessing is for/);
    assert.ok(!existsSync(join(registry, 'taxi', '5')));
  });
});
