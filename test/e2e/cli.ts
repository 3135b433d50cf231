/** The bundled `tributary` CLI run in a folder, as a teammate's terminal would: its output, or an error with the last lines. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../../scripts/editor-test/code-server.ts';

export function cli(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'dist/runtime/cli.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tributary ${args.join(' ')} exited ${code}: ${out.trim().split('\n').slice(-3).join(' ')}`))));
  });
}
