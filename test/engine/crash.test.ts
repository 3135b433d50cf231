import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';

const CLI = ['--import', 'tsx', 'runtime/src/cli/main.ts'];

/** A run of the taxi sample's data pipeline, SIGKILLed at random points, must never corrupt the store. */
describe('metadata atomicity under kill -9', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-crash-'));
    cpSync('test/fixtures/taxi-data.pipeline.yaml', join(dir, 'taxi.pipeline.yaml'));
    // The sample's rows four times over: a run long enough (a few seconds) for kills to land inside it.
    const [header, ...rows] = readFileSync('samples/taxi/data/taxi.csv', 'utf8').trimEnd().split('\n');
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'taxi.csv'), [header, ...rows, ...rows, ...rows, ...rows].join('\n') + '\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const storeDir = () => join(dir, '.tributary', 'metadata');

  async function checkStore(): Promise<StoreData> {
    const data = await (await MetadataStore.open(storeDir())).read(); // loads: never torn
    for (const a of data.artifacts) {
      if (a.state !== 'LIVE') continue;
      assert.ok(existsSync(a.uri), `LIVE artifact ${a.id} exists on disk`);
      const producer = data.events.find((e) => e.artifactId === a.id && e.type === 'OUTPUT')!;
      const execution = data.executions.find((e) => e.id === producer.executionId)!;
      assert.ok(['COMPLETE', 'CACHED'].includes(execution.state), `LIVE artifact ${a.id} comes from a finished execution`);
    }
    return data;
  }

  it('kill -9 at random moments leaves a loadable store and a rerun completes', async () => {
    // Seeded so a failure can be reproduced; spread kills over start-up, running and publishing.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let kills = 0;
    // Kill at a random moment after the run has started its first node (so a slow start-up on a
    // loaded machine cannot make every kill land before anything was recorded), from the
    // first execution's start up to past the end of the run.
    for (let attempt = 0; kills < 4 && attempt < 20; attempt++) {
      const child = spawn(process.execPath, [...CLI, 'run', join(dir, 'taxi.pipeline.yaml'), '--no-cache', '--workers', '2'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let timer: NodeJS.Timeout | undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        if (timer || !chunk.toString().includes('running')) return;
        timer = setTimeout(() => {
          if (child.exitCode === null) {
            child.kill('SIGKILL');
            kills++;
          }
        }, random() * 1500);
      });
      await exited;
      clearTimeout(timer);
      if (existsSync(storeDir())) await checkStore();
    }
    assert.ok(kills >= 4, `at least 4 runs were killed mid-way (killed ${kills})`);

    const rerun = spawnSync(process.execPath, [...CLI, 'run', join(dir, 'taxi.pipeline.yaml'), '--json'], { encoding: 'utf8' });
    assert.equal(rerun.status, 0, rerun.stderr);
    const summary = JSON.parse(rerun.stdout.trim().split('\n').pop()!);
    assert.equal(summary.state, 'COMPLETE');
    const data = await checkStore();
    assert.ok(!data.executions.some((e) => e.state === 'RUNNING'), 'no execution left RUNNING');
    assert.ok(data.executions.some((e) => e.error?.startsWith('abandoned')), 'killed executions were recovered as FAILED');
    assert.ok(!data.artifacts.some((a) => a.state === 'PENDING'), 'no artifact left PENDING');
  });
});
