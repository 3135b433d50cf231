import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileUserModule, type CompiledModule } from '../../runtime/src/modules/compile-module.ts';
import { importUserExport, runInWorker, userCodeError } from '../../runtime/src/ml/user-module.ts';

const FIXTURE = resolve('test/transform/fixtures/user-fns.ts');
/** The fixture line that throws, found by reading the file (not hard-coded). */
const lineOf = (text: string) => readFileSync(FIXTURE, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
const throwLine = lineOf('throw new RangeError');

describe('user modules in worker threads', function () {
  this.timeout(30_000);
  let dir: string;
  let compiled: CompiledModule;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'user-module-'));
    compiled = await compileUserModule(FIXTURE, { outDir: dir });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('calls a named export with structured-cloned arguments and returns its result', async () => {
    assert.equal(await runInWorker<number>({ modulePath: compiled.path, exportName: 'add', args: [2, 40] }), 42);
  });

  it('compiling is deterministic: same source, same hash', async () => {
    const again = await compileUserModule(FIXTURE, { outDir: dir });
    assert.equal(again.hash, compiled.hash);
    assert.match(compiled.hash, /^[0-9a-f]{64}$/);
  });

  it('a throwing function fails with the user’s stack trace at their .ts line', async () => {
    assert.ok(throwLine > 0);
    await assert.rejects(runInWorker({ modulePath: compiled.path, exportName: 'throws', args: [3] }), (e: Error & { location?: { file?: string; line?: number } }) => {
      assert.equal(e.name, 'UserError');
      assert.match(e.message, /RangeError: value 3 is too large/);
      assert.match(e.message, new RegExp(`user-fns\\.ts:${throwLine}:\\d+`));
      assert.equal(e.location?.file, FIXTURE);
      assert.equal(e.location?.line, throwLine);
      return true;
    });
  });

  it('an error thrown inside tfjs names the user’s line, with no frames of tfjs’s own sources (its source maps are not loaded)', async () => {
    const fixture = resolve('test/transform/fixtures/tfjs-fns.ts');
    const line = readFileSync(fixture, 'utf8').split('\n').findIndex((l) => l.includes("the user's line of a tfjs error")) + 1;
    // Compiled inside the workspace, where its require of tfjs resolves.
    const outDir = mkdtempSync(join(resolve('node_modules/.cache'), 'user-module-tfjs-'));
    try {
      const tfjsModule = await compileUserModule(fixture, { outDir });
      await assert.rejects(runInWorker({ modulePath: tfjsModule.path, exportName: 'tfjsThrows' }), (e: Error & { location?: { file?: string; line?: number } }) => {
        assert.match(e.message, /Based on the provided shape, \[2,2\], the tensor should have 4 values but has 3/);
        assert.deepEqual([e.location?.file, e.location?.line], [fixture, line]);
        assert.doesNotMatch(e.message, /tfjs-core\/src|tfjs-layers\/src/);
        return true;
      });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('a module with a dynamic import keeps the user’s .ts line wherever it is loaded (tsx rewrites such modules from source)', async () => {
    const lazyLine = lineOf("throw new TypeError('lazy failure')");
    assert.ok(lazyLine > 0);
    const expectLazy = (e: Error & { location?: { file?: string; line?: number } }) => {
      assert.equal(e.name, 'UserError');
      assert.match(e.message, /TypeError: lazy failure/);
      assert.match(e.message, new RegExp(`user-fns\\.ts:${lazyLine}:\\d+`));
      assert.deepEqual([e.location?.file, e.location?.line], [FIXTURE, lazyLine]);
      return true;
    };
    // In this thread: mocha runs under tsx, whose ESM hook rewrites the module and its source map.
    const lazy = await importUserExport<() => Promise<string>>(compiled.path, 'lazyThrows');
    const thrown = await lazy().then(() => undefined, (e: unknown) => e);
    assert.ok(thrown instanceof Error);
    expectLazy(userCodeError(thrown, 'lazyThrows threw'));
    // In a worker thread without tsx's hooks.
    await assert.rejects(runInWorker({ modulePath: compiled.path, exportName: 'lazyThrows' }), expectLazy);
  });

  it('exceeding the timeout terminates the worker and fails quickly', async () => {
    const started = Date.now();
    await assert.rejects(runInWorker({ modulePath: compiled.path, exportName: 'spins', timeout: 0.3 }), /exceeded its timeout of 0.3 s: the worker thread was terminated/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  it('an abort signal terminates the worker', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop now')), 200);
    await assert.rejects(runInWorker({ modulePath: compiled.path, exportName: 'spins', signal: controller.signal }), /stop now/);
  });

  it('forwards console output and names a missing export', async () => {
    const logs: string[] = [];
    const result = await runInWorker({ modulePath: compiled.path, exportName: 'chatty', onLog: (level, m) => logs.push(`${level}:${m}`) });
    assert.equal(result, 'done');
    assert.deepEqual(logs, ['info:hello from the worker', 'warn:careful']);
    await assert.rejects(runInWorker({ modulePath: compiled.path, exportName: 'nope' }), /no exported function "nope" \(it exports: .*add/);
  });

  it('a missing file or a syntax error is a UserError with file and line', async () => {
    await assert.rejects(compileUserModule(resolve('test/transform/fixtures/does-not-exist.ts'), { outDir: dir }), /not found/);
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, 'export const a = 1;\nexport const b = ;\nexport const c = 2;\n');
    await assert.rejects(compileUserModule(bad, { outDir: dir }), (e: Error & { location?: { file?: string; line?: number } }) => {
      assert.equal(e.name, 'UserError');
      assert.equal(e.location?.file, bad);
      assert.equal(e.location?.line, 2);
      return true;
    });
  });
});
