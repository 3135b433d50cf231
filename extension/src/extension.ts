import * as vscode from 'vscode';
import { registerCanvasEditor } from './canvas/index.ts';
import { activePipeline, registerCommands, VIEWERS_COMMAND } from './commands.ts';
import type * as LanguageClientModule from './language/client.ts';
import type { Catalog } from './language/catalog.ts';
import { LazyLanguageClient } from './language/lazy-client.ts';
import { scheduleServerStart } from './language/start-policy.ts';
import type { ValidateResult } from './language/protocol.ts';
import { lazyBundle } from './lazy.ts';
import { registerProductionViews } from './runs/operations.ts';
import { registerModelsView, type ModelsViewApi } from './serving/register.ts';
import { PipelineRunner } from './runs/runner.ts';
import { RunStates, tally } from './runs/state.ts';
import { backendStatusBar } from './runs/backend-status.ts';
import { registerEnvironmentCommands, RuntimeSelector } from './runs/runtime-selector.ts';
import type * as ViewersModule from './viewers/index.ts';
import { ArtifactsTreeProvider, PipelineIndex, RunsTreeProvider } from './views/trees.ts';

// Separate bundles beside this one (scripts/build.mjs), loaded on first use.
const loadLanguageClient = lazyBundle<typeof LanguageClientModule>('language-client');
const loadCanvas = lazyBundle<typeof import('./canvas/provider.ts')>('canvas');
const loadViewers = lazyBundle<typeof ViewersModule>('viewers');
const loadModels = lazyBundle<typeof import('./serving/models-view.ts')>('models');

/** The language server starts this long after activation unless something asks it first. */
const SERVER_START_DELAY_MS = 2000;

/** What other code (the canvas, viewers, tests) gets from `extension.exports`. */
export interface TributaryApi {
  runStates: RunStates;
  specs(): Promise<Catalog>;
  validate(uri: vscode.Uri): Promise<ValidateResult>;
  /** The Runs view's data (tests read it the way the tree does). */
  runsView: RunsTreeProvider;
  /** The Models view's registries (read on demand). */
  models: ModelsViewApi;
  /** Milliseconds `activate` took (for the activation benchmark). */
  activationMs: number;
}

/**
 * The extension host side: commands, the runner, views and the language client. Everything that
 * needs the component registry lives in the language server process, and pipelines run in a child
 * process, so this bundle stays small and activation cheap.
 */
export function activate(context: vscode.ExtensionContext): TributaryApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Tributary');
  const serverLog = vscode.window.createOutputChannel('Tributary Language Server', { log: true });
  const language = new LazyLanguageClient(() => new (loadLanguageClient().PipelineLanguageClient)(context, serverLog));
  const states = new RunStates();
  const runtimes = new RuntimeSelector(context.asAbsolutePath('dist/runtime/cli.js'), output);
  const runner = new PipelineRunner(context.asAbsolutePath('dist/runtime/cli.js'), output, states, runtimes);
  const index = new PipelineIndex(language, runner.query);
  context.subscriptions.push(output, serverLog, language, runtimes, runner, index);
  registerEnvironmentCommands(context, runtimes);
  context.subscriptions.push(backendStatusBar(runner));

  registerCommands({ context, language, runner, states, index, output });
  const runsView = new RunsTreeProvider(index, states);
  const runsTree = vscode.window.createTreeView('tributary.runs', { treeDataProvider: runsView });
  const artifactsTree = vscode.window.createTreeView('tributary.artifacts', { treeDataProvider: new ArtifactsTreeProvider(index) });
  // Stores on a Postgres server are polled only while one of the views shows them.
  const watchRemote = () => index.watchRemote(runsTree.visible || artifactsTree.visible);
  context.subscriptions.push(runsTree, artifactsTree, runsTree.onDidChangeVisibility(watchRemote), artifactsTree.onDidChangeVisibility(watchRemote));
  watchRemote();
  registerCanvasEditor(
    context,
    {
      requestSpecs: async () => (await language.specs()).components,
      runStates: states,
      log: (message) => serverLog.appendLine(`[canvas] ${message}`),
      storeOf: (uri) => language.pipelineInfo(uri),
      cli: runner.query,
      // The index sees every store write (file events and a stamp poll), whoever runs the pipeline.
      onStoreChange: (listener) => index.onDidChange(listener),
    },
    loadCanvas,
  );
  registerLazyViewers(context, {
    sourceOf: (uri) => language.pipelineInfo(uri),
    cli: runner.query,
    activePipeline,
    log: (message) => output.appendLine(`[viewer] ${message}`),
  });
  registerProductionViews({ context, runner, index, language, output, activePipeline });
  const models = registerModelsView({ context, runner, index, cliPath: context.asAbsolutePath('dist/runtime/cli.js') }, loadModels);
  context.subscriptions.push(statusBar(states, runner));
  // The server starts 2 s after activation, or at once when a pipeline is shown as text.
  context.subscriptions.push(
    scheduleServerStart(
      { visibleTextEditors: vscode.window.visibleTextEditors, onDidChangeVisibleTextEditors: vscode.window.onDidChangeVisibleTextEditors, setTimeout, clearTimeout },
      () => {
        language.start();
        void index.refresh();
      },
      SERVER_START_DELAY_MS,
    ),
  );

  return {
    runStates: states,
    specs: () => language.specs(),
    validate: (uri) => language.validate(uri),
    runsView,
    models,
    activationMs: performance.now() - started,
  };
}

/** `$(sync~spin) 2/4 nodes` while a run goes on, the outcome for a while after; click shows the log. */
function statusBar(states: RunStates, runner: PipelineRunner): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('tributary.run', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Tributary Run';
  item.command = 'tributary.showRunLog';
  let hide: ReturnType<typeof setTimeout> | undefined;
  const setRunning = (running: boolean) => void vscode.commands.executeCommand('setContext', 'tributary.running', running);
  // A run's last event arrives before its process exits: the process's exit clears the key too.
  const exits = runner.onDidChangeRunning(setRunning);
  const subscription = states.onDidChange((run) => {
    clearTimeout(hide);
    const t = tally(run);
    const running = run.phase === 'starting' || run.phase === 'running';
    setRunning(runner.isRunning() || running);
    const icon = running ? '$(sync~spin)' : run.phase === 'complete' ? '$(pass)' : run.phase === 'canceled' ? '$(circle-slash)' : '$(error)';
    item.text = `${icon} Tributary ${running ? `${t.done}/${t.total}` : run.phase}${t.cached ? ` · ${t.cached} cached` : ''}`;
    item.tooltip = `${vscode.workspace.asRelativePath(vscode.Uri.parse(run.pipelineUri))}: ${run.phase}${t.running.length ? ` — running ${t.running.join(', ')}` : ''}\nClick to show the run log.`;
    item.show();
    if (!running) hide = setTimeout(() => item.hide(), 30_000);
  });
  return { dispose: () => (clearTimeout(hide), subscription.dispose(), exits.dispose(), item.dispose()) };
}

/**
 * The viewers' command, declared now and loaded on its first call: the stand-in makes way for the
 * real registration (viewers/index.ts registers the same id) and forwards the call.
 */
function registerLazyViewers(context: vscode.ExtensionContext, deps: Parameters<typeof ViewersModule.registerViewers>[1]): void {
  const standIn = vscode.commands.registerCommand(VIEWERS_COMMAND, async (...args: unknown[]) => {
    standIn.dispose();
    loadViewers().registerViewers(context, deps);
    return vscode.commands.executeCommand(VIEWERS_COMMAND, ...args);
  });
  context.subscriptions.push(standIn);
}

export function deactivate(): void {}
