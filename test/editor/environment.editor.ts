/**
 * Check Environment inside VS Code: the command asks each runtime (the extension host's own, and
 * node on PATH when it is another) for `tributary doctor --json` and opens the report.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'tributary.tributary';

describe('Tributary: Check Environment', () => {
  it('opens a read-only report of every runtime’s backends and says which runtime runs pipelines', async function () {
    this.timeout(240_000);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const choice = (await vscode.commands.executeCommand('tributary.checkEnvironment')) as { reason: string; runtime: { path: string }; probes: { report?: unknown; error?: string }[] };
    assert.ok(choice.probes.length >= 1);
    for (const p of choice.probes) assert.ok(p.report, `every runtime reports (${p.error ?? ''})`);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.scheme, 'tributary-environment');
    const text = editor!.document.getText();
    assert.match(text, /^# Tributary environment/);
    assert.ok(text.includes(choice.reason), 'the reason for the runtime is in the report');
    assert.match(text, /## VS Code's runtime \(Node v\d+/);
    assert.match(text, /TensorFlow.js backends, in the order the Trainer tries them/);
    assert.match(text, /✔ cpu\s+loads/);
    assert.match(text, /backend: auto picks (tfjs-node-gpu|webgpu|wasm|cpu)/);
    console.log(`runtime: ${choice.reason}`);
  });
});
