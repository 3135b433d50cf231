/**
 * Resource classes: what a node needs from the machine while it runs, so that the scheduler can
 * keep a measurement from being disturbed by its neighbours.
 *
 * - `shared` (default): CPU work that shares the cores — data-parallel nodes on the worker pool,
 *   the Trainer's thread. Any number run at once.
 * - `exclusive`: a node that measures latency (InfraValidator). It starts only when nothing else
 *   runs, and nothing else starts until it is done. Exclusive nodes waiting go before shared
 *   nodes that become ready later, so a long pipeline cannot starve them.
 * - `idle`: a node that waits rather than computes (ManualApproval waiting for a person): it
 *   neither waits for nor blocks anyone.
 */
import type { ResourceClass } from '../core/component.ts';

export type { ResourceClass };

export class CoreGate {
  private shared = 0;
  private exclusive = false;
  private exclusiveWaiting = 0;
  private waiters: (() => void)[] = [];

  /** Nodes holding the gate now (for logs: what an exclusive node waited for). */
  get running(): number {
    return this.shared + (this.exclusive ? 1 : 0);
  }

  /** Waits until a node of this class may start; the returned function releases it. */
  async acquire(cls: ResourceClass): Promise<() => void> {
    if (cls === 'idle') return () => undefined;
    if (cls === 'exclusive') {
      this.exclusiveWaiting++;
      // Checked and claimed in one step: two exclusive nodes woken together cannot both start.
      await this.until(() => {
        if (this.exclusive || this.shared > 0) return false;
        this.exclusiveWaiting--;
        this.exclusive = true;
        return true;
      });
      return this.releaser(() => (this.exclusive = false));
    }
    await this.until(() => {
      if (this.exclusive || this.exclusiveWaiting > 0) return false;
      this.shared++;
      return true;
    });
    return this.releaser(() => this.shared--);
  }

  private releaser(undo: () => void): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      undo();
      this.wake();
    };
  }

  /** Resolves once `claim` succeeds; it is retried, in arrival order, whenever a node releases. */
  private until(claim: () => boolean): Promise<void> {
    if (claim()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (claim()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const check of waiting) check();
  }
}
