import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName, type BackendProbe, selectBackend } from '../../runtime/src/ml/backend.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';

function recordingLog() {
  const lines: string[] = [];
  return { lines, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) };
}

/** Probes that succeed only for the names in `working`, recording which were tried. */
function fakeProbes(working: BackendName[]) {
  const tried: BackendName[] = [];
  const probes = Object.fromEntries(
    BACKEND_NAMES.map((name) => [
      name,
      (async () => {
        tried.push(name);
        if (!working.includes(name)) throw new Error(`${name} unavailable for the test`);
      }) as BackendProbe,
    ]),
  ) as Record<BackendName, BackendProbe>;
  return { probes, tried };
}

describe('ml/backend selection', () => {
  it('auto takes the first backend that loads and logs why each faster one was skipped', async () => {
    const { probes, tried } = fakeProbes(['wasm', 'cpu']);
    const log = recordingLog();
    const sel = await selectBackend('auto', log, probes);
    assert.equal(sel.name, 'wasm');
    assert.equal(sel.tfBackend, 'wasm');
    assert.deepEqual(tried, ['tfjs-node-gpu', 'webgpu', 'wasm']);
    assert.deepEqual(sel.skipped.map((s) => s.name), ['tfjs-node-gpu', 'webgpu']);
    assert.ok(log.lines.some((l) => l.includes('skipped tfjs-node-gpu') && l.includes('tfjs-node-gpu unavailable for the test')));
    assert.ok(log.lines.some((l) => l.includes('skipped webgpu') && l.includes('webgpu unavailable for the test')));
    assert.ok(log.lines.some((l) => l.startsWith('backend: wasm')));
  });

  it('auto prefers the GPU backends when they load', async () => {
    assert.equal((await selectBackend('auto', recordingLog(), fakeProbes(['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu']).probes)).name, 'tfjs-node-gpu');
    assert.equal((await selectBackend('auto', recordingLog(), fakeProbes(['webgpu', 'cpu']).probes)).name, 'webgpu');
    assert.equal((await selectBackend('auto', recordingLog(), fakeProbes(['cpu']).probes)).name, 'cpu');
  });

  it('an explicit backend overrides the order and tries nothing else', async () => {
    const { probes, tried } = fakeProbes(['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu']);
    const log = recordingLog();
    const sel = await selectBackend('cpu', log, probes);
    assert.equal(sel.name, 'cpu');
    assert.deepEqual(tried, ['cpu']);
    assert.ok(log.lines.some((l) => l.includes('requested')));
  });

  it('a requested backend that cannot load is a UserError naming the reason', async () => {
    const { probes } = fakeProbes(['cpu']);
    await assert.rejects(selectBackend('webgpu', recordingLog(), probes), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match((e as Error).message, /webgpu.*requested.*webgpu unavailable for the test/);
      return true;
    });
    await assert.rejects(selectBackend('tpu' as BackendName, recordingLog(), probes), (e: unknown) => isUserError(e));
  });

  it('fails when nothing loads', async () => {
    await assert.rejects(selectBackend('auto', recordingLog(), fakeProbes([]).probes), /No TensorFlow.js backend/);
  });

  it('real probes: auto activates the backend it reports, cpu override activates cpu', async () => {
    const log = recordingLog();
    const sel = await selectBackend('auto', log);
    assert.equal(tf.getBackend(), sel.tfBackend);
    // every skipped backend comes before the chosen one in priority order, each with a reason logged
    const rank = (n: BackendName) => BACKEND_NAMES.indexOf(n);
    for (const s of sel.skipped) {
      assert.ok(rank(s.name) < rank(sel.name));
      assert.ok(s.reason.length > 0);
      assert.ok(log.lines.some((l) => l.includes(`skipped ${s.name}`)));
    }
    assert.equal(sel.skipped.length, rank(sel.name));
    const cpu = await selectBackend('cpu', recordingLog());
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    // a tiny op runs on it
    assert.deepEqual(Array.from(tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()), [4, 6]);
  });
});
