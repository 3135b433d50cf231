/**
 * Property test of the CSV reader: random CSVs, with and without random
 * corruptions, read with and without skip_bad_rows. Good files round-trip exactly; with
 * corruptions, either the run fails naming the file and a line, or rows kept + rows reported
 * skipped = records in the file, and every kept row is an intact record: no row is lost quietly.
 *
 * What the generator leaves out, because the bytes read the same either way: a line inside a
 * multi-line value that is itself a complete row; a broken row right after one whose quote is left
 * open (one multi-line row broken once); a quote left open in a row that also has a multi-line
 * value (the open quote flips which lines are inside quotes, so its lines look like several broken
 * rows). See bad-row.ts.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { readSplit, runExampleGen, tempDir } from './helpers.ts';

interface CellText {
  /** As written in the file. */
  text: string;
  /** The value it holds ('' for an empty cell). */
  value: string;
  quoted: boolean;
}

const word = fc.stringMatching(/^[a-z][a-z ]{0,5}$/);
const cell: fc.Arbitrary<CellText> = fc.oneof(
  fc.integer({ min: -1000, max: 100_000 }).map((n) => ({ text: String(n), value: String(n), quoted: false })),
  word.map((w) => ({ text: w, value: w, quoted: false })),
  fc.constant({ text: '', value: '', quoted: false }),
  // Quoted: delimiters and quotes in the first line, more lines of plain words.
  fc.tuple(fc.stringMatching(/^[a-z ,"]{0,6}$/), fc.array(word, { maxLength: 2 })).map(([first, more]) => {
    const value = [first, ...more].join('\n');
    return { text: `"${value.replace(/"/g, '""')}"`, value, quoted: true };
  }),
);

type Corruption = 'unclose' | 'stray' | 'garbage' | 'extra-field' | 'missing-field';
const corruption = fc.record({ at: fc.nat(), kind: fc.constantFrom<Corruption>('unclose', 'stray', 'garbage', 'extra-field', 'missing-field') });

const table = fc.integer({ min: 2, max: 5 }).chain((ncols) =>
  fc.record({
    ncols: fc.constant(ncols),
    records: fc.array(fc.array(cell, { minLength: ncols, maxLength: ncols }), { minLength: 1, maxLength: 60 }),
    corruptions: fc.array(corruption, { maxLength: 4 }),
    crlf: fc.boolean(),
  }),
);

/** The record's line with one corruption applied; every kind makes the record malformed. */
function corrupt(record: CellText[], kind: Corruption): string {
  const cells = record.map((c) => c.text);
  const quoted = record.findIndex((c) => c.quoted);
  const plain = record.findIndex((c) => !c.quoted && c.text.length >= 2);
  const multiLine = record.some((c) => c.value.includes('\n'));
  if (kind === 'unclose' && quoted >= 0 && !multiLine) cells[quoted] = cells[quoted].slice(0, -1);
  else if (kind === 'garbage' && quoted >= 0) cells[quoted] += 'x';
  else if (kind === 'stray' && plain >= 0) cells[plain] = `${cells[plain][0]}"${cells[plain].slice(1)}`;
  else if (kind === 'missing-field' && cells.slice(0, -1).join(',') !== '') cells.pop(); // never a blank line: that is no record
  else cells.push('x');
  return cells.join(',');
}

describe('CSV reader (property)', function () {
  this.timeout(600_000);
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(2);
    dir = tempDir('eg-prop-');
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every intact record and reports every broken one, or fails at a line', async () => {
    await fc.assert(
      fc.asyncProperty(table, fc.boolean(), fc.constantFrom(16, 0.0002), async ({ ncols, records, corruptions, crlf }, skip, shardMb) => {
        // Corrupted records are never next to each other (see the file comment).
        const broken = new Map<number, Corruption>();
        for (const c of corruptions) {
          const i = c.at % records.length;
          if (!broken.has(i - 1) && !broken.has(i + 1)) broken.set(i, c.kind);
        }
        const header = Array.from({ length: ncols }, (_, j) => `c${j}`);
        const lines = records.map((r, i) => (broken.has(i) ? corrupt(r, broken.get(i)!) : r.map((c) => c.text).join(',')));
        const file = join(dir, 'random.csv');
        writeFileSync(file, [header.join(','), ...lines].join(crlf ? '\r\n' : '\n') + '\n');

        let result;
        try {
          result = await runExampleGen(pool, dir, { input: 'random.csv', skip_bad_rows: skip, shard_size_mb: shardMb, splits: { train: 1 } });
        } catch (e) {
          // Failing is allowed only for a broken file, and only at a line of it.
          assert.ok(broken.size > 0, `a good file failed: ${(e as Error).message}`);
          assert.equal((e as Error).name, 'UserError');
          assert.match((e as Error).message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
          if (!skip) return;
          // With skip_bad_rows only a row whose end cannot be told fails the run.
          assert.match((e as Error).message, /cannot be told|all \d+ rows are malformed/);
          return;
        }
        const kept = readSplit(result.uri, 'train').rows.map((row) => header.map((h) => (row[h] === null ? '' : String(row[h]))));
        const intact = records.filter((_, i) => !broken.has(i)).map((r) => r.map((c) => c.value));
        assert.ok(skip || broken.size === 0, 'without skip_bad_rows a broken file fails');
        assert.equal(kept.length + result.props.skippedRows, records.length, 'rows kept + rows skipped = records');
        assert.deepEqual(kept, intact);
      }),
      {
        numRuns: Number(process.env.CSV_PROPERTY_RUNS ?? 60),
        // A failure prints its seed; CSV_PROPERTY_SEED replays it.
        ...(process.env.CSV_PROPERTY_SEED ? { seed: Number(process.env.CSV_PROPERTY_SEED) } : {}),
      },
    );
  });
});
