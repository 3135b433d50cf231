/**
 * Starts `tributary serve` as a child process and waits for its ready line. From source (tsx) the
 * child runs serving/serve-main.ts under tsx; from the bundle dist/runtime/serve.js (same code).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Spawn → ready line, as the parent measured it. */
  readyMs: number;
  stderr(): string;
  stop(): Promise<void>;
}

function command(registry: string, extra: string[]): { file: string; args: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = fileURLToPath(new URL('../../serving/serve-main.ts', here));
    return { file: process.execPath, args: ['--import', 'tsx', entry, registry, '--port', '0', '--host', '127.0.0.1', ...extra] };
  }
  // Bundled: the server-only entry dist/runtime/serve.js (starts faster than the whole CLI), found
  // next to this code or from another dist folder (bench scripts); else the CLI's serve command.
  const near = (names: string[]) => names.map((p) => fileURLToPath(new URL(p, here))).find((f) => existsSync(f));
  const serveOnly = near(['./serve.js', '../runtime/serve.js']);
  if (serveOnly) return { file: process.execPath, args: [serveOnly, registry, '--port', '0', '--host', '127.0.0.1', ...extra] };
  const cli = near(['./cli.js', '../runtime/cli.js']);
  if (!cli) throw new Error(`Cannot find the bundled server (serve.js or cli.js) near ${fileURLToPath(here)}`);
  return { file: process.execPath, args: [cli, 'serve', registry, '--port', '0', '--host', '127.0.0.1', '--ready-json', ...extra] };
}

/** Resolves once ready; rejects when the process exits first or `timeoutMs` passes (the child is then killed). */
export interface ServerProcessOptions {
  timeoutMs: number;
  /**
   * Polled every 200 ms while waiting: a message ends the wait as a timeout would. For a deadline
   * in the server's own time (wall time less its run-queue wait), with `timeoutMs` as the wall cap.
   */
  late?: (pid: number, wallMs: number) => string | undefined;
  /** Start the server in a session of its own (its own scheduling group); called with its pid once spawned. */
  ownSession?: (pid: number) => void;
  env?: NodeJS.ProcessEnv;
  /** Server processes (`--workers`; default 1). */
  workers?: number | 'auto';
  /** Dynamic batching: most rows per predict (0: off), and its timeout. */
  maxBatchSize?: number;
  batchTimeoutMs?: number;
  /** Predicts each loaded version runs before it answers (the server's default when absent). */
  warmupRequests?: number;
}

export function startServerProcess(registry: string, options: ServerProcessOptions): Promise<ServerProcess> {
  const extra = [
    '--workers', String(options.workers ?? 1),
    ...(options.maxBatchSize !== undefined ? ['--max-batch-size', String(options.maxBatchSize)] : []),
    ...(options.batchTimeoutMs !== undefined ? ['--batch-timeout-ms', String(options.batchTimeoutMs)] : []),
    ...(options.warmupRequests !== undefined ? ['--warmup-requests', String(options.warmupRequests)] : []),
  ];
  const { file, args } = command(registry, extra);
  const t0 = performance.now();
  // The IPC channel is the child's lifeline: when this process dies (even by kill -9) the channel
  // closes and the server exits (serve.ts), so no model server outlives its run.
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: options.env ?? process.env, detached: !!options.ownSession });
  if (options.ownSession && child.pid !== undefined) options.ownSession(child.pid);
  child.channel?.unref();
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      clearInterval(poll);
      void stop();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`the server was not ready within ${options.timeoutMs} ms`), options.timeoutMs);
    const late = options.late;
    const poll =
      late &&
      setInterval(() => {
        const message = child.pid !== undefined ? late(child.pid, performance.now() - t0) : undefined;
        if (message) fail(message);
      }, 200);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('"ready"'));
      if (!line) return;
      clearTimeout(timer);
      clearInterval(poll);
      const { port } = JSON.parse(line) as { port: number };
      resolve({ child, port, readyMs: performance.now() - t0, stderr: () => err, stop });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`the server exited before it was ready (${signal ?? `code ${code}`}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}
