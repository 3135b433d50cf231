import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

/** A run killed (or out of disk) does not stay RUNNING, and a full disk reads as one. */
describe('runs end honestly', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-recover-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const storePath = () => join(dir, '.tributary', 'metadata');

  async function addRun(store: MetadataStore, name: string, props: Record<string, unknown>, executionPid?: number): Promise<void> {
    await store.ensureRun(name, 'p');
    await store.transaction(name, (data) => {
      getOrCreateContext(data, 'pipeline_run', name, { pipeline: 'p', state: 'RUNNING', ...props });
      if (executionPid !== undefined) {
        createExecution(data, { component: 'X', componentVersion: '1', nodeId: 'n', runId: name, state: 'RUNNING', params: {}, cacheKey: 'k', pid: executionPid, logFileFor: () => 'log' });
      }
    });
  }

  it('opening the store closes a run and its executions whose process died, as FAILED with the reason', async () => {
    const pid = deadPid();
    const store = await MetadataStore.open(storePath());
    await addRun(store, 'dead-run', { pid, host: hostname() }, pid);
    await addRun(store, 'live-run', { pid: process.pid, host: hostname() });
    await addRun(store, 'elsewhere', { pid, host: `not-${hostname()}` });
    // Nothing but opening the store (as `tributary runs` does).
    const data = await (await MetadataStore.open(storePath())).read();
    const run = (name: string) => data.contexts.find((c) => c.name === name)!.properties;
    assert.equal(run('dead-run').state, 'FAILED');
    assert.match(String(run('dead-run').error), new RegExp(`abandoned: process ${pid} on ${hostname()} exited`));
    assert.ok(run('dead-run').finishedAt);
    assert.equal(data.executions.find((e) => e.runId === 'dead-run')!.state, 'FAILED');
    assert.equal(run('live-run').state, 'RUNNING', 'a run whose process lives is left alone');
    assert.equal(run('elsewhere').state, 'RUNNING', 'a process on another host cannot be probed: left alone');
  });

  it('a full disk fails the write with "disk full writing <path>" and leaves no temp file', async () => {
    const store = await MetadataStore.open(storePath());
    await addRun(store, 'kept', { pid: process.pid, host: hostname() });
    // /dev/full answers every write with ENOSPC: the counter's temp file pointing there is a real full disk.
    const counter = store.layout.counterFile;
    const tmp = join(dirname(counter), `.${basename(counter)}.tmp`);
    symlinkSync('/dev/full', tmp);
    await assert.rejects(store.ensureRun('lost', 'p'), (e: Error) => isUserError(e) && e.message === `disk full writing ${counter}`);
    assert.ok(!existsSync(tmp), 'no temp file left behind');
    const names = (await store.read()).contexts.filter((c) => c.type === 'pipeline_run').map((c) => c.name);
    assert.deepEqual(names, ['kept']);
  });

  it('the CLI says "disk full writing <path>" without a stack trace', async () => {
    const store = await MetadataStore.open(storePath());
    const counter = store.layout.counterFile;
    symlinkSync('/dev/full', join(dirname(counter), `.${basename(counter)}.tmp`));
    const pipeline = join(dir, 'p.pipeline.yaml');
    writeFileSync(pipeline, 'name: p\nroot: .tributary\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: data.csv }\n');
    writeFileSync(join(dir, 'data.csv'), 'a\n1\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', pipeline, '--workers', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`disk full writing ${counter}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
