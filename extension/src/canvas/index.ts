import * as vscode from 'vscode';
import { CANVAS_VIEW_TYPE, CanvasEditorProvider, type CanvasOptions } from './provider.ts';

export { CANVAS_VIEW_TYPE, type CanvasOptions } from './provider.ts';
export type { PipelineRunState, RunStateFeed } from './run-feed.ts';

/** Internal command: sends a message to an open canvas exactly as its webview would (tests, menus). */
export const CANVAS_DELIVER_COMMAND = '_tributary.canvas.deliver';

/**
 * Registers the canvas custom editor. Called once from activation (extension.ts, EXT-A), which
 * passes the language client's `tributary/specs` request and the run tracker when it has them.
 */
export function registerCanvasEditor(context: vscode.ExtensionContext, options: CanvasOptions = {}): CanvasEditorProvider {
  const provider = new CanvasEditorProvider(context.extensionUri, options);
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(CANVAS_VIEW_TYPE, provider, {
      // Split views of one file: each canvas follows the same document.
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    vscode.commands.registerCommand(CANVAS_DELIVER_COMMAND, (uri: vscode.Uri, message: unknown) => provider.deliver(uri, message)),
  );
  return provider;
}
