/**
 * The editor's side of runtime-choice.ts: asks each candidate runtime once per session (again when
 * tributary.runtime.nodePath changes or Check Environment asks), offers the one-click fix, and
 * shows the environment report.
 */
import * as vscode from 'vscode';
import { describeDoctor, RUNTIME_CHOICE_ENV } from '../../../runtime/src/host-api.ts';
import { chooseRuntime, describeChoice, probeRuntime, runtimeCandidates, runtimeEnv, type RuntimeCandidate, type RuntimeChoice } from './runtime-choice.ts';

export const ENVIRONMENT_URI = vscode.Uri.parse('tributary-environment:/Tributary%20Environment.md');

/** The runtime the settings name (nodePath, else VS Code's own), without asking anyone. */
export function configuredRuntime(): RuntimeCandidate {
  const nodePath = vscode.workspace.getConfiguration('tributary').get<string>('runtime.nodePath');
  return runtimeCandidates({ nodePath, execPath: process.execPath, electron: !!process.versions.electron, pathEnv: '' })[0];
}

export class RuntimeSelector implements vscode.Disposable {
  private pending?: Promise<RuntimeChoice>;
  private offered = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly cliPath: string,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tributary.runtime.nodePath')) this.pending = undefined;
      }),
    );
  }

  /** The runtime for runs; the first call asks every candidate's `tributary doctor` (seconds). */
  choice(): Promise<RuntimeChoice> {
    this.pending ??= this.probe();
    return this.pending;
  }

  refresh(): Promise<RuntimeChoice> {
    this.pending = undefined;
    return this.choice();
  }

  /** How to spawn the CLI in the chosen runtime; TRIBUTARY_RUNTIME_CHOICE only when it is not the configured one. */
  async spawnTarget(): Promise<{ command: string; env: NodeJS.ProcessEnv; choice: RuntimeChoice }> {
    const choice = await this.choice();
    const env = runtimeEnv(choice.runtime);
    if (choice.runtime !== choice.probes[0].candidate) env[RUNTIME_CHOICE_ENV] = choice.reason;
    return { command: choice.runtime.path, env, choice };
  }

  private async probe(): Promise<RuntimeChoice> {
    const candidates = runtimeCandidates({
      nodePath: vscode.workspace.getConfiguration('tributary').get<string>('runtime.nodePath'),
      execPath: process.execPath,
      electron: !!process.versions.electron,
      pathEnv: process.env.PATH,
    });
    const probes = await Promise.all(candidates.map((c) => probeRuntime(c, this.cliPath)));
    const choice = chooseRuntime(probes);
    this.output.appendLine(`runtime: ${choice.reason}`);
    return choice;
  }

  /** Once per session: a GPU backend is installed but unusable from the runtime in use. */
  offerFix(choice: RuntimeChoice): void {
    if (!choice.fix || this.offered) return;
    this.offered = true;
    void this.showFix(choice);
  }

  async showFix(choice: RuntimeChoice): Promise<void> {
    if (!choice.fix) {
      void vscode.window.showInformationMessage(`Tributary: ${choice.reason}.`);
      return;
    }
    const use = choice.fix.useNodePath ? `Use ${choice.fix.useNodePath}` : undefined;
    const check = 'Check Environment';
    const answer = await vscode.window.showWarningMessage(`Tributary: ${choice.fix.message}.`, ...[use, check].filter((x): x is string => !!x));
    if (answer === use && choice.fix.useNodePath) await this.useNodePath(choice.fix.useNodePath);
    else if (answer === check) await vscode.commands.executeCommand('tributary.checkEnvironment');
  }

  /** The one-click fix: runs go to this Node from now on (user setting, machine-overridable). */
  async useNodePath(path: string): Promise<void> {
    await vscode.workspace.getConfiguration('tributary').update('runtime.nodePath', path, vscode.ConfigurationTarget.Global);
    this.pending = undefined;
    this.output.appendLine(`runtime: tributary.runtime.nodePath set to ${path}`);
    void vscode.window.showInformationMessage(`Tributary runs now use ${path}.`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Check Environment (asks every runtime again), the fix command, and the report's document. */
export function registerEnvironmentCommands(context: vscode.ExtensionContext, selector: RuntimeSelector): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  let text = '';
  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(ENVIRONMENT_URI.scheme, { onDidChange: changed.event, provideTextDocumentContent: () => text }),
    vscode.commands.registerCommand('tributary.checkEnvironment', async () => {
      const choice = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Tributary: asking each runtime which TensorFlow.js backends load…' },
        () => selector.refresh(),
      );
      text = describeChoice(choice, describeDoctor);
      changed.fire(ENVIRONMENT_URI);
      const doc = await vscode.workspace.openTextDocument(ENVIRONMENT_URI);
      await vscode.window.showTextDocument(doc, { preview: false });
      if (choice.fix) void selector.showFix(choice);
      return choice;
    }),
    vscode.commands.registerCommand('tributary.fixRuntime', async () => selector.showFix(await selector.choice())),
  );
}
