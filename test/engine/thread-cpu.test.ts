import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { startCpuMeter, threadCpuMs } from '../../runtime/src/engine/thread-cpu.ts';

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

  it('puts a thread started after it in the workers share and the main thread’s spin in its own', async () => {
    const meter = await startCpuMeter();
    // The worker stays alive (listening) after its spin, as a pool's threads do until close.
    const worker = new Worker(`${BURN.replace('MS', '400')}; const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => {}); parentPort.postMessage(x);`, { eval: true });
    const done = new Promise((resolve) => worker.once('message', resolve));
    await done;
    new Function(BURN.replace('MS', '200'))();
    const cpu = meter.stop(); // before the worker's thread is gone
    await worker.terminate();
    assert.ok(cpu.workersMs! >= 300, `workers ${cpu.workersMs} ms for a 400 ms spin`);
    assert.ok(cpu.mainMs! >= 150 && cpu.mainMs! < cpu.workersMs!, `main ${cpu.mainMs} ms for a 200 ms spin`);
    const parts = cpu.mainMs! + cpu.workersMs! + cpu.backgroundMs!;
    // /proc counts in 10 ms ticks per thread; getrusage in microseconds for the whole process.
    assert.ok(Math.abs(parts - cpu.totalMs) <= 40 + 0.1 * cpu.totalMs, `parts ${parts} ms vs total ${cpu.totalMs} ms`);
  });
});
