/**
 * What the editor says about production events of a run (alerts, approvals): `alert` RunEvents become
 * notifications, `approval` RunEvents (a ManualApproval node WAITING) become a notification with
 * Approve / Reject / Open Evaluation. Pure and `vscode`-free so the mapping and the `approve`
 * command line are unit tested in plain Node; extension/src/runs/approvals.ts shows them.
 */
import { approvalOf, isPendingApproval, type AlertMessage, type RunEvent, type StoreData } from '../../../runtime/src/host-api.ts';
import { readPipelineStore, type CliRunner, type StoreSource } from '../views/store-source.ts';

export type NotificationSeverity = 'info' | 'warning' | 'error';

/** A button on a notification and what it does when clicked. */
export type NotificationAction =
  | { title: 'Open Run Log'; kind: 'runLog' }
  | { title: 'Open Artifact'; kind: 'artifact'; artifactId: number }
  | { title: 'Approve'; kind: 'approve' }
  | { title: 'Reject'; kind: 'reject' }
  | { title: 'Open Evaluation'; kind: 'review'; artifactId: number };

export interface Notification {
  severity: NotificationSeverity;
  message: string;
  actions: NotificationAction[];
}

const SEVERITY: Record<AlertMessage['severity'], NotificationSeverity> = { INFO: 'info', WARNING: 'warning', ERROR: 'error' };

/**
 * The notification for an `alert` event. `approval_needed` alerts give none: the approval event
 * itself gets a richer notification with the decision buttons, and one is enough.
 */
export function alertNotification(alert: AlertMessage): Notification | undefined {
  if (alert.event === 'approval_needed') return undefined;
  const artifactId = alert.details.artifactId;
  const actions: NotificationAction[] = [];
  if (typeof artifactId === 'number') actions.push({ title: 'Open Artifact', kind: 'artifact', artifactId });
  actions.push({ title: 'Open Run Log', kind: 'runLog' });
  // The text repeats the node and run; the title alone is too terse for a toast.
  return { severity: SEVERITY[alert.severity], message: `Tributary: ${alert.text}`, actions };
}

export type ApprovalEvent = Extract<RunEvent, { type: 'approval' }>;

/** The notification for an approval request; decisions are only reported (no buttons left to press). */
export function approvalNotification(event: ApprovalEvent, reviewArtifactId?: number): Notification {
  if (event.state !== 'WAITING') {
    const verb = event.state === 'APPROVED' ? 'approved' : 'rejected';
    const who = event.by ? ` by ${event.by}` : '';
    return {
      severity: event.state === 'APPROVED' ? 'info' : 'warning',
      message: `Tributary: ${event.nodeId} in run ${event.runId} ${verb}${who}${event.comment ? `: ${event.comment}` : ''}.`,
      actions: [],
    };
  }
  const deadline = event.deadline ? ` It is rejected automatically at ${new Date(event.deadline).toLocaleString()}.` : '';
  const actions: NotificationAction[] = [
    { title: 'Approve', kind: 'approve' },
    { title: 'Reject', kind: 'reject' },
  ];
  if (reviewArtifactId !== undefined) actions.push({ title: 'Open Evaluation', kind: 'review', artifactId: reviewArtifactId });
  return { severity: 'info', message: `Tributary: ${event.nodeId} in run ${event.runId} waits for your approval.${deadline}`, actions };
}

/**
 * The approval requests a store holds: every ManualApproval execution WAITING without a decision,
 * as the `approval` event its run emitted. Runs started outside this window (a terminal, a
 * scheduler) only show up here, since their events never reach the editor.
 */
export function waitingApprovals(data: Pick<StoreData, 'executions'>): ApprovalEvent[] {
  return data.executions
    .filter(isPendingApproval)
    .map((e) => {
      const deadline = approvalOf(e)?.deadline;
      return { type: 'approval', runId: e.runId, nodeId: e.nodeId, executionId: e.id, state: 'WAITING', ...(deadline ? { deadline } : {}) };
    });
}

/**
 * What approvals read of a pipeline's store, whichever it is: its open runs only (a node waiting
 * for approval keeps its run open), with the inputs the waiting executions review.
 */
export async function readOpenRuns(source: StoreSource, cli: CliRunner | undefined, env: NodeJS.ProcessEnv = process.env): Promise<StoreData | undefined> {
  return (await readPipelineStore(source, { limit: 0 }, cli, env)).data;
}

/**
 * Which approval requests were already announced, by store and execution id (ids count per
 * store): a run of this window reports its request as an event and the store watcher then sees
 * it WAITING too; it is said once.
 */
export class AnnouncedApprovals {
  private readonly seen = new Set<string>();

  /** True the first time an execution of that store is offered. */
  claim(store: string, executionId: number): boolean {
    const key = `${store}#${executionId}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  /** The store's requests not announced before (and now claimed). */
  fresh(store: string, data: Pick<StoreData, 'executions'>): ApprovalEvent[] {
    return waitingApprovals(data).filter((a) => this.claim(store, a.executionId));
  }
}

/**
 * The artifact an approver should look at: the waiting execution's `evaluation` input, else its
 * `blessing`, else any input (a ManualApproval wired to statistics, say).
 */
export function reviewArtifactOf(data: Pick<StoreData, 'events'>, executionId: number): number | undefined {
  const inputs = data.events.filter((e) => e.executionId === executionId && e.type === 'INPUT');
  return (inputs.find((e) => e.key === 'evaluation') ?? inputs.find((e) => e.key === 'blessing') ?? inputs[0])?.artifactId;
}

export interface Decision {
  runId: string;
  nodeId: string;
  /** The pipeline file (the CLI finds its metadata store from it). */
  file?: string;
  reject: boolean;
  comment?: string;
}

/** `approve RUN NODE [FILE] [--reject] [--comment TEXT]`: the CLI arguments after the script path. */
export function approveArgs(decision: Decision): string[] {
  if (!decision.runId || !decision.nodeId) throw new Error('approve needs a run id and a node id');
  const args = ['approve', decision.runId, decision.nodeId];
  if (decision.file) args.push(decision.file);
  if (decision.reject) args.push('--reject');
  const comment = decision.comment?.trim();
  if (comment) args.push('--comment', comment);
  return args;
}
