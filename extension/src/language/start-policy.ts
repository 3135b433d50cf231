/**
 * When the language server starts. Diagnostics and the trees need it, but a server starting with
 * the window competes with a canvas opened right away, so by default it starts `delayMs` after
 * activation — unless a pipeline is shown as text, where its diagnostics are what the user is
 * waiting for: then at once. (Requests start it earlier still; see LazyLanguageClient.)
 * VS Code is passed in, so the policy runs under plain Node in tests.
 */
import type * as vscode from 'vscode';

type Editors = readonly Pick<vscode.TextEditor, 'document'>[];

export interface StartPolicyHost {
  visibleTextEditors: Editors;
  onDidChangeVisibleTextEditors(listener: (editors: Editors) => void): vscode.Disposable;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const showsPipelineText = (editors: Editors): boolean => editors.some((e) => e.document.uri.path.endsWith('.pipeline.yaml'));

/** Calls `start` once: at once, when a pipeline text shows, or after `delayMs`, whichever is first. */
export function scheduleServerStart(host: StartPolicyHost, start: () => void, delayMs: number): vscode.Disposable {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    host.clearTimeout(timer);
    shown.dispose();
    start();
  };
  const timer = host.setTimeout(once, delayMs);
  const shown = host.onDidChangeVisibleTextEditors((editors) => {
    if (showsPipelineText(editors)) once();
  });
  if (showsPipelineText(host.visibleTextEditors)) once();
  return {
    dispose: () => {
      done = true;
      host.clearTimeout(timer);
      shown.dispose();
    },
  };
}
