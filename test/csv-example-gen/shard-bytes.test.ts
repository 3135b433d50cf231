import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { runExampleGen, tempDir } from './helpers.ts';

/** Every shard file of an Examples folder: `Split-x/part-n.arrow` → its bytes. */
function shardBytes(uri: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const split of readdirSync(uri).filter((d) => d.startsWith('Split-')).sort()) {
    for (const f of readdirSync(join(uri, split)).sort()) out.set(`${split}/${f}`, readFileSync(join(uri, split, f)));
  }
  return out;
}

/** Every shard's bytes (by relative path) from a run with 1 worker, then from one with 2. */
async function shardsWithOneAndTwoWorkers(dir: string, params: Record<string, unknown>): Promise<Map<string, Buffer>[]> {
  const runs: Map<string, Buffer>[] = [];
  for (const workers of [1, 2]) {
    const pool = createPool(workers);
    try {
      runs.push(shardBytes((await runExampleGen(pool, dir, params)).uri));
    } finally {
      await pool.close();
    }
  }
  return runs;
}

describe('CsvExampleGen shard bytes', () => {
  it('are identical for 1 and 2 workers, with string dictionaries numbered by column', async () => {
    const dir = tempDir();
    const colors = ['red', 'green', 'blue', 'cyan'];
    const lines = ['id,color,size,shape'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},${colors[i % 4]},${(i % 17) / 4},${i % 3 ? 'round' : 'square'}`);
    writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
    // ~2 KB ranges: many shards, so each worker of the pair writes several, in an order that varies.
    const params = { input: 'data.csv', shard_size_mb: 0.002 };
    const [one, two] = await shardsWithOneAndTwoWorkers(dir, params);
    assert.ok(one.size >= 16, `many shards (got ${one.size})`);
    assert.deepEqual([...two.keys()], [...one.keys()]);
    for (const [name, bytes] of one) assert.ok(bytes.equals(two.get(name)!), `${name} has the same bytes with 1 and 2 workers`);
    for (const bytes of one.values()) {
      const fields = tableFromIPC(bytes).schema.fields;
      const ids = fields.map((f, j) => ('id' in f.type ? [j, (f.type as { id: number }).id] : undefined)).filter((x) => x !== undefined);
      assert.deepEqual(ids, [
        [1, 1],
        [3, 3],
      ]);
    }
  });

  it('write 0 in the value slot of every null, also when a worker reuses the arrays of its previous shard', async () => {
    const dir = tempDir();
    const lines = ['n,x,s'];
    // Nulls in some stretches only, so a shard's null slots fall where the previous shard had values.
    for (let i = 0; i < 3000; i++) {
      const blank = Math.floor(i / 37) % 3 === 0;
      lines.push(blank ? ',,' : `${1000 + i},${i / 8},w${i % 9}`);
    }
    writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
    const params = { input: 'data.csv', shard_size_mb: 0.002 };
    const [one, two] = await shardsWithOneAndTwoWorkers(dir, params);
    for (const [name, bytes] of one) assert.ok(bytes.equals(two.get(name)!), `${name} has the same bytes with 1 and 2 workers`);
    let nulls = 0;
    for (const [name, bytes] of one) {
      const table = tableFromIPC(bytes);
      for (const field of table.schema.fields) {
        for (const data of table.getChild(field.name)!.data) {
          for (let i = 0; i < data.length; i++) {
            if (data.getValid(i)) continue;
            nulls++;
            assert.equal(data.values[i], 0, `${name} ${field.name}[${i}] is null and its slot holds 0`);
          }
        }
      }
    }
    assert.ok(nulls > 1000, `the shards hold nulls (${nulls})`);
  });
});
