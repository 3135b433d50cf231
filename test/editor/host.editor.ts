/**
 * In-editor tests of the extension host and the language server (run inside VS Code by
 * scripts/editor-test/run-suite.ts through test/editor/index.ts; not picked up by the plain
 * `mocha` run, whose spec is test/**\/*.test.ts). The workspace is a copy of samples/taxi.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import type { TributaryApi } from '../../extension/src/extension.ts';
import type { RunsNode } from '../../extension/src/views/trees.ts';
import { generateTaxiRows } from '../../samples/taxi/generate.ts';

const EXTENSION_ID = 'tributary.tributary';

async function api(): Promise<TributaryApi> {
  const extension = vscode.extensions.getExtension<TributaryApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is installed`);
  return extension.activate();
}

function workspaceUri(...path: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, ...path);
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const BAD = `name: bad
nodes:
  gen:
    component: CsvExampleGen
    params:
      input: taxi/data/taxi.csv
      formt: csv
  stats:
    component: StatisticsGen
    inputs:
      examples: gen.examples
`;

describe('Tributary host', () => {
  it('activates and registers every contributed command', async () => {
    const tributary = await api();
    console.log(`activation: ${tributary.activationMs.toFixed(1)} ms`);
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[])
      .map((c) => c.command)
      // EXT-C's viewer command is registered by the viewers module.
      .filter((c) => c !== 'tributary.viewers.open');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
  });

  describe('language features', () => {
    let uri: vscode.Uri;
    let doc: vscode.TextDocument;
    before(async () => {
      await api();
      uri = workspaceUri('bad.pipeline.yaml');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(BAD));
      doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
    });
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
    });

    it('diagnostics appear at the exact range of a bad parameter', async () => {
      const diagnostics = await until('diagnostics', () => {
        const found = vscode.languages.getDiagnostics(uri);
        return found.length ? found : undefined;
      });
      const unknown = diagnostics.find((d) => d.code === 'unknown-param');
      assert.ok(unknown, JSON.stringify(diagnostics));
      assert.deepEqual([unknown.range.start.line, unknown.range.start.character, unknown.range.end.character], [6, 6, 11]);
      assert.match(unknown.message, /did you mean "format"/i);
      // The "Did you mean" is one quick fix away (the lightbulb's CodeAction).
      const actions = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, unknown.range)) ?? [];
      const fix = actions.find((a) => a.title === 'Change to "format"') as vscode.CodeAction | undefined;
      assert.ok(fix, `code actions: ${actions.map((a) => a.title).join(', ') || 'none'}`);
      assert.ok(fix.kind && vscode.CodeActionKind.QuickFix.contains(fix.kind), `kind ${fix.kind?.value}`);
    });

    it('completion offers the registry’s component types', async () => {
      const { components } = await (await api()).specs();
      const line = doc.lineAt(8).text; // "    component: StatisticsGen"
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(8, line.length));
      const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      for (const c of components) assert.ok(labels.includes(c.type), `${c.type} in ${labels.join(', ')}`);
    });

    it('hover shows the component’s description', async () => {
      const { components } = await (await api()).specs();
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(8, 20));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.ok(text.includes(components.find((c) => c.type === 'StatisticsGen')!.description), text);
    });

    it('rename of a node id updates its key and every reference', async () => {
      const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', uri, new vscode.Position(2, 3), 'ingest');
      const edits = edit.get(uri);
      assert.deepEqual(
        edits.map((e) => [e.range.start.line, e.newText]),
        [
          [2, 'ingest'],
          [10, 'ingest.examples'],
        ],
      );
    });

    it('the outline lists the nodes', async () => {
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
      assert.deepEqual(symbols.map((s) => [s.name, s.detail]), [
        ['gen', 'CsvExampleGen'],
        ['stats', 'StatisticsGen'],
      ]);
    });
  });

  describe('running', () => {
    it('Run Pipeline runs out of process and the Runs view shows the run', async function () {
      this.timeout(180_000);
      const tributary = await api();
      const uri = workspaceUri('taxi', 'taxi.pipeline.yaml');
      const states: string[] = [];
      const listener = tributary.runStates.onDidChange((run) => {
        if (run.pipelineUri === uri.toString()) states.push(run.phase);
      });
      const phase = await vscode.commands.executeCommand<string>('tributary.run', uri);
      listener.dispose();
      assert.equal(phase, 'complete');
      assert.ok(states.includes('running'));
      const run = tributary.runStates.current(uri.toString())!;
      // The full taxi sample; independent nodes run in parallel, so compare sets, not order.
      const nodes = ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator', 'transform', 'trainer', 'evaluator', 'infra_validator', 'pusher'];
      assert.deepEqual(Object.values(run.nodes).map((n) => n.state), nodes.map(() => 'succeeded'));

      const runs = await until('the run in the Runs view', async () => {
        const top = await tributary.runsView.getChildren();
        const pipeline = top.find((n): n is Extract<RunsNode, { kind: 'pipeline' }> => n.kind === 'pipeline' && n.pipeline.uri.toString() === uri.toString());
        const children = pipeline ? await tributary.runsView.getChildren(pipeline) : top;
        const found = children.filter((n): n is Extract<RunsNode, { kind: 'run' }> => n.kind === 'run');
        return found.length ? found : undefined;
      });
      assert.equal(runs[0].run.runId, run.runId);
      const executions = await tributary.runsView.getChildren(runs[0]);
      assert.deepEqual(executions.map((n) => (n.kind === 'execution' ? n.execution.nodeId : n.kind)).sort(), [...nodes].sort());
      const item = tributary.runsView.getTreeItem(executions[0]);
      assert.equal(item.command?.command, 'tributary.openNodeLog');
    });
  });
});

describe('Models view', () => {
  // Needs the taxi model pushed: "Run Pipeline runs out of process…" above runs the whole sample.
  it('shows the taxi sample’s registry after the push: versions and labels as on disk, the split from its index', async () => {
    const tributary = await api();
    const registry = workspaceUri('taxi', '.tributary', 'registry');
    const modelDir = vscode.Uri.joinPath(registry, 'taxi');
    const versions = (await vscode.workspace.fs.readDirectory(modelDir))
      .filter(([name, type]) => type === vscode.FileType.Directory && /^[1-9][0-9]*$/.test(name))
      .map(([name]) => Number(name))
      .sort((a, b) => b - a);
    assert.ok(versions.length > 0, 'the running test pushed the taxi model');
    const indexUri = vscode.Uri.joinPath(modelDir, 'index.json');
    const original = await vscode.workspace.fs.readFile(indexUri);
    const index = JSON.parse(new TextDecoder().decode(original)) as { labels: Record<string, number> };
    assert.equal(typeof index.labels.stable, 'number', 'the Pusher labels its push "stable"');

    const shown = await until('the registry in the Models view', async () => (await tributary.models.registries()).find((r) => r.dir === registry.fsPath));
    assert.ok(shown.sources.some((s) => s.endsWith('taxi.pipeline.yaml')), shown.sources.join(', '));
    const model = shown.models.find((m) => m.name === 'taxi');
    assert.ok(model, shown.models.map((m) => m.name).join(', '));
    assert.deepEqual(model.versions.map((v) => v.version), versions);
    assert.deepEqual(model.versions.find((v) => v.version === index.labels.stable)?.labels, ['stable']);

    // A split written into the index (what `tributary traffic` does) shows as each version's share.
    try {
      await vscode.workspace.fs.writeFile(indexUri, new TextEncoder().encode(JSON.stringify({ ...index, traffic: { weights: { stable: 3, [String(versions.at(-1))]: 1 } } })));
      const split = (await tributary.models.registries()).find((r) => r.dir === registry.fsPath)!.models.find((m) => m.name === 'taxi')!;
      const share = Object.fromEntries(split.versions.map((v) => [v.version, v.sharePct]));
      const expected: Record<number, number> = Object.fromEntries(versions.map((v) => [v, 0]));
      expected[index.labels.stable] += 75;
      expected[versions.at(-1)!] += 25;
      assert.deepEqual(share, expected);
    } finally {
      await vscode.workspace.fs.writeFile(indexUri, original);
    }
  });

  it('finds a server started outside this window (a plain process, no terminal) and shows its live numbers', async function () {
    this.timeout(60_000);
    const tributary = await api();
    const registry = workspaceUri('taxi', '.tributary', 'registry');
    const cli = vscode.Uri.joinPath(vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri, 'dist', 'runtime', 'cli.js').fsPath;
    const server = spawn(process.execPath, [cli, 'serve', registry.fsPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((done, fail) => {
        let out = '';
        server.stdout!.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          const m = /at http:\/\/127\.0\.0\.1:([0-9]+)\//.exec(out);
          if (m) done(Number(m[1]));
        });
        server.on('exit', (code) => fail(new Error(`tributary serve exited ${code}: ${out}`)));
      });
      const { model_version_status: versions } = (await (await fetch(`http://127.0.0.1:${port}/v1/models/taxi`)).json()) as { model_version_status: { version: string }[] };
      const newest = Math.max(...versions.map((v) => Number(v.version)));
      for (const { tips: _label, ...row } of generateTaxiRows(3, 5)) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/models/taxi/versions/${newest}:predict`, { method: 'POST', body: JSON.stringify({ instances: [row] }) });
        assert.equal(response.status, 200, await response.text());
      }
      const served = await until('the outside server in the Models view', async () => {
        const r = (await tributary.models.registries()).find((x) => x.dir === registry.fsPath);
        return r?.server?.state === 'up' && r.server.port === port ? r : undefined;
      });
      assert.equal(served.server!.pid, server.pid);
      assert.ok(served.sources.includes(`served at 127.0.0.1:${port} (process ${server.pid}, started outside this window)`), served.sources.join(', '));
      const stats = served.models.find((m) => m.name === 'taxi')!.versions.find((v) => v.version === newest)!.stats;
      assert.deepEqual([stats?.requests, stats?.errors], [3, 0], JSON.stringify(stats));
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(undefined)));
    }
    await until('the stopped server gone from the view', async () => {
      const r = (await tributary.models.registries()).find((x) => x.dir === registry.fsPath);
      return r && !r.server ? r : undefined;
    });
  });
});
