/**
 * Dockerfile.gpu cannot be built here (no CUDA base image, no libtensorflow download), so its
 * shape is checked against the CPU Dockerfile: with its "GPU:" blocks taken out, and the CPU
 * image's runtime base taken out (the GPU block replaces it), both files are the same
 * instructions. The GPU blocks must bring the same Node as the CPU image, a CUDA/cuDNN that
 * libtensorflow 2.9 (tfjs-node-gpu 4.x) loads, the `node` user the CPU base image has, and
 * tfjs-node-gpu installed with its install script from the lockfile.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Instruction {
  text: string;
  gpu: boolean;
}

/** Instructions (continuation lines joined, comments dropped), each flagged when inside a GPU block. */
function instructions(file: string): Instruction[] {
  const out: Instruction[] = [];
  let gpu = false;
  let pending = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (/^# GPU: begin\b/.test(trimmed)) gpu = true;
    else if (/^# GPU: end\b/.test(trimmed)) gpu = false;
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) continue;
    pending += `${pending ? ' ' : ''}${trimmed.replace(/\\$/, '').trim()}`;
    if (trimmed.endsWith('\\')) continue;
    out.push({ text: pending.replace(/\s+/g, ' '), gpu });
    pending = '';
  }
  assert.equal(gpu, false, `${file}: a GPU block is not closed`);
  return out;
}

const cpu = instructions('Dockerfile');
const gpu = instructions('Dockerfile.gpu');
const gpuParts = gpu.filter((i) => i.gpu).map((i) => i.text);
const fromLines = (xs: Instruction[]) => xs.filter((i) => i.text.startsWith('FROM '));

describe('Dockerfile.gpu', () => {
  it('is the CPU Dockerfile plus its GPU blocks, which replace only the runtime base image', () => {
    const cpuFroms = fromLines(cpu);
    assert.equal(cpuFroms.length, 2, 'the CPU Dockerfile has a build stage and a runtime stage');
    const cpuWithoutBase = cpu.filter((i) => i !== cpuFroms[1]).map((i) => i.text);
    assert.deepEqual(gpu.filter((i) => !i.gpu).map((i) => i.text), cpuWithoutBase);
    // The runtime base sits where the CPU image's was: right after the build stage.
    const firstGpu = gpu.findIndex((i) => i.gpu);
    assert.equal(firstGpu, cpu.indexOf(cpuFroms[1]));
  });

  it('runs the same Node as the CPU image, on a CUDA 11.2 + cuDNN 8 base, as the same user', () => {
    const cpuBase = fromLines(cpu)[1].text.replace(/^FROM /, '');
    assert.ok(gpuParts.includes(`FROM ${cpuBase} AS node`), `Node comes from the CPU image's base ${cpuBase}`);
    assert.ok(gpuParts.some((t) => t.startsWith('COPY --from=node /usr/local/bin/node ')));
    const base = gpuParts.find((t) => /^FROM nvidia\/cuda:/.test(t));
    assert.match(base ?? '', /^FROM nvidia\/cuda:11\.2(\.\d+)?-cudnn8-runtime-/, 'libtensorflow 2.9.1 needs CUDA 11.2 and cuDNN 8');
    assert.ok(gpuParts.some((t) => /useradd .*--uid 1000 .* node$/.test(t)), 'the CPU base image has a node user (uid 1000); the CUDA one does not');
    assert.ok(cpu.some((i) => i.text === 'USER node'));
  });

  it('installs @tensorflow/tfjs-node-gpu from the lockfile with its install script, and fails the build without its addon', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { optionalDependencies?: Record<string, string> };
    assert.ok(pkg.optionalDependencies?.['@tensorflow/tfjs-node-gpu'], 'an optional dependency, so npm ci puts it in the image');
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version: string; hasInstallScript?: boolean }> };
    assert.ok(lock.packages['node_modules/@tensorflow/tfjs-node-gpu']?.hasInstallScript);
    const rebuild = gpuParts.find((t) => t.startsWith('RUN npm rebuild @tensorflow/tfjs-node-gpu'));
    assert.ok(rebuild, 'the install script runs (npm ci skipped it)');
    assert.doesNotMatch(rebuild, /--ignore-scripts/);
    assert.match(rebuild, /tfjs_binding\.node/, 'the build checks the native addon is there');
    // Everything else is installed exactly as in the CPU image.
    const npmCi = (xs: string[]) => xs.filter((t) => t.startsWith('RUN npm ci'));
    assert.deepEqual(npmCi(gpu.map((i) => i.text)), npmCi(cpu.map((i) => i.text)));
  });
});
