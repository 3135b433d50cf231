/**
 * Whether this machine has a WebGPU adapter, and whether it is a real GPU or a fallback (software)
 * one, asked of a short-lived child process: `backend: auto` passes a fallback adapter over, and
 * loading Dawn and a software Vulkan driver (lavapipe) only to find that out costs the asking
 * process ~66 MB of memory it never gives back and ~1.2 s. The answer is kept for the process and
 * on disk in the user's cache folder, keyed by a fingerprint of what decides it (the webgpu
 * package, Node's ABI, the Vulkan drivers installed, the GPU device files), so a machine is probed
 * once until one of those changes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AdapterReport {
  /** The adapter the child got, if any. */
  adapter?: { fallback: boolean; description: string };
  /** Why there is none. */
  error?: string;
  /** The webgpu package is not installed (an optional dependency). */
  notInstalled?: boolean;
}

export interface AdapterAnswer extends AdapterReport {
  /** Where the answer came from: a child process now, or the cache of an earlier one. */
  source: 'child process' | 'cache';
}

const CHILD_TIMEOUT_MS = 60_000;

// The child: imports Dawn, asks for an adapter, prints one JSON line, exits (Dawn can keep the
// event loop alive).
const CHILD_SCRIPT = `
const report = (r) => { process.stdout.write(JSON.stringify(r) + '\\n'); process.exit(0); };
try {
  const webgpu = await import(process.argv[1]);
  const adapter = await webgpu.create([]).requestAdapter();
  if (!adapter) report({ error: 'no WebGPU adapter (no Vulkan driver / GPU visible)' });
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  report({ adapter: { fallback: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false, description } });
} catch (e) {
  report({ error: 'the "webgpu" package does not load: ' + String(e && e.message).split('\\n')[0] });
}
`;

function webgpuEntry(): string | undefined {
  try {
    return import.meta.resolve('webgpu');
  } catch {
    return undefined;
  }
}

/** What decides the answer; a change to any of it asks again. */
function fingerprint(entry: string): string {
  const listing = (dir: string) => {
    try {
      return readdirSync(dir).map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}`);
    } catch {
      return [];
    }
  };
  const devices = listing('/dev').filter((f) => f.startsWith('nvidia'));
  let packageStamp = '';
  try {
    packageStamp = String(statSync(fileURLToPath(entry)).mtimeMs);
  } catch {
    // resolved but unreadable: the child will say so
  }
  const parts = {
    host: hostname(),
    platform: process.platform,
    arch: process.arch,
    abi: process.versions.modules,
    entry,
    packageStamp,
    icd: ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'].map(listing),
    dri: listing('/dev/dri'),
    devices,
    env: [process.env.VK_ICD_FILENAMES, process.env.VK_DRIVER_FILES, process.env.LD_LIBRARY_PATH],
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The user's own cache folder (not a shared temp folder: no one else can plant an answer). */
export function probeCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tributary');
}

function readCache(file: string): AdapterReport | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as AdapterReport;
    return r.adapter || r.error ? r : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, report: AdapterReport): void {
  try {
    mkdirSync(probeCacheDir(), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(report), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // no cache: the next process asks again
  }
}

function askChild(entry: string): Promise<AdapterReport> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, entry], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ error: `the WebGPU check could not start a process: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      try {
        if (line) return resolve(JSON.parse(line) as AdapterReport);
      } catch {
        // fall through: no readable answer
      }
      const how = signal === 'SIGKILL' ? `did not answer within ${CHILD_TIMEOUT_MS / 1000} s` : `ended (${signal ?? `code ${code}`})`;
      resolve({ error: `the WebGPU check process ${how}: ${err.trim().split('\n').slice(-2).join(' | ')}` });
    });
  });
}

let answer: Promise<AdapterAnswer> | undefined;

/** The machine's WebGPU adapter, asked once per process and per machine fingerprint. */
export function webGpuAdapter(): Promise<AdapterAnswer> {
  answer ??= (async (): Promise<AdapterAnswer> => {
    const entry = webgpuEntry();
    if (!entry) return { notInstalled: true, error: 'the optional "webgpu" package is not installed', source: 'child process' };
    const file = join(probeCacheDir(), `webgpu-adapter-${fingerprint(entry)}.json`);
    const cached = readCache(file);
    if (cached) return { ...cached, source: 'cache' };
    const report = await askChild(entry);
    // A timeout or crash may be passing trouble: only clear answers are kept.
    if (report.adapter || /no WebGPU adapter|does not load/.test(report.error ?? '')) writeCache(file, report);
    return { ...report, source: 'child process' };
  })();
  return answer;
}
