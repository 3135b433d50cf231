import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The runtime's CLI from source. */
export const CLI = resolve('runtime/src/cli/main.ts');

/** Runs the CLI from source in a child Node (as the extension's `runner.exec` runs the bundled one). */
export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env && { env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `tributary serve REGISTRY --port 0 [args]` from source, resolved once it prints where it listens. */
export function startServeCli(registry: string, args: string[] = []): Promise<{ child: ChildProcess; port: number; banner: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', registry, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /at http:\/\/127\.0\.0\.1:([0-9]+)\//.exec(out);
      if (m) done({ child, port: Number(m[1]), banner: out });
    });
    child.on('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
}
