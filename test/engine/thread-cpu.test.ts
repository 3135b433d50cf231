import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { startCpuMeter, threadCpuMs } from '../../runtime/src/util/thread-cpu.ts';

const linux = process.platform === 'linux';

/** Spins the calling thread for `ms` of wall time. */
const BURN = 'const end = Date.now() + MS; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);';

describe('thread CPU meter', function () {
  before(function () {
    if (!linux) this.skip(); // reads /proc
  });

  it('lists this process’s threads, the main thread among them', () => {
    const cpu = threadCpuMs()!;
    assert.ok(cpu.has(process.pid));
    assert.ok(cpu.size > 1, 'V8 and libuv start threads of their own');
    for (const ms of cpu.values()) assert.ok(ms >= 0 && Number.isFinite(ms));
  });

  it('counts a thread started after it as the run’s, also after it ended, and the main thread’s spin as main', async () => {
    const meter = await startCpuMeter();
    const worker = new Worker(`${BURN.replace('MS', '400')}; require('node:worker_threads').parentPort.postMessage(x);`, { eval: true });
    await new Promise((resolve) => worker.once('exit', resolve)); // gone from /proc, with its time
    new Function(BURN.replace('MS', '200'))();
    const cpu = meter.stop();
    assert.ok(cpu.workersMs! >= 300, `workers ${cpu.workersMs} ms for a 400 ms spin: ${JSON.stringify(cpu)}`);
    assert.ok(cpu.mainMs! >= 150 && cpu.mainMs! < cpu.workersMs!, `main ${cpu.mainMs} ms for a 200 ms spin: ${JSON.stringify(cpu)}`);
    assert.ok(cpu.backgroundMs! < 150, `background ${cpu.backgroundMs} ms while nothing ran there: ${JSON.stringify(cpu)}`);
  });
});
