import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { batches, type DatasetOptions, hostPassOf, makeDataset, prefetchBatches, rowBytes, shuffleCapacity } from '../../runtime/src/ml/dataset.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';
import { shardColumns, writeShards } from './fixtures.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

describe('ml/dataset', () => {
  let dir: string;
  let shards: string[];
  const N = 1000;
  // Row i: a = i (float64), c = i % 7 (int32), y = i * 10 (float32): every row identifiable.
  const a = Float64Array.from({ length: N }, (_, i) => i);
  const c = Int32Array.from({ length: N }, (_, i) => i % 7);
  const y = Float32Array.from({ length: N }, (_, i) => i * 10);
  const base = (): DatasetOptions => ({
    shards,
    features: [
      { name: 'c', dtype: 'int32' },
      { name: 'a', dtype: 'float32' },
    ],
    label: 'y',
    batchSize: 64,
  });

  before(() => {
    tf.env().set('PROD', true);
    dir = mkdtempSync(join(tmpdir(), 'trib-dataset-'));
    shards = writeShards(dir, shardColumns({ a, c, y }, 300)); // 300, 300, 300, 100
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rowsOf = (bs: Iterable<{ features: Record<string, Float32Array | Int32Array>; label: Float32Array }>) => {
    const ids: number[] = [];
    for (const b of bs) {
      b.features.a.forEach((v, k) => {
        assert.equal(b.features.c[k], v % 7, 'features of a row stay together');
        assert.equal(b.label[k], v * 10, 'label stays with its row');
        ids.push(v);
      });
    }
    return ids;
  };

  it('without shuffle streams the rows in shard order with a short last batch', () => {
    const out = [...batches(base())];
    assert.deepEqual(out.map((b) => b.size), [...Array(15).fill(64), N - 15 * 64]);
    assert.ok(out[0].features.c instanceof Int32Array && out[0].features.a instanceof Float32Array);
    assert.deepEqual(rowsOf(out), Array.from(a));
    assert.equal([...batches({ ...base(), dropRemainder: true })].length, 15);
  });

  it('shuffles each epoch into a permutation of all rows, reproducibly per seed', () => {
    const o = { ...base(), shuffle: true, shuffleBuffer: 128, seed: 7 };
    const e1 = rowsOf(batches(o));
    assert.equal(e1.length, N);
    assert.deepEqual([...e1].sort((p, q) => p - q), Array.from(a));
    assert.notDeepEqual(e1, Array.from(a));
    // Rows move far across shards (shard order is permuted as well as rows within the buffer).
    const displacement = e1.reduce((s, v, i) => s + Math.abs(v - i), 0) / N;
    assert.ok(displacement > 100, `mean displacement ${displacement}`);
    assert.deepEqual(rowsOf(batches(o)), e1, 'same seed, same order');
    assert.notDeepEqual(rowsOf(batches({ ...o, seed: 8 })), e1);
  });

  it('keeps the order a seed gives from one version to the next (a resumed or compared training replays it)', () => {
    // Recorded before the row loops moved out of the generator (2026-12-06): buffer fill, random
    // replacement, the drain at the end of a pass, a second pass, and one replica's share.
    const order = (shard?: { index: number; count: number }) => rowsOf(batches({ ...base(), shuffle: true, shuffleBuffer: 128, seed: 7, steps: 20, shard }));
    const checksum = (ids: number[]) => ids.reduce((s, v, i) => s + (i + 1) * v, 0);
    const all = order();
    assert.equal(all.length, 1256);
    assert.deepEqual(all.slice(0, 12), [689, 666, 651, 659, 630, 670, 693, 633, 619, 697, 729, 625]);
    assert.equal(checksum(all), 270861313);
    const share = order({ index: 1, count: 3 });
    assert.equal(share.length, 412);
    assert.deepEqual(share.slice(0, 4), [666, 630, 633, 729]);
    assert.equal(checksum(share), 30037502);
  });

  it('steps caps or repeats the data', () => {
    assert.equal([...batches({ ...base(), steps: 3 })].length, 3);
    const many = [...batches({ ...base(), steps: 40, shuffle: true })];
    assert.equal(many.length, 40);
    assert.ok(rowsOf(many).length > N);
  });

  it('never holds more than one shard plus the buffer: a shard is read only when needed', () => {
    // 2 batches of 64 from unshuffled data touch only the first shard; later shards may be broken.
    const broken = [...shards.slice(0, 1), join(dir, 'missing.arrow')];
    assert.equal([...batches({ ...base(), shards: broken, steps: 2 })].length, 2);
    assert.throws(() => [...batches({ ...base(), shards: broken })], (e: unknown) => isUserError(e) && /missing\.arrow/.test((e as Error).message));
  });

  it('bounds the shuffle buffer in bytes: min(rows, bytes / row bytes), still a permutation of all rows', () => {
    // 3 values of 4 bytes per row: 120 bytes hold 10 rows, whatever the row limit says.
    assert.equal(rowBytes(base().features), 12);
    assert.equal(shuffleCapacity({ ...base(), shuffleBuffer: 10_000, shuffleBufferBytes: 120 }), 10);
    assert.equal(shuffleCapacity({ ...base(), shuffleBuffer: 5, shuffleBufferBytes: 1 << 20 }), 5);
    assert.equal(shuffleCapacity({ ...base(), shuffleBufferBytes: 1 }), 1);
    assert.equal(shuffleCapacity({ ...base(), features: Array.from({ length: 1023 }, (_, i) => ({ name: `f${i}`, dtype: 'float32' as const })) }), 4096);
    const ids = rowsOf(batches({ ...base(), shuffle: true, seed: 3, shuffleBufferBytes: 120 }));
    assert.deepEqual([...ids].sort((x, z) => x - z), Array.from({ length: N }, (_, i) => i));
    assert.notDeepEqual(ids, Array.from({ length: N }, (_, i) => i));
    assert.equal(prefetchBatches({ ...base() }), 0);
    assert.equal(prefetchBatches({ ...base(), prefetchBytes: 12 * 64 * 3 + 5 }), 3);
  });

  it('makeDataset with prefetchBytes queues at most that many bytes of batches and yields the same batches', async () => {
    const plain = await makeDataset(tf, { ...base(), steps: 5 }).toArray();
    const ahead = await makeDataset(tf, { ...base(), steps: 5, prefetchBytes: 12 * 64 * 2 }).toArray();
    assert.equal(ahead.length, 5);
    ahead.forEach((b, i) => assert.deepEqual(Array.from(b.ys.dataSync()), Array.from(plain[i].ys.dataSync())));
    for (const b of [...plain, ...ahead]) tf.dispose([b.ys, ...Object.values(b.xs)]);
  });

  it('names a missing feature column and a bad batch size', () => {
    assert.throws(
      () => [...batches({ ...base(), features: [{ name: 'nope', dtype: 'float32' }] })],
      (e: unknown) => isUserError(e) && /Feature "nope" is not a column/.test((e as Error).message),
    );
    assert.throws(() => [...batches({ ...base(), batchSize: 0 })], (e: unknown) => isUserError(e));
  });

  it('makeDataset yields [n,1] tensors per feature and label and restarts per iteration', async () => {
    const ds = makeDataset(tf, { ...base(), batchSize: 256 });
    const sizes: number[] = [];
    await ds.forEachAsync((b) => {
      assert.equal(b.xs.c.dtype, 'int32');
      assert.equal(b.xs.a.dtype, 'float32');
      assert.deepEqual(b.ys.shape, [b.xs.a.shape[0], 1]);
      sizes.push(b.xs.a.shape[0]);
      tf.dispose([b.xs.a, b.xs.c, b.ys]);
    });
    assert.deepEqual(sizes, [256, 256, 256, 232]);
    let again = 0;
    await ds.forEachAsync((b) => {
      again++;
      tf.dispose([b.xs.a, b.xs.c, b.ys]);
    });
    assert.equal(again, 4);
  });

  it('shards every batch among replicas (every count-th row): together they are the global batch; a batch smaller than the replicas is skipped by all', async () => {
    const opts = { ...base(), batchSize: 333, shuffle: true, seed: 5 };
    const global = [...batches(opts)].map((b) => Array.from(b.features.a));
    const perReplica = await Promise.all(
      [0, 1, 2].map(async (index) => {
        const counted: number[] = [];
        const out: number[][] = [];
        await makeDataset(tf, { ...opts, shard: { index, count: 3 }, onBatch: (n) => counted.push(n) }).forEachAsync((b) => {
          out.push(Array.from(b.xs.a.dataSync()));
          tf.dispose([b.xs.a, b.xs.c, b.ys]);
        });
        assert.deepEqual(counted, out.map((r) => r.length));
        return out;
      }),
    );
    // 1000 rows in batches of 333: 333, 333, 333 and a last batch of 1 row, fewer than 3 replicas.
    assert.deepEqual(perReplica.map((r) => r.length), [3, 3, 3]);
    // Replica r has the rows at positions r, r + 3, r + 6… of each global batch.
    global.slice(0, 3).forEach((rows, k) => [0, 1, 2].forEach((r) => assert.deepEqual(perReplica[r][k], rows.filter((_, i) => i % 3 === r))));
    assert.deepEqual(perReplica.map((r) => r[0].length), [111, 111, 111]);
  });
  it('a split with fewer rows than replicas gives none a batch: says so instead of an empty dataset (tfjs failed on it far from the cause)', () => {
    const few = writeShards(join(dir, 'few'), shardColumns({ a: a.slice(0, 2), c: c.slice(0, 2), y: y.slice(0, 2) }, 300));
    const o = { ...base(), shards: few, shuffle: true, seed: 1 };
    for (const index of [0, 1, 2]) {
      assert.throws(
        () => [...batches({ ...o, shard: { index, count: 3 } })],
        (e: Error & { location?: { field?: string } }) => isUserError(e) && /has 2 row\(s\), fewer than the 3 workers that share each batch/.test(e.message) && e.location?.field === 'workers',
      );
    }
    // As many rows as replicas: one row each.
    assert.deepEqual([0, 1].map((index) => [...batches({ ...o, shard: { index, count: 2 } })].map((b) => b.size)), [[1], [1]]);
  });

  /**
   * The shuffle as a plain row-by-row reservoir over row ids: the shard order permuted, each row
   * filling a free slot or replacing a drawn one (which goes into the batch), the rest drained in
   * a random order; then replica `index` of `count` keeps the batch positions index, index + count….
   */
  const referenceShuffle = (shardIds: number[][], o: { batchSize: number; capacity: number; seed: number; shard?: { index: number; count: number }; dropRemainder?: boolean }) => {
    const rand = mulberry32(o.seed);
    const permute = <T>(xs: T[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [xs[i], xs[j]] = [xs[j], xs[i]];
      }
      return xs;
    };
    const { index, count } = o.shard ?? { index: 0, count: 1 };
    const out: number[][] = [];
    let batch: number[] = [];
    const flush = () => {
      if (batch.length >= count) out.push(batch.filter((_, p) => p % count === index));
      batch = [];
    };
    const emit = (id: number) => {
      batch.push(id);
      if (batch.length === o.batchSize) flush();
    };
    const buffer: number[] = [];
    for (const ids of permute([...shardIds])) {
      for (const id of ids) {
        if (buffer.length < o.capacity) buffer.push(id);
        else {
          const j = Math.floor(rand() * o.capacity);
          emit(buffer[j]);
          buffer[j] = id;
        }
      }
    }
    for (const i of permute(buffer.map((_, k) => k))) emit(buffer[i]);
    if (batch.length > 0 && !o.dropRemainder) flush();
    return out;
  };

  it('draws exactly the rows of a row-by-row reservoir shuffle, for buffers smaller and larger than a batch and for every replica', () => {
    // Rows move in runs, column by column, and a run may draw one slot twice (a buffer smaller
    // than the batch): every batch must still hold what replacing row by row gives.
    const shardIds = [[0, 300], [300, 600], [600, 900], [900, 1000]].map(([from, to]) => Array.from({ length: to - from }, (_, i) => from + i));
    for (const capacity of [1, 10, 128, 999, 5000]) {
      for (const batchSize of [1, 7, 64, 333]) {
        for (const shard of [undefined, { index: 0, count: 2 }, { index: 2, count: 3 }]) {
          for (const dropRemainder of [false, true]) {
            const o = { ...base(), batchSize, shuffle: true, shuffleBuffer: capacity, seed: capacity + batchSize, shard, dropRemainder };
            const got = [...batches(o)].map((b) => {
              rowsOf([b]); // features and label of each row stay together
              return Array.from(b.features.a);
            });
            assert.deepEqual(got, referenceShuffle(shardIds, { ...o, capacity }), JSON.stringify({ capacity, batchSize, shard, dropRemainder }));
          }
        }
      }
    }
  });

  it('copies float32 and int32 values bit for bit, from columns stored in the model dtype or converted', () => {
    const n = 40;
    // Row i: id = i; f holds values a numeric copy could alter (−0, NaN, subnormal, ±∞); k holds int32 extremes.
    const special = [-0, NaN, 1e-45, -1e-45, Infinity, -Infinity, 3.4028234663852886e38, 0.1];
    const f = Float32Array.from({ length: n }, (_, i) => special[i % special.length]);
    const k = Int32Array.from({ length: n }, (_, i) => [-2147483648, 2147483647, -1, 0, i][i % 5]);
    const id = Float64Array.from({ length: n }, (_, i) => i);
    const label = Float32Array.from({ length: n }, (_, i) => i * 10);
    const dir2 = mkdtempSync(join(tmpdir(), 'trib-dataset-bits-'));
    try {
      const files = writeShards(dir2, shardColumns({ f, k, id, y: label }, 15));
      const features = [
        { name: 'f', dtype: 'float32' as const },
        { name: 'k', dtype: 'int32' as const },
        { name: 'id', dtype: 'float32' as const },
      ];
      for (const o of [{}, { shuffle: true, shuffleBuffer: 8, seed: 3 }, { shuffle: true, seed: 4, shard: { index: 1, count: 2 } }]) {
        let rows = 0;
        for (const b of batches({ shards: files, features, label: 'y', batchSize: 6, ...o })) {
          b.features.id.forEach((v, r) => {
            rows++;
            assert.ok(Object.is(b.features.f[r], f[v]), `row ${v}: ${b.features.f[r]} vs ${f[v]}`);
            assert.equal(b.features.k[r], k[v]);
            assert.equal(b.label[r], v * 10);
          });
          // Each batch's arrays are its own: later batches do not write them.
          assert.ok(b.features.f instanceof Float32Array && b.features.k instanceof Int32Array && b.label instanceof Float32Array);
        }
        assert.equal(rows, 'shard' in o ? n / 2 : n, JSON.stringify(o));
      }
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('reads shards of any size one after another into the same buffer, and batches already handed out keep their rows', () => {
    const n = 1110;
    const id = Float32Array.from({ length: n }, (_, i) => i);
    const dir2 = mkdtempSync(join(tmpdir(), 'trib-dataset-sizes-'));
    try {
      // 100 rows, then 1000 (the buffer grows), then 10 (a shorter file in the larger buffer).
      const files = writeShards(dir2, [
        { id: id.slice(0, 100), y: id.slice(0, 100).map((v) => v * 10) },
        { id: id.slice(100, 1100), y: id.slice(100, 1100).map((v) => v * 10) },
        { id: id.slice(1100), y: id.slice(1100).map((v) => v * 10) },
      ]);
      const held = [...batches({ shards: files, features: [{ name: 'id', dtype: 'float32' }], label: 'y', batchSize: 64 })];
      const ids = held.flatMap((b) => Array.from(b.features.id));
      assert.deepEqual(ids, Array.from(id));
      held.forEach((b) => b.features.id.forEach((v, r) => assert.equal(b.label[r], v * 10)));
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('makeDataset: each epoch continues the random stream, and two iterations at once do not share buffers', async () => {
    const o = { ...base(), batchSize: 100, shuffle: true, shuffleBuffer: 200, seed: 11 };
    const ds = makeDataset(tf, o);
    const epoch = async (it: Awaited<ReturnType<typeof ds.iterator>>) => {
      const ids: number[] = [];
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const a = r.value.xs.a.dataSync();
        const ys = r.value.ys.dataSync();
        a.forEach((v, k) => {
          assert.equal(ys[k], v * 10, 'label stays with its row');
          ids.push(v);
        });
        tf.dispose([r.value.ys, ...Object.values(r.value.xs)]);
      }
      return ids;
    };
    // Epochs one after another: the second reuses the first's buffers and draws the next shuffle.
    const rand = mulberry32(11);
    const expected = [rowsOf(batches(o, rand)), rowsOf(batches(o, rand))];
    assert.deepEqual([await epoch(await ds.iterator()), await epoch(await ds.iterator())], expected);
    // Two live iterations, advanced in turns: each reads shards into buffers of its own.
    const [one, two] = [await ds.iterator(), await ds.iterator()];
    const seen: [number[], number[]] = [[], []];
    for (let done = 0; done < 2; ) {
      done = 0;
      for (const [i, it] of [one, two].entries()) {
        const r = await it.next();
        if (r.done) {
          done++;
          continue;
        }
        const a = r.value.xs.a.dataSync();
        const ys = r.value.ys.dataSync();
        a.forEach((v, k) => assert.equal(ys[k], v * 10, 'label stays with its row'));
        seen[i].push(...a);
        tf.dispose([r.value.ys, ...Object.values(r.value.xs)]);
      }
    }
    for (const ids of seen) assert.deepEqual([...ids].sort((p, q) => p - q), Array.from(a));
  });
  it('host passes write every batch into the same arrays (the consumer copies each first); tensor batches keep their own', async () => {
    const o = { ...base(), batchSize: 100, shuffle: true, shuffleBuffer: 200, seed: 13, shard: { index: 1, count: 2 } };
    const ds = makeDataset(tf, o);
    const host = hostPassOf(ds)!;
    const rand = mulberry32(13);
    for (let epoch = 0; epoch < 2; epoch++) {
      const expected = [...batches(o, rand)].map((b) => Array.from(b.features.a));
      const got: number[][] = [];
      const buffers = new Set<ArrayBufferLike>();
      for (const b of host.pass()) {
        rowsOf([b]);
        got.push(Array.from(b.features.a));
        buffers.add(b.features.a.buffer);
      }
      assert.deepEqual(got, expected, `epoch ${epoch + 1}: the batches of the same random stream`);
      assert.equal(buffers.size, 1, 'one buffer for the whole pass');
    }
    // The tensor pass (the cpu backend's tensors keep their arrays): batches held to the end keep their rows.
    const held = await makeDataset(tf, o).toArray();
    const ids = held.flatMap((b) => {
      const a = Array.from(b.xs.a.dataSync());
      const ys = b.ys.dataSync();
      a.forEach((v, k) => assert.equal(ys[k], v * 10));
      tf.dispose([b.ys, ...Object.values(b.xs)]);
      return a;
    });
    assert.deepEqual(ids, [...batches(o, mulberry32(13))].flatMap((b) => Array.from(b.features.a)));
  });
});
