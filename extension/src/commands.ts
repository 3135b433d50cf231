/**
 * The "Tributary" commands. Each resolves its target from its argument (explorer, editor title,
 * tree item, canvas) or the active editor, and says clearly what it needs when there is none.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageApi } from './language/lazy-client.ts';
import type { GenerateTypesResult } from './language/protocol.ts';
import type { PipelineRunner, RunRequest } from './runs/runner.ts';
import { tally, type RunStates } from './runs/state.ts';
import { runsFromStore } from './views/model.ts';
import { QuickSteps } from './quick-steps.ts';
import { PIPELINE_NAME, PIPELINE_TEMPLATES } from './pipeline-templates.ts';
import { lazyBundle } from './lazy.ts';
import { onPostgres, readPipelineStore } from './views/store-source.ts';
import type { ArtifactArgs, PipelineIndex } from './views/trees.ts';

const loadTemplateWriter = lazyBundle<typeof import('./write-template.ts')>('write-template');

export const CANVAS_VIEW_TYPE = 'tributary.canvas';
export const VIEWERS_COMMAND = 'tributary.viewers.open';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  language: LanguageApi;
  runner: PipelineRunner;
  states: RunStates;
  index: PipelineIndex;
  output: vscode.OutputChannel;
}

/** `{ uri }`, a Uri, or a tree node holding a pipeline: where a command was invoked from. */
type Target = vscode.Uri | { uri?: vscode.Uri | string; pipelineUri?: string; nodeId?: string; pipeline?: { uri: vscode.Uri } } | undefined;

function isPipeline(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.path.endsWith('.pipeline.yaml');
}

/** The active pipeline: text editor, or the canvas (a custom editor, seen through the active tab). */
export function activePipeline(): vscode.Uri | undefined {
  const editor = vscode.window.activeTextEditor?.document.uri;
  if (isPipeline(editor)) return editor;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  return isPipeline(input?.uri) ? input.uri : undefined;
}

function pipelineOf(target: Target): vscode.Uri | undefined {
  if (target instanceof vscode.Uri) return isPipeline(target) ? target : undefined;
  if (target?.pipeline?.uri) return target.pipeline.uri;
  const raw = target?.pipelineUri ?? target?.uri;
  if (raw) return typeof raw === 'string' ? vscode.Uri.parse(raw) : raw;
  return activePipeline();
}

/** The pipeline to act on; asked in `steps` when the command has more questions after this one. */
async function requirePipeline(target: Target, deps: CommandDeps, steps?: QuickSteps): Promise<vscode.Uri | undefined> {
  const uri = pipelineOf(target);
  if (uri) return uri;
  const known = deps.index.list();
  if (known.length === 1) return known[0].uri;
  if (known.length > 1) {
    const items = known.map((p) => ({ label: p.info.name, description: vscode.workspace.asRelativePath(p.uri), uri: p.uri }));
    const options = { placeHolder: 'Which pipeline?' };
    return (steps ? await steps.pick(items, options) : await vscode.window.showQuickPick(items, options))?.uri;
  }
  void vscode.window.showWarningMessage('Open a *.pipeline.yaml file first.');
  return undefined;
}

/** Which pipeline (when it is not known), then which of its nodes, in one quick input. */
async function pickNode(deps: CommandDeps, target: Target, placeHolder: string): Promise<{ uri: vscode.Uri; node: string } | undefined> {
  const steps = new QuickSteps();
  try {
    const uri = await requirePipeline(target, deps, steps);
    if (!uri) return undefined;
    if (target && !(target instanceof vscode.Uri) && target.nodeId) return { uri, node: target.nodeId };
    const info = await deps.language.pipelineInfo(uri);
    const pick = await steps.pick(
      info.nodes.map((n) => ({ label: n.id, description: n.component })),
      { placeHolder },
    );
    return pick && { uri, node: pick.label };
  } finally {
    steps.dispose();
  }
}

/** Pipelines run user code: only in trusted workspaces. */
async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  const answer = await vscode.window.showWarningMessage('Pipelines run code from this workspace, so they run only in a trusted workspace.', manage);
  if (answer === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

export async function runWithProgress(deps: CommandDeps, request: RunRequest): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === request.uri.toString());
  if (document?.isDirty) await document.save();
  const problems = await deps.language.validate(request.uri);
  const errors = problems.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    void vscode.window.showErrorMessage(`The pipeline has ${errors.length} error(s); fix them before running.`, 'Show Problems').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
    return undefined;
  }
  if (deps.runner.isRunning(request.uri)) {
    void vscode.window.showWarningMessage('This pipeline is already running.');
    return undefined;
  }
  const key = request.uri.toString();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Tributary: running ${vscode.workspace.asRelativePath(request.uri)}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => deps.runner.stop(request.uri));
      let reported = 0;
      const listener = deps.states.onDidChange((run) => {
        if (run.pipelineUri !== key) return;
        const t = tally(run);
        const share = t.total ? (t.done / t.total) * 100 : 0;
        const running = t.running.map((id) => {
          const p = run.nodes[id].progress;
          return p ? `${id} ${p.done.toLocaleString()}${p.total ? `/${p.total.toLocaleString()}` : ''} ${p.unit}` : id;
        });
        progress.report({ increment: share - reported, message: `${t.done}/${t.total} nodes${running.length ? ` · ${running.join(', ')}` : ''}` });
        reported = share;
      });
      try {
        const phase = await deps.runner.run(request);
        const run = deps.states.current(key);
        const t = run ? tally(run) : undefined;
        const counts = t ? ` (${t.done}/${t.total} nodes, ${t.cached} cached)` : '';
        if (phase === 'complete') {
          void vscode.window.showInformationMessage(`Pipeline run complete${counts}.`);
          void afterRun(deps, request.uri);
        } else if (phase === 'canceled') {
          void vscode.window.showWarningMessage(`Pipeline run canceled${counts}.`);
        } else {
          void vscode.window.showErrorMessage(`Pipeline run failed${counts}${run?.error ? `: ${run.error.split('\n').pop()}` : ''}`, 'Show Log').then((a) => {
            if (a) deps.output.show(true);
          });
        }
        return phase;
      } finally {
        listener.dispose();
      }
    },
  );
}

/** After a successful run: refresh feature types when a Schema exists (quietly when none does). */
/**
 * Feature types from the pipeline's newest Schema: the language server reads an embedded store's
 * files; a store on a Postgres server is read by the CLI (`tributary types --json`), out of process.
 */
async function generateTypes(deps: CommandDeps, uri: vscode.Uri): Promise<GenerateTypesResult> {
  const info = await deps.language.pipelineInfo(uri);
  if (!onPostgres(info)) return deps.language.generateTypes(uri);
  const { code, stdout, stderr } = await deps.runner.query(['types', info.file, '--json'], dirname(info.file));
  if (code !== 0) return { ok: false, message: stderr.trim().split('\n').pop()?.replace(/^error: /, '') || `tributary types exited ${code}` };
  try {
    return { ok: true, ...(JSON.parse(stdout) as Omit<Extract<GenerateTypesResult, { ok: true }>, 'ok'>) };
  } catch (e) {
    return { ok: false, message: `tributary types printed no result: ${(e as Error).message}` };
  }
}

async function afterRun(deps: CommandDeps, uri: vscode.Uri): Promise<void> {
  const result = await generateTypes(deps, uri);
  if (result.ok && result.changed) deps.output.appendLine(`feature types: ${result.file} (${result.features} features, Schema #${result.schemaArtifactId})`);
}

async function openViewer(deps: CommandDeps, args: Record<string, unknown>, what: string): Promise<void> {
  const commands = await vscode.commands.getCommands(true);
  if (!commands.includes(VIEWERS_COMMAND)) {
    const uri = typeof args.uri === 'string' ? vscode.Uri.file(args.uri) : undefined;
    const reveal = 'Reveal Folder';
    const answer = await vscode.window.showWarningMessage(`The ${what} viewer is not available in this build (no ${VIEWERS_COMMAND} command).`, ...(uri ? [reveal] : []));
    if (answer === reveal && uri) await vscode.commands.executeCommand('revealFileInOS', uri);
    return;
  }
  await vscode.commands.executeCommand(VIEWERS_COMMAND, args);
}

async function pickArtifact(deps: CommandDeps, target: unknown): Promise<ArtifactArgs | undefined> {
  const given = target as Partial<ArtifactArgs> | undefined;
  if (given && typeof given.artifactId === 'number' && given.uri && given.type && given.pipelineUri) return given as ArtifactArgs;
  const steps = new QuickSteps();
  try {
    const uri = await requirePipeline(target as Target, deps, steps);
    if (!uri) return undefined;
    const info = await deps.language.pipelineInfo(uri);
    const { data } = await readPipelineStore(info, {}, deps.runner.query);
    const items = (data?.artifacts ?? [])
      .filter((a) => a.state === 'LIVE')
      .sort((a, b) => b.id - a.id)
      .map((a) => ({ label: `${a.type} #${a.id}`, description: vscode.workspace.asRelativePath(a.uri), args: { artifactId: a.id, type: a.type, uri: a.uri, pipelineUri: uri.toString() } }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No artifacts yet: run the pipeline first.');
      return undefined;
    }
    return (await steps.pick(items, { placeHolder: 'Which artifact?' }))?.args;
  } finally {
    steps.dispose();
  }
}

export function registerCommands(deps: CommandDeps): void {
  const { context, language, runner, output } = deps;
  const register = (id: string, run: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, run));

  register('tributary.newPipeline', async () => newPipeline(context));
  register('tributary.openCanvas', async (target?: Target) => {
    const uri = await requirePipeline(target, deps);
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, CANVAS_VIEW_TYPE);
  });
  register('tributary.openText', async (target?: Target) => {
    const uri = await requirePipeline(target, deps);
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, 'default');
  });
  register('tributary.validate', async (target?: Target) => {
    const uri = await requirePipeline(target, deps);
    if (!uri) return undefined;
    const { diagnostics } = await language.validate(uri);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    if (diagnostics.length === 0) void vscode.window.showInformationMessage('Pipeline is valid.');
    else void vscode.window.showWarningMessage(`Pipeline has ${errors} error(s) and ${warnings} warning(s): see Problems.`);
    return diagnostics;
  });
  register('tributary.run', async (target?: Target) => {
    const uri = await requirePipeline(target, deps);
    return uri ? runWithProgress(deps, { uri }) : undefined;
  });
  register('tributary.runNode', async (target?: Target) => {
    const picked = await pickNode(deps, target, 'Run which node? (its inputs come from earlier runs)');
    return picked ? runWithProgress(deps, { uri: picked.uri, only: [picked.node] }) : undefined;
  });
  register('tributary.runFromNode', async (target?: Target) => {
    const picked = await pickNode(deps, target, 'Run from which node? (it and everything downstream)');
    return picked ? runWithProgress(deps, { uri: picked.uri, from: picked.node }) : undefined;
  });
  register('tributary.stop', (target?: Target) => {
    const uri = pipelineOf(target);
    if (!runner.stop(uri && runner.isRunning(uri) ? uri : undefined)) void vscode.window.showInformationMessage('No pipeline is running.');
  });
  register('tributary.showRunLog', () => output.show(true));
  register('tributary.openNodeLog', async (arg?: { logFile?: string; nodeId?: string }) => {
    if (!arg?.logFile || !existsSync(arg.logFile)) {
      void vscode.window.showWarningMessage(`No log file recorded for ${arg?.nodeId ?? 'this node'}.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(arg.logFile), { preview: true });
  });
  register('tributary.openArtifact', async (target?: unknown) => {
    const artifact = await pickArtifact(deps, target);
    if (artifact) await openViewer(deps, { kind: 'artifact', ...artifact }, artifact.type);
  });
  register('tributary.showLineage', async (target?: unknown) => {
    const artifact = await pickArtifact(deps, target);
    if (artifact) await openViewer(deps, { kind: 'lineage', ...artifact }, 'lineage');
  });
  register('tributary.compareRuns', async (target?: Target) => {
    const steps = new QuickSteps();
    let uri: vscode.Uri | undefined;
    let picks: readonly { runId: string }[] | undefined;
    try {
      uri = await requirePipeline(target, deps, steps);
      if (!uri) return;
      const info = await language.pipelineInfo(uri);
      const { data } = await readPipelineStore(info, {}, runner.query);
      const runs = data ? runsFromStore(data) : [];
      if (runs.length < 2) {
        void vscode.window.showInformationMessage('Comparing needs at least two runs of this pipeline.');
        return;
      }
      picks = await steps.pickMany(
        runs.map((r) => ({ label: r.label.text, description: `${r.state.toLowerCase()} · ${r.runId}`, runId: r.runId })),
        { placeHolder: 'Pick two or more runs to compare' },
      );
    } finally {
      steps.dispose();
    }
    if (!picks || picks.length < 2) return;
    await openViewer(deps, { kind: 'compare', pipelineUri: uri.toString(), runIds: picks.map((p) => p.runId) }, 'run comparison');
  });
  register('tributary.serveRegistry', async (target?: Target) => {
    if (!(await requireTrust())) return;
    const uri = pipelineOf(target);
    const info = uri ? await language.pipelineInfo(uri) : undefined;
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      defaultUri: info ? vscode.Uri.file(info.root) : vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: 'Serve this model registry',
    });
    if (!folder?.[0]) return;
    const cli = context.asAbsolutePath('dist/runtime/cli.js');
    const node = vscode.workspace.getConfiguration('tributary').get<string>('runtime.nodePath') || process.execPath;
    // TF Serving's REST port when it is free, else any free one: a second server (or another
    // program on 8501) must not make this one fail. The Models view reads the port from the args.
    const port = await freePort(8501);
    // A terminal: the user sees the address and the requests, and stops it with Ctrl-C.
    const terminal = vscode.window.createTerminal({
      name: 'Tributary: model server',
      shellPath: node,
      shellArgs: [cli, 'serve', folder[0].fsPath, '--port', String(port)],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    terminal.show();
  });
  register('tributary.generateTypes', async (target?: Target) => {
    const uri = await requirePipeline(target, deps);
    if (!uri) return undefined;
    const result = await generateTypes(deps, uri);
    if (result.ok) void vscode.window.showInformationMessage(`Wrote ${vscode.workspace.asRelativePath(result.file)}: ${result.features} features from Schema #${result.schemaArtifactId}.`);
    else void vscode.window.showWarningMessage(result.message);
    return result;
  });
  register('tributary.refreshViews', () => deps.index.refresh());
}

async function newPipeline(context: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const template = await vscode.window.showQuickPick(PIPELINE_TEMPLATES, { placeHolder: 'Start from a template' });
  if (!template) return undefined;
  const name = await vscode.window.showInputBox({
    prompt: 'Pipeline name (also the file name)',
    value: template.id === 'blank' ? 'my-pipeline' : template.id,
    validateInput: (v) => (PIPELINE_NAME.test(v) ? undefined : 'Letters, digits, "-" and "_", starting with a letter or digit.'),
  });
  if (!name) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${name}.pipeline.yaml`) : undefined,
    filters: { 'Tributary pipeline': ['pipeline.yaml', 'yaml'] },
  });
  if (!target) return undefined;
  const uri = target.path.endsWith('.pipeline.yaml') ? target : target.with({ path: target.path.replace(/(\.ya?ml)?$/, '.pipeline.yaml') });
  const written = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Writing ${name} from the ${template.label} template` }, () =>
    loadTemplateWriter().writePipelineTemplate({ extensionRoot: context.extensionUri.fsPath, template: template.id, name, pipelineFile: uri.fsPath }),
  );
  // Said only when it matters: the new pipeline reads the user's file, not the template's.
  if (written.kept.length) void vscode.window.showInformationMessage(`Kept your existing ${written.kept.map((f) => vscode.workspace.asRelativePath(f)).join(', ')}: ${name} uses them as they are.`);
  await vscode.commands.executeCommand('vscode.openWith', uri, vscode.workspace.isTrusted ? CANVAS_VIEW_TYPE : 'default');
  return uri;
}

/** `preferred` if nothing listens on it on loopback, else a port the OS picks. */
function freePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
      });
    });
  return tryListen(preferred).catch(() => tryListen(0));
}
