import assert from 'node:assert/strict';
import { Murmur3Stream, SPLIT_SEED, murmur3 } from '../../runtime/src/components/csv-example-gen/row-hash.ts';

describe('Murmur3Stream', () => {
  it('hashes bytes and words fed piecewise as murmur3 hashes their concatenation, at every alignment', () => {
    let s = 7;
    const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
    const stream = new Murmur3Stream();
    for (let trial = 0; trial < 2000; trial++) {
      const bytes: number[] = [];
      stream.reset(SPLIT_SEED);
      for (let piece = next() % 12; piece > 0; piece--) {
        const kind = next() % 3;
        if (kind === 0) {
          const b = next() & 0xff;
          bytes.push(b);
          stream.byte(b);
        } else if (kind === 1) {
          const w = next() | 0;
          bytes.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
          stream.word(w);
        } else {
          const run = Uint8Array.from({ length: next() % 11 }, () => next() & 0xff);
          bytes.push(...run);
          stream.bytes(run, 0, run.length);
        }
      }
      assert.equal(stream.digest(), murmur3(Uint8Array.from(bytes), 0, bytes.length, SPLIT_SEED), `trial ${trial}: ${bytes.length} bytes`);
    }
  });
});
