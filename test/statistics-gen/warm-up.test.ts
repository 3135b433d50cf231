import assert from 'node:assert/strict';
import { NumericAccumulator } from '../../runtime/src/components/statistics-gen/accumulators/numeric.ts';
import { StringAccumulator } from '../../runtime/src/components/statistics-gen/accumulators/string.ts';
import { warmUpAccumulators } from '../../runtime/src/components/statistics-gen/warm-up.ts';
import { rng } from '../sketches/helpers.ts';

const OPTIONS = { distinctExactLimit: 50, sketchK: 200, heavyHitterCapacity: 32 };

describe('StatisticsGen worker warm-up', () => {
  it('leaves no trace: accumulators built after it count exactly what they are given', () => {
    warmUpAccumulators();
    const r = rng(7);
    const values = Float64Array.from({ length: 3000 }, () => Math.floor(r() * 40));
    const acc = new NumericAccumulator('x', 'INT', OPTIONS);
    acc.addChunk(values, null, 0, values.length);
    const counts = new Map<number, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.equal(acc.present, 3000);
    assert.equal(acc.exact, true);
    assert.equal(acc.distinct(), counts.size);
    assert.equal(acc.min, Math.min(...values));
    assert.equal(acc.max, Math.max(...values));
    assert.ok(Math.abs(acc.moments.mean - mean) < 1e-9);
    for (const [v, c] of counts) assert.equal(acc.freq.get(v), c);

    warmUpAccumulators();
    const strings = new StringAccumulator('s', OPTIONS);
    const dict = { length: 3, offsets: Int32Array.from([0, 1, 3, 6]), bytes: Buffer.from('abbccc') };
    strings.addDictionaryChunk(Int32Array.from([0, 2, 2, 1, 2]), null, 0, 5, dict);
    assert.equal(strings.present, 5);
    assert.equal(strings.totalBytes, 1 + 3 + 3 + 2 + 3);
    assert.deepEqual(strings.freq.top(3), { keys: ['ccc', 'a', 'bb'], counts: [3, 1, 1] });
  });
});
