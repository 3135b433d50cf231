import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelineFile, loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';

describe('custom components in TypeScript', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    // Inside the repository, so the module's imports resolve like a user's project with node_modules.
    mkdirSync('test/.tmp', { recursive: true });
    dir = mkdtempSync(join('test/.tmp', 'custom-'));
    cpSync('test/fixtures/custom/word-count.ts', join(dir, 'word-count.ts'));
    writeFileSync(join(dir, 'text.txt'), 'one two three');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pipeline = (params: string) => `name: custom
components:
  WordCount: word-count.ts
nodes:
  count:
    component: WordCount
    params:
${params}
`;

  it('loads, validates against its schema and runs; its module content is part of the cache key', async () => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline('      text: text.txt'));
    const plan = await loadPlanOrThrow(join(dir, 'p.pipeline.yaml'));
    const first = await runPipeline(plan, { workers: 1 });
    assert.equal(first.state, 'COMPLETE');
    assert.equal(first.nodes[0].outputs!.statistics.properties.words, 3);
    assert.equal((await runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { workers: 1 })).nodes[0].state, 'CACHED');
    // The module's content is part of the cache key: an edit reruns the node.
    writeFileSync(join(dir, 'word-count.ts'), readFileSync(join(dir, 'word-count.ts'), 'utf8').replace("version: '1'", "version: '1' /* edited */"));
    const edited = await runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { workers: 1 });
    assert.equal(edited.nodes[0].state, 'COMPLETE');
  });

  it('reports ill-typed parameters of a custom component with a line', async () => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline('      text: text.txt\n      explode: "yes"'));
    const { diagnostics } = await loadPipelineFile(join(dir, 'p.pipeline.yaml'));
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].range.start.line, 8);
  });

  it('a throwing module fails its node with a stack trace pointing at the user’s .ts line', async () => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline('      text: text.txt\n      explode: true'));
    const summary = await runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { workers: 1 });
    assert.equal(summary.nodes[0].state, 'FAILED');
    assert.match(summary.nodes[0].error!, /exploded on purpose/);
    assert.match(summary.nodes[0].error!, /word-count\.ts:22:\d+/);
  });

  it('a syntax error in the module is reported with file and line', async () => {
    writeFileSync(join(dir, 'word-count.ts'), 'export default {\n  spec: ,\n};\n');
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline('      text: text.txt'));
    await assert.rejects(loadPipelineFile(join(dir, 'p.pipeline.yaml')), (e: any) => {
      assert.match(e.location.file, /word-count\.ts$/);
      assert.equal(e.location.line, 2);
      return true;
    });
  });
});
