/**
 * Keeps the canvas inspector's node current however its pipeline runs. The webview asks on
 * selection and when this window's run state changes, but a run it is not told about (started in
 * a terminal, by another window, from the CLI on a shared folder) changes only the store: the
 * inspector then stayed on what it read first ("Not run yet." before the first run) until the
 * node was selected again. So the host re-reads the inspected node when the store changes, and
 * every `pollMs` while its execution is open (its log grows between store writes). Pure and
 * vscode-free (tested in plain mocha).
 */
import type { NodeInspection } from '../../../protocol/messages.ts';

/** Execution states whose log grows (a WAITING approval changes only when someone decides: a store change). */
const OPEN_STATES = new Set(['NEW', 'RUNNING']);

export class InspectionFollower {
  /** The node the webview inspected last: the one on screen. */
  private watched: string | undefined;
  private requests = 0;
  /** The request whose answer is on screen, by node: an older answer arriving late is dropped. */
  private readonly shown = new Map<string, number>();
  private inFlight: Promise<unknown> | undefined;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    /** Reads a node's inspection from the store (undefined: it could not be read, already said why). */
    private readonly read: (nodeId: string) => Promise<NodeInspection | undefined>,
    /** Sends an inspection to the webview. */
    private readonly show: (inspection: NodeInspection) => void,
    private readonly pollMs = 1500,
  ) {}

  /** The webview asked for this node (selected, or its run state changed): read it now and follow it. */
  inspect(nodeId: string): Promise<NodeInspection | undefined> {
    this.watched = nodeId;
    const reading = this.readAndShow(nodeId);
    this.inFlight = reading;
    return reading;
  }

  /** The pipeline's store changed: someone runs it. Reads the followed node again (once per burst). */
  storeChanged(): void {
    if (this.disposed || this.watched === undefined) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    void this.inspect(this.watched);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }

  private async readAndShow(nodeId: string): Promise<NodeInspection | undefined> {
    const request = ++this.requests;
    let inspection: NodeInspection | undefined;
    try {
      inspection = await this.read(nodeId);
    } catch {
      inspection = undefined; // `read` says why; the next store change tries again
    } finally {
      if (request === this.requests) this.inFlight = undefined;
    }
    if (this.disposed) return inspection;
    if (inspection && request > (this.shown.get(nodeId) ?? 0)) {
      this.shown.set(nodeId, request);
      this.show(inspection);
    }
    if (request !== this.requests) return inspection; // a newer read follows up
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.again) {
      this.again = false;
      this.storeChanged();
    } else if (nodeId === this.watched && inspection?.execution && OPEN_STATES.has(inspection.execution.state)) {
      this.timer = setTimeout(() => this.storeChanged(), this.pollMs);
    }
    return inspection;
  }
}
