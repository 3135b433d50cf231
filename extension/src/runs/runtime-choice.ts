/**
 * Which JavaScript runtime runs the CLI for the editor. By default VS Code's own (Electron run as
 * Node), or `tributary.runtime.nodePath` when set. A GPU backend may not load there: tfjs-node-gpu
 * is a native addon built for Node's ABI, not Electron's. So every candidate (the configured
 * runtime, then the first `node` on PATH) is asked `tributary doctor --json`, and:
 * - the configured runtime is used when it loads a GPU backend (or when no candidate does);
 * - with no nodePath set, a Node ≥ 20 that loads a GPU backend VS Code's runtime cannot is used
 *   instead, and the reason goes to the run (TRIBUTARY_RUNTIME_CHOICE: its log and the Runs view);
 * - with nodePath set, the user's choice stands; a one-click fix offers the runtime that would
 *   load the GPU backend.
 * No vscode import: the runner and Check Environment use it, tests drive it with fake runtimes.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GPU_BACKENDS, type BackendCheck, type DoctorReport } from '../../../runtime/src/host-api.ts';

export interface RuntimeCandidate {
  /** The executable. */
  path: string;
  /** setting: tributary.runtime.nodePath; vscode: the extension host's own runtime; path: `node` on PATH. */
  source: 'setting' | 'vscode' | 'path';
  /** Electron that needs ELECTRON_RUN_AS_NODE to act as Node. */
  electron: boolean;
}

export interface RuntimeProbe {
  candidate: RuntimeCandidate;
  report?: DoctorReport;
  /** Why the doctor could not report (not executable, too old, crashed…). */
  error?: string;
}

export interface RuntimeFix {
  /** What is wrong, for a notification. */
  message: string;
  /** Set tributary.runtime.nodePath to this (a runtime that loads the GPU backend). */
  useNodePath?: string;
}

export interface RuntimeChoice {
  runtime: RuntimeCandidate;
  /** What `backend: auto` picks in the chosen runtime (undefined: its doctor failed). */
  autoBackend?: string;
  /** One line on why this runtime, for the run's log and the Runs view. */
  reason: string;
  /** Offered when a GPU backend is installed but unusable from the runtime in use. */
  fix?: RuntimeFix;
  probes: RuntimeProbe[];
}

const MIN_NODE_MAJOR = 20;

/** The environment a candidate runs the CLI with. */
export function runtimeEnv(candidate: RuntimeCandidate, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, FORCE_COLOR: '0' };
  if (candidate.electron) env.ELECTRON_RUN_AS_NODE = '1';
  else delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

/** The first executable `node` (`node.exe`) on PATH. */
export function nodeOnPath(pathEnv: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, platform === 'win32' ? 'node.exe' : 'node');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

/** The configured runtime first, then `node` on PATH when it is another executable. */
export function runtimeCandidates(opts: { nodePath?: string; execPath: string; electron: boolean; pathEnv?: string }): RuntimeCandidate[] {
  const configured: RuntimeCandidate = opts.nodePath
    ? { path: opts.nodePath, source: 'setting', electron: false }
    : { path: opts.execPath, source: 'vscode', electron: opts.electron };
  const onPath = nodeOnPath(opts.pathEnv);
  return onPath && !sameFile(onPath, configured.path) ? [configured, { path: onPath, source: 'path', electron: false }] : [configured];
}

/** Runs `tributary doctor --json` in a candidate runtime. */
export function probeRuntime(candidate: RuntimeCandidate, cliPath: string, timeoutMs = 120_000): Promise<RuntimeProbe> {
  return new Promise((resolve) => {
    execFile(candidate.path, [cliPath, 'doctor', '--json'], { env: runtimeEnv(candidate), timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        resolve({ candidate, error: `${error.message.split('\n')[0]}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}` });
        return;
      }
      try {
        resolve({ candidate, report: JSON.parse(stdout) as DoctorReport });
      } catch {
        resolve({ candidate, error: `tributary doctor printed no report: ${stdout.slice(0, 200)}` });
      }
    });
  });
}

const major = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);

/** `VS Code's runtime (Electron 37.2.0, Node v22.17.0)`, `Node v20.19.0 at /usr/bin/node`. */
export function describeCandidate(p: RuntimeProbe): string {
  const version = p.report ? (p.report.electron ? `Electron ${p.report.electron}, Node ${p.report.node}` : `Node ${p.report.node}`) : undefined;
  if (p.candidate.source === 'vscode') return `VS Code's runtime${version ? ` (${version})` : ''}`;
  return `${version ?? 'the runtime'} at ${p.candidate.path}${p.candidate.source === 'setting' ? ' (tributary.runtime.nodePath)' : ''}`;
}

const gpuBackend = (p: RuntimeProbe): string | undefined => (p.report?.autoBackend && GPU_BACKENDS.includes(p.report.autoBackend) ? p.report.autoBackend : undefined);
const usable = (p: RuntimeProbe) => !!p.report && major(p.report.node) >= MIN_NODE_MAJOR;

/** GPU backends whose package is installed but that do not load in this runtime (a software-only WebGPU adapter is no GPU, not a failure). */
function unusableGpu(p: RuntimeProbe): BackendCheck[] {
  return (p.report?.backends ?? []).filter((b) => GPU_BACKENDS.includes(b.name) && !b.ok && b.installed && !b.explicitOnly);
}

export function chooseRuntime(probes: RuntimeProbe[]): RuntimeChoice {
  const [configured, ...others] = probes;
  const result = (p: RuntimeProbe, reason: string, fix?: RuntimeFix): RuntimeChoice => ({
    runtime: p.candidate,
    ...(p.report?.autoBackend ? { autoBackend: p.report.autoBackend } : {}),
    reason,
    ...(fix ? { fix } : {}),
    probes,
  });
  if (!configured.report) return result(configured, `${describeCandidate(configured)} could not report its backends: ${configured.error ?? 'no report'}`);
  const own = gpuBackend(configured);
  if (own) return result(configured, `${describeCandidate(configured)} loads ${own}`);
  const better = others.find((p) => usable(p) && gpuBackend(p));
  const stuck = unusableGpu(configured);
  const why = stuck.length ? `: ${stuck.map((b) => `${b.name}: ${b.reason}`).join('; ')}` : '';
  if (better) {
    const backend = gpuBackend(better)!;
    const message = `${describeCandidate(configured)} cannot load ${backend}${why}; ${describeCandidate(better)} can`;
    const fix = { message, useNodePath: better.candidate.path };
    // An explicit nodePath is the user's choice: keep it and offer the switch. VS Code's own runtime we replace.
    if (configured.candidate.source === 'setting') return result(configured, `${describeCandidate(configured)} (set by you) picks ${configured.report.autoBackend ?? 'no backend'}; ${describeCandidate(better)} would load ${backend}`, fix);
    return result(better, `${message}, so Tributary runs there`, fix);
  }
  if (stuck.length) {
    return result(configured, `${describeCandidate(configured)} picks ${configured.report.autoBackend ?? 'no backend'}`, {
      message: `A GPU backend is installed but does not load in ${describeCandidate(configured)}${why}. No other Node ${MIN_NODE_MAJOR}+ on PATH loads it either.`,
    });
  }
  return result(configured, `${describeCandidate(configured)} picks ${configured.report.autoBackend ?? 'no backend'}; no GPU backend loads here`);
}

/** Check Environment's document: each runtime's doctor report, and the choice. */
export function describeChoice(choice: RuntimeChoice, describeDoctor: (r: DoctorReport) => string[]): string {
  const lines = ['# Tributary environment', '', `Runs use ${describeCandidate(choice.probes.find((p) => p.candidate === choice.runtime)!)}.`, '', choice.reason, ''];
  if (choice.fix) lines.push(`**Fix:** ${choice.fix.message}${choice.fix.useNodePath ? ` — set \`tributary.runtime.nodePath\` to \`${choice.fix.useNodePath}\`.` : ''}`, '');
  for (const p of choice.probes) {
    lines.push(`## ${describeCandidate(p)}${p.candidate === choice.runtime ? ' — in use' : ''}`, '');
    if (p.report) lines.push('```', ...describeDoctor(p.report), '```', '');
    else lines.push(`No report: ${p.error}`, '');
  }
  return lines.join('\n');
}
