/**
 * The artifact viewers' WebviewPanels: one reusable tab per viewer kind, unless pinned (the page's
 * Pin button, or VS Code's own); the same thing opened again reveals the tab that shows it. Every
 * message from the page is validated against protocol/messages.ts before it is acted on.
 */
import * as vscode from 'vscode';
import type { HostToViewer } from '../../../protocol/messages.ts';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { makeNonce, viewerHtml } from './html.ts';
import { checkViewerMessage } from './messages.ts';
import { chooseTab, setPinned, type SlotEntry } from './tab-slots.ts';

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
  /** Approve or reject a waiting ManualApproval node, then show the viewer again. */
  decide?(runId: string, nodeId: string, reject: boolean): void;
  log(message: string): void;
}

interface Entry extends SlotEntry {
  panel: vscode.WebviewPanel;
  show(payload: ViewerPayload, handlers: PanelHandlers): void;
  /** Tells the page whether it is pinned (its Pin button). */
  sendPinned(): void;
}

/**
 * VS Code's own pin (the tab's context menu) counts as pinned too. The API has no tab → panel link:
 * the tab is found by its viewer type and title, which are the panel's.
 */
function pinnedInWorkbench(panel: vscode.WebviewPanel): boolean {
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.isPinned && tab.label === panel.title && tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(VIEWER_PANEL_TYPE)),
  );
}

export class ViewerPanels implements vscode.Disposable {
  private readonly entries = new Set<Entry>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /**
   * Shows `payload` (whose identity is `key`): in the tab already showing it, else in the reusable
   * tab of its kind, else in a new tab (see tab-slots.ts).
   */
  show(key: string, payload: ViewerPayload, handlers: PanelHandlers): vscode.WebviewPanel {
    for (const e of this.entries) if (!e.pinned && pinnedInWorkbench(e.panel)) this.setPinned(e, true);
    const chosen = chooseTab(this.entries, key, payload.kind);
    if (chosen) {
      chosen.entry.contentKey = key;
      chosen.entry.show(payload, handlers);
      chosen.entry.panel.reveal();
      return chosen.entry.panel;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(VIEWER_PANEL_TYPE, titleOf(payload), vscode.ViewColumn.Active, {
      enableScripts: true,
      // Only the bundled viewer app (its CSS carries the codicon font): nothing else is readable.
      localResourceRoots: [root],
      retainContextWhenHidden: false,
    });
    let current = payload;
    let currentHandlers = handlers;
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
    const entry: Entry = {
      panel,
      contentKey: key,
      kind: payload.kind,
      pinned: false,
      show: (next, nextHandlers) => {
        current = next;
        currentHandlers = nextHandlers;
        panel.title = titleOf(next);
        if (ready) post({ type: 'show', payload: next });
      },
      sendPinned: () => {
        if (ready) post({ type: 'pinned', pinned: entry.pinned });
      },
    };
    panel.webview.onDidReceiveMessage((raw) => {
      const check = checkViewerMessage(raw);
      if (!check.ok) return currentHandlers.log(`viewer message refused: ${check.reason}`);
      switch (check.message.type) {
        case 'ready':
          ready = true;
          post({ type: 'show', payload: current });
          return post({ type: 'pinned', pinned: entry.pinned });
        case 'openArtifact':
          return currentHandlers.openArtifact(check.message.artifactId);
        case 'decide':
          if (!currentHandlers.decide) return currentHandlers.log('viewer message refused: this viewer decides no approvals');
          return currentHandlers.decide(check.message.runId, check.message.nodeId, check.message.reject);
        case 'pin':
          return this.setPinned(entry, check.message.pinned);
      }
    });
    this.entries.add(entry);
    panel.onDidDispose(() => this.entries.delete(entry));
    return panel;
  }

  private setPinned(entry: Entry, pinned: boolean): void {
    for (const changed of setPinned(this.entries, entry, pinned)) changed.sendPinned();
  }

  dispose(): void {
    for (const { panel } of this.entries) panel.dispose();
    this.entries.clear();
  }
}
