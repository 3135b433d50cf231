/**
 * What `tributary resume` (runPipeline with `resume`) takes over from an earlier run: per node,
 * the outputs to reuse, a WAITING execution to adopt, or a rejection that stands.
 */
import { UserError } from '../core/errors.ts';
import { outputsOf } from '../metadata/records.ts';
import type { StoreData } from '../core/metadata-types.ts';
import type { NodeResult } from './node-runner.ts';
import type { PipelinePlan } from '../core/plan.ts';

export interface PriorExecution {
  /** The node's result in the earlier run, reused as is (success, or a person's rejection). */
  reuse?: NodeResult;
  /** A WAITING execution: the node runs again inside it, picking up the approval request. */
  adopt?: number;
}

export function priorExecutions(data: StoreData, plan: PipelinePlan, runId: string): { selected: Set<string>; byNode: Map<string, PriorExecution> } {
  const run = data.contexts.find((c) => c.type === 'pipeline_run' && c.name === runId);
  if (!run) throw new UserError(`No run ${runId} in ${plan.root} (see tributary runs)`);
  if (run.properties.pipeline !== plan.name) throw new UserError(`Run ${runId} belongs to pipeline "${String(run.properties.pipeline)}", not "${plan.name}"`);
  const ids = new Set(plan.nodes.map((n) => n.id));
  const recorded = Array.isArray(run.properties.nodes) ? (run.properties.nodes as string[]).filter((id) => ids.has(id)) : [...ids];
  const selected = new Set(recorded.length ? recorded : ids);
  const byNode = new Map<string, PriorExecution>();
  for (const id of selected) {
    const latest = data.executions.filter((e) => e.runId === runId && e.nodeId === id).sort((a, b) => b.id - a.id)[0];
    if (!latest) continue;
    const outputs = outputsOf(data, latest.id);
    if ((latest.state === 'COMPLETE' || latest.state === 'CACHED') && Object.values(outputs).every((a) => a.state === 'LIVE')) {
      byNode.set(id, { reuse: { state: latest.state, execution: latest, outputs } });
    } else if (latest.state === 'WAITING') {
      byNode.set(id, { adopt: latest.id });
    } else if (latest.state === 'FAILED' && (latest.properties.approval as { decision?: string } | undefined)?.decision === 'REJECTED') {
      // A person said no (or the timeout did): resuming must not ask again.
      byNode.set(id, { reuse: { state: 'FAILED', execution: latest, outputs: {}, error: latest.error } });
    }
  }
  return { selected, byNode };
}
