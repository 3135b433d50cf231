/**
 * The poller behind the Runs and Artifacts views for stores on a Postgres server: it polls only
 * while a view is visible, backs off while nothing changes, and comes back to its shortest
 * interval on a change or when a view is shown again. Timers are the test's own.
 */
import assert from 'node:assert/strict';
import { RemoteStorePoller, type PollTimers } from '../../extension/src/views/remote-poll.ts';

class ManualTimers implements PollTimers {
  pending: { run: () => void; ms: number } | undefined;
  setTimeout(run: () => void, ms: number): unknown {
    this.pending = { run, ms };
    return this.pending;
  }
  clearTimeout(handle: unknown): void {
    if (handle === this.pending) this.pending = undefined;
  }
  /** Fires the pending timer and lets the poll it starts finish. */
  async fire(): Promise<number> {
    const p = this.pending;
    assert.ok(p, 'a poll is scheduled');
    this.pending = undefined;
    p.run();
    await new Promise((r) => setImmediate(r));
    return p.ms;
  }
}

describe('polling stores on a Postgres server', () => {
  it('polls while visible, doubling the wait up to the longest while nothing changes, and stops when hidden', async () => {
    const timers = new ManualTimers();
    let stamp = 'a';
    let polls = 0;
    let changes = 0;
    const poller = new RemoteStorePoller(async () => (polls++, new Map([['p', stamp]])), () => changes++, timers, 100, 800);
    assert.equal(timers.pending, undefined, 'nothing before a view is shown');
    poller.setActive(true);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) waits.push(await timers.fire());
    assert.deepEqual(waits, [0, 200, 400, 800, 800, 800], 'at once when shown, then backing off to the longest');
    assert.equal(changes, 0, 'the first stamp seen is not a change');
    stamp = 'b';
    await timers.fire();
    assert.equal(changes, 1, 'another process wrote');
    assert.equal(poller.interval, 100, 'back to the shortest wait after a change');
    poller.setActive(false);
    assert.equal(timers.pending, undefined, 'hidden: no poll scheduled');
    const seen = polls;
    await poller.poll();
    assert.equal(polls, seen, 'a poll asked for while hidden does nothing');
    // Shown again: a poll at once, which sees what changed while hidden.
    stamp = 'c';
    poller.setActive(true);
    assert.equal(await timers.fire(), 0);
    assert.equal(changes, 2);
    poller.dispose();
    assert.equal(timers.pending, undefined);
  });

  it('never runs two polls at once, and a failing poll only waits longer', async () => {
    const timers = new ManualTimers();
    let release: () => void = () => undefined;
    let running = 0;
    let most = 0;
    let fail = false;
    const poller = new RemoteStorePoller(
      () =>
        new Promise((resolve, reject) => {
          running++;
          most = Math.max(most, running);
          release = () => {
            running--;
            if (fail) reject(new Error('server down'));
            else resolve(new Map([['p', 'x']]));
          };
        }),
      () => assert.fail('no change'),
      timers,
      100,
      1000,
    );
    poller.setActive(true);
    timers.pending!.run();
    void poller.poll(); // e.g. a second trigger while the first is under way
    assert.equal(most, 1);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(timers.pending?.ms, 200);
    fail = true;
    timers.pending!.run();
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(timers.pending?.ms, 400, 'the server did not answer: try again later');
    poller.dispose();
  });
});
