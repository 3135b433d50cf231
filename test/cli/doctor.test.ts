import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describeDoctor, doctor, type DoctorReport } from '../../runtime/src/cli/doctor.ts';
import { BACKEND_NAMES } from '../../runtime/src/ml/backend.ts';
import { CLI } from '../helpers/run-cli.ts';

describe('tributary doctor', function () {
  this.timeout(60_000);

  it('probes every backend in the Trainer’s order; auto is the first that loads', async () => {
    const asked: string[] = [];
    const report = await doctor(async (name) => {
      asked.push(name);
      return name === 'wasm' || name === 'cpu' ? { ok: true, installed: true } : { ok: false, installed: true, reason: `no ${name} here` };
    });
    assert.deepEqual(asked, [...BACKEND_NAMES]);
    assert.equal(report.autoBackend, 'wasm');
    const lines = describeDoctor(report);
    assert.ok(lines.includes('backend: auto picks wasm'), lines.join('\n'));
    assert.ok(lines.some((l) => /✖ webgpu\s+no webgpu here/.test(l)), lines.join('\n'));
  });

  it('says so when no backend loads', async () => {
    const report = await doctor(async (name) => ({ ok: false, installed: true, reason: `no ${name}` }));
    assert.equal(report.autoBackend, undefined);
    assert.ok(describeDoctor(report).includes('no backend loads: the Trainer cannot run here'));
  });

  it('a backend that auto passes over but that loads when named says so, with its device', async () => {
    const report = await doctor(async (name) =>
      name === 'webgpu'
        ? { ok: false, installed: true, reason: 'only a fallback (software) WebGPU adapter', explicitOnly: true, device: 'fallback (software) adapter: mesa software llvmpipe' }
        : { ok: name === 'cpu', installed: true, reason: name === 'cpu' ? undefined : 'no' },
    );
    assert.equal(report.autoBackend, 'cpu');
    const line = describeDoctor(report).find((l) => l.includes('webgpu'))!;
    assert.match(line, /✖ webgpu\s+only a fallback.*; loads when named \(backend: webgpu\)/);
  });

  it('the CLI reports this machine: cores, default workers, every backend loaded or why not', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'doctor', '--json'], { encoding: 'utf8', env: { ...process.env, TRIBUTARY_WORKERS: '3' } });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.cpu.cores, availableParallelism());
    assert.equal(report.defaultWorkers, 3);
    assert.deepEqual(report.backends.map((b) => b.name), [...BACKEND_NAMES]);
    for (const b of report.backends) assert.ok(b.ok || (b.reason && b.reason.length > 10), JSON.stringify(b));
    assert.ok(report.backends.find((b) => b.name === 'cpu')!.ok, 'the pure-JS backend always loads');
    assert.equal(report.autoBackend, report.backends.find((b) => b.ok)!.name);
    assert.equal(report.threadCpu, process.platform === 'linux');
  });
});
