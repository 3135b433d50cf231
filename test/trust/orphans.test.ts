import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pushBundle } from '../../runtime/src/components/pusher/executor.ts';
import { cleanStaleInfraFolders } from '../../runtime/src/components/infra-validator/executor.ts';
import { writeLogisticBundle } from '../serving/fixtures.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A run killed during InfraValidator leaves no model server and no temp folder. */
describe('no orphans after kill -9', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-orphans-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the model server exits when the process that started it is killed', async () => {
    await writeLogisticBundle(join(dir, 'b'), { features: ['x1'], weights: [1], bias: 0 });
    pushBundle(join(dir, 'b'), join(dir, 'registry'), 'm');
    writeFileSync(
      join(dir, 'parent.mts'),
      `import { startServerProcess } from ${JSON.stringify(pathToFileURL(resolve('runtime/src/components/infra-validator/server-process.ts')).href)};
const s = await startServerProcess(${JSON.stringify(join(dir, 'registry'))}, { timeoutMs: 60000 });
console.log(JSON.stringify({ server: s.child.pid }));
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', join(dir, 'parent.mts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverPid = await new Promise<number>((done, fail) => {
      let out = '';
      parent.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /"server":(\d+)/.exec(out);
        if (m) done(Number(m[1]));
      });
      parent.on('exit', () => fail(new Error(`parent exited: ${out}`)));
    });
    try {
      assert.ok(alive(serverPid));
      parent.kill('SIGKILL');
      const deadline = Date.now() + 15_000;
      while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!alive(serverPid), 'the server did not outlive its parent');
    } finally {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });

  it('temp registries of dead InfraValidators are removed, live ones kept', () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    mkdirSync(join(dir, `tributary-infra-${dead}-abc`, 'm'), { recursive: true });
    mkdirSync(join(dir, `tributary-infra-${process.pid}-def`));
    mkdirSync(join(dir, 'unrelated'));
    cleanStaleInfraFolders(dir);
    assert.ok(!existsSync(join(dir, `tributary-infra-${dead}-abc`)));
    assert.ok(existsSync(join(dir, `tributary-infra-${process.pid}-def`)));
    assert.ok(existsSync(join(dir, 'unrelated')));
  });
});
