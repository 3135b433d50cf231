/**
 * The artifact viewers' WebviewPanels: one panel per artifact (or lineage / comparison), reused
 * when the same thing is opened again. Every message from the page is validated against
 * protocol/messages.ts before it is acted on.
 */
import * as vscode from 'vscode';
import type { HostToViewer } from '../../../protocol/messages.ts';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { makeNonce, viewerHtml } from './html.ts';
import { checkViewerMessage } from './messages.ts';

export const VIEWER_PANEL_TYPE = 'tributary.viewer';

export function titleOf(payload: ViewerPayload): string {
  switch (payload.kind) {
    case 'compare':
      return `Compare ${payload.runs.length} runs`;
    case 'trends':
      return `Trends: ${payload.trends.feature}`;
    case 'lineage':
      return `Lineage: ${payload.artifact.type} #${payload.artifact.id}`;
    case 'model':
      return `Model #${payload.artifact.id}`;
    case 'evaluation':
      return `Evaluation #${payload.artifact.id}`;
    default:
      return `${payload.artifact.type} #${payload.artifact.id}`;
  }
}

export interface PanelHandlers {
  openArtifact(artifactId: number): void;
  /** Opens an execution's log in an editor (lineage). */
  openLog?(executionId: number): void;
  /** Approve or reject a waiting ManualApproval node, then show the viewer again. */
  decide?(runId: string, nodeId: string, reject: boolean): void;
  log(message: string): void;
}

export class ViewerPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; show(payload: ViewerPayload): void }>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Shows `payload` in the panel for `key`, creating the panel the first time. */
  show(key: string, payload: ViewerPayload, handlers: PanelHandlers): vscode.WebviewPanel {
    const existing = this.panels.get(key);
    if (existing) {
      existing.show(payload);
      existing.panel.reveal();
      return existing.panel;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(VIEWER_PANEL_TYPE, titleOf(payload), vscode.ViewColumn.Active, {
      enableScripts: true,
      // Only the bundled viewer app (its CSS carries the codicon font): nothing else is readable.
      localResourceRoots: [root],
      retainContextWhenHidden: false,
    });
    let current = payload;
    let ready = false;
    const post = (message: HostToViewer) => void panel.webview.postMessage(message);
    const nonce = makeNonce();
    panel.webview.html = viewerHtml({
      cspSource: panel.webview.cspSource,
      nonce,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'viewers.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'viewers.css')).toString(),
      title: titleOf(payload),
    });
    panel.webview.onDidReceiveMessage((raw) => {
      const check = checkViewerMessage(raw);
      if (!check.ok) return handlers.log(`viewer message refused: ${check.reason}`);
      switch (check.message.type) {
        case 'ready':
          ready = true;
          return post({ type: 'show', payload: current });
        case 'openArtifact':
          return handlers.openArtifact(check.message.artifactId);
        case 'openLog':
          if (!handlers.openLog) return handlers.log('viewer message refused: this viewer opens no logs');
          return handlers.openLog(check.message.executionId);
        case 'decide':
          if (!handlers.decide) return handlers.log('viewer message refused: this viewer decides no approvals');
          return handlers.decide(check.message.runId, check.message.nodeId, check.message.reject);
      }
    });
    const entry = {
      panel,
      show: (next: ViewerPayload) => {
        current = next;
        panel.title = titleOf(next);
        if (ready) post({ type: 'show', payload: next });
      },
    };
    this.panels.set(key, entry);
    panel.onDidDispose(() => this.panels.delete(key));
    return panel;
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
  }
}
