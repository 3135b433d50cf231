/**
 * Turns run events into alert messages by the pipeline's rules. Anomaly severity, blessing and
 * pushes are read from the output artifacts' recorded properties (ExampleAnomalies errorCount /
 * warningCount, ModelBlessing and InfraBlessing `blessed`, PushedModel `pushed`), so any component
 * producing those types is covered. Only executions that ran count: a cache hit has nothing new.
 */
import type { AlertMessage, RunEvent } from '../core/run-events.ts';
import type { AlertEventKind, AlertRule } from '../core/pipeline-spec.ts';

/** What the matcher needs of a finished node (the scheduler's NodeSummary fits). */
export interface FinishedNode {
  id: string;
  component: string;
  outputs?: Record<string, { id: number; type: string; properties: Record<string, unknown> }>;
}

type Draft = Omit<AlertMessage, 'pipeline' | 'runId' | 'time'>;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Every alert-worthy fact in one event, before any rule is applied. */
export function factsOf(event: RunEvent, node?: FinishedNode): Draft[] {
  if (event.type === 'run-end') {
    if (event.state !== 'FAILED') return [];
    return [{ event: 'run_failed', severity: 'ERROR', title: 'Run failed', text: `Run ${event.runId} failed.`, details: { state: event.state } }];
  }
  if (event.type === 'approval') {
    if (event.state !== 'WAITING') return [];
    return [
      {
        event: 'approval_needed',
        nodeId: event.nodeId,
        severity: 'INFO',
        title: `Approval needed: ${event.nodeId}`,
        text: `Node ${event.nodeId} waits for a decision: tributary approve ${event.runId} ${event.nodeId} [--reject] [--comment TEXT]${event.deadline ? ` (rejected automatically at ${event.deadline})` : ''}.`,
        details: { executionId: event.executionId, deadline: event.deadline },
      },
    ];
  }
  if (event.type !== 'node-state') return [];
  if (event.state === 'FAILED') {
    const firstLine = (event.error ?? '').split('\n')[0];
    return [
      {
        event: 'node_failed',
        nodeId: event.nodeId,
        severity: 'ERROR',
        title: `Node failed: ${event.nodeId}`,
        text: `Node ${event.nodeId}${node ? ` (${node.component})` : ''} failed${firstLine ? `: ${firstLine}` : '.'}`,
        details: { executionId: event.executionId, error: event.error },
      },
    ];
  }
  if (event.state !== 'COMPLETE' || !node?.outputs) return [];
  const facts: Draft[] = [];
  for (const [name, a] of Object.entries(node.outputs)) {
    const p = a.properties;
    if (a.type === 'ExampleAnomalies') {
      const errors = num(p.errorCount);
      const warnings = num(p.warningCount);
      if (errors + warnings === 0) continue;
      facts.push({
        event: 'anomalies',
        nodeId: node.id,
        severity: errors > 0 ? 'ERROR' : 'WARNING',
        title: `Data anomalies: ${node.id}`,
        text: `${node.id} found ${errors} error and ${warnings} warning anomalies (artifact #${a.id}, ${name}).`,
        details: { artifactId: a.id, errorCount: errors, warningCount: warnings, splits: p.splits },
      });
    } else if ((a.type === 'ModelBlessing' || a.type === 'InfraBlessing') && p.blessed === false) {
      const failed = Array.isArray(p.failed) ? (p.failed as unknown[]).map(String) : [];
      facts.push({
        event: 'not_blessed',
        nodeId: node.id,
        severity: 'WARNING',
        title: `Model not blessed: ${node.id}`,
        text: `${node.id} did not bless model${p.modelId !== undefined ? ` #${String(p.modelId)}` : ''}${failed.length ? `: ${failed.join('; ')}` : '.'}`,
        details: { artifactId: a.id, type: a.type, modelId: p.modelId, failed },
      });
    } else if (a.type === 'PushedModel' && p.pushed === true) {
      facts.push({
        event: 'pushed',
        nodeId: node.id,
        severity: 'INFO',
        title: `Model pushed: ${String(p.modelName ?? node.id)} v${String(p.version ?? '?')}`,
        text: `${node.id} pushed ${String(p.modelName)} version ${String(p.version)}${Array.isArray(p.labels) && p.labels.length ? ` (labels: ${p.labels.join(', ')})` : ''} to ${String(p.path)}.`,
        details: { artifactId: a.id, modelName: p.modelName, version: p.version, path: p.path, labels: p.labels },
      });
    }
  }
  return facts;
}

const RANK = { INFO: 0, WARNING: 1, ERROR: 2 } as const;

/** Whether a rule takes a fact: its event, its nodes, and for anomalies its severity. */
export function ruleMatches(rule: AlertRule, fact: { event: AlertEventKind; nodeId?: string; severity: AlertMessage['severity'] }): boolean {
  if (!rule.on.includes(fact.event)) return false;
  if (rule.nodes && fact.event !== 'run_failed' && (!fact.nodeId || !rule.nodes.includes(fact.nodeId))) return false;
  if (fact.event === 'anomalies' && RANK[fact.severity] < RANK[rule.severity ?? 'WARNING']) return false;
  return true;
}
