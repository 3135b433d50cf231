import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { moduleSourceHash } from '../../runtime/src/modules/load-module.ts';
import { defineComponent } from '../../runtime/src/core/registry.ts';
import { Registry } from '../../runtime/src/core/registry.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';

const usesModule = defineComponent(
  {
    type: 'UsesModule',
    version: '1',
    category: 'custom',
    description: 'Names a user module; does nothing else.',
    inputs: {},
    outputs: { examples: { type: 'Examples', description: 'nothing' } },
    params: Type.Object({ module_file: Type.String({ 'x-module': true, description: 'user module' }) }),
  },
  async () => async () => undefined,
);

describe('user module content in the cache key', () => {
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-modhash-'));
    writeFileSync(join(dir, 'helper.ts'), 'export const k = 1;\n');
    writeFileSync(join(dir, 'main.ts'), "import { k } from './helper.ts';\nexport const fn = () => k;\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('changes when a locally imported file changes, not when nothing changes', async () => {
    const first = await moduleSourceHash(join(dir, 'main.ts'));
    assert.equal(await moduleSourceHash(join(dir, 'main.ts')), first);
    writeFileSync(join(dir, 'helper.ts'), 'export const k = 2;\n');
    assert.notEqual(await moduleSourceHash(join(dir, 'main.ts')), first);
  });

  it('an edit to an imported helper reruns the node', async () => {
    const plan = {
      name: 'm',
      file: join(dir, 'p.pipeline.yaml'),
      dir,
      root: join(dir, '.tributary'),
      nodes: [{ id: 'n', component: 'UsesModule', params: { module_file: 'main.ts' }, inputs: {} }],
      registry: new Registry().register(usesModule),
    };
    assert.equal((await runPipeline(plan, { pool })).nodes[0].state, 'COMPLETE');
    assert.equal((await runPipeline(plan, { pool })).nodes[0].state, 'CACHED');
    writeFileSync(join(dir, 'helper.ts'), 'export const k = 3;\n');
    assert.equal((await runPipeline(plan, { pool })).nodes[0].state, 'COMPLETE');
  });
});
