import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipelineFile, loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { compileUserModule } from '../../runtime/src/modules/compile-module.ts';

/** Nothing is imported, read or written outside the workspace. */
describe('workspace containment', function () {
  this.timeout(60_000);
  let top: string;
  let ws: string;
  let outside: string;
  beforeEach(() => {
    top = mkdtempSync(join(tmpdir(), 'trib-ws-'));
    ws = join(top, 'ws');
    outside = join(top, 'outside');
    mkdirSync(ws);
    mkdirSync(outside);
    writeFileSync(join(ws, 'package.json'), '{}'); // marks the workspace root
  });
  afterEach(() => rmSync(top, { recursive: true, force: true }));

  const pipeline = (text: string) => {
    writeFileSync(join(ws, 'p.pipeline.yaml'), text);
    return join(ws, 'p.pipeline.yaml');
  };
  const codes = async (file: string) => (await loadPipelineFile(file)).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

  it('a custom component module outside the workspace is reported, never imported; an outside root gets no files', async () => {
    const marker = join(top, 'evil-ran');
    writeFileSync(join(outside, 'evil.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport default {};\n`);
    const file = pipeline('name: p\nroot: ../outside/root\ncomponents:\n  Evil: ../outside/evil.ts\nnodes:\n  e:\n    component: Evil\n');
    assert.deepEqual(await codes(file), ['path-outside-workspace', 'path-outside-workspace']);
    assert.ok(!existsSync(marker), 'evil.ts was not imported');
    assert.ok(!existsSync(join(outside, 'root')), 'nothing written under the outside root');
  });

  it('a component module symlinked from outside is outside, and is not imported', async () => {
    const marker = join(top, 'linked-ran');
    writeFileSync(join(outside, 'evil.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport default {};\n`);
    symlinkSync(join(outside, 'evil.ts'), join(ws, 'evil.ts'));
    const file = pipeline('name: p\ncomponents:\n  Evil: evil.ts\nnodes:\n  e:\n    component: Evil\n');
    assert.deepEqual(await codes(file), ['path-outside-workspace']);
    assert.ok(!existsSync(marker));
  });

  // A module's own imports are bundled into it: each is checked as a real path too, and named.
  it('a component module importing ../ outside the workspace fails naming the import, and nothing runs', async () => {
    const marker = join(top, 'helper-ran');
    writeFileSync(join(outside, 'helper.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport const x = 1;\n`);
    writeFileSync(join(ws, 'comp.ts'), `// a custom component\nimport { x } from '../outside/helper.ts';\nexport default { x };\n`);
    const file = pipeline('name: p\ncomponents:\n  Comp: comp.ts\nnodes:\n  c:\n    component: Comp\n');
    await assert.rejects(loadPipelineFile(file), (e: Error & { location?: { file?: string; line?: number } }) => {
      assert.equal(e.name, 'UserError');
      assert.ok(e.message.startsWith(`${realpathSync(ws)}/comp.ts:2: import "../outside/helper.ts" resolves to ${realpathSync(outside)}/helper.ts, outside the workspace`), e.message);
      assert.equal(e.location?.line, 2);
      return true;
    });
    assert.ok(!existsSync(marker), 'helper.ts was not imported');
  });

  it('a module_file importing through a symlinked folder is outside, named by its import', async () => {
    writeFileSync(join(outside, 'helper.ts'), 'export const k = 2;\n');
    symlinkSync(outside, join(ws, 'lib'));
    writeFileSync(join(ws, 'mod.ts'), "import { k } from './lib/helper.ts';\nexport function f() { return k; }\n");
    await assert.rejects(compileUserModule(join(ws, 'mod.ts'), { outDir: join(ws, 'out'), workspaceRoot: ws }), /mod\.ts:1: import "\.\/lib\/helper\.ts" resolves to .*\/outside\/helper\.ts, outside the workspace/);
    // Inside the workspace, the same import compiles.
    rmSync(join(ws, 'lib'));
    mkdirSync(join(ws, 'lib'));
    writeFileSync(join(ws, 'lib', 'helper.ts'), 'export const k = 2;\n');
    await compileUserModule(join(ws, 'mod.ts'), { outDir: join(ws, 'out'), workspaceRoot: ws });
  });

  it('a path through a symlinked folder (ln -s /etc d; input: d/group) is outside', async () => {
    symlinkSync('/etc', join(ws, 'd'));
    const file = pipeline('name: p\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: d/group }\n');
    const { diagnostics } = await loadPipelineFile(file);
    const outsideErr = diagnostics.find((d) => d.code === 'path-outside-workspace');
    assert.ok(outsideErr, 'reported');
    assert.match(outsideErr.message, /resolves to \/etc\/group, outside the workspace/);
  });

  it('a module_file symlinked outside is outside', async () => {
    writeFileSync(join(outside, 'trainer.ts'), 'export function run_fn() {}\n');
    symlinkSync(join(outside, 'trainer.ts'), join(ws, 'trainer.ts'));
    const file = pipeline(
      'name: p\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: data.csv }\n  t:\n    component: Transform\n    inputs: { examples: gen.examples, schema: gen.examples }\n    params: { module_file: trainer.ts }\n',
    );
    const { diagnostics } = await loadPipelineFile(file);
    assert.ok(diagnostics.some((d) => d.code === 'path-outside-workspace' && d.nodeId === 't'), JSON.stringify(diagnostics.map((d) => d.message)));
  });

  it('a file symlinked out of an input folder fails the run before anything is read', async () => {
    writeFileSync(join(outside, 'secret.csv'), 'a,b\n1,2\n');
    mkdirSync(join(ws, 'data'));
    writeFileSync(join(ws, 'data', 'ok.csv'), 'a,b\n3,4\n');
    symlinkSync(join(outside, 'secret.csv'), join(ws, 'data', 'secret.csv'));
    const plan = await loadPlanOrThrow(pipeline('name: p\nroot: .tributary\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: data }\n'));
    await assert.rejects(runPipeline(plan, { workers: 1 }), /data\/secret\.csv resolves to .*outside\/secret\.csv, outside the workspace/);
  });
});
