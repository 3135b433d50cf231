import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

/** Issue #17 item 3: a run killed (or out of disk) does not stay RUNNING, and a full disk reads as one. */
describe('runs end honestly', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-recover-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = () => join(dir, 'metadata.json');

  it('opening the store closes a run and its executions whose process died, as FAILED with the reason', async () => {
    const pid = deadPid();
    const store = await MetadataStore.open(file());
    await store.transaction((data) => {
      getOrCreateContext(data, 'pipeline_run', 'dead-run', { state: 'RUNNING', pid, host: hostname() });
      getOrCreateContext(data, 'pipeline_run', 'live-run', { state: 'RUNNING', pid: process.pid, host: hostname() });
      getOrCreateContext(data, 'pipeline_run', 'elsewhere', { state: 'RUNNING', pid, host: `not-${hostname()}` });
      createExecution(data, { component: 'X', componentVersion: '1', nodeId: 'n', runId: 'dead-run', state: 'RUNNING', params: {}, cacheKey: 'k', pid, host: hostname(), logFileFor: () => 'log' });
    });
    const data = await (await MetadataStore.open(file())).read();
    const run = (name: string) => data.contexts.find((c) => c.name === name)!.properties;
    assert.equal(run('dead-run').state, 'FAILED');
    assert.match(String(run('dead-run').error), new RegExp(`abandoned: process ${pid} on ${hostname()} exited`));
    assert.ok(run('dead-run').finishedAt);
    assert.deepEqual(run('dead-run').nodeStates, { n: 'FAILED' });
    assert.equal(data.executions[0].state, 'FAILED');
    assert.equal(run('live-run').state, 'RUNNING', 'a run whose process lives is left alone');
    assert.equal(run('elsewhere').state, 'RUNNING', 'a process on another host cannot be probed: left alone');
  });

  it('a full disk fails the write with "disk full writing <path>", removes the temp file and keeps the old store', async () => {
    const store = await MetadataStore.open(file());
    await store.transaction((data) => void getOrCreateContext(data, 'pipeline', 'kept'));
    // /dev/full answers every write with ENOSPC: the store's temp file pointing there is a real full disk.
    const tmp = join(dir, '.metadata.json.tmp');
    symlinkSync('/dev/full', tmp);
    await assert.rejects(
      store.transaction((data) => void getOrCreateContext(data, 'pipeline', 'lost')),
      (e: Error) => isUserError(e) && e.message === `disk full writing ${file()}` && !/\n\s+at /.test(e.message),
    );
    assert.ok(!existsSync(tmp), 'no temp file left behind');
    const names = JSON.parse(readFileSync(file(), 'utf8')).contexts.map((c: { name: string }) => c.name);
    assert.deepEqual(names, ['kept']);
  });

  it('the CLI says "disk full writing <path>" without a stack trace', () => {
    const root = join(dir, '.tributary');
    mkdirSync(root, { recursive: true });
    symlinkSync('/dev/full', join(root, '.metadata.json.tmp'));
    const pipeline = join(dir, 'p.pipeline.yaml');
    writeFileSync(pipeline, 'name: p\nroot: .tributary\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: data.csv }\n');
    writeFileSync(join(dir, 'data.csv'), 'a\n1\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', pipeline, '--workers', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`disk full writing ${join(root, 'metadata.json')}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
