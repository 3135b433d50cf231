import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Code planted in the shared temp folder never runs inside a pipeline. */
describe('worker bootstrap', function () {
  this.timeout(60_000);
  let dir: string;
  let shared: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-boot-'));
    shared = join(dir, 'shared-tmp');
    mkdirSync(shared);
    writeFileSync(join(dir, 'mod.ts'), 'export function where(): string { return new Error().stack ?? ""; }\n');
    // Runs one user function in a worker thread with TMPDIR=shared, and reports which bootstrap ran it.
    writeFileSync(
      join(dir, 'child.mts'),
      `import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { runInWorker } from ${JSON.stringify(pathToFileURL(resolve('runtime/src/ml/user-module.ts')).href)};
import { compileUserModule } from ${JSON.stringify(pathToFileURL(resolve('runtime/src/modules/compile-module.ts')).href)};
const m = await compileUserModule(${JSON.stringify(join(dir, 'mod.ts'))}, { outDir: ${JSON.stringify(join(dir, 'out'))} });
const stack = await runInWorker({ modulePath: m.path, exportName: 'where' });
const path = /(\\/[^\\s()]*tributary-worker-[0-9a-f]+\\.cjs)/.exec(stack)[1];
console.log(JSON.stringify({ path, mode: statSync(dirname(path)).mode & 0o777 }));
`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runChild = () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'child.mts')], { encoding: 'utf8', env: { ...process.env, TMPDIR: shared } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { path: string; mode: number };
  };

  it('is written into a private 0700 folder, not at a predictable name in the shared one, and planted files never run', () => {
    const first = runChild();
    assert.notEqual(dirname(first.path), shared, 'not directly in the shared temp folder');
    assert.equal(first.mode, 0o700);
    // Someone plants code under the name a previous version would have reused.
    const marker = join(dir, 'planted-ran');
    const planted = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');`;
    writeFileSync(join(shared, basename(first.path)), planted);
    const second = runChild();
    assert.ok(!existsSync(marker), 'the planted file did not run');
    assert.notEqual(dirname(second.path), shared);
  });
});
