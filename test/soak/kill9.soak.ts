/**
 * The kill -9 soak: the full taxi pipeline, SIGKILLed at 10 random moments of a run.
 * After each kill, a later command (`tributary runs`) opens the store; then the store loads, no run
 * or execution is RUNNING, and every LIVE artifact still holds every file of its manifest. A final
 * rerun completes. Slow (a taxi run is ~1 min on a loaded machine): `npm run test:soak`, a separate
 * step of .ci/run. TRIBUTARY_SOAK_KILLS changes the number of kills, TRIBUTARY_SOAK_SEED the seed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { metadataFile } from '../../runtime/src/core/plan.ts';

const CLI = ['--import', 'tsx', resolve('runtime/src/cli/main.ts')];
const KILLS = Number(process.env.TRIBUTARY_SOAK_KILLS ?? 10);

describe('kill -9 soak over the taxi pipeline', function () {
  this.timeout(45 * 60_000);
  let dir: string;
  before(() => {
    // Inside the repository, so the sample's modules resolve like a user's project.
    mkdirSync('test/.tmp', { recursive: true });
    dir = resolve(mkdtempSync(join('test/.tmp', 'soak-')));
    cpSync('samples/taxi', dir, { recursive: true, filter: (src) => !src.includes('.tributary') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pipeline = () => join(dir, 'taxi.pipeline.yaml');
  const cli = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', cwd: dir });

  async function checkStore(afterKill: number): Promise<void> {
    const data = await (await MetadataStore.open(metadataFile(join(dir, '.tributary')))).read();
    const running = data.executions.filter((e) => e.state === 'RUNNING').map((e) => `${e.nodeId}#${e.id}`);
    assert.deepEqual(running, [], `kill ${afterKill}: no execution left RUNNING`);
    const runs = data.contexts.filter((c) => c.type === 'pipeline_run' && c.properties.state === 'RUNNING').map((c) => c.name);
    assert.deepEqual(runs, [], `kill ${afterKill}: no run left RUNNING`);
    for (const a of data.artifacts) {
      if (a.state !== 'LIVE') continue;
      assert.ok(a.manifest, `kill ${afterKill}: LIVE artifact ${a.id} has a manifest`);
      const missing = a.manifest.filter((f) => !existsSync(join(a.uri, f.path))).map((f) => f.path);
      assert.deepEqual(missing, [], `kill ${afterKill}: LIVE artifact ${a.id} (${a.type}) has all its files`);
    }
  }

  it(`${KILLS} kills at random moments leave a consistent store, and a rerun completes`, async () => {
    // A first, complete run measures how long a run takes; kills are spread over that span.
    const t0 = performance.now();
    const first = cli('run', pipeline(), '--no-cache', '--workers', '2');
    assert.equal(first.status, 0, first.stderr);
    const runMs = performance.now() - t0;

    let seed = Number(process.env.TRIBUTARY_SOAK_SEED ?? 20261206);
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let kill = 1; kill <= KILLS; kill++) {
      const at = random() * runMs;
      const child = spawn(process.execPath, [...CLI, 'run', pipeline(), '--no-cache', '--workers', '2'], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      const timer = setTimeout(() => child.kill('SIGKILL'), at);
      await exited;
      clearTimeout(timer);
      // A later command opens the store: that alone closes what the killed run left.
      const runs = cli('runs', pipeline(), '--json');
      assert.equal(runs.status, 0, runs.stderr);
      await checkStore(kill);
    }

    const rerun = cli('run', pipeline(), '--json');
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.equal(JSON.parse(rerun.stdout.trim().split('\n').pop()!).state, 'COMPLETE');
    await checkStore(KILLS + 1);
  });
});
