/**
 * Run state in the extension host: what the runner learns from the child's RunEvents, per pipeline
 * file, for the canvas (EXT-B's RunStateFeed, extension/src/canvas/run-feed.ts), the status bar,
 * progress and the Runs view. No `vscode` import: a small typed emitter keeps it testable in
 * plain Node, and it satisfies the canvas' feed structurally.
 */
import type { NodeState, RunEvent, RunState as EngineRunState } from '../../../runtime/src/host-api.ts';

/** The canvas' vocabulary (protocol/messages.ts RUN_STATES). */
export type CanvasNodeState = 'queued' | 'running' | 'cached' | 'succeeded' | 'failed' | 'canceled';

const CANVAS_STATE: Record<NodeState, CanvasNodeState> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  COMPLETE: 'succeeded',
  CACHED: 'cached',
  FAILED: 'failed',
  CANCELED: 'canceled',
  SKIPPED: 'canceled',
};

export interface NodeStatus {
  state: CanvasNodeState;
  /** The engine's own state (SKIPPED is shown as canceled with a message). */
  engineState: NodeState;
  progress?: { done: number; total?: number; unit: string; perSecond?: number; etaMs?: number };
  /** Wall time so far (running) or in total (finished). */
  durationMs?: number;
  message?: string;
  executionId?: number;
  /** Epoch ms when the node started running (to compute durationMs while it runs). */
  startedAt?: number;
  /**
   * A ManualApproval node's request: WAITING while its engine state stays RUNNING (the engine's
   * contract, runtime/src/core/plan.ts), then the decision.
   */
  approval?: 'WAITING' | 'APPROVED' | 'REJECTED';
}

export type PipelineRunPhase = 'starting' | 'running' | 'complete' | 'failed' | 'canceled';

export interface PipelineRunState {
  /** `uri.toString()` of the pipeline file. */
  pipelineUri: string;
  runId: string | null;
  phase: PipelineRunPhase;
  nodes: Record<string, NodeStatus>;
  startedAt: number;
  finishedAt?: number;
  /** Why a run failed before the engine reported anything (invalid pipeline, crash). */
  error?: string;
}

export interface Disposable {
  dispose(): void;
}

type Listener<T> = (value: T) => void;

/** A minimal typed event emitter with VS Code's `Event<T>` calling convention. */
export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // One broken listener must not stop the others (or the runner).
      }
    }
  }
}

const FINAL: Record<EngineRunState, PipelineRunPhase> = { COMPLETE: 'complete', FAILED: 'failed', CANCELED: 'canceled' };

/**
 * Per-pipeline run states, changed by RunEvents. State changes are announced at once; progress
 * events at most every `progressIntervalMs` per pipeline, so a chatty executor cannot flood the
 * canvas with messages.
 */
export class RunStates {
  private readonly runs = new Map<string, PipelineRunState>();
  private readonly changed = new Emitter<PipelineRunState>();
  private readonly pendingProgress = new Map<string, ReturnType<typeof setTimeout>>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly progressIntervalMs = 100,
  ) {}

  current(pipelineUri: string): PipelineRunState | undefined {
    return this.runs.get(pipelineUri);
  }

  all(): PipelineRunState[] {
    return [...this.runs.values()];
  }

  isRunning(pipelineUri: string): boolean {
    const phase = this.runs.get(pipelineUri)?.phase;
    return phase === 'starting' || phase === 'running';
  }

  /** A run was asked for: the child is starting. */
  start(pipelineUri: string): PipelineRunState {
    const run: PipelineRunState = { pipelineUri, runId: null, phase: 'starting', nodes: {}, startedAt: this.now() };
    this.runs.set(pipelineUri, run);
    this.emit(run);
    return run;
  }

  apply(pipelineUri: string, event: RunEvent): void {
    const run = this.runs.get(pipelineUri) ?? this.start(pipelineUri);
    switch (event.type) {
      case 'run-start':
        run.runId = event.runId;
        run.phase = 'running';
        for (const id of event.nodes) run.nodes[id] ??= { state: 'queued', engineState: 'QUEUED' };
        break;
      case 'node-state': {
        const previous = run.nodes[event.nodeId];
        const node: NodeStatus = { ...previous, state: CANVAS_STATE[event.state], engineState: event.state };
        if (event.state === 'RUNNING') node.startedAt = this.now();
        if (event.executionId !== undefined) node.executionId = event.executionId;
        if (event.durationMs !== undefined) node.durationMs = event.durationMs;
        else if (node.startedAt !== undefined && event.state !== 'RUNNING' && event.state !== 'QUEUED') node.durationMs = this.now() - node.startedAt;
        node.message = event.error ?? event.reason ?? (event.state === 'SKIPPED' ? 'skipped: an upstream node did not succeed' : undefined);
        if (event.state !== 'RUNNING') delete node.progress;
        run.nodes[event.nodeId] = node;
        break;
      }
      case 'progress': {
        const node = run.nodes[event.nodeId];
        if (!node) return;
        node.progress = { done: event.done, total: event.total, unit: event.unit, perSecond: event.perSecond, etaMs: event.etaMs };
        if (node.startedAt !== undefined) node.durationMs = this.now() - node.startedAt;
        this.emitSoon(run);
        return;
      }
      case 'approval': {
        const node = run.nodes[event.nodeId];
        if (!node) return;
        node.approval = event.state;
        node.message = event.state === 'WAITING' ? 'waiting for approval' : `${event.state.toLowerCase()}${event.by ? ` by ${event.by}` : ''}`;
        break;
      }
      case 'log':
      case 'alert':
        return;
      case 'run-end':
        run.phase = FINAL[event.state];
        run.finishedAt = this.now();
        break;
    }
    this.emit(run);
  }

  /** The child ended: settle a run whose end the engine did not report (crash, invalid pipeline, kill). */
  finish(pipelineUri: string, phase: Exclude<PipelineRunPhase, 'starting' | 'running'>, error?: string): void {
    const run = this.runs.get(pipelineUri);
    if (!run || (run.phase !== 'starting' && run.phase !== 'running')) return;
    run.phase = phase;
    run.finishedAt = this.now();
    if (error) run.error = error;
    for (const node of Object.values(run.nodes)) {
      if (node.state === 'running' || node.state === 'queued') {
        node.state = phase === 'canceled' ? 'canceled' : 'failed';
        if (node.startedAt !== undefined) node.durationMs = this.now() - node.startedAt;
      }
    }
    this.emit(run);
  }

  private emit(run: PipelineRunState): void {
    clearTimeout(this.pendingProgress.get(run.pipelineUri));
    this.pendingProgress.delete(run.pipelineUri);
    this.changed.fire(run);
  }

  private emitSoon(run: PipelineRunState): void {
    if (this.pendingProgress.has(run.pipelineUri)) return;
    this.pendingProgress.set(
      run.pipelineUri,
      setTimeout(() => {
        this.pendingProgress.delete(run.pipelineUri);
        this.changed.fire(run);
      }, this.progressIntervalMs),
    );
  }
}

/** Counts for progress and the status bar: nodes finished (any final state) out of all. */
export function tally(run: PipelineRunState): { done: number; total: number; running: string[]; failed: number; cached: number } {
  const nodes = Object.entries(run.nodes);
  return {
    done: nodes.filter(([, n]) => n.state !== 'queued' && n.state !== 'running').length,
    total: nodes.length,
    running: nodes.filter(([, n]) => n.state === 'running').map(([id]) => id),
    failed: nodes.filter(([, n]) => n.state === 'failed').length,
    cached: nodes.filter(([, n]) => n.state === 'cached').length,
  };
}

/** Splits a byte stream into lines (the child's stdout), keeping a partial last line for later. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }

  flush(): string[] {
    const last = this.rest.trim();
    this.rest = '';
    return last ? [last] : [];
  }
}

/** Parses one stdout line of `tributary run --events`; anything else (e.g. the JSON summary) is undefined. */
export function parseRunEvent(line: string): RunEvent | undefined {
  if (!line.startsWith('{"type":')) return undefined;
  try {
    const value = JSON.parse(line) as RunEvent;
    return typeof value.type === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
