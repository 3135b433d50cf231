import * as vscode from 'vscode';
import type { CanvasEditorProvider, CanvasOptions } from './provider.ts';
import { CANVAS_DELIVER_COMMAND, CANVAS_VIEW_TYPE } from './view-type.ts';

export type { CanvasOptions } from './provider.ts';

/**
 * Registers the canvas custom editor. Called once from activation (extension.ts), which passes the
 * language client's `tributary/specs` request and the run tracker. The provider (YAML, Ajv, the
 * runtime's pipeline parser) is loaded by `load` only when the first canvas opens, so activation
 * stays cheap; the contribution itself is static in package.json.
 */
export function registerCanvasEditor(
  context: vscode.ExtensionContext,
  options: CanvasOptions,
  load: () => { CanvasEditorProvider: typeof CanvasEditorProvider },
): void {
  let provider: CanvasEditorProvider | undefined;
  const get = () => (provider ??= new (load().CanvasEditorProvider)(context.extensionUri, options));
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      CANVAS_VIEW_TYPE,
      { resolveCustomTextEditor: (document, panel) => get().resolveCustomTextEditor(document, panel) },
      {
        // Split views of one file: each canvas follows the same document.
        supportsMultipleEditorsPerDocument: true,
        webviewOptions: { retainContextWhenHidden: false },
      },
    ),
    vscode.commands.registerCommand(CANVAS_DELIVER_COMMAND, (uri: vscode.Uri, message: unknown) => get().deliver(uri, message)),
  );
  // Activation comes from opening a pipeline, which usually leads to its canvas: load the
  // provider's bundle in the background a moment later, off the first canvas's critical path
  // (activation itself stays as cheap as before). A failure here is reported by the first canvas.
  const prewarm = setTimeout(() => {
    try {
      load();
    } catch {
      /* get() loads again and shows the error */
    }
  }, 1500);
  context.subscriptions.push({ dispose: () => clearTimeout(prewarm) });
}
