import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackendCheck, DoctorReport } from '../../runtime/src/cli/doctor-report.ts';
import { describeDoctor } from '../../runtime/src/cli/doctor-report.ts';
import {
  chooseRuntime,
  describeChoice,
  nodeOnPath,
  probeRuntime,
  runtimeCandidates,
  runtimeEnv,
  type RuntimeCandidate,
  type RuntimeProbe,
} from '../../extension/src/runs/runtime-choice.ts';

const NOT_INSTALLED: BackendCheck = { name: 'tfjs-node-gpu', ok: false, installed: false, reason: 'not installed', ms: 1 };
const WRONG_ABI: BackendCheck = { name: 'tfjs-node-gpu', ok: false, installed: true, reason: 'installed but does not load in Electron: NODE_MODULE_VERSION 119', ms: 1 };
const GPU_OK: BackendCheck = { name: 'tfjs-node-gpu', ok: true, installed: true, ms: 1 };
const LAVAPIPE: BackendCheck = { name: 'webgpu', ok: false, installed: true, explicitOnly: true, reason: 'only a fallback adapter', ms: 1 };
const WASM: BackendCheck = { name: 'wasm', ok: true, installed: true, ms: 1 };

function report(node: string, backends: BackendCheck[], electron?: string): DoctorReport {
  return {
    node,
    execPath: '/x',
    ...(electron ? { electron } : {}),
    platform: 'linux x64',
    cpu: { model: 'test', cores: 2 },
    memory: { totalMb: 1024, freeMb: 512 },
    defaultWorkers: 2,
    threadCpu: true,
    backends,
    autoBackend: backends.find((b) => b.ok)?.name,
  };
}

const vscodeRuntime: RuntimeCandidate = { path: '/opt/code/code', source: 'vscode', electron: true };
const setting: RuntimeCandidate = { path: '/opt/node18/bin/node', source: 'setting', electron: false };
const pathNode: RuntimeCandidate = { path: '/usr/bin/node', source: 'path', electron: false };

describe('extension runtime choice', () => {
  it('keeps VS Code’s runtime when it loads a GPU backend, or when no runtime does', () => {
    const own = chooseRuntime([{ candidate: vscodeRuntime, report: report('v22.1.0', [GPU_OK, WASM], '37.0.0') }, { candidate: pathNode, report: report('v20.19.0', [GPU_OK, WASM]) }]);
    assert.equal(own.runtime, vscodeRuntime);
    assert.match(own.reason, /VS Code's runtime \(Electron 37.0.0, Node v22.1.0\) loads tfjs-node-gpu/);
    const none = chooseRuntime([{ candidate: vscodeRuntime, report: report('v22.1.0', [NOT_INSTALLED, LAVAPIPE, WASM], '37.0.0') }, { candidate: pathNode, report: report('v20.19.0', [NOT_INSTALLED, LAVAPIPE, WASM]) }]);
    assert.equal(none.runtime, vscodeRuntime);
    assert.equal(none.fix, undefined, 'a software WebGPU adapter and a missing package are nothing to fix');
    assert.match(none.reason, /picks wasm; no GPU backend loads here/);
  });

  it('runs on a Node ≥ 20 from PATH that loads the GPU backend VS Code’s Electron cannot, saying why, and offers to keep it', () => {
    const choice = chooseRuntime([{ candidate: vscodeRuntime, report: report('v22.1.0', [WRONG_ABI, WASM], '37.0.0') }, { candidate: pathNode, report: report('v20.19.0', [GPU_OK, WASM]) }]);
    assert.equal(choice.runtime, pathNode);
    assert.equal(choice.autoBackend, 'tfjs-node-gpu');
    assert.match(choice.reason, /VS Code's runtime .* cannot load tfjs-node-gpu: tfjs-node-gpu: installed but does not load in Electron.*; Node v20.19.0 at \/usr\/bin\/node can, so Tributary runs there/);
    assert.equal(choice.fix?.useNodePath, '/usr/bin/node');
  });

  it('never switches to a Node older than 20', () => {
    const choice = chooseRuntime([{ candidate: vscodeRuntime, report: report('v22.1.0', [WRONG_ABI, WASM], '37.0.0') }, { candidate: pathNode, report: report('v18.20.0', [GPU_OK, WASM]) }]);
    assert.equal(choice.runtime, vscodeRuntime);
    assert.match(choice.fix!.message, /GPU backend is installed but does not load in VS Code's runtime.*NODE_MODULE_VERSION 119.*No other Node 20\+ on PATH loads it either/);
    assert.equal(choice.fix!.useNodePath, undefined);
  });

  it('an explicit nodePath stands; the one-click fix offers the runtime that loads the GPU backend', () => {
    const choice = chooseRuntime([{ candidate: setting, report: report('v20.5.0', [WRONG_ABI, WASM]) }, { candidate: pathNode, report: report('v20.19.0', [GPU_OK, WASM]) }]);
    assert.equal(choice.runtime, setting);
    assert.match(choice.reason, /\(set by you\) picks wasm; Node v20.19.0 at \/usr\/bin\/node would load tfjs-node-gpu/);
    assert.equal(choice.fix?.useNodePath, '/usr/bin/node');
  });

  it('a runtime whose doctor fails is reported, not chosen over the configured one', () => {
    const choice = chooseRuntime([{ candidate: vscodeRuntime, error: 'spawn ENOENT' }]);
    assert.equal(choice.runtime, vscodeRuntime);
    assert.match(choice.reason, /could not report its backends: spawn ENOENT/);
    const text = describeChoice(choice, describeDoctor);
    assert.match(text, /No report: spawn ENOENT/);
  });

  it('candidates: nodePath or VS Code’s runtime first, then node on PATH unless it is the same file; Electron gets ELECTRON_RUN_AS_NODE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trib-path-'));
    try {
      const fake = join(dir, 'node');
      writeFileSync(fake, '#!/bin/sh\n');
      chmodSync(fake, 0o755);
      assert.equal(nodeOnPath(`/nonexistent:${dir}`), fake);
      assert.deepEqual(runtimeCandidates({ execPath: '/opt/code/code', electron: true, pathEnv: dir }), [vscodeRuntime, { path: fake, source: 'path', electron: false }]);
      assert.deepEqual(runtimeCandidates({ nodePath: fake, execPath: '/opt/code/code', electron: true, pathEnv: dir }), [{ path: fake, source: 'setting', electron: false }]);
      assert.equal(runtimeEnv(vscodeRuntime, {}).ELECTRON_RUN_AS_NODE, '1');
      assert.equal(runtimeEnv(pathNode, { ELECTRON_RUN_AS_NODE: '1' }).ELECTRON_RUN_AS_NODE, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks real runtimes: this Node runs the real doctor; a Node on PATH that loads tfjs-node-gpu wins, and the document shows both', async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'trib-gpu-node-'));
    try {
      // A "GPU machine's" Node on PATH: answers doctor with a report where tfjs-node-gpu loads.
      const gpuNode = join(dir, 'node');
      writeFileSync(gpuNode, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(report('v20.19.0', [GPU_OK, WASM]))}\nJSON\n`);
      chmodSync(gpuNode, 0o755);
      // This Node as "VS Code's runtime", running the built CLI as the extension does (npm test builds first).
      const cli = resolve('dist/runtime/cli.js');
      const [own, onPath] = runtimeCandidates({ execPath: process.execPath, electron: false, pathEnv: dir });
      const probes: RuntimeProbe[] = await Promise.all([probeRuntime(own, cli), probeRuntime(onPath, cli)]);
      assert.ok(probes[0].report, probes[0].error);
      assert.equal(probes[0].report!.node, process.version);
      assert.ok(probes[0].report!.backends.find((b) => b.name === 'cpu')!.ok);
      const choice = chooseRuntime(probes);
      if (probes[0].report!.autoBackend === 'tfjs-node-gpu' || probes[0].report!.autoBackend === 'webgpu') assert.equal(choice.runtime, own);
      else {
        assert.equal(choice.runtime, onPath);
        assert.match(choice.reason, new RegExp(`Node v20.19.0 at ${gpuNode} can, so Tributary runs there`));
      }
      const text = describeChoice(choice, describeDoctor);
      assert.ok(text.includes(`## VS Code's runtime (Node ${process.version})`), text);
      assert.ok(text.includes(`## Node v20.19.0 at ${gpuNode}`), text);
      assert.match(text, /✔ tfjs-node-gpu\s+loads/);
      assert.match(text, /backend: auto picks/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
