import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The runtime's CLI from source. */
export const CLI = resolve('runtime/src/cli/main.ts');

/** Runs the CLI from source in a child Node (as the extension's `runner.exec` runs the bundled one). */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
