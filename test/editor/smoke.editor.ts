/**
 * Smoke suite inside VS Code: the extension activates, every contributed command is registered,
 * and the language server reports a broken pipeline at the right place.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'tributary.tributary';

function workspaceFolder(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  assert.ok(folder, 'the test workspace is open');
  return folder;
}

/** Resolves with a document's diagnostics once some arrive (the server validates asynchronously). */
function diagnosticsFor(uri: vscode.Uri, timeoutMs = 30_000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const now = vscode.languages.getDiagnostics(uri);
    if (now.length) return resolve(now);
    const timer = setTimeout(() => (listener.dispose(), reject(new Error(`no diagnostics for ${uri.fsPath} within ${timeoutMs} ms`))), timeoutMs);
    const listener = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const found = vscode.languages.getDiagnostics(uri);
      if (!found.length) return;
      clearTimeout(timer);
      listener.dispose();
      resolve(found);
    });
  });
}

describe('Tributary extension (smoke)', () => {
  it('activates and reports its activation time', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is loaded as the extension under development`);
    const api = (await extension.activate()) as { activationMs?: number } | undefined;
    assert.equal(extension.isActive, true);
    assert.equal(typeof api?.activationMs, 'number');
    assert.ok(api!.activationMs! >= 0);
  });

  it('registers every command its package.json contributes', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    const contributed = (extension.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 10, `package.json contributes ${contributed.length} commands`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('opens *.pipeline.yaml as a Tributary pipeline and flags an unknown component on its line', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const text = [
      'name: broken',
      'root: .tributary',
      'nodes:',
      '  example_gen:',
      '    component: CsvExampleGen',
      '    params:',
      '      input: taxi/data/taxi.csv',
      '  mystery:',
      '    component: NoSuchComponent',
      '',
    ].join('\n');
    const uri = vscode.Uri.joinPath(workspaceFolder(), `broken-${Date.now()}.pipeline.yaml`);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      assert.equal(document.languageId, 'tributary-pipeline');
      const diagnostics = await diagnosticsFor(uri);
      const expectedLine = text.split('\n').findIndex((l) => l.includes('NoSuchComponent'));
      const hit = diagnostics.find((d) => d.range.start.line === expectedLine);
      assert.ok(hit, `a diagnostic on line ${expectedLine + 1}; got ${diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).join(' | ')}`);
      assert.equal(hit.severity, vscode.DiagnosticSeverity.Error);
      assert.match(hit.message, /NoSuchComponent/);
      // A valid node produces no error of its own.
      const validLine = text.split('\n').findIndex((l) => l.includes('CsvExampleGen'));
      assert.equal(diagnostics.filter((d) => d.range.start.line === validLine).length, 0);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
    }
  });
});
