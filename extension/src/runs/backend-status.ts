/**
 * While a node trains, a status bar item names the TensorFlow.js backend it got and the runtime
 * it runs in (the Trainer's "backend: …" log line, runtime-choice.ts). When a GPU backend is
 * installed but unusable from that runtime, it turns into a warning whose click is the fix.
 */
import * as vscode from 'vscode';
import { GPU_BACKENDS, parseBackendChoice } from '../../../runtime/src/host-api.ts';
import type { PipelineRunner } from './runner.ts';

export function backendStatusBar(runner: PipelineRunner): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('tributary.backend', vscode.StatusBarAlignment.Left, 9);
  item.name = 'Tributary Training Backend';
  const training = new Set<string>();
  const events = runner.onDidReceiveEvent(async ({ event }) => {
    if (event.type === 'node-state' && event.state !== 'RUNNING' && training.delete(event.nodeId) && training.size === 0) item.hide();
    if (event.type === 'run-end') {
      training.clear();
      item.hide();
    }
    if (event.type !== 'log') return;
    const chosen = parseBackendChoice(event.message);
    if (!chosen) return;
    training.add(event.nodeId);
    const choice = await runner.runtimeChoice();
    if (!training.has(event.nodeId)) return; // it finished meanwhile
    const gpu = GPU_BACKENDS.includes(chosen.name);
    const fixable = !gpu && !!choice.fix;
    item.text = `${fixable ? '$(warning)' : gpu ? '$(rocket)' : '$(chip)'} ${event.nodeId}: ${chosen.name}`;
    item.tooltip = new vscode.MarkdownString(
      [`**${event.nodeId}** trains on **${chosen.name}** (${chosen.how}).`, `Runtime: ${choice.reason}.`, fixable ? `**${choice.fix!.message}.** Click to fix.` : 'Click to check the environment.'].join('\n\n'),
    );
    item.command = fixable ? 'tributary.fixRuntime' : 'tributary.checkEnvironment';
    item.backgroundColor = fixable ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.show();
  });
  const stopped = runner.onDidChangeRunning((running) => {
    if (!running) {
      training.clear();
      item.hide();
    }
  });
  return { dispose: () => (events.dispose(), stopped.dispose(), item.dispose()) };
}
