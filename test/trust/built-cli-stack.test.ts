import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SCHEMA_NODES } from '../helpers/pipelines.ts';

/**
 * A run_fn that throws names the user's .ts file and line through the built CLI too (npm test
 * builds first), where no tsx loader is in play: the Trainer's worker runs dist/runtime/pool-worker.js
 * and the module has a dynamic import, the case tsx rewrites from source (test/trainer).
 */
describe('built CLI: user stack frames', function () {
  this.timeout(240_000);
  const cli = resolve('dist/runtime/cli.js');
  let dir: string;
  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'trib-dist-stack-')));
    cpSync('samples/penguins/data', join(dir, 'data'), { recursive: true });
    cpSync('samples/penguins/penguins_transform.ts', join(dir, 'penguins_transform.ts'));
    writeFileSync(
      join(dir, 'thrower.ts'),
      `import type { RunFn } from 'tributary';
export const run_fn: RunFn = async () => {
  const { sep } = await import('node:path');
  throw new Error(\`deliberate failure \${sep}\`);
};
`,
    );
    writeFileSync(
      join(dir, 'maps.pipeline.yaml'),
      `name: maps
root: .tributary
nodes:
  example_gen:
    component: CsvExampleGen
    params: { input: data/penguins.csv }
${SCHEMA_NODES}  transform:
    component: Transform
    inputs: { examples: example_gen.examples, schema: schema_gen.schema }
    params: { module_file: penguins_transform.ts, label: species_xf }
  trainer:
    component: Trainer
    inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }
    params: { module_file: thrower.ts, epochs: 1 }
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a throwing run_fn fails the Trainer with thrower.ts and its line', () => {
    assert.ok(existsSync(cli), 'dist/runtime/cli.js is built (npm run build)');
    const r = spawnSync(process.execPath, [cli, 'run', 'maps.pipeline.yaml', '--json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { nodes: { id: string; state: string; error?: string }[] };
    const trainer = summary.nodes.find((n) => n.id === 'trainer')!;
    assert.equal(trainer.state, 'FAILED');
    assert.match(trainer.error ?? '', /run_fn threw: deliberate failure/);
    assert.ok(trainer.error!.includes(`${join(dir, 'thrower.ts')}:4:`), trainer.error);
  });
});
