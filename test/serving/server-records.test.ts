import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushBundle } from '../../runtime/src/components/pusher/executor.ts';
import { listModels } from '../../runtime/src/serving/registry-index.ts';
import { liveServerRecords, SERVERS_DIR } from '../../runtime/src/serving/server-records.ts';
import { startServeCli } from '../helpers/run-cli.ts';
import { writeLogisticBundle } from './fixtures.ts';

describe('server records (who serves a registry, from anywhere)', function () {
  this.timeout(120_000);
  let dir: string;
  let registry: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trib-server-records-'));
    registry = join(dir, 'registry');
    await writeLogisticBundle(join(dir, 'b1'), { features: ['x1'], weights: [1], bias: 0 });
    pushBundle(join(dir, 'b1'), registry, 'taxi');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a running `tributary serve` has a record (written before it says where it listens) that its clean stop removes', async () => {
    const { child, port } = await startServeCli(registry);
    try {
      const records = liveServerRecords(registry);
      assert.equal(records.length, 1);
      assert.deepEqual({ pid: records[0].pid, host: records[0].host, port: records[0].port }, { pid: child.pid, host: '127.0.0.1', port });
      assert.ok(Math.abs(Date.parse(records[0].startedAt) - Date.now()) < 60_000);
      assert.deepEqual(listModels(registry), ['taxi'], 'the record folder is not a model');
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models/taxi`)).json()) as { model_version_status: unknown[] };
      assert.equal(models.model_version_status.length, 1, 'the record did not disturb serving');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    assert.deepEqual(readdirSync(join(registry, SERVERS_DIR)), []);
    assert.deepEqual(liveServerRecords(registry), []);
  });

  it('a killed server’s record is recognised by its dead process and removed by the next reader', async () => {
    const { child } = await startServeCli(registry);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const file = join(registry, SERVERS_DIR, `${child.pid}.json`);
    assert.ok(existsSync(file), 'SIGKILL leaves the record behind');
    assert.deepEqual(liveServerRecords(registry), []);
    assert.ok(!existsSync(file));
  });

  it('ignores what is not a record of the named process', () => {
    const records = join(registry, SERVERS_DIR);
    mkdirSync(records, { recursive: true });
    // This test's own process is alive, so only the content decides.
    writeFileSync(join(records, `${process.pid}.json`), JSON.stringify({ pid: 1, machine: hostname(), host: '127.0.0.1', port: 1, startedAt: 'x' }));
    writeFileSync(join(records, 'notes.txt'), 'hello');
    writeFileSync(join(records, '123.json.tmp'), '{');
    assert.deepEqual(liveServerRecords(registry), []);
    const mine = { pid: process.pid, machine: hostname(), host: '127.0.0.1', port: 9, startedAt: new Date().toISOString() };
    // Another machine's server with this very pid (a registry on a shared disk): not ours, kept.
    writeFileSync(join(records, `${process.pid}.json`), JSON.stringify({ ...mine, machine: `not-${hostname()}` }));
    assert.deepEqual(liveServerRecords(registry), []);
    assert.ok(existsSync(join(records, `${process.pid}.json`)));
    writeFileSync(join(records, `${process.pid}.json`), JSON.stringify(mine));
    assert.deepEqual(liveServerRecords(registry).map((r) => r.port), [9]);
    rmSync(records, { recursive: true });
  });
});
