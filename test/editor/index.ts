/**
 * The in-editor test entry: a mocha runner exporting `run()`, loaded by VS Code's extension host
 * (code-server here: scripts/editor-test/run-suite.ts; @vscode/test-electron elsewhere:
 * scripts/editor-test/electron.ts). scripts/build.mjs compiles it to dist/test/editor/index.cjs and
 * every test/editor/*.editor.ts suite beside it to dist/test/editor/<name>.editor.cjs; this runner
 * loads whichever suites were built, so adding a suite is adding a file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.TRIBUTARY_EDITOR_GREP;
  if (grep) mocha.grep(grep);
  const suites = readdirSync(__dirname).filter((f) => f.endsWith('.editor.cjs')).sort();
  if (suites.length === 0) return Promise.reject(new Error(`no *.editor.cjs suites in ${__dirname}`));
  for (const file of suites) mocha.addFile(join(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} editor test(s) failed`)) : resolve()));
  });
}
