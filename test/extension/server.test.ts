import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver/node';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import type { Catalog } from '../../extension/src/language/catalog.ts';
import type { PipelineInfo, ValidateResult } from '../../extension/src/language/protocol.ts';

/** The language server as the client starts it, but over stdio, spoken to with plain JSON-RPC. */
describe('language server over LSP', () => {
  let dir: string;
  let server: ChildProcess;
  let rpc: MessageConnection;
  const published: { uri: string; diagnostics: { code: string; range: { start: { line: number; character: number } } }[] }[] = [];

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'trib-lsp-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    server = spawn(process.execPath, ['--import', 'tsx', resolve('extension/src/language/server.ts'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    rpc = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    rpc.onNotification('textDocument/publishDiagnostics', (p) => {
      published.push(p);
    });
    rpc.listen();
    await rpc.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} });
    await rpc.sendNotification('initialized', {});
  });
  after(() => {
    rpc?.dispose();
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes validation problems at their exact ranges and answers the custom requests', async function () {
    this.timeout(30_000);
    const text = 'name: bad\nnodes:\n  gen:\n    component: CsvExampleGen\n    params:\n      input: x.csv\n      formt: csv\n  stats:\n    component: StatisticsGen\n    inputs:\n      examples: gen.exampels\n';
    const file = join(dir, 'bad.pipeline.yaml');
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    await rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'tributary-pipeline', version: 1, text } });
    const deadline = Date.now() + 10_000;
    while (!published.some((p) => p.uri === uri) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const diagnostics = published.find((p) => p.uri === uri)!.diagnostics;
    const byCode = Object.fromEntries(diagnostics.map((d) => [d.code, d.range.start]));
    assert.deepEqual(byCode['unknown-param'], { line: 6, character: 6 });
    // The output part of `gen.exampels`: after "      examples: gen."
    assert.deepEqual(byCode['unknown-output'], { line: 10, character: '      examples: gen.'.length });

    const validated = await rpc.sendRequest<ValidateResult>('tributary/validate', { uri });
    assert.deepEqual(validated.diagnostics.map((d) => d.code).sort(), diagnostics.map((d) => d.code).sort());

    const specs = await rpc.sendRequest<Catalog>('tributary/specs');
    assert.deepEqual(specs.components.map((c) => c.type), builtinRegistry().list().map((d) => d.spec.type));
    const csv = specs.components.find((c) => c.type === 'CsvExampleGen')!;
    assert.deepEqual(Object.keys(csv.params.properties), Object.keys(builtinRegistry().get('CsvExampleGen')!.spec.params.properties));

    const info = await rpc.sendRequest<PipelineInfo>('tributary/pipelineInfo', { uri });
    assert.deepEqual(info.nodes, [{ id: 'gen', component: 'CsvExampleGen' }, { id: 'stats', component: 'StatisticsGen' }]);
    assert.equal(info.metadataFile, join(dir, '.tributary', 'metadata'));
    assert.equal(info.metadataUrlEnv, undefined, 'no metadata section: the embedded store, or $TRIBUTARY_METADATA');
    // A pipeline whose records are on a Postgres server: the views read them through the CLI.
    const teamText = 'name: team\nmetadata: { url_env: TEAM_METADATA_URL }\nnodes:\n  gen:\n    component: CsvExampleGen\n    params:\n      input: x.csv\n';
    const teamUri = pathToFileURL(join(dir, 'team.pipeline.yaml')).href;
    await rpc.sendNotification('textDocument/didOpen', { textDocument: { uri: teamUri, languageId: 'tributary-pipeline', version: 1, text: teamText } });
    assert.equal((await rpc.sendRequest<PipelineInfo>('tributary/pipelineInfo', { uri: teamUri })).metadataUrlEnv, 'TEAM_METADATA_URL');

    const completion = await rpc.sendRequest<{ label: string }[]>('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 'component: CsvExampleGen'.length + 4 } });
    assert.ok(completion.some((i) => i.label === 'StatisticsGen'));
    const rename = await rpc.sendRequest<{ changes: Record<string, unknown[]> }>('textDocument/rename', { textDocument: { uri }, position: { line: 2, character: 3 }, newName: 'ingest' });
    assert.equal(rename.changes[uri].length, 2, 'the key and the reference');
  });
});
