/**
 * Stores with no files to watch (Postgres) are polled for their stamp (`tributary metadata stamp`:
 * an index lookup per pipeline, but a process start for the editor) only while a view showing them
 * is visible, and ever less often while nothing changes: every `min` ms after a change or when a
 * view is shown, doubling up to `max`. Hidden views cost nothing. Pure and `vscode`-free.
 */

export const REMOTE_POLL_MIN_MS = 2000;
export const REMOTE_POLL_MAX_MS = 60_000;

export interface PollTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: PollTimers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class RemoteStorePoller {
  private active = false;
  private delay: number;
  private timer: unknown;
  private polling = false;
  private readonly last = new Map<string, string>();

  /**
   * `stamps`: each store's stamp now (by store); `changed`: called when one differs from what the
   * previous poll saw (a store seen for the first time is not a change: its view was just read).
   */
  constructor(
    private readonly stamps: () => Promise<ReadonlyMap<string, string>>,
    private readonly changed: () => void,
    private readonly timers: PollTimers = realTimers,
    private readonly min = REMOTE_POLL_MIN_MS,
    private readonly max = REMOTE_POLL_MAX_MS,
  ) {
    this.delay = min;
  }

  /** The wait before the next poll (for tests and the README's numbers). */
  get interval(): number {
    return this.delay;
  }

  /** Visible: poll now (whatever changed while hidden shows at once), then back off. Hidden: stop. */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.delay = this.min;
    if (active) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.poll(), ms);
  }

  /** One poll; the next is scheduled after it ends, so a slow server never gets two at once. */
  async poll(): Promise<void> {
    if (!this.active || this.polling) return;
    this.polling = true;
    let now: ReadonlyMap<string, string> | undefined;
    try {
      now = await this.stamps();
    } catch {
      now = undefined; // the next poll tries again, later
    } finally {
      this.polling = false;
    }
    if (!this.active) return;
    let changed = false;
    for (const [store, stamp] of now ?? []) {
      if (this.last.has(store) && this.last.get(store) !== stamp) changed = true;
      this.last.set(store, stamp);
    }
    this.delay = changed ? this.min : Math.min(this.delay * 2, this.max);
    if (changed) this.changed();
    this.schedule(this.delay);
  }

  dispose(): void {
    this.active = false;
    this.timers.clearTimeout(this.timer);
  }
}
