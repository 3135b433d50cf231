/**
 * Runs the accumulators' hot paths once, on a few thousand synthetic values, as a pool worker
 * loads (while the main thread still plans the run). Their type feedback then covers every branch
 * the real data takes — Int32 and Float64 chunks with and without nulls, exact counts, the switch
 * to sketches, KLL compactions, heavy-hitter reductions, string dictionaries — before V8 optimizes
 * them, so each is optimized about once instead of being deoptimized and re-optimized as new
 * branches show up. Those re-compilations run on V8's helper threads, which with every core busy
 * compete with the other workers (StatisticsGen's first tasks were ~2x slower on 2 workers than
 * on 1). The synthetic accumulators are dropped; nothing here touches real state.
 */
import { NumericAccumulator, type SketchOptions } from './accumulators/numeric.ts';
import { StringAccumulator } from './accumulators/string.ts';

export function warmUpAccumulators(): void {
  // Small limits, so that a few thousand values reach every mode (exact → sketching, full summaries);
  // just over 2048 values in sketching mode fill KLL's level-0 buffer once (one compaction).
  const options: SketchOptions = { distinctExactLimit: 32, sketchK: 16, heavyHitterCapacity: 16 };
  const n = 2176;
  const floats = new Float64Array(n);
  const ints = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    floats[i] = ((i * 7919) % 1009) / 8;
    ints[i] = (i * 31) % 1013;
  }
  floats[5] = NaN;
  const someNull = new Uint8Array(n / 8).fill(0xef);
  const few = 256;
  for (const validity of [null, someNull]) {
    new NumericAccumulator('few', 'INT', options).addChunk(ints.map((v) => v % 20), validity, 0, few);
    new NumericAccumulator('few', 'FLOAT', options).addChunk(floats.map((v) => v % 4), validity, 0, few);
  }
  const floatsMany = new NumericAccumulator('many', 'FLOAT', options);
  floatsMany.addChunk(floats, null, 0, n);
  floatsMany.toPartial();
  const intsMany = new NumericAccumulator('many', 'INT', options);
  intsMany.addChunk(ints, someNull, 0, few);
  intsMany.addChunk(ints, null, 0, few);
  intsMany.toPartial();

  const words = Array.from({ length: 64 }, (_, i) => `v${i}`);
  const dict = { length: words.length, offsets: new Int32Array(words.length + 1), bytes: Buffer.from(words.join('')) };
  words.forEach((w, i) => (dict.offsets[i + 1] = dict.offsets[i] + w.length));
  const indices = ints.subarray(0, few).map((v) => v % words.length);
  for (const validity of [null, someNull]) {
    const strings = new StringAccumulator('s', options);
    strings.addDictionaryChunk(indices.map((v) => v % 8), validity, 0, few, dict);
    strings.addDictionaryChunk(indices, validity, 0, few, dict);
    strings.toPartial();
  }
}
