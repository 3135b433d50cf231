/**
 * In-editor tests of the canvas custom editor (run inside VS Code by scripts/editor-test through
 * test/editor/index.ts). Messages go through `_tributary.canvas.deliver`, the same validation and
 * edit path a webview message takes; the document text is the observable result.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'tributary.tributary';
const DELIVER = '_tributary.canvas.deliver';

function taxiUri(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, 'taxi', 'taxi.pipeline.yaml');
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

async function deliver(uri: vscode.Uri, message: unknown): Promise<string | undefined> {
  return vscode.commands.executeCommand<string | undefined>(DELIVER, uri, message);
}

describe('Tributary canvas', () => {
  let uri: vscode.Uri;
  let document: vscode.TextDocument;
  let original: string;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    uri = taxiUri();
    document = await vscode.workspace.openTextDocument(uri);
    original = document.getText();
    await vscode.commands.executeCommand('vscode.openWith', uri, 'tributary.canvas');
    // The provider has a session for the document once the custom editor resolved.
    await until('the canvas to open', async () => {
      try {
        return (await deliver(uri, { type: 'moveNodes', positions: { example_gen: { x: 0, y: 0 } } })) === undefined;
      } catch {
        return undefined;
      }
    });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('opens the taxi sample in the canvas as the active custom editor', () => {
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is a custom editor');
    assert.equal(tab.input.viewType, 'tributary.canvas');
    assert.equal(tab.input.uri.toString(), uri.toString());
  });

  it('an addNode intent edits the YAML: new node, layout entry, comments kept, document dirty', async () => {
    const refusal = await deliver(uri, { type: 'addNode', component: 'StatisticsGen', position: { x: 300.4, y: 240 } });
    assert.equal(refusal, undefined);
    const text = await until('the document to change', () => (document.getText() !== original ? document.getText() : undefined));
    assert.match(text, /\n {2}statistics_gen_2:\n {4}component: StatisticsGen\n/);
    assert.match(text, /\n {2}statistics_gen_2: \{ x: 300, y: 240 \}/);
    for (const line of original.split('\n').filter((l) => l.trimStart().startsWith('#'))) assert.ok(text.includes(line), line);
    assert.equal(document.isDirty, true);
  });

  it('refuses an incompatible connection with the reason and leaves the text alone', async () => {
    const before = document.getText();
    const reason = await deliver(uri, { type: 'connect', node: 'schema_gen', input: 'statistics', source: { node: 'example_gen', output: 'examples' } });
    assert.match(reason ?? '', /Examples.*ExampleStatistics/);
    assert.equal(document.getText(), before);
  });

  it('refuses malformed messages before acting on them', async () => {
    const before = document.getText();
    assert.match((await deliver(uri, { type: 'addNode', component: 'X', position: { x: 'a', y: 0 } })) ?? '', /position\/x/);
    assert.match((await deliver(uri, { type: 'runCommand', command: 'workbench.action.quit' })) ?? '', /unknown message type/);
    assert.equal(document.getText(), before);
  });

  it('connect, then undo through VS Code restores the text', async () => {
    const before = document.getText();
    assert.equal(await deliver(uri, { type: 'connect', node: 'statistics_gen_2', input: 'examples', source: { node: 'example_gen', output: 'examples' } }), undefined);
    await until('the connection', () => document.getText().includes('      examples: example_gen.examples\n') && document.getText() !== before);
    await vscode.commands.executeCommand('undo');
    await until('undo to restore the text', () => document.getText() === before);
  });
});
