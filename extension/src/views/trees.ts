/**
 * The "Tributary" side bar: Runs (pipeline → runs → nodes → output artifacts) and Artifacts
 * (grouped by type). Both read `<root>/metadata/` (the pipeline's own runs) of each pipeline in the workspace and
 * refresh when a store changes on disk or a run reports progress.
 */
import * as vscode from 'vscode';
import { describeCpu, describeRuntime, storeStamp } from '../../../runtime/src/host-api.ts';
import type { LanguageApi } from '../language/lazy-client.ts';
import type { PipelineInfo } from '../language/protocol.ts';
import type { RunStates } from '../runs/state.ts';
import { artifactsByType, formatDuration, runsFromStore, type ArtifactItem, type ExecutionItem, type RunItem } from './model.ts';
import { RemoteStorePoller } from './remote-poll.ts';
import { onPostgres, postgresStamps, readPipelineStore, type CliRunner } from './store-source.ts';
import type { StoreData, StoreQuery } from '../../../runtime/src/host-api.ts';

export interface KnownPipeline {
  uri: vscode.Uri;
  info: PipelineInfo;
}

/** How often the stores' modification times are checked (see PipelineIndex). */
export const STORE_POLL_MS = 2000;

/**
 * The workspace's pipeline files and where their stores are (asked of the language server). A
 * store changes when any process runs the pipeline; file events alone miss some of those writes
 * (a run in a terminal was never seen in code-server), so the stores' stamps (storeStamp) are also polled.
 * A Postgres store has no files: while a view shows it (`watchRemote`), its stamp is polled
 * through the CLI, with a backoff (remote-poll.ts).
 */
export class PipelineIndex implements vscode.Disposable {
  private pipelines: KnownPipeline[] = [];
  private readonly mtimes = new Map<string, string>();
  private readonly poller = setInterval(() => void this.pollStores(), STORE_POLL_MS);
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly remote: RemoteStorePoller;

  /** `cli` reads the pipelines whose records are on a Postgres server (`tributary metadata view`). */
  constructor(
    private readonly language: LanguageApi,
    private readonly cli?: CliRunner,
  ) {
    this.remote = new RemoteStorePoller(
      async () => (cli ? postgresStamps(this.pipelines.filter((p) => onPostgres(p.info)).map((p) => p.info), cli) : new Map()),
      () => this.soon(),
    );
    const stores = vscode.workspace.createFileSystemWatcher('**/metadata/{next-run.json,open/*}');
    const files = vscode.workspace.createFileSystemWatcher('**/*.pipeline.yaml');
    this.disposables.push(stores, files, this.changed);
    for (const watcher of [stores, files]) {
      watcher.onDidChange(() => this.soon(watcher === files));
      watcher.onDidCreate(() => this.soon(watcher === files));
      watcher.onDidDelete(() => this.soon(watcher === files));
    }
  }

  list(): KnownPipeline[] {
    return this.pipelines;
  }

  find(uri: vscode.Uri): KnownPipeline | undefined {
    return this.pipelines.find((p) => p.uri.toString() === uri.toString());
  }

  async refresh(): Promise<void> {
    const uris = await vscode.workspace.findFiles('**/*.pipeline.yaml', '**/node_modules/**', 100);
    const found: KnownPipeline[] = [];
    for (const uri of uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      try {
        found.push({ uri, info: await this.language.pipelineInfo(uri) });
      } catch {
        // Unreadable file: it has no runs to show.
      }
    }
    this.pipelines = found;
    this.changed.fire();
  }

  /** Whether a view showing the stores is visible: Postgres stores are polled only then. */
  watchRemote(visible: boolean): void {
    this.remote.setActive(visible);
  }

  /** The pipeline's newest runs (and what `query` adds), from whichever store it uses. */
  read(pipeline: KnownPipeline, query: StoreQuery = {}): Promise<{ data?: StoreData; error?: string }> {
    return readPipelineStore(pipeline.info, query, this.cli);
  }

  private async pollStores(): Promise<void> {
    let changed = false;
    for (const p of this.pipelines) {
      // A Postgres store has no files to watch: `remote` polls it.
      if (onPostgres(p.info)) continue;
      const file = p.info.metadataFile;
      const mtime = storeStamp(file);
      if (this.mtimes.has(file) && this.mtimes.get(file) !== mtime) changed = true;
      this.mtimes.set(file, mtime);
    }
    if (changed) this.soon();
  }

  /** Store writes come in bursts during a run: redraw at most every 300 ms. */
  soon(rescan = false): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (rescan) void this.refresh();
      else this.changed.fire();
    }, 300);
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearInterval(this.poller);
    this.remote.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

const STATE_ICONS: Record<string, [string, string?]> = {
  COMPLETE: ['pass', 'testing.iconPassed'],
  CACHED: ['history', 'testing.iconSkipped'],
  RUNNING: ['sync~spin'],
  // A ManualApproval node paused for a person (Approve / Reject inline).
  WAITING: ['bell-dot', 'notificationsWarningIcon.foreground'],
  FAILED: ['error', 'testing.iconFailed'],
  CANCELED: ['circle-slash', 'testing.iconSkipped'],
  SKIPPED: ['debug-step-over', 'testing.iconSkipped'],
  NEW: ['circle-outline'],
  QUEUED: ['circle-outline'],
};

function stateIcon(state: string): vscode.ThemeIcon {
  const [id, color] = STATE_ICONS[state] ?? ['circle-outline'];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export type RunsNode =
  | { kind: 'pipeline'; pipeline: KnownPipeline }
  | { kind: 'run'; pipeline: KnownPipeline; run: RunItem; latest: boolean }
  | { kind: 'execution'; pipeline: KnownPipeline; run: RunItem; execution: ExecutionItem }
  | { kind: 'artifact'; pipeline: KnownPipeline; artifact: ArtifactItem }
  | { kind: 'empty'; message: string };

/** Arguments the artifact commands receive from a tree item (and from the canvas or other callers). */
export interface ArtifactArgs {
  artifactId: number;
  type: string;
  uri: string;
  pipelineUri: string;
}

export function artifactArgs(pipeline: KnownPipeline, a: ArtifactItem): ArtifactArgs {
  return { artifactId: a.id, type: a.type, uri: a.uri, pipelineUri: pipeline.uri.toString() };
}

function artifactTreeItem(pipeline: KnownPipeline, a: ArtifactItem, label: string): vscode.TreeItem {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.description = `#${a.id}${a.state === 'LIVE' ? '' : ` ${a.state.toLowerCase()}`}`;
  item.tooltip = `${a.type} #${a.id}\n${a.uri}${a.nodeId ? `\nfrom ${a.nodeId}` : ''}`;
  item.iconPath = new vscode.ThemeIcon('package');
  item.contextValue = 'tributary.artifact';
  item.command = { command: 'tributary.openArtifact', title: 'Open Artifact', arguments: [artifactArgs(pipeline, a)] };
  return item;
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode> {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly index: PipelineIndex,
    private readonly states: RunStates,
  ) {
    index.onDidChange(() => this.changed.fire(undefined));
    states.onDidChange(() => index.soon());
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    const pipelines = this.index.list();
    if (!node) {
      if (pipelines.length === 0) return [{ kind: 'empty', message: 'No *.pipeline.yaml in this workspace.' }];
      if (pipelines.length > 1) return pipelines.map((pipeline) => ({ kind: 'pipeline', pipeline }));
      return this.runsOf(pipelines[0]);
    }
    if (node.kind === 'pipeline') return this.runsOf(node.pipeline);
    if (node.kind === 'run') return node.run.executions.map((execution) => ({ kind: 'execution', pipeline: node.pipeline, run: node.run, execution }));
    if (node.kind === 'execution') return node.execution.outputs.map((artifact) => ({ kind: 'artifact', pipeline: node.pipeline, artifact }));
    return [];
  }

  private async runsOf(pipeline: KnownPipeline): Promise<RunsNode[]> {
    const { data, error } = await this.index.read(pipeline);
    if (error) return [{ kind: 'empty', message: `Cannot read the runs: ${error}` }];
    const runs = data ? runsFromStore(data) : [];
    if (runs.length === 0) return [{ kind: 'empty', message: 'No runs yet: Tributary: Run Pipeline.' }];
    return runs.map((run, i) => ({ kind: 'run', pipeline, run, latest: i === 0 }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'empty': {
        const item = new vscode.TreeItem(node.message);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
      case 'pipeline': {
        const item = new vscode.TreeItem(node.pipeline.info.name || node.pipeline.uri.fsPath, vscode.TreeItemCollapsibleState.Expanded);
        item.description = vscode.workspace.asRelativePath(node.pipeline.uri);
        item.resourceUri = node.pipeline.uri;
        item.contextValue = 'tributary.pipeline';
        return item;
      }
      case 'run': {
        const live = this.states.current(node.pipeline.uri.toString());
        const running = live?.runId === node.run.runId && (live.phase === 'running' || live.phase === 'starting');
        const state = running ? 'RUNNING' : node.run.state;
        // The pipeline is the parent row: the label says when, and what changed since the run before.
        const label = [node.run.label.time, node.run.label.changes].filter(Boolean).join(' · ');
        const item = new vscode.TreeItem(label, node.latest ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        const cached = node.run.executions.filter((e) => e.state === 'CACHED').length;
        // A runtime the editor picked over its own (for a GPU backend) shows in the row itself.
        const picked = node.run.runtime?.choice && !node.run.runtime.electron ? `Node ${node.run.runtime.node}` : '';
        item.description = [state.toLowerCase(), formatDuration(node.run.durationMs), cached ? `${cached} cached` : '', picked, node.run.runId].filter(Boolean).join(' · ');
        const cost = [node.run.cpu && describeCpu(node.run.cpu), node.run.peakRssMb !== undefined && `peak RSS ${node.run.peakRssMb} MB`].filter(Boolean);
        const runtime = node.run.runtime ? [`runtime: ${describeRuntime(node.run.runtime)}`] : [];
        item.tooltip = [node.run.label.text, `Run ${node.run.runId}`, `started ${node.run.startedAt}`, ...cost, ...runtime].join('\n');
        item.iconPath = stateIcon(state);
        item.contextValue = 'tributary.run';
        item.id = `${node.pipeline.uri.toString()}#${node.run.runId}`;
        return item;
      }
      case 'execution': {
        const e = node.execution;
        const live = this.states.current(node.pipeline.uri.toString());
        const progress = live?.runId === node.run.runId ? live.nodes[e.nodeId]?.progress : undefined;
        const item = new vscode.TreeItem(e.nodeId, e.outputs.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const hit = e.state === 'CACHED' ? `cache hit${e.cachedFrom ? ` (#${e.cachedFrom})` : ''}` : '';
        const done = progress && e.state === 'RUNNING' ? `${progress.done.toLocaleString()}${progress.total ? `/${progress.total.toLocaleString()}` : ''} ${progress.unit}` : '';
        item.description = [e.component, e.state === 'CACHED' ? hit : e.state.toLowerCase(), formatDuration(e.durationMs), done].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString(`**${e.nodeId}** (${e.component}) — execution #${e.executionId}, ${e.state}${e.error ? `\n\n\`\`\`\n${e.error}\n\`\`\`` : ''}\n\n${e.state === 'WAITING' ? 'Waiting for approval: Approve or Reject inline. ' : ''}Click to open its log.`);
        item.iconPath = stateIcon(e.state);
        item.contextValue = e.state === 'WAITING' ? 'tributary.execution.waiting' : 'tributary.execution';
        item.command = { command: 'tributary.openNodeLog', title: 'Open Node Log', arguments: [{ logFile: e.logFile, nodeId: e.nodeId }] };
        item.id = `${node.pipeline.uri.toString()}#${node.run.runId}#${e.executionId}`;
        return item;
      }
      case 'artifact':
        return artifactTreeItem(node.pipeline, node.artifact, `${node.artifact.key ?? 'output'}: ${node.artifact.type}`);
    }
  }
}

export type ArtifactsNode =
  | { kind: 'type'; type: string; items: { pipeline: KnownPipeline; artifact: ArtifactItem }[] }
  | { kind: 'artifact'; pipeline: KnownPipeline; artifact: ArtifactItem }
  | { kind: 'empty'; message: string };

export class ArtifactsTreeProvider implements vscode.TreeDataProvider<ArtifactsNode> {
  private readonly changed = new vscode.EventEmitter<ArtifactsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly index: PipelineIndex) {
    index.onDidChange(() => this.changed.fire(undefined));
  }

  async getChildren(node?: ArtifactsNode): Promise<ArtifactsNode[]> {
    if (node?.kind === 'type') return node.items.map((i) => ({ kind: 'artifact', ...i }));
    if (node) return [];
    const groups = new Map<string, { pipeline: KnownPipeline; artifact: ArtifactItem }[]>();
    for (const pipeline of this.index.list()) {
      const { data } = await this.index.read(pipeline);
      if (!data) continue;
      for (const [type, items] of artifactsByType(data, pipeline.info.name)) {
        groups.set(type, [...(groups.get(type) ?? []), ...items.map((artifact) => ({ pipeline, artifact }))]);
      }
    }
    if (groups.size === 0) return [{ kind: 'empty', message: 'No artifacts yet.' }];
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, items]) => ({ kind: 'type', type, items }));
  }

  getTreeItem(node: ArtifactsNode): vscode.TreeItem {
    if (node.kind === 'empty') return new vscode.TreeItem(node.message);
    if (node.kind === 'type') {
      const item = new vscode.TreeItem(node.type, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = String(node.items.length);
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      return item;
    }
    const multi = this.index.list().length > 1 ? ` · ${node.pipeline.info.name}` : '';
    return artifactTreeItem(node.pipeline, node.artifact, `${node.artifact.nodeId ?? '?'}.${node.artifact.key ?? 'output'}${multi}`);
  }
}
