/**
 * The same in-editor suite under @vscode/test-electron, for machines that can download VS Code
 * (developers' laptops, public CI). It cannot run here (no access to update.code.visualstudio.com):
 * use `npm run test:editor` (code-server) instead. Usage, after `npm run build`:
 *   node --import tsx scripts/editor-test/electron.ts            # VS Code stable
 *   VSCODE_VERSION=1.91.0 node --import tsx scripts/editor-test/electron.ts   # the oldest we support
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { REPO } from './code-server.ts';
import { makeWorkspace } from './workspace.ts';

const workspace = makeWorkspace('electron-');
try {
  const code = await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    cachePath: join(REPO, '.vscode-test', 'electron'),
    extensionDevelopmentPath: REPO,
    extensionTestsPath: join(REPO, 'dist/test/editor/index.cjs'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
  });
  process.exitCode = code;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
