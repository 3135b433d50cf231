/**
 * A plain-Node proxy for the extension's activation cost: the time to require() the host bundle
 * (what VS Code does before calling activate), with `vscode` stubbed, in fresh processes (median of
 * several, so the OS file cache is warm as in the editor). Less noisy than the code-server bench.
 * Run: npm run build && node --import tsx bench/host-load-bench.ts [bundle.cjs ...]
 *   (default: dist/extension/extension.cjs and its lazily loaded bundles, each alone).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const RUNS = 11;

// Any property, call or `new` of the stub gives the stub back, so module-level code such as
// `class X extends vscode.TreeItem` evaluates without an editor.
const probe = `
const Module = require('node:module');
const stub = new Proxy(function () {}, { get: (_t, k) => (k === 'prototype' ? {} : stub), apply: () => stub, construct: () => stub });
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest); };
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub };
const started = performance.now();
require(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

function requireMs(bundle: string): number {
  return Number(execFileSync(process.execPath, ['-e', probe, bundle], { encoding: 'utf8' }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const bundles = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['extension', 'language-client', 'canvas', 'viewers'].map((n) => `dist/extension/${n}.cjs`).filter((f) => existsSync(f));
const results = bundles.map((file) => {
  const path = resolve(file);
  const times = Array.from({ length: RUNS }, () => requireMs(path));
  return { bundle: file, kb: Math.round(statSync(path).size / 1024), requireMsMedian: Number(median(times).toFixed(1)), min: Number(Math.min(...times).toFixed(1)) };
});
console.log(JSON.stringify(results, null, 2));
