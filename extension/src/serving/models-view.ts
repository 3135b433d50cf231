/**
 * The Models view (registries → models → versions with labels, traffic share and live serving
 * numbers) and "Tributary: Set Traffic Split". A separate bundle (dist/extension/models.cjs),
 * loaded when the view is first shown or the command first runs (register.ts); the data it shows
 * comes from registry-tree.ts and prometheus.ts, which do not need VS Code.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PipelineRunner } from '../runs/runner.ts';
import type { PipelineIndex } from '../views/trees.ts';
import { statsFromMetricsText, type VersionStats } from './prometheus.ts';
import {
  describeModel,
  describeServer,
  describeVersion,
  readModel,
  readRegistry,
  registriesOfPipeline,
  servedByArgs,
  versionTooltip,
  type ModelView,
  type RegistryView,
  type ServedBy,
  type VersionView,
} from './registry-tree.ts';
import { parseSplit, suggestSplit, trafficArgs } from './split.ts';
import { liveServerRecords, SERVERS_DIR } from '../../../runtime/src/host-api.ts';

export interface ModelsDeps {
  context: vscode.ExtensionContext;
  runner: Pick<PipelineRunner, 'exec' | 'onDidChangeRunning'>;
  index: Pick<PipelineIndex, 'list' | 'onDidChange'>;
  /** dist/runtime/cli.js: a terminal running it with `serve DIR` is a server of this window. */
  cliPath: string;
}

export type ModelsNode =
  | { kind: 'registry'; registry: RegistryView }
  | { kind: 'model'; registry: RegistryView; model: ModelView }
  | { kind: 'version'; registry: RegistryView; model: ModelView; version: VersionView }
  | { kind: 'message'; message: string; icon?: string };

/** Live numbers are polled this often while the view is visible and a registry is served. */
export const POLL_MS = 3000;
/** Redraws come in bursts (file events, run progress): at most one /metrics request per server this often. */
export const POLL_MIN_GAP_MS = 1000;
/** A server this young that does not answer yet is "starting", not "not answering". */
const STARTING_MS = 15_000;

interface Server {
  /** The Serve Registry terminal of this window; none for a server found by its record. */
  terminal?: vscode.Terminal;
  /** A server found by its record (started elsewhere): its process. */
  pid?: number;
  registry: string;
  host: string;
  port: number;
  openedAt: number;
  polledAt?: number;
  stats?: Map<string, VersionStats>;
  state: ServedBy['state'];
  error?: string;
}

export class ModelsController implements vscode.Disposable {
  private registries: RegistryView[] = [];
  private readonly servers = new Map<vscode.Terminal, Server>();
  /** Servers started elsewhere (a terminal, another window), from their records; key: registry + pid. */
  private readonly recorded = new Map<string, Server>();
  /** Modification times of the registries' record folders, to notice servers that start or stop. */
  private recordsSeen = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];
  private watchers = new Map<string, vscode.FileSystemWatcher>();
  private poller: ReturnType<typeof setInterval> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deps: ModelsDeps,
    private readonly changed: vscode.EventEmitter<ModelsNode | undefined>,
    private readonly view: vscode.TreeView<ModelsNode>,
  ) {
    for (const t of vscode.window.terminals) this.track(t, 0);
    this.disposables.push(
      vscode.window.onDidOpenTerminal((t) => {
        if (this.track(t, Date.now())) this.soon();
      }),
      vscode.window.onDidCloseTerminal((t) => {
        if (this.servers.delete(t)) this.soon();
      }),
      view.onDidChangeVisibility(() => this.schedulePolling()),
      // A run (of this window) that ends may have pushed; stores change during every run.
      deps.runner.onDidChangeRunning((running) => {
        if (!running) this.soon();
      }),
      deps.index.onDidChange(() => this.soon()),
    );
    this.schedulePolling();
  }

  /** A Serve Registry terminal (shell = Node, args = our cli.js serve DIR --port N). */
  private track(terminal: vscode.Terminal, openedAt: number): boolean {
    const options = terminal.creationOptions as vscode.TerminalOptions;
    const args = Array.isArray(options.shellArgs) ? options.shellArgs : [];
    if (args[0] !== this.deps.cliPath || terminal.exitStatus) return false;
    const served = servedByArgs(args.slice(1));
    if (!served) return false;
    this.servers.set(terminal, { terminal, ...served, openedAt, state: 'starting' });
    return true;
  }

  /** Redraw soon (bursts of file events and run progress become one read). */
  soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.changed.fire(undefined), 300);
  }

  /** Reads every registry (and polls its server) now: what the root of the tree shows. */
  async refresh(): Promise<RegistryView[]> {
    const sources = new Map<string, string[]>();
    const add = (dir: string, source: string) => sources.set(dir, [...(sources.get(dir) ?? []), source]);
    for (const p of this.deps.index.list()) {
      const text = await readFile(p.uri.fsPath, 'utf8').catch(() => '');
      for (const dir of registriesOfPipeline(text, p.uri.fsPath)) add(dir, vscode.workspace.asRelativePath(p.uri));
    }
    const ours = this.ourLiveServers();
    for (const s of ours) add(s.registry, `served at ${s.host}:${s.port}`);
    const recorded = this.readRecords([...sources.keys()], ours);
    for (const s of recorded) add(s.registry, `served at ${s.host}:${s.port} (process ${s.pid}, started outside this window)`);
    const live = [...ours, ...recorded];
    await Promise.all(live.map((s) => this.poll(s)));
    this.registries = [...sources].map(([dir, from]) => {
      // This window's own server first, else the newest one found by its record.
      const server = ours.find((s) => s.registry === dir) ?? recorded.filter((s) => s.registry === dir).pop();
      return readRegistry(dir, from, server?.stats, server && { host: server.host, port: server.port, state: server.state, error: server.error, pid: server.pid });
    });
    this.watch(this.registries.map((r) => r.dir));
    this.schedulePolling();
    return this.registries;
  }

  /** This window's Serve Registry servers whose terminal is still open. */
  private ourLiveServers(): Server[] {
    return [...this.servers.values()].filter((s) => !s.terminal?.exitStatus);
  }

  /**
   * Servers of these registries that run elsewhere (not one of `ours`), from their records; the
   * entries keep their last poll between refreshes. Records of dead processes are dropped.
   */
  private readRecords(dirs: string[], ours: Server[]): Server[] {
    const found = new Set<string>();
    for (const dir of dirs) {
      this.recordsSeen.set(dir, recordsMtime(dir));
      for (const r of liveServerRecords(dir)) {
        if (ours.some((s) => s.registry === dir && s.port === r.port)) continue;
        const key = `${dir}#${r.pid}`;
        found.add(key);
        if (!this.recorded.has(key)) this.recorded.set(key, { registry: dir, host: r.host, port: r.port, pid: r.pid, openedAt: Date.parse(r.startedAt) || 0, state: 'starting' });
      }
    }
    for (const key of this.recorded.keys()) if (!found.has(key)) this.recorded.delete(key);
    return [...this.recorded.values()];
  }

  /** True when a registry's record folder changed since the last refresh (a server started or stopped elsewhere). */
  private recordsChanged(): boolean {
    return [...this.recordsSeen].some(([dir, mtime]) => recordsMtime(dir) !== mtime);
  }

  private async poll(server: Server): Promise<void> {
    if (server.polledAt !== undefined && Date.now() - server.polledAt < POLL_MIN_GAP_MS) return;
    server.polledAt = Date.now();
    try {
      const response = await fetch(`http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/metrics`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      server.stats = statsFromMetricsText(await response.text());
      server.state = 'up';
      server.error = undefined;
    } catch (e) {
      server.stats = undefined;
      server.state = Date.now() - server.openedAt < STARTING_MS ? 'starting' : 'down';
      server.error = (e as Error).message;
    }
  }

  /** Registry index changes and new version folders (the Pusher renames one in) redraw the view. */
  private watch(dirs: string[]): void {
    for (const [dir, w] of this.watchers) {
      if (!dirs.includes(dir)) {
        w.dispose();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '{*,*/index.json,*/[0-9]*}'));
      w.onDidCreate(() => this.soon());
      w.onDidChange(() => this.soon());
      w.onDidDelete(() => this.soon());
      this.watchers.set(dir, w);
    }
  }

  /**
   * Polls only while someone can see the view: live numbers while anything is served, else a look
   * at the registries' record folders (a server started in a terminal or another window).
   */
  private schedulePolling(): void {
    const wanted = this.view.visible && (this.recordsSeen.size > 0 || this.ourLiveServers().length > 0);
    const tick = () => {
      const serving = this.recorded.size > 0 || this.ourLiveServers().length > 0;
      if (serving || this.recordsChanged()) this.changed.fire(undefined);
    };
    if (wanted && !this.poller) this.poller = setInterval(tick, POLL_MS);
    if (!wanted && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const registries = await this.refresh();
      if (registries.length === 0) return [{ kind: 'message', message: 'No model registry: add a Pusher to a pipeline, or Tributary: Serve Registry.', icon: 'info' }];
      return registries.map((registry) => ({ kind: 'registry', registry }));
    }
    if (node.kind === 'registry') {
      if (node.registry.models.length === 0) return [{ kind: 'message', message: node.registry.exists ? 'No models yet.' : 'Nothing pushed yet: run the pipeline.', icon: 'info' }];
      return node.registry.models.map((model) => ({ kind: 'model', registry: node.registry, model }));
    }
    if (node.kind === 'model') {
      if (node.model.versions.length === 0) return [{ kind: 'message', message: 'No complete version.', icon: 'info' }];
      return node.model.versions.map((version) => ({ kind: 'version', registry: node.registry, model: node.model, version }));
    }
    return [];
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem(node.message);
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'registry': {
        const r = node.registry;
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(vscode.Uri.file(r.dir)), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `registry:${r.dir}`;
        item.description = describeServer(r);
        const server = r.server ? `\n\nServer: ${describeServer(r)}${r.server.error && r.server.state !== 'up' ? ` (${r.server.error})` : ''}` : '';
        item.tooltip = new vscode.MarkdownString(`Model registry \`${r.dir}\`\n\nFrom: ${r.sources.join(', ')}${server}`);
        item.iconPath = new vscode.ThemeIcon(r.server?.state === 'up' ? 'server-process' : 'database');
        item.contextValue = 'tributary.registry';
        return item;
      }
      case 'model': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `model:${m.registry}/${m.name}`;
        item.description = describeModel(m);
        const labels = Object.entries(m.labels).map(([l, v]) => `${l} → v${v}`);
        item.tooltip = new vscode.MarkdownString(
          `**${m.name}** in \`${m.registry}\`\n\nLabels: ${labels.join(', ') || 'none'}\n\n${m.traffic ? `Split: ${describeModel(m)}${m.traffic.key_header ? `, sticky by header ${m.traffic.key_header}` : ''}${m.traffic.key_field ? `, by field ${m.traffic.key_field}` : ''}` : 'No traffic split: unversioned predicts go to the newest version.'}${m.problem ? `\n\n⚠ ${m.problem}` : ''}`,
        );
        item.iconPath = new vscode.ThemeIcon(m.problem || m.missingArms.length ? 'warning' : 'symbol-class');
        item.contextValue = 'tributary.model';
        return item;
      }
      case 'version': {
        const v = node.version;
        const served = node.registry.server?.state === 'up';
        const item = new vscode.TreeItem(`v${v.version}`);
        item.id = `version:${node.model.registry}/${node.model.name}/${v.version}`;
        item.description = describeVersion(v, served);
        item.tooltip = new vscode.MarkdownString(versionTooltip(node.model, v, served));
        const failing = served && v.stats && v.stats.errors > 0;
        item.iconPath = new vscode.ThemeIcon(failing ? 'warning' : v.labels.length ? 'tag' : 'circle-outline');
        item.contextValue = 'tributary.modelVersion';
        return item;
      }
    }
  }

  /** Input box prefilled with the current split, checked as typed; then `tributary traffic …`. */
  async setTrafficSplit(target?: unknown): Promise<boolean> {
    const picked = await this.pickModel(target);
    if (!picked) return false;
    const { registry, name } = picked;
    const model = readModel(registry, name);
    const context = { labels: model.labels, versions: model.versions.map((v) => v.version) };
    if (context.versions.length === 0) {
      void vscode.window.showWarningMessage(`${name} has no versions in ${registry} yet.`);
      return false;
    }
    const text = await vscode.window.showInputBox({
      title: `Traffic split of ${name}`,
      prompt: `ARM=WEIGHT pairs (arms: labels ${Object.keys(model.labels).join(', ') || '(none)'} or version numbers), or "off" to remove the split`,
      value: suggestSplit(context, model.traffic?.weights),
      validateInput: (value) => {
        const parsed = parseSplit(value, context);
        return parsed.ok ? undefined : parsed.message;
      },
    });
    if (text === undefined) return false;
    const parsed = parseSplit(text, context);
    if (!parsed.ok) return false;
    const result = await this.deps.runner.exec(trafficArgs(registry, name, parsed.split), registry);
    this.soon();
    if (result.code === 0) {
      void vscode.window.showInformationMessage(result.stdout.trim().split('\n').join(' ') || `${name}: traffic split updated`);
      return true;
    }
    void vscode.window.showErrorMessage(`tributary traffic failed: ${(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-2).join(' ')}`);
    return false;
  }

  private async pickModel(target: unknown): Promise<{ registry: string; name: string } | undefined> {
    const node = target as Partial<ModelsNode> | undefined;
    if (node?.kind === 'model' || node?.kind === 'version') return { registry: node.model!.registry, name: node.model!.name };
    const given = target as { registry?: unknown; model?: unknown } | undefined;
    if (typeof given?.registry === 'string' && typeof given.model === 'string') return { registry: given.registry, name: given.model };
    const models = (await this.refresh()).flatMap((r) => r.models);
    if (models.length === 0) {
      void vscode.window.showInformationMessage('No pushed models in this workspace: run a pipeline with a Pusher first.');
      return undefined;
    }
    if (models.length === 1) return { registry: models[0].registry, name: models[0].name };
    const pick = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.name, description: `${vscode.workspace.asRelativePath(vscode.Uri.file(m.registry))} · ${describeModel(m)}`, registry: m.registry })),
      { placeHolder: 'Set the traffic split of which model?' },
    );
    return pick && { registry: pick.registry, name: pick.label };
  }

  dispose(): void {
    clearTimeout(this.debounce);
    if (this.poller) clearInterval(this.poller);
    for (const w of this.watchers.values()) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The record folder's modification time (0 without one): it changes as servers start and stop. */
function recordsMtime(dir: string): number {
  try {
    return statSync(join(dir, SERVERS_DIR)).mtimeMs;
  } catch {
    return 0;
  }
}
