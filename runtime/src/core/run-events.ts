import type { AlertEventKind } from './pipeline-spec.ts';

/** One alert as every target receives it (webhooks get it rendered as Slack text). */
export interface AlertMessage {
  event: AlertEventKind;
  pipeline: string;
  runId: string;
  nodeId?: string;
  severity: 'INFO' | 'WARNING' | 'ERROR';
  title: string;
  text: string;
  /** Counts, reasons, versions: what the event is about, for commands and the editor. */
  details: Record<string, unknown>;
  time: string;
}

export type NodeState = 'QUEUED' | 'RUNNING' | 'COMPLETE' | 'CACHED' | 'FAILED' | 'CANCELED' | 'SKIPPED';

export type RunEvent =
  | { type: 'run-start'; runId: string; nodes: string[] }
  | { type: 'node-state'; nodeId: string; state: NodeState; executionId?: number; durationMs?: number; error?: string; reason?: string }
  | { type: 'progress'; nodeId: string; done: number; total?: number; unit: string; perSecond?: number; etaMs?: number }
  | { type: 'log'; nodeId: string; level: 'info' | 'warn' | 'error'; message: string }
  /**
   * A ManualApproval node asks for (WAITING) or got a decision. While WAITING its node-state stays
   * RUNNING; a run interrupted then ends CANCELED with the node in `waiting` (resume it later).
   */
  | {
      type: 'approval';
      runId: string;
      nodeId: string;
      executionId: number;
      state: 'WAITING' | 'APPROVED' | 'REJECTED';
      deadline?: string;
      by?: string;
      comment?: string;
    }
  /** An alert for a `notification` target: the editor shows it as a VS Code notification. */
  | { type: 'alert'; alert: AlertMessage }
  | { type: 'run-end'; runId: string; state: RunState; waiting?: string[] };

export type RunState = 'COMPLETE' | 'FAILED' | 'CANCELED';
