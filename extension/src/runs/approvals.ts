/**
 * In the editor: a run's `alert` events as notifications, and engineer-in-the-loop
 * approval — a notification when a ManualApproval node waits, the `tributary.approveNode` /
 * `tributary.rejectNode` commands (palette, and inline on a WAITING node in the Runs view). A
 * decision runs `tributary approve …` out of process, like a run: the waiting run picks it up.
 * Requests of runs started elsewhere (a terminal, a scheduler) are found in the stores the Runs
 * view watches (files, or a Postgres server polled while the views show), so they get the same
 * notification.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { runsFromStore } from '../views/model.ts';
import { storeKey, type StoreSource } from '../views/store-source.ts';
import type { PipelineIndex } from '../views/trees.ts';
import {
  alertNotification,
  AnnouncedApprovals,
  approvalNotification,
  approveArgs,
  readOpenRuns,
  reviewArtifactOf,
  type ApprovalEvent,
  type Notification,
  type NotificationAction,
} from './notifications.ts';
import type { PipelineRunner } from './runner.ts';

/** The least time between two scans of the stores for approval requests. */
const SCAN_GAP_MS = 2000;

export interface ApprovalDeps {
  context: vscode.ExtensionContext;
  runner: PipelineRunner;
  /** The workspace's pipelines; fires when one of their stores changes on disk. */
  index: Pick<PipelineIndex, 'list' | 'onDidChange'>;
  /** Where the pipeline's records are (an embedded store, or a Postgres server read through the CLI). */
  sourceOf(pipeline: vscode.Uri): Promise<StoreSource>;
  /** The pipeline the user is looking at, or one picked from the workspace. */
  pickPipeline(): Promise<vscode.Uri | undefined>;
  showRunLog(): void;
}

/** What the commands receive: a Runs view execution node, or explicit ids. */
interface DecisionTarget {
  pipelineUri?: string;
  runId?: string;
  nodeId?: string;
  pipeline?: { uri: vscode.Uri };
  run?: { runId: string };
  execution?: { nodeId: string };
}

function show(n: Notification): Thenable<NotificationAction | undefined> {
  const items = n.actions;
  if (n.severity === 'error') return vscode.window.showErrorMessage(n.message, ...items);
  if (n.severity === 'warning') return vscode.window.showWarningMessage(n.message, ...items);
  return vscode.window.showInformationMessage(n.message, ...items);
}

export function registerApprovals(deps: ApprovalDeps): void {
  const { context, runner } = deps;

  const decide = async (pipeline: vscode.Uri, runId: string, nodeId: string, reject: boolean): Promise<void> => {
    const comment = await vscode.window.showInputBox({
      title: `${reject ? 'Reject' : 'Approve'} ${nodeId} in run ${runId}`,
      prompt: 'Comment recorded with the decision (optional)',
      placeHolder: reject ? 'why not' : 'looks good',
      // A viewer or terminal taking the focus must not close the box: the decision would be lost unsaid.
      ignoreFocusOut: true,
    });
    if (comment === undefined) return; // Escape: no decision.
    const result = await runner.exec(approveArgs({ runId, nodeId, file: pipeline.fsPath, reject, comment }), dirname(pipeline.fsPath));
    if (result.code !== 0) {
      void vscode.window.showErrorMessage(`tributary approve failed: ${(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-2).join(' ')}`);
    } else if (!runner.isRunning(pipeline)) {
      // A run of this window reports the decision itself (its approval event): say it once.
      void vscode.window.showInformationMessage(result.stdout.trim().split('\n').join(' ') || `${nodeId}: ${reject ? 'rejected' : 'approved'}`);
    }
  };

  const act = (pipeline: vscode.Uri, runId: string, nodeId: string | undefined, action: NotificationAction | undefined) => {
    if (!action) return;
    switch (action.kind) {
      case 'runLog':
        return deps.showRunLog();
      case 'artifact':
      case 'review':
        return void vscode.commands.executeCommand('tributary.viewers.open', { kind: 'artifact', artifactId: action.artifactId, pipelineUri: pipeline.toString() });
      case 'approve':
      case 'reject':
        if (nodeId) return void decide(pipeline, runId, nodeId, action.kind === 'reject');
    }
  };

  const announced = new AnnouncedApprovals();
  const offer = async (pipeline: vscode.Uri, request: ApprovalEvent, data?: Parameters<typeof reviewArtifactOf>[0]): Promise<void> => {
    // The store says what the node is wired to look at; without it, no Open Evaluation.
    data ??= await deps.sourceOf(pipeline).then((source) => readOpenRuns(source, runner.query), () => undefined);
    const review = data ? reviewArtifactOf(data, request.executionId) : undefined;
    act(pipeline, request.runId, request.nodeId, await show(approvalNotification(request, review)));
  };

  context.subscriptions.push(
    runner.onDidReceiveEvent(({ pipeline, event }) => {
      if (event.type === 'alert') {
        const n = alertNotification(event.alert);
        if (n) void show(n).then((a) => act(pipeline, event.alert.runId, event.alert.nodeId, a));
      } else if (event.type === 'approval') {
        void (async () => {
          const store = await deps.sourceOf(pipeline).then((source) => storeKey(source), () => pipeline.toString());
          if (event.state !== 'WAITING' || announced.claim(store, event.executionId)) await offer(pipeline, event);
        })();
      }
    }),
    deps.index.onDidChange(() => void announceFromStores()),
  );

  let scanning: Promise<void> | undefined;
  let again = false;
  /** Requests in the workspace's stores that no event announced (also those waiting when VS Code opened). */
  const announceFromStores = async (): Promise<void> => {
    // A change during a scan gets a scan of its own after it: a waiting run writes nothing more.
    if (scanning) return void (again = true);
    scanning = (async () => {
      do {
        again = false;
        for (const p of deps.index.list()) {
          const data = await readOpenRuns(p.info, runner.query);
          if (!data) continue;
          for (const request of announced.fresh(storeKey(p.info), data)) void offer(p.uri, request, data);
        }
        // Changes keep coming while a run reports progress; a store on a server is read by a CLI
        // process, so the scans after the first come at most every SCAN_GAP_MS.
        if (again) await new Promise((resolve) => setTimeout(resolve, SCAN_GAP_MS));
      } while (again);
    })().finally(() => (scanning = undefined));
    await scanning;
  };

  /** The target's run and node, or a pick among the WAITING nodes in the pipeline's store. */
  const resolve = async (target: DecisionTarget | undefined): Promise<{ pipeline: vscode.Uri; runId: string; nodeId: string } | undefined> => {
    const fromTarget = target?.pipeline?.uri ?? (target?.pipelineUri ? vscode.Uri.parse(target.pipelineUri) : undefined);
    const runId = target?.run?.runId ?? target?.runId;
    const nodeId = target?.execution?.nodeId ?? target?.nodeId;
    const pipeline = fromTarget ?? (await deps.pickPipeline());
    if (!pipeline) return undefined;
    if (runId && nodeId) return { pipeline, runId, nodeId };
    const data = await readOpenRuns(await deps.sourceOf(pipeline), runner.query);
    const waiting = (data ? runsFromStore(data) : []).flatMap((r) => r.executions.filter((e) => e.state === 'WAITING').map((e) => ({ runId: r.runId, nodeId: e.nodeId })));
    if (waiting.length === 0) {
      void vscode.window.showInformationMessage(`No node of ${vscode.workspace.asRelativePath(pipeline)} is waiting for approval.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      waiting.map((w) => ({ label: w.nodeId, description: `run ${w.runId}`, ...w })),
      { placeHolder: 'Which waiting node?' },
    );
    return pick ? { pipeline, runId: pick.runId, nodeId: pick.nodeId } : undefined;
  };

  for (const [command, reject] of [
    ['tributary.approveNode', false],
    ['tributary.rejectNode', true],
  ] as const) {
    context.subscriptions.push(
      vscode.commands.registerCommand(command, async (target?: DecisionTarget) => {
        const t = await resolve(target);
        if (t) await decide(t.pipeline, t.runId, t.nodeId, reject);
      }),
    );
  }
}
