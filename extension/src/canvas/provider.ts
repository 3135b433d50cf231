import { dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { isMap } from 'yaml';
import { parsePipeline, findPair, isUserError, suggestionIn } from '../../../runtime/src/host-api.ts';
import type { ArtifactLink, CanvasIntent, ComponentInfo, HostToCanvas, NodeAction, NodeInspection, Problem } from '../../../protocol/messages.ts';
import type { CliRunner, StoreSource } from '../views/store-source.ts';
import { canvasModel } from './document-model.ts';
import { inspectPipelineNode, logTail } from './inspect.ts';
import { InspectionFollower } from './inspection-follower.ts';
import { canvasHtml, makeNonce } from './html.ts';
import { editsForIntent } from './intents.ts';
import { locate } from './locate.ts';
import { checkCanvasMessage } from './messages.ts';
import type { RunStateFeed } from './run-feed.ts';
import { localSpecs, mergeSpecs, specMap } from './specs.ts';

export { CANVAS_VIEW_TYPE } from './view-type.ts';

export interface CanvasOptions {
  /** The language server's `tributary/specs` answer (full registry + custom components). */
  requestSpecs?: (document: vscode.Uri) => Promise<readonly ComponentInfo[] | undefined>;
  runStates?: RunStateFeed;
  log?: (message: string) => void;
  /** Where the pipeline's store is (the language server knows): the inspector reads it. */
  storeOf?: (document: vscode.Uri) => Promise<StoreSource>;
  /** The CLI, out of process: how the inspector reads a store on a Postgres server. */
  cli?: CliRunner;
  /** Fires when a pipeline's store may have changed (a run anywhere): the inspector follows it. */
  onStoreChange?: (listener: () => void) => vscode.Disposable;
}

/** How long an edit waits for the language server's specs before going ahead with the local ones. */
const SPECS_WAIT_MS = 10_000;

export const RESTRICTED_REASON =
  'Restricted Mode: this workspace is not trusted, so the canvas is read-only. Trust the workspace to edit and run pipelines.';

/**
 * The canvas for `*.pipeline.yaml`. The text document is the only state: the webview draws what
 * the host derives from the text and sends back edit intents, which become WorkspaceEdits; undo,
 * redo, dirty state, save, revert, hot exit and split views are VS Code's own.
 */
export class CanvasEditorProvider implements vscode.CustomTextEditorProvider {
  /** Open canvases by document, so commands and tests can send intents the way the webview does. */
  private readonly sessions = new Map<string, CanvasSession>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly options: CanvasOptions = {},
  ) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const session = new CanvasSession(document, panel, this.extensionUri, this.options);
    const key = document.uri.toString();
    this.sessions.set(key, session);
    panel.onDidDispose(() => {
      session.dispose();
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
  }

  /** Runs a raw message through exactly the webview's path (validation, then edit). */
  async deliver(uri: vscode.Uri, raw: unknown): Promise<string | undefined> {
    const session = this.sessions.get(uri.toString());
    if (!session) throw new Error(`No canvas is open for ${uri.toString()}`);
    return session.receive(raw);
  }
}

class CanvasSession {
  private readonly disposables: vscode.Disposable[] = [];
  private specs: ComponentInfo[] = localSpecs();
  private readOnlyReason = vscode.workspace.isTrusted ? undefined : RESTRICTED_REASON;
  private ready = false;
  private specsRequested: Promise<void> | undefined;
  private updateTimer: ReturnType<typeof setTimeout> | undefined;
  /** The artifacts the last inspections offered: the only ones `openArtifact` may open. */
  private readonly offered = new Map<number, ArtifactLink>();
  private readonly inspections = new Map<string, NodeInspection>();
  /** Re-reads the inspected node when the store changes, and while its execution runs. */
  private readonly follower = new InspectionFollower(
    (nodeId) => this.readInspection(nodeId),
    (inspection) => {
      this.inspections.set(inspection.nodeId, inspection);
      this.post({ type: 'inspection', inspection });
    },
  );
  /** Intents apply one at a time, each against the text the previous one produced. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly document: vscode.TextDocument,
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly options: CanvasOptions,
  ) {
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const webview = panel.webview;
    webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    webview.html = canvasHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'canvas.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'canvas.css')).toString(),
      title: `Pipeline canvas: ${vscode.workspace.asRelativePath(document.uri)}`,
    });
    const uri = document.uri.toString();
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === uri && e.contentChanges.length > 0) this.scheduleUpdate();
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (e.uris.some((u) => u.toString() === uri)) this.scheduleUpdate();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.readOnlyReason = undefined;
        this.sendInit();
      }),
    );
    if (options.onStoreChange) this.disposables.push(options.onStoreChange(() => this.follower.storeChanged()));
    if (options.runStates) {
      this.disposables.push(
        options.runStates.onDidChange((state) => {
          if (state.pipelineUri === uri) this.post({ type: 'runState', runId: state.runId, nodes: state.nodes });
        }),
      );
    }
  }

  dispose(): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.follower.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private post(message: HostToCanvas): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private log(message: string): void {
    (this.options.log ?? console.warn)(`[canvas] ${message}`);
  }

  private async fetchSpecs(): Promise<void> {
    if (!this.options.requestSpecs) return;
    try {
      const fromServer = await this.options.requestSpecs(this.document.uri);
      if (!fromServer) return;
      this.specs = mergeSpecs(localSpecs(), fromServer);
      this.post({ type: 'specs', specs: this.specs });
    } catch (e) {
      this.log(`component specs from the language server failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Typing produces an event per keystroke: coalesce them into one parse and one message. */
  private scheduleUpdate(): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = setTimeout(() => {
      this.updateTimer = undefined;
      this.post({ type: 'document', model: this.model() });
    }, 30);
  }

  private model() {
    const parsed = parsePipeline(this.document.getText(), this.document.uri.fsPath);
    const problems: Problem[] = vscode.languages.getDiagnostics(this.document.uri).map((d) => ({
      severity: d.severity === vscode.DiagnosticSeverity.Error ? 'error' : d.severity === vscode.DiagnosticSeverity.Warning ? 'warning' : 'info',
      message: d.message,
      ...(d.code !== undefined ? { code: String(typeof d.code === 'object' ? d.code.value : d.code) } : {}),
      ...locate(parsed, this.document.offsetAt(d.range.start)),
      line: d.range.start.line,
      ...(suggestionIn(d.message) ? { fix: suggestionIn(d.message) } : {}),
    }));
    return canvasModel(parsed, problems);
  }

  private sendInit(): void {
    this.post({ type: 'init', model: this.model(), specs: this.specs, readOnly: this.readOnlyReason !== undefined, readOnlyReason: this.readOnlyReason });
    const run = this.options.runStates?.current(this.document.uri.toString());
    if (run) this.post({ type: 'runState', runId: run.runId, nodes: run.nodes });
  }

  /** Returns the refusal reason, if any (for tests and commands); the webview is told too. */
  receive(raw: unknown): Promise<string | undefined> {
    const check = checkCanvasMessage(raw);
    if (!check.ok) {
      this.log(`ignored a message from the webview: ${check.reason}`);
      return Promise.resolve(check.reason);
    }
    const message = check.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        // Only now ask the language server (which may still be starting): the first paint uses the
        // document and the local specs, and never waits for, or competes with, the server's start.
        this.specsRequested ??= this.fetchSpecs();
        return Promise.resolve(undefined);
      case 'showText':
        return this.showText(message.node, message.line).then(() => undefined);
      case 'inspect':
        return this.follower.inspect(message.node).then(() => undefined);
      case 'applyFix':
        return this.applyFix(message.line, message.fix);
      case 'nodeAction':
        return this.nodeAction(message.node, message.action);
      case 'openArtifact': {
        const artifact = this.offered.get(message.artifactId);
        if (!artifact) return Promise.resolve(`artifact #${message.artifactId} was not offered by an inspection`);
        return this.openArtifacts([artifact]).then(() => undefined);
      }
      default: {
        const run = this.queue.then(() => this.apply(message));
        this.queue = run.catch(() => undefined);
        return run;
      }
    }
  }

  private async apply(intent: CanvasIntent): Promise<string | undefined> {
    if (this.readOnlyReason) return this.refuse(intent, this.readOnlyReason);
    // Edits are checked against the specs (port types, parameter defaults): let the server's answer
    // land first, which an edit made right after the first paint may otherwise miss. Bounded, so
    // a server that never answers leaves edits checked against the local specs.
    this.specsRequested ??= this.fetchSpecs();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.specsRequested, new Promise((resolve) => (timer = setTimeout(resolve, SPECS_WAIT_MS)))]);
    clearTimeout(timer);
    try {
      const parsed = parsePipeline(this.document.getText(), this.document.uri.fsPath);
      const edits = editsForIntent(parsed, intent, specMap(this.specs));
      if (edits.length === 0) return undefined;
      const workspaceEdit = new vscode.WorkspaceEdit();
      for (const edit of edits) {
        const range = new vscode.Range(this.document.positionAt(edit.offset), this.document.positionAt(edit.offset + edit.length));
        workspaceEdit.replace(this.document.uri, range, edit.newText);
      }
      if (!(await vscode.workspace.applyEdit(workspaceEdit))) return this.refuse(intent, 'VS Code did not apply the edit (is the file read-only?).');
      return undefined;
    } catch (e) {
      if (!isUserError(e)) this.log(`intent ${intent.type} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      const at = isUserError(e) ? e.location : undefined;
      return this.refuse(intent, e instanceof Error ? e.message : String(e), at?.nodeId, at?.field);
    }
  }

  private refuse(intent: CanvasIntent, reason: string, nodeId?: string, field?: string): string {
    this.post({ type: 'refused', intent: intent.type, reason, ...(nodeId ? { nodeId } : {}), ...(field ? { field } : {}) });
    // A refused edit leaves the webview showing what it optimistically drew: redraw from the text.
    this.post({ type: 'document', model: this.model() });
    return reason;
  }

  /** The canvas's "Change to x": the same replacement as the text's quick fix, one undo step. */
  private async applyFix(line: number, fix: string): Promise<string | undefined> {
    if (this.readOnlyReason) return this.refuseMessage('applyFix', this.readOnlyReason);
    const diagnostic = vscode.languages.getDiagnostics(this.document.uri).find((d) => d.range.start.line === line && suggestionIn(d.message) === fix);
    if (!diagnostic) return this.refuseMessage('applyFix', 'That problem is gone: the text changed.');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.document.uri, diagnostic.range, fix);
    return (await vscode.workspace.applyEdit(edit)) ? undefined : this.refuseMessage('applyFix', 'VS Code did not apply the edit (is the file read-only?).');
  }

  private refuseMessage(intent: string, reason: string): string {
    this.post({ type: 'refused', intent, reason });
    return reason;
  }

  /** The node's last execution from the store, with its log's tail; undefined when it cannot be read (logged). */
  private async readInspection(nodeId: string): Promise<NodeInspection | undefined> {
    if (!this.options.storeOf) return undefined;
    try {
      const source = await this.options.storeOf(this.document.uri);
      const inspection = await inspectPipelineNode(source, nodeId, this.options.cli);
      if (inspection.execution) inspection.logTail = logTail(resolve(dirname(source.metadataFile), inspection.execution.logFile));
      for (const a of [...inspection.inputs, ...inspection.outputs]) this.offered.set(a.id, a);
      return inspection;
    } catch (e) {
      this.log(`inspecting ${nodeId} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  private async openArtifacts(artifacts: readonly ArtifactLink[], command = 'tributary.openArtifact'): Promise<void> {
    for (const a of artifacts) await vscode.commands.executeCommand(command, { artifactId: a.id, type: a.type, uri: a.uri, pipelineUri: this.document.uri.toString() });
  }

  /** The inspector's buttons and the node's context menu, as the commands the palette has. */
  private async nodeAction(nodeId: string, action: NodeAction): Promise<string | undefined> {
    const target = { uri: this.document.uri, nodeId };
    if (action === 'runNode') return void (await vscode.commands.executeCommand('tributary.runNode', target));
    if (action === 'runFrom') return void (await vscode.commands.executeCommand('tributary.runFromNode', target));
    const inspection = this.inspections.get(nodeId) ?? (await this.follower.inspect(nodeId));
    const none = (what: string) => {
      void vscode.window.showInformationMessage(`${nodeId} has no ${what} yet: run it first.`);
      return `no ${what}`;
    };
    switch (action) {
      case 'openLog':
        if (!inspection?.execution) return none('log');
        return void (await vscode.commands.executeCommand('tributary.openNodeLog', { logFile: inspection.execution.logFile, nodeId }));
      case 'openOutputs':
        if (!inspection?.outputs.length) return none('outputs');
        return void (await this.openArtifacts(inspection.outputs));
      case 'showLineage':
        if (!inspection?.outputs.length) return none('outputs');
        return void (await this.openArtifacts(inspection.outputs.slice(0, 1), 'tributary.showLineage'));
    }
  }

  private async showText(nodeId: string | undefined, line: number | undefined): Promise<void> {
    let target = line ?? 0;
    if (nodeId !== undefined && line === undefined) {
      const parsed = parsePipeline(this.document.getText(), this.document.uri.fsPath);
      const root = parsed.document.contents;
      const nodes = isMap(root) ? findPair(root, 'nodes') : undefined;
      const key = nodes && isMap(nodes.value) ? findPair(nodes.value, nodeId)?.key : undefined;
      if (key?.range) target = this.document.positionAt(key.range[0]).line;
    }
    const position = new vscode.Position(Math.min(target, this.document.lineCount - 1), 0);
    await vscode.window.showTextDocument(this.document, {
      viewColumn: vscode.ViewColumn.Beside,
      selection: new vscode.Range(position, position),
      preserveFocus: false,
    });
  }
}
