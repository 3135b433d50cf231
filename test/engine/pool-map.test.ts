import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createPool, mapInOrder } from '../../runtime/src/engine/pool.ts';

/** A run function whose calls finish when the test says so, recording what started when. */
function controlledRun() {
  const started: number[] = [];
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const run = (_item: number, index: number) => {
    started.push(index);
    return new Promise<string>((resolve, reject) => pending.set(index, { resolve, reject }));
  };
  const settle = async () => {
    for (let k = 0; k < 5; k++) await Promise.resolve();
  };
  return { started, pending, run, settle };
}

describe('mapInOrder (pool map scheduling)', () => {
  it('starts items strictly in order, at most `limit` at once, and returns results in item order', async () => {
    const c = controlledRun();
    const seen: string[] = [];
    const items = [10, 11, 12, 13, 14];
    const all = mapInOrder(c.run, items, 2, (r, i) => seen.push(`${i}:${r}`));
    await c.settle();
    assert.deepEqual(c.started, [0, 1]);
    // The second item finishes first: exactly one more starts, the next in order.
    c.pending.get(1)!.resolve('b');
    await c.settle();
    assert.deepEqual(c.started, [0, 1, 2]);
    c.pending.get(0)!.resolve('a');
    await c.settle();
    assert.deepEqual(c.started, [0, 1, 2, 3]);
    c.pending.get(3)!.resolve('d');
    await c.settle();
    assert.deepEqual(c.started, [0, 1, 2, 3, 4]);
    c.pending.get(2)!.resolve('c');
    c.pending.get(4)!.resolve('e');
    assert.deepEqual(await all, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(seen, ['1:b', '0:a', '3:d', '2:c', '4:e']);
  });

  it('starts the next item before the result is handed to onResult', async () => {
    const c = controlledRun();
    const startedWhenMerging: number[][] = [];
    const all = mapInOrder(c.run, [1, 2, 3], 1, () => startedWhenMerging.push([...c.started]));
    await c.settle();
    c.pending.get(0)!.resolve('x');
    await c.settle();
    c.pending.get(1)!.resolve('y');
    await c.settle();
    c.pending.get(2)!.resolve('z');
    await all;
    assert.deepEqual(startedWhenMerging, [[0, 1], [0, 1, 2], [0, 1, 2]]);
  });

  it('stops starting items after a failure, from a task or from onResult', async () => {
    const c = controlledRun();
    const all = mapInOrder(c.run, [1, 2, 3, 4], 2);
    await c.settle();
    c.pending.get(0)!.reject(new Error('shard 0 is bad'));
    await assert.rejects(all, /shard 0 is bad/);
    c.pending.get(1)!.resolve('late');
    await c.settle();
    assert.deepEqual(c.started, [0, 1]);

    const d = controlledRun();
    const merged = mapInOrder(d.run, [1, 2, 3], 1, () => {
      throw new Error('merge failed');
    });
    await d.settle();
    d.pending.get(0)!.resolve('a');
    await assert.rejects(merged, /merge failed/);
    // The next item had already gone out (it was started before the merge); nothing after it.
    d.pending.get(1)!.resolve('b');
    await d.settle();
    assert.deepEqual(d.started, [0, 1]);
  });

  it('with keep false hands results to onResult only: a merged result can be collected before the map ends', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<object>[] = [];
    const c = {
      pending: new Map<number, (v: object) => void>(),
      run(_item: number, index: number) {
        return new Promise<object>((resolve) => c.pending.set(index, resolve));
      },
    };
    const turn = () => new Promise((r) => setImmediate(r));
    const collected = async (ref: WeakRef<object>) => {
      await turn();
      gc();
      return ref.deref() === undefined;
    };
    for (const keep of [true, false]) {
      const all = mapInOrder(c.run, [1, 2], 1, (r) => refs.push(new WeakRef(r)), keep);
      await turn();
      c.pending.get(0)!({ shard: new Float64Array(1000) });
      // A settled promise keeps its value while anything holds its resolver.
      c.pending.delete(0);
      await turn();
      assert.equal(await collected(refs.at(-1)!), !keep, keep ? 'map keeps its results' : 'each drops a result once onResult has it');
      c.pending.get(1)!({});
      assert.equal((await all).filter(Boolean).length, keep ? 2 : 0);
      c.pending.clear();
    }
  });

  it('handles no items and a limit larger than the item count', async () => {
    assert.deepEqual(await mapInOrder(async (x: number) => x, [], 2), []);
    assert.deepEqual(await mapInOrder(async (x: number) => x * 2, [1, 2, 3], 8), [2, 4, 6]);
  });
});

describe('createPool: idle workers', () => {
  it('exit after the idle time (their heaps go back) and the pool starts new ones for the next work', async () => {
    const pool = createPool(2, 300);
    try {
      const first = new Set(await pool.map<unknown, number>('pool.threadId', [{}, {}, {}, {}]));
      assert.ok(first.size >= 1 && first.size <= 2, `ran on ${first.size} thread(s)`);
      // Back-to-back work reuses the warm workers.
      const again = await pool.run<number>('pool.threadId', {});
      assert.ok(first.has(again), 'a busy pool keeps its workers');
      await new Promise((r) => setTimeout(r, 1500));
      const later = await pool.run<number>('pool.threadId', {});
      assert.ok(!first.has(later), `thread ${later} should be new after the idle time`);
    } finally {
      await pool.close();
    }
  });
});
