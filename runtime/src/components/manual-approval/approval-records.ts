/** The approval request and decision, kept on the ManualApproval execution's properties in the store. */
import { userInfo } from 'node:os';
import { UserError } from '../../core/errors.ts';
import type { ExecutionRecord, StoreData } from '../../core/metadata-types.ts';

export interface ApprovalRecord {
  requestedAt: string;
  /** ISO time after which the request is rejected; absent: no timeout. */
  deadline?: string;
  decision?: 'APPROVED' | 'REJECTED';
  by?: string;
  at?: string;
  comment?: string;
}

export function approvalOf(e: Pick<ExecutionRecord, 'properties'>): ApprovalRecord | undefined {
  return e.properties.approval as ApprovalRecord | undefined;
}

/** A request a person can still decide: a ManualApproval execution WAITING without a decision. */
export function isPendingApproval(e: Pick<ExecutionRecord, 'component' | 'state' | 'properties'>): boolean {
  return e.state === 'WAITING' && e.component === 'ManualApproval' && !approvalOf(e)?.decision;
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** The WAITING execution of a node in a run, or a clear error saying what the node is doing instead. */
export function waitingExecution(data: StoreData, runId: string, nodeId: string): ExecutionRecord {
  const all = data.executions.filter((e) => e.runId === runId && e.nodeId === nodeId).sort((a, b) => b.id - a.id);
  if (!all.length) {
    const known = data.contexts.some((c) => c.type === 'pipeline_run' && c.name === runId);
    throw new UserError(known ? `Run ${runId} has no execution of node "${nodeId}" (yet)` : `No run ${runId} in this metadata store`);
  }
  const latest = all[0];
  if (latest.state !== 'WAITING') {
    const decided = approvalOf(latest)?.decision;
    throw new UserError(
      `Node "${nodeId}" of run ${runId} is not waiting for approval (execution ${latest.id} is ${latest.state}${decided ? `, ${decided.toLowerCase()} by ${approvalOf(latest)?.by}` : ''})`,
    );
  }
  return latest;
}

/** Records a decision on a WAITING execution (the `approve` command); the waiting run picks it up. */
export function decide(
  data: StoreData,
  runId: string,
  nodeId: string,
  decision: 'APPROVED' | 'REJECTED',
  by: string,
  comment?: string,
): ExecutionRecord {
  const e = waitingExecution(data, runId, nodeId);
  const approval = approvalOf(e) ?? { requestedAt: e.startedAt };
  if (approval.decision) throw new UserError(`Node "${nodeId}" of run ${runId} was already ${approval.decision.toLowerCase()} by ${approval.by} at ${approval.at}`);
  e.properties.approval = { ...approval, decision, by, at: new Date().toISOString(), ...(comment ? { comment } : {}) };
  return e;
}
