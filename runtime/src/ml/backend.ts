/**
 * TensorFlow.js backend selection for training and inference, in the order of expected speed:
 * tfjs-node-gpu (libtensorflow, CUDA) → WebGPU on a real (non-fallback) adapter → wasm → cpu.
 * Every skipped choice is logged with its reason, so a slow run is never a silent surprise.
 * A requested backend overrides the order; if it cannot load, that is an error, not a fallback.
 *
 * Backends register on the process's (or worker thread's) one tfjs instance: select once per
 * worker, before building models.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.ts';

export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendRequest = 'auto' | BackendName;

/** Tries to make one backend the active tfjs backend; throws with a readable reason when it cannot. */
export type BackendProbe = () => Promise<void>;

export interface BackendSelection {
  /** Our name for it (recorded on Model artifacts and bundles). */
  name: BackendName;
  /** tfjs's own backend name, as `tf.getBackend()` reports it. */
  tfBackend: string;
  /** Higher-priority backends that were skipped, with why. */
  skipped: { name: BackendName; reason: string }[];
}

export interface BackendLog {
  info(message: string): void;
  warn(message: string): void;
}

const TF_NAMES: Record<BackendName, string> = { 'tfjs-node-gpu': 'tensorflow', webgpu: 'webgpu', wasm: 'wasm', cpu: 'cpu' };

// Optional packages are imported through a variable so neither tsc nor esbuild needs them present.
const importOptional = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

function notInstalled(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function activate(tfName: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (e) {
    throw new Error(`tf.setBackend('${tfName}') failed: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== tfName) throw new Error(`tf.setBackend('${tfName}') did not initialise`);
  await tf.ready();
}

async function probeTfjsNodeGpu(): Promise<void> {
  try {
    await importOptional('@tensorflow/tfjs-node-gpu');
  } catch (e) {
    if (notInstalled(e)) throw new Error('@tensorflow/tfjs-node-gpu is not installed (optional dependency; needs libtensorflow + CUDA at install time)');
    throw new Error(`@tensorflow/tfjs-node-gpu is installed but does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  await activate(TF_NAMES['tfjs-node-gpu']);
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; device?: string; description?: string };
}

/**
 * Dawn prints a native "Couldn't load Vulkan" warning to stderr when no Vulkan loader exists, so
 * on Linux look for libvulkan.so.1 (library path, then the linker cache) before creating a GPU.
 */
function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu'];
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return cache.status === 0 && cache.stdout.includes('libvulkan.so.1');
}

async function probeWebGpu(): Promise<void> {
  if (!hasVulkanLoader()) throw new Error('no Vulkan loader (libvulkan.so.1) on this machine, so no WebGPU adapter');
  let webgpu: Record<string, unknown>;
  try {
    webgpu = await importOptional('webgpu');
  } catch (e) {
    if (notInstalled(e)) throw new Error('the optional "webgpu" package is not installed');
    throw new Error(`the "webgpu" package does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const create = webgpu.create as (options: string[]) => { requestAdapter(): Promise<GpuAdapterLike | null> };
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (no Vulkan driver / GPU visible)');
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const what = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  if (fallback) throw new Error(`only a fallback (software) WebGPU adapter is available (${what}), slower than wasm`);
  // tfjs-backend-webgpu looks for navigator.gpu when it registers (Node 20 has no navigator).
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await importOptional('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    if (notInstalled(e)) throw new Error('@tensorflow/tfjs-backend-webgpu is not installed');
    throw e;
  }
  await activate(TF_NAMES.webgpu);
}

async function probeWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate(TF_NAMES.wasm);
}

async function probeCpu(): Promise<void> {
  // The cpu backend's first write prints a console banner advertising tfjs-node; PROD silences tfjs
  // warnings (we log our own reasons instead).
  tf.env().set('PROD', true);
  await activate(TF_NAMES.cpu);
}

export const DEFAULT_PROBES: Record<BackendName, BackendProbe> = {
  'tfjs-node-gpu': probeTfjsNodeGpu,
  webgpu: probeWebGpu,
  wasm: probeWasm,
  cpu: probeCpu,
};

/**
 * Activates the requested backend, or for 'auto' the first that loads in priority order, logging
 * why each higher choice was skipped. `probes` is injectable for tests.
 */
export async function selectBackend(
  request: BackendRequest,
  log: BackendLog,
  probes: Record<BackendName, BackendProbe> = DEFAULT_PROBES,
): Promise<BackendSelection> {
  if (request !== 'auto') {
    if (!BACKEND_NAMES.includes(request)) {
      throw new UserError(`Unknown backend "${String(request)}"; expected auto or one of ${BACKEND_NAMES.join(', ')}`, { field: 'backend' });
    }
    try {
      await probes[request]();
    } catch (e) {
      throw new UserError(`backend "${request}" was requested but cannot be used: ${(e as Error).message}`, { field: 'backend' });
    }
    log.info(`backend: ${request} (requested by the backend parameter)`);
    return { name: request, tfBackend: TF_NAMES[request], skipped: [] };
  }
  const skipped: BackendSelection['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await probes[name]();
    } catch (e) {
      const reason = (e as Error).message;
      skipped.push({ name, reason });
      log.info(`backend: skipped ${name}: ${reason}`);
      continue;
    }
    log.info(`backend: ${name} (auto${skipped.length ? `; ${skipped.length} faster choice(s) unavailable` : ''})`);
    return { name, tfBackend: TF_NAMES[name], skipped };
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** Our name of the active tfjs backend (for code that runs after selection, e.g. in a bundle). */
export function activeBackendName(): BackendName | string {
  const tfName = tf.getBackend();
  const entry = Object.entries(TF_NAMES).find(([, v]) => v === tfName);
  return entry ? entry[0] : tfName;
}
