import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { LazyLanguageClient } from '../../extension/src/language/lazy-client.ts';
import type { PipelineLanguageClient } from '../../extension/src/language/client.ts';

/**
 * Activation cost is mostly loading the host bundle: what activation needs must not pull in the
 * language client, YAML, Ajv or TypeBox (those live in bundles loaded on first use).
 */
describe('host bundle: what activation loads', function () {
  this.timeout(30_000);

  it('extension.ts bundles without the language client, yaml, ajv or typebox', async () => {
    const result = await build({
      entryPoints: ['extension/src/extension.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['vscode'],
      write: false,
      metafile: true,
      outfile: 'host.cjs',
      logLevel: 'silent',
    });
    // What the bundle holds, not what esbuild read: modules the host API re-exports but activation
    // does not use are read and then dropped (package.json "sideEffects").
    const output = result.metafile.outputs['host.cjs'];
    const inputs = Object.entries(output.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f);
    const heavy = inputs.filter((f) => /node_modules\/(vscode-languageclient|vscode-jsonrpc|yaml|ajv|@sinclair\/typebox)\//.test(f));
    assert.deepEqual(heavy, []);
    // The canvas provider and the viewers' panels load on first use (light helpers may stay).
    for (const lazy of ['extension/src/canvas/provider.ts', 'extension/src/viewers/index.ts', 'extension/src/viewers/panel.ts']) assert.ok(!inputs.includes(lazy), lazy);
    // Sanity: the bundle does hold the host's own code (the check above is not vacuous).
    assert.ok(inputs.includes('extension/src/commands.ts'));
    assert.ok(result.outputFiles[0].contents.byteLength < 120 * 1024, `${result.outputFiles[0].contents.byteLength} bytes`);
  });
});

describe('LazyLanguageClient', () => {
  const fake = () => {
    const calls: string[] = [];
    const client = {
      ready: async () => void calls.push('ready'),
      specs: async () => (calls.push('specs'), { components: [] }),
      pipelineInfo: async () => (calls.push('pipelineInfo'), {}),
      dispose: () => void calls.push('dispose'),
    } as unknown as PipelineLanguageClient;
    return { calls, client };
  };

  it('creates the client (starting the server) only on the first request, and once', async () => {
    const { calls, client } = fake();
    let created = 0;
    const lazy = new LazyLanguageClient(() => (created++, client));
    assert.equal(created, 0);
    assert.equal(lazy.started, false);
    await lazy.specs();
    await lazy.ready();
    assert.equal(created, 1);
    assert.equal(lazy.started, true);
    assert.deepEqual(calls, ['specs', 'ready']);
    lazy.dispose();
    assert.deepEqual(calls, ['specs', 'ready', 'dispose']);
  });

  it('disposed before any use: never creates a client, and refuses to start one later', () => {
    let created = 0;
    const lazy = new LazyLanguageClient(() => (created++, fake().client));
    lazy.dispose();
    assert.throws(() => lazy.start(), /disposed/);
    assert.equal(created, 0);
  });
});
