import type { NodeRunInfo } from '../../../protocol/messages.ts';

/** A run's per-node states for one pipeline file, as the canvas overlays them. */
export interface PipelineRunState {
  /** `uri.toString()` of the pipeline file. */
  pipelineUri: string;
  runId: string | null;
  nodes: Record<string, NodeRunInfo>;
}

interface Disposable {
  dispose(): unknown;
}

/**
 * Where the canvas learns about runs: the host's run tracker (EXT-A, extension/src/runs/) provides
 * it. Kept structural (no vscode types) so the tracker can satisfy it without importing the canvas.
 */
export interface RunStateFeed {
  /** The latest state for a pipeline file, to draw a canvas opened during or after a run. */
  current(pipelineUri: string): PipelineRunState | undefined;
  onDidChange(listener: (state: PipelineRunState) => void): Disposable;
}
