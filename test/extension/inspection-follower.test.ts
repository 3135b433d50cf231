import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeInspection } from '../../protocol/messages.ts';
import { InspectionFollower } from '../../extension/src/canvas/inspection-follower.ts';

/** A store as the inspector reads it: what `trainer`'s last execution is right now. */
function fakeStore() {
  const store = { state: undefined as string | undefined, log: '', reads: 0, delay: 0 };
  const read = async (nodeId: string): Promise<NodeInspection> => {
    store.reads++;
    const state = store.state;
    const log = store.log;
    if (store.delay) await sleep(store.delay);
    return state === undefined
      ? { nodeId, inputs: [], outputs: [] }
      : { nodeId, runId: 'r1', inputs: [], outputs: [], logTail: log, execution: { id: 1, state, startedAt: '2026-12-06T00:00:00Z', cached: false, logFile: 'runs/r1/trainer.log' } };
  };
  return { store, read };
}

const shownState = (shown: NodeInspection[]) => shown.map((i) => i.execution?.state ?? 'none');

describe('canvas inspector follows the store (InspectionFollower)', () => {
  it('a run it was not told about: the selected node is read again when the store changes, from "Not run yet." to COMPLETE', async () => {
    const { store, read } = fakeStore();
    const shown: NodeInspection[] = [];
    const follower = new InspectionFollower(read, (i) => shown.push(i), 10_000);
    await follower.inspect('trainer'); // selected before the first run: no store yet
    store.state = 'RUNNING'; // a terminal runs the pipeline: only the store changes
    follower.storeChanged();
    await sleep(5);
    store.state = 'COMPLETE';
    follower.storeChanged();
    await sleep(5);
    follower.dispose();
    assert.deepEqual(shownState(shown), ['none', 'RUNNING', 'COMPLETE']);
  });

  it('re-reads while the execution runs (the log grows between store writes) and stops when it ends', async () => {
    const { store, read } = fakeStore();
    const shown: NodeInspection[] = [];
    const follower = new InspectionFollower(read, (i) => shown.push(i), 20);
    store.state = 'RUNNING';
    store.log = 'line 1';
    await follower.inspect('trainer');
    store.log = 'line 1\nline 2';
    await sleep(60);
    store.state = 'COMPLETE';
    await sleep(60);
    const reads = store.reads;
    await sleep(80);
    follower.dispose();
    assert.equal(store.reads, reads, 'no reads after the execution completed');
    assert.ok(shown.some((i) => i.logTail === 'line 1\nline 2'), 'the grown log was shown');
    assert.equal(shown.at(-1)?.execution?.state, 'COMPLETE');
  });

  it('an older read that finishes after a newer one does not replace it', async () => {
    const { store, read } = fakeStore();
    const shown: NodeInspection[] = [];
    const follower = new InspectionFollower(read, (i) => shown.push(i), 10_000);
    store.delay = 40; // the first read (before the run) is slow
    const slow = follower.inspect('trainer');
    await sleep(5);
    store.delay = 0;
    store.state = 'COMPLETE';
    await follower.inspect('trainer');
    await slow;
    follower.dispose();
    assert.deepEqual(shownState(shown), ['COMPLETE']);
  });

  it('a burst of store changes during a read costs one more read, not one each', async () => {
    const { store, read } = fakeStore();
    const follower = new InspectionFollower(read, () => undefined, 10_000);
    store.delay = 20;
    const first = follower.inspect('trainer');
    for (let i = 0; i < 10; i++) follower.storeChanged();
    await first;
    await sleep(60);
    follower.dispose();
    assert.equal(store.reads, 2);
  });

  it('follows nothing until a node is inspected, and nothing after dispose', async () => {
    const { store, read } = fakeStore();
    const follower = new InspectionFollower(read, () => undefined, 10);
    follower.storeChanged();
    await sleep(5);
    assert.equal(store.reads, 0);
    store.state = 'RUNNING';
    await follower.inspect('trainer');
    follower.dispose();
    follower.storeChanged();
    await sleep(40);
    assert.equal(store.reads, 1);
  });
});
