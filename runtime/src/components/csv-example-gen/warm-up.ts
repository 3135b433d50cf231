/**
 * Parses a small synthetic CSV once as a pool worker loads (while the main thread still plans), so
 * the parser's and shard writer's type feedback covers every branch real data takes — int32,
 * int53, float and string columns, empty fields, quoted fields, both splits, a range with a known
 * and one with a guessed start — before V8 optimizes them. Without it the big parse loop was
 * optimized ~5 times per worker as new branches showed up; those compilations run on V8's helper
 * threads, which on 2 workers compete with the workers for the cores. Best effort: it works in a
 * private temporary folder and any failure (no writable tmp) is ignored.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRange } from './range-parser.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR } from './values.ts';

const COLUMNS = ['small', 'big', 'price', 'label', 'note'];
const KINDS = [KIND_I32, KIND_I53, KIND_F64, KIND_STR, KIND_STR];

function syntheticCsv(rows: number): string {
  const lines = [COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const small = i % 7 === 0 ? '' : String((i * 37) % 1000);
    const big = i % 11 === 0 ? '' : String(1_400_000_000 + i * 7919);
    const price = i % 13 === 0 ? '' : ((i * 7.31) % 500).toFixed(i % 3 === 0 ? 9 : 2);
    const label = i % 5 === 0 ? '' : `L${i % 23}`;
    const note = i % 17 === 0 ? '"a, ""quoted"" value"' : i % 4 === 0 ? '' : `n${i % 97}`;
    lines.push(`${small},${big},${price},${label},${note}`);
  }
  return lines.join('\n') + '\n';
}

/** Returns the rows parsed per split (for tests); nothing when the warm-up could not run. */
export function warmUpCsvParser(): number[] | undefined {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'tributary-warm-up-'));
    const file = join(dir, 'warm-up.csv');
    writeFileSync(file, syntheticCsv(600));
    const size = statSync(file).size;
    const dataStart = COLUMNS.join(',').length + 1;
    const middle = dataStart + Math.floor((size - dataStart) / 2);
    const ranges = [
      { start: dataStart, end: middle, knownStart: dataStart },
      { start: middle, end: size, knownStart: undefined },
    ];
    const rows = [0, 0];
    ranges.forEach((r, shardIndex) => {
      const result = parseRange({
        file,
        format: 'csv',
        ...r,
        fileSize: size,
        delimiter: 44,
        columns: COLUMNS,
        kinds: KINDS,
        splitNames: ['train', 'eval'],
        ratios: [2, 1],
        skipBadRows: false,
        rowBytesHint: 40,
        outUri: dir!,
        shardIndex,
      });
      if (result.error || result.dirty) throw new Error(result.error?.message ?? 'kinds widened');
      result.rows.forEach((n, s) => (rows[s] += n));
    });
    return rows;
  } catch {
    // Only a warm-up: the real work does not depend on it.
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
