/**
 * ManualApproval: records an approval request on its own execution (state WAITING), then polls the
 * metadata store until `tributary approve` records a decision or the deadline passes. Interrupted
 * (Ctrl-C, or the process killed) the execution stays WAITING and `tributary resume` adopts it:
 * the request, its deadline and any decision made meanwhile are read back from the store.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { approvalOf, type ApprovalRecord } from './approval-records.ts';
import type { manualApprovalSpec } from './spec.ts';

type Spec = typeof manualApprovalSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const BLESSING_FILE = 'blessing.json';

function upstreamBlessed(ctx: Ctx): { blessed: boolean; failed: string[] } {
  const b = ctx.inputs.blessing;
  if (!b) return { blessed: true, failed: [] };
  const file = join(b.uri, 'blessing.json');
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { blessed?: boolean }) : undefined;
  const blessed = recorded?.blessed ?? b.properties.blessed === true;
  const failed = Array.isArray(b.properties.failed) ? (b.properties.failed as unknown[]).map(String) : [];
  return { blessed, failed };
}

function writeBlessing(ctx: Ctx, blessed: boolean, approval: ApprovalRecord | undefined, reasons: { passed: boolean; message: string }[]): void {
  const out = ctx.outputs.blessing;
  const { model } = ctx.inputs;
  writeFileSync(join(out.uri, BLESSING_FILE), JSON.stringify({ blessed, model: { id: model.id, uri: model.uri }, approval, reasons }, null, 1));
  writeFileSync(join(out.uri, blessed ? 'BLESSED' : 'NOT_BLESSED'), '');
  out.properties = {
    blessed,
    modelId: model.id,
    modelUri: model.uri,
    ...(approval?.decision ? { decision: approval.decision, approvedBy: approval.by, decidedAt: approval.at, comment: approval.comment } : {}),
    failed: reasons.filter((r) => !r.passed).map((r) => r.message),
  };
}

// An abort that came before the sleep fires no event: check it first, or the wait polls forever.
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export async function execute(ctx: Ctx): Promise<void> {
  const { params, metadata } = ctx;
  const upstream = upstreamBlessed(ctx);
  if (!upstream.blessed && !params.ask_when_not_blessed) {
    ctx.log.warn('the model is not blessed upstream: passed on as not blessed, nobody asked');
    writeBlessing(ctx, false, undefined, [{ passed: false, message: `not blessed upstream${upstream.failed.length ? `: ${upstream.failed.join('; ')}` : ''}` }]);
    return;
  }
  if (!metadata?.update) throw new UserError('ManualApproval needs a pipeline run (it records its request in the metadata store)', { nodeId: ctx.nodeId });
  const executionId = metadata.executionId;

  // Request (or, after a resume, re-read the request made before): state WAITING, deadline fixed once.
  const request = await metadata.update((data) => {
    const e = data.executions.find((x) => x.id === executionId)!;
    const approval: ApprovalRecord = approvalOf(e) ?? {
      requestedAt: new Date().toISOString(),
      ...(params.timeout_s > 0 ? { deadline: new Date(Date.now() + params.timeout_s * 1000).toISOString() } : {}),
    };
    e.properties.approval = approval;
    if (!approval.decision) e.state = 'WAITING';
    return { approval, runId: e.runId };
  });
  const { runId } = request;
  let approval = request.approval;
  if (!approval.decision) {
    ctx.emit?.({ type: 'approval', runId, nodeId: ctx.nodeId, executionId, state: 'WAITING', deadline: approval.deadline });
    ctx.log.warn(
      `waiting for approval: tributary approve ${runId} ${ctx.nodeId} [--reject] [--comment TEXT]${approval.deadline ? ` (rejected at ${approval.deadline})` : ''}; Ctrl-C keeps it waiting for tributary resume`,
    );
  }
  while (!approval.decision) {
    await sleep(params.poll_interval_s * 1000, ctx.signal);
    const e = (await metadata.read()).executions.find((x) => x.id === executionId);
    approval = (e && approvalOf(e)) ?? approval;
    if (!approval.decision && approval.deadline && Date.now() >= Date.parse(approval.deadline)) {
      approval = await metadata.update((data) => {
        const rec = data.executions.find((x) => x.id === executionId)!;
        const current = approvalOf(rec)!;
        // A decision may have landed between the read and this lock: it wins over the timeout.
        if (!current.decision) {
          rec.properties.approval = { ...current, decision: 'REJECTED', by: 'timeout', at: new Date().toISOString(), comment: `no decision within ${params.timeout_s} s` };
        }
        return approvalOf(rec)!;
      });
    }
  }
  // Back to RUNNING so the node runner records the outcome like any other execution's.
  await metadata.update((data) => {
    const e = data.executions.find((x) => x.id === executionId)!;
    if (e.state === 'WAITING') e.state = 'RUNNING';
  });
  const approved = approval.decision === 'APPROVED';
  ctx.emit?.({ type: 'approval', runId, nodeId: ctx.nodeId, executionId, state: approval.decision!, by: approval.by, comment: approval.comment });
  const note = `${approved ? 'approved' : 'rejected'} by ${approval.by} at ${approval.at}${approval.comment ? `: ${approval.comment}` : ''}`;
  if (!approved) throw new UserError(`Deployment ${note}`, { nodeId: ctx.nodeId });
  ctx.log.info(note);
  writeBlessing(ctx, true, approval, [
    ...(ctx.inputs.blessing ? [{ passed: true, message: 'blessed upstream' }] : []),
    { passed: true, message: note },
  ]);
}
