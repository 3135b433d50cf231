/**
 * A throw-away workspace for the in-editor and end-to-end tests: the taxi sample in taxi/ (without
 * earlier runs), plus test/e2e/fixtures/*.pipeline.yaml (the sample through training/evaluation).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CACHE, REPO } from './code-server.ts';

/** Returns the workspace folder; the sample is in its taxi/ folder. */
export function makeWorkspace(prefix = 'tributary-ws-'): string {
  // Inside the repo (ignored cache folder): user modules compiled in a run import npm packages
  // such as @tensorflow/tfjs, which resolve only from a folder below the repo's node_modules.
  mkdirSync(join(CACHE, 'workspaces'), { recursive: true });
  const root = mkdtempSync(join(CACHE, 'workspaces', prefix));
  const dir = join(root, 'taxi');
  cpSync(join(REPO, 'samples/taxi'), dir, { recursive: true, filter: (src) => !basename(src).startsWith('.tributary') });
  // The sample's modules import the runtime's helpers by a repo-relative path: point it at the repo.
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    writeFileSync(join(dir, file), text.replaceAll(`'../../runtime/`, `'${REPO}/runtime/`));
  }
  const fixtures = join(REPO, 'test/e2e/fixtures');
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.pipeline.yaml'))) cpSync(join(fixtures, file), join(dir, file));
  // The runtime anchors a workspace at the nearest package.json (paths may not escape it).
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tributary-test-workspace', private: true }, null, 2));
  return root;
}
