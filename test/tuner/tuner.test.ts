import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../../runtime/src/core/errors.ts';
import { tuner } from '../../runtime/src/components/tuner/index.ts';
import { modelComponentSuite } from '../trainer/helpers.ts';

describe('Tuner', function () {
  this.timeout(180_000);
  const suite = modelComponentSuite(tuner, { module_file: 'test/tuner/fixtures/tuner_module.ts' }, { train: 1500, eval: 500 });

  const run = async (params: Record<string, unknown>, outName: string) => {
    const { logs, outputs, error } = await suite.run(params, outName);
    if (error) throw error;
    return { logs, out: outputs.best_hyperparameters };
  };

  it('grid search over two obviously different settings picks the better one, trials in parallel', async () => {
    const { out, logs } = await run({ strategy: 'grid', epochs: 2, batch_size: 64, parallel_trials: 2 }, 'grid');
    const best = JSON.parse(readFileSync(join(out.uri, 'best_hyperparameters.json'), 'utf8'));
    assert.deepEqual(best, { learning_rate: 0.05, units: 4 });
    const trials = JSON.parse(readFileSync(join(out.uri, 'trials.json'), 'utf8')) as { hyperparameters: { learning_rate: number }; objective: number; status: string }[];
    assert.equal(trials.length, 2);
    const good = trials.find((t) => t.hyperparameters.learning_rate === 0.05)!;
    const bad = trials.find((t) => t.hyperparameters.learning_rate === 1e-7)!;
    assert.ok(good.objective > bad.objective + 0.1, `${good.objective} vs ${bad.objective}`);
    assert.equal((out.properties as { bestTrial: number }).bestTrial, trials.indexOf(good));
    assert.ok(logs.some((l) => l.includes('2 in parallel')));
  });

  it('a tuner_fn with an empty space fails the node with a UserError', async () => {
    await assert.rejects(run({ tuner_fn: 'broken_tuner_fn' }, 'broken'), (e: unknown) => isUserError(e) && /empty search_space/.test((e as Error).message));
  });
});
