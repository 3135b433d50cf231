/**
 * TensorFlow.js backend selection for training and inference, in the order of expected speed:
 * tfjs-node-gpu (libtensorflow, CUDA) → WebGPU on a real (non-fallback) adapter → wasm → cpu.
 * Every skipped choice is logged with its reason, so a slow run is never a silent surprise.
 * A requested backend overrides the order; if it cannot load, that is an error, not a fallback.
 * A fallback (software) WebGPU adapter, such as Mesa's lavapipe, counts as "no GPU" for auto (it
 * is slower than wasm) but is used when `webgpu` is named explicitly: that is how CI exercises
 * the WebGPU path on machines without a GPU.
 *
 * Backends register on the process's (or worker thread's) one tfjs instance: select once per
 * worker, before building models.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.ts';
import { BACKEND_NAMES, backendChoiceLine, type BackendName } from './backend-names.ts';
import { installWasmConcat } from './wasm-concat.ts';
import { installWasmMatMul } from './wasm-matmul.ts';
import { installWasmSlice } from './wasm-slice.ts';
import { webGpuAdapter } from './webgpu-probe.ts';

export { BACKEND_NAMES, type BackendName };
export type BackendRequest = 'auto' | BackendName;

export interface ProbeOptions {
  /** The backend was named by the user (not tried by auto): accept what auto would pass over. */
  explicit: boolean;
}

/**
 * Tries to make one backend the active tfjs backend; throws with a readable reason when it cannot.
 * May resolve with a note on what it got (e.g. the WebGPU adapter), logged with the choice.
 */
export type BackendProbe = (options: ProbeOptions) => Promise<string | void>;

export interface BackendSelection {
  /** Our name for it (recorded on Model artifacts and bundles). */
  name: BackendName;
  /** tfjs's own backend name, as `tf.getBackend()` reports it. */
  tfBackend: string;
  /** Higher-priority backends that were skipped, with why. */
  skipped: { name: BackendName; reason: string }[];
  /** What the probe reported about the device (e.g. the WebGPU adapter), when it said. */
  device?: string;
}

/** A probe's failure; `installed` false when the backend's package is missing (not merely unusable here). */
export class BackendUnavailable extends Error {
  constructor(
    message: string,
    readonly installed: boolean,
  ) {
    super(message);
  }
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
    if (notInstalled(e)) throw new BackendUnavailable('@tensorflow/tfjs-node-gpu is not installed (optional dependency; needs libtensorflow + CUDA at install time)', false);
    throw new Error(`@tensorflow/tfjs-node-gpu is installed but does not load in Node ${process.version}${process.versions.electron ? ` (Electron ${process.versions.electron})` : ''}: ${(e as Error).message.split('\n')[0]}`);
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

/** Words for an adapter: vendor, architecture, description (Dawn fills them from the driver). */
function describeAdapter(adapter: GpuAdapterLike): string {
  return [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

async function probeWebGpu(options: ProbeOptions): Promise<string> {
  if (!hasVulkanLoader()) throw new Error('no Vulkan loader (libvulkan.so.1) on this machine, so no WebGPU adapter');
  if (!options.explicit) {
    // auto: ask a child process first, so that this process loads Dawn and a driver only to use them.
    const found = await webGpuAdapter();
    const checked = `checked in a ${found.source === 'cache' ? 'child process earlier (cached)' : 'child process'}`;
    if (found.notInstalled) throw new BackendUnavailable(found.error!, false);
    if (!found.adapter) throw new Error(`${found.error} (${checked})`);
    if (found.adapter.fallback) {
      throw new Error(`only a fallback (software) WebGPU adapter is available (${found.adapter.description}), slower than wasm (auto passes it over; backend: webgpu uses it; ${checked})`);
    }
  }
  let webgpu: Record<string, unknown>;
  try {
    webgpu = await importOptional('webgpu');
  } catch (e) {
    if (notInstalled(e)) throw new BackendUnavailable('the optional "webgpu" package is not installed', false);
    throw new Error(`the "webgpu" package does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const create = webgpu.create as (options: string[]) => { requestAdapter(): Promise<GpuAdapterLike | null> };
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (no Vulkan driver / GPU visible)');
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const what = describeAdapter(adapter);
  if (fallback && !options.explicit) {
    throw new Error(`only a fallback (software) WebGPU adapter is available (${what}), slower than wasm (auto passes it over; backend: webgpu uses it)`);
  }
  // tfjs-backend-webgpu uses the browser's globals: the GPUBufferUsage/GPUMapMode/... constants
  // (Dawn's `globals`, without which its first upload throws), and navigator.gpu when it registers
  // (Node 20 has no navigator).
  for (const [key, value] of Object.entries((webgpu.globals ?? {}) as Record<string, unknown>)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await importOptional('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    if (notInstalled(e)) throw new BackendUnavailable('@tensorflow/tfjs-backend-webgpu is not installed', false);
    throw e;
  }
  await activate(TF_NAMES.webgpu);
  return fallback ? `fallback (software) adapter: ${what}` : `adapter: ${what}`;
}

async function probeWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate(TF_NAMES.wasm);
  installWasmConcat();
  installWasmSlice();
  installWasmMatMul();
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
    let device: string | void;
    try {
      device = await probes[request]({ explicit: true });
    } catch (e) {
      throw new UserError(`backend "${request}" was requested but cannot be used: ${(e as Error).message}`, { field: 'backend' });
    }
    log.info(backendChoiceLine(request, `requested by the backend parameter${device ? `; ${device}` : ''}`));
    return { name: request, tfBackend: TF_NAMES[request], skipped: [], ...(device ? { device } : {}) };
  }
  const skipped: BackendSelection['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    let device: string | void;
    try {
      device = await probes[name]({ explicit: false });
    } catch (e) {
      const reason = (e as Error).message;
      skipped.push({ name, reason });
      log.info(`backend: skipped ${name}: ${reason}`);
      continue;
    }
    log.info(backendChoiceLine(name, `auto${skipped.length ? `; ${skipped.length} faster choice(s) unavailable` : ''}${device ? `; ${device}` : ''}`));
    return { name, tfBackend: TF_NAMES[name], skipped, ...(device ? { device } : {}) };
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Whether embedding layers train on the active backend: their gradient is UnsortedSegmentSum,
 * which wasm lacks. Asked of tfjs's kernel registry, so a backend that gains the kernel qualifies.
 */
export function embeddingsTrain(): boolean {
  return tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined;
}

let wasmLoads: Promise<boolean> | undefined;

/**
 * The backend a pool worker predicts on (Evaluator, BulkInferrer): a backend this thread already
 * runs on (a Trainer's GPU) is kept; otherwise wasm, whose batched predict is 4–5× the cpu
 * backend's on these machines (tfjs would default to cpu); cpu only where wasm does not load.
 * Resolves with tfjs's name of the backend in use.
 */
export async function useInferenceBackend(): Promise<string> {
  const active = (tf.engine() as { backendName?: string | null }).backendName;
  if (active && active !== TF_NAMES.cpu) return active;
  wasmLoads ??= probeWasm().then(
    () => true,
    () => false,
  );
  if (await wasmLoads) {
    if (tf.getBackend() !== TF_NAMES.wasm) await activate(TF_NAMES.wasm);
  } else if (!active) {
    await probeCpu();
  }
  return tf.getBackend();
}
