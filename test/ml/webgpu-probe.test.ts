import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh process per case (the address space of this one has seen other suites): selects
// `auto`, then reports the choice and whether Dawn's native addon or a Vulkan driver is mapped.
const SCRIPT = `
import { readFileSync } from 'node:fs';
import { selectBackend } from './runtime/src/ml/backend.ts';
const lines = [];
const t = performance.now();
const sel = await selectBackend('auto', { info: (m) => lines.push(m), warn: (m) => lines.push(m) });
const maps = readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ name: sel.name, skipped: sel.skipped, lines, ms: performance.now() - t, dawn: /dawn[^/\\n]*\\.node/.test(maps), vulkan: /libvulkan/.test(maps) }));
`;

function autoInFreshProcess(cacheHome: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no answer: ${r.stderr.slice(-1000)}`);
  return JSON.parse(line) as { name: string; skipped: { name: string; reason: string }[]; lines: string[]; ms: number; dawn: boolean; vulkan: boolean };
}

describe('Trainer backend auto: the WebGPU check runs in a child process', function () {
  this.timeout(120_000);
  let cacheHome: string;
  before(() => (cacheHome = mkdtempSync(join(tmpdir(), 'webgpu-probe-'))));
  after(() => rmSync(cacheHome, { recursive: true, force: true }));

  it('passes a fallback or missing adapter over without loading Dawn or a Vulkan driver, and says why', () => {
    const first = autoInFreshProcess(cacheHome);
    assert.notEqual(first.name, 'webgpu', 'no real GPU on a test machine');
    assert.equal(first.dawn, false, 'Dawn (webgpu) was loaded in the choosing process');
    assert.equal(first.vulkan, false, 'a Vulkan driver was loaded in the choosing process');
    const webgpu = first.skipped.find((s) => s.name === 'webgpu');
    assert.ok(webgpu, JSON.stringify(first.skipped));
    assert.ok(first.lines.some((l) => l.includes('skipped webgpu')), first.lines.join('\n'));
    // Where a Vulkan loader exists the child answered (lavapipe: a fallback adapter) and the answer is cached.
    if (/child process/.test(webgpu.reason)) {
      assert.match(webgpu.reason, /checked in a child process\)/);
      assert.equal(readdirSync(join(cacheHome, 'tributary')).filter((f) => f.startsWith('webgpu-adapter-')).length, 1);
      const second = autoInFreshProcess(cacheHome);
      assert.equal(second.name, first.name);
      assert.match(second.skipped.find((s) => s.name === 'webgpu')!.reason, /cached/);
      assert.equal(second.dawn, false);
    }
  });
});
