/**
 * The penguins sample end to end (a multiclass model on real data from the vega-datasets package):
 * the same components as taxi with nothing taxi-specific. Checked against the raw species.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../../runtime/src/ml/bundle.ts';
import { readSplitRows } from '../../runtime/src/components/evaluator/read-rows.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { penguinsCsv, sourceFile } from '../../samples/penguins/make-csv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = join(root, 'samples', 'penguins');

describe('samples/penguins: multiclass end to end', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'penguins-'));
    for (const f of ['penguins.pipeline.yaml', 'penguins_transform.ts', 'penguins_trainer.ts']) cpSync(join(sample, f), join(dir, f));
    cpSync(join(sample, 'data'), join(dir, 'data'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the committed CSV is exactly the package data, one row per bird', () => {
    const csv = readFileSync(join(sample, 'data', 'penguins.csv'), 'utf8');
    assert.equal(csv, penguinsCsv());
    const birds = JSON.parse(readFileSync(sourceFile(), 'utf8')) as unknown[];
    assert.equal(csv.trimEnd().split('\n').length, birds.length + 1);
  });

  it('trains, evaluates (multiclass metrics), blesses and pushes a species classifier', async () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', join(dir, 'penguins.pipeline.yaml'), '--json', '--workers', '2'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunSummary;
    assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
    const out = (id: string, name: string) => summary.nodes.find((n) => n.id === id)!.outputs![name];

    const evalRows = readSplitRows(out('example_gen', 'examples').uri, 'eval');
    const bundle = await loadBundle(join(dir, '.tributary', 'registry', 'penguins', '1'));
    try {
      assert.equal(bundle.info.task, 'multiclass');
      assert.deepEqual([...(bundle.info.classes ?? [])].sort(), ['Adelie', 'Chinstrap', 'Gentoo']);
      const probs = bundle.predict(evalRows) as number[][];
      let correct = 0;
      probs.forEach((p, i) => {
        assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
        if (bundle.info.classes![p.indexOf(Math.max(...p))] === evalRows[i].species) correct++;
      });
      const accuracy = correct / evalRows.length;
      const counts = new Map<unknown, number>();
      for (const r of evalRows) counts.set(r.species, (counts.get(r.species) ?? 0) + 1);
      const majority = Math.max(...counts.values()) / evalRows.length;

      const evaluation = out('evaluator', 'evaluation').properties as { task: string; overall: Record<string, number> };
      assert.equal(evaluation.task, 'multiclass');
      assert.ok(Math.abs(evaluation.overall.accuracy - accuracy) < 1e-12, `evaluator ${evaluation.overall.accuracy} vs recomputed ${accuracy}`);
      assert.ok(Math.abs(evaluation.overall.majority_baseline_accuracy - majority) < 1e-12);
      assert.ok(accuracy >= 0.9 && accuracy > majority + 0.3, `accuracy ${accuracy}, majority ${majority}`);
      assert.ok('precision_macro' in evaluation.overall && 'recall_macro' in evaluation.overall);
    } finally {
      bundle.dispose();
    }
    assert.equal(out('evaluator', 'blessing').properties.blessed, true);
    assert.equal(out('pusher', 'pushed_model').properties.pushed, true);
  });
});
