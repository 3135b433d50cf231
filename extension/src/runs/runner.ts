/**
 * Runs pipelines out of process: `dist/runtime/cli.js run FILE --events` in a child Node process,
 * so user code or a crash can never take the extension host down. The child prints one RunEvent
 * per line on stdout (fed to RunStates) and human-readable progress on stderr (the Output
 * channel). Stop sends SIGINT, which the CLI turns into a clean cancel (executions CANCELED); a
 * second Stop kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type { RunEvent } from '../../../runtime/src/host-api.ts';
import { Emitter, LineSplitter, parseRunEvent, tally, type RunStates } from './state.ts';
import { runtimeEnv, type RuntimeChoice } from './runtime-choice.ts';
import { configuredRuntime, type RuntimeSelector } from './runtime-selector.ts';

export interface RunRequest {
  uri: vscode.Uri;
  /** `--only` these nodes (Run Node). */
  only?: string[];
  /** `--from` this node (Run From Node). */
  from?: string;
  noCache?: boolean;
}

export class PipelineRunner implements vscode.Disposable {
  private readonly children = new Map<string, ChildProcess>();
  /** Runs waiting for the runtime choice (the first run of a session asks every runtime). */
  private readonly starting = new Set<string>();
  private readonly stopAsked = new WeakSet<ChildProcess>();
  private readonly events = new Emitter<{ pipeline: vscode.Uri; event: RunEvent }>();
  /** Every RunEvent of every run (alerts and approvals become notifications: approvals.ts). */
  readonly onDidReceiveEvent = this.events.event;
  private readonly runningChanged = new Emitter<boolean>();
  /** Fires with isRunning() whenever a run's process starts or exits (the run's last event comes first). */
  readonly onDidChangeRunning = this.runningChanged.event;

  constructor(
    private readonly cliPath: string,
    private readonly output: vscode.OutputChannel,
    private readonly states: RunStates,
    private readonly runtimes: RuntimeSelector,
  ) {}

  /** The runtime choice runs use (a status bar item shows the backend it leads to). */
  runtimeChoice(): Promise<RuntimeChoice> {
    return this.runtimes.choice();
  }

  isRunning(uri?: vscode.Uri): boolean {
    return uri ? this.children.has(uri.toString()) || this.starting.has(uri.toString()) : this.children.size + this.starting.size > 0;
  }

  running(): vscode.Uri[] {
    return [...this.children.keys()].map((k) => vscode.Uri.parse(k));
  }

  /** Starts a run and resolves with its final phase once the child exits. */
  run(request: RunRequest): Promise<'complete' | 'failed' | 'canceled'> {
    const key = request.uri.toString();
    if (this.children.has(key) || this.starting.has(key)) throw new Error('This pipeline is already running: stop it first.');
    const args = [this.cliPath, 'run', request.uri.fsPath, '--events'];
    if (request.only?.length) args.push('--only', ...request.only);
    if (request.from) args.push('--from', request.from);
    if (request.noCache) args.push('--no-cache');
    this.output.appendLine(`\n▶ ${new Date().toLocaleTimeString()}  tributary ${args.slice(1).join(' ')}`);
    this.states.start(key);
    this.starting.add(key);
    this.runningChanged.fire(true);
    return this.runtimes.spawnTarget().then(
      (target) => {
        // Stop while the runtimes were being asked: nothing was started.
        if (!this.starting.delete(key)) {
          this.states.finish(key, 'canceled', 'stopped before it started');
          this.runningChanged.fire(this.isRunning());
          return 'canceled' as const;
        }
        this.runtimes.offerFix(target.choice);
        return this.follow(request, key, spawn(target.command, args, { cwd: vscode.Uri.joinPath(request.uri, '..').fsPath, env: target.env, stdio: ['ignore', 'pipe', 'pipe'] }));
      },
      (e: Error) => {
        this.starting.delete(key);
        this.states.finish(key, 'failed', `no runtime to run it: ${e.message}`);
        this.runningChanged.fire(this.isRunning());
        return 'failed' as const;
      },
    );
  }

  /** Feeds a run's child process into RunStates and the Output channel until it exits. */
  private follow(request: RunRequest, key: string, child: ChildProcess): Promise<'complete' | 'failed' | 'canceled'> {
    this.children.set(key, child);
    this.runningChanged.fire(true);
    const stdout = new LineSplitter();
    const stderr = new LineSplitter();
    let stderrTail = '';
    const onStdout = (lines: string[]) => {
      for (const line of lines) {
        const event = parseRunEvent(line);
        if (!event) continue;
        this.states.apply(key, event);
        this.events.fire({ pipeline: request.uri, event });
      }
    };
    const onStderr = (lines: string[]) => {
      for (const line of lines) {
        this.output.appendLine(line);
        stderrTail = `${stderrTail}\n${line}`.slice(-2000);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => onStdout(stdout.push(chunk)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => onStderr(stderr.push(chunk)));
    return new Promise((resolve) => {
      const settle = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (this.children.get(key) !== child) return;
        this.children.delete(key);
        this.runningChanged.fire(this.isRunning());
        onStdout(stdout.flush());
        onStderr(stderr.flush());
        const phase = code === 0 ? 'complete' : code === 130 || signal ? 'canceled' : 'failed';
        const why = error?.message ?? (phase === 'failed' ? stderrTail.trim().split('\n').slice(-3).join('\n') : undefined);
        this.states.finish(key, phase, why);
        const run = this.states.current(key);
        const counts = run ? tally(run) : undefined;
        const summary = counts ? ` — ${counts.done}/${counts.total} node(s), ${counts.cached} cached, ${counts.failed} failed` : '';
        this.output.appendLine(`■ ${phase}${summary}${error ? `: ${error.message}` : ''}`);
        resolve(run?.phase === 'complete' || run?.phase === 'failed' || run?.phase === 'canceled' ? run.phase : phase);
      };
      child.on('error', (e) => settle(null, null, e));
      child.on('exit', (code, signal) => settle(code, signal));
    });
  }

  /** A short CLI command in the configured runtime (no GPU needed, so no runtime probing first). */
  private spawnCli(cliArgs: string[], cwd: string): ChildProcess {
    const runtime = configuredRuntime();
    return spawn(runtime.path, [this.cliPath, ...cliArgs], { cwd, env: runtimeEnv(runtime), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * A short CLI command (`approve`, `trends --json`) out of process, like a run: resolves with its
   * exit code and output; the command line and stderr also go to the Output channel.
   */
  exec(cliArgs: string[], cwd: string, quiet = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
    if (!quiet) this.output.appendLine(`▶ tributary ${cliArgs.join(' ')}`);
    const child = this.spawnCli(cliArgs, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve) => {
      child.on('error', (e) => resolve({ code: null, stdout, stderr: `${stderr}${e.message}` }));
      child.on('close', (code) => {
        if (stderr.trim() && (!quiet || code !== 0)) this.output.appendLine(`${quiet ? `tributary ${cliArgs.join(' ')}: ` : ''}${stderr.trimEnd()}`);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** A read the views repeat (`metadata view`): the Output channel hears of it only when it fails. */
  readonly query = (cliArgs: string[], cwd: string) => this.exec(cliArgs, cwd, true);

  /** SIGINT: the CLI cancels cleanly; asked again while it winds down, SIGKILL. */
  stop(uri?: vscode.Uri): boolean {
    const keys = uri ? [uri.toString()] : [...this.children.keys()];
    let stopped = false;
    for (const key of uri ? keys : [...keys, ...this.starting]) {
      if (this.starting.delete(key)) {
        this.output.appendLine('■ canceled before it started');
        stopped = true;
        continue;
      }
      const child = this.children.get(key);
      if (!child) continue;
      const asked = this.stopAsked.has(child);
      child.kill(asked ? 'SIGKILL' : 'SIGINT');
      this.stopAsked.add(child);
      this.output.appendLine(asked ? '■ killing the run' : '■ canceling… (Stop again to kill it)');
      stopped = true;
    }
    return stopped;
  }

  dispose(): void {
    for (const child of this.children.values()) child.kill('SIGINT');
  }
}
