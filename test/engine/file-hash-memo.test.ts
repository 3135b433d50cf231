import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPathParam } from '../../runtime/src/engine/fingerprint.ts';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** The documented composition, computed here from the bytes alone. */
function expected(entries: [name: string, bytes: string][]): string {
  const h = createHash('sha256');
  for (const [name, bytes] of entries) h.update(`${name}\0${Buffer.byteLength(bytes)}\0${sha(bytes)}\0`);
  return `${entries.length}:${h.digest('hex')}`;
}

describe('input file hashes remembered by stat identity', () => {
  let dir: string;
  let memoFile: string;
  const saved = process.env.TRIBUTARY_FILE_HASH_MEMO;
  const old = new Date(Date.now() - 60_000); // well outside the racy window

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'memo-'));
    memoFile = join(dir, 'memo', 'file-hashes.json');
    process.env.TRIBUTARY_FILE_HASH_MEMO = memoFile;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TRIBUTARY_FILE_HASH_MEMO;
    else process.env.TRIBUTARY_FILE_HASH_MEMO = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('hashes contents and reuses the remembered hash while the file is unchanged', async () => {
    writeFileSync(join(dir, 'a.csv'), 'x,y\n1,2\n');
    utimesSync(join(dir, 'a.csv'), old, old);
    assert.equal(await hashPathParam('a.csv', dir), expected([['a.csv', 'x,y\n1,2\n']]));
    const memo = JSON.parse(readFileSync(memoFile, 'utf8'));
    const entry = memo[join(dir, 'a.csv')];
    assert.equal(entry.sha256, sha('x,y\n1,2\n'));
    // Prove the memo is what answers: a planted digest comes back while the stat matches.
    entry.sha256 = sha('planted');
    writeFileSync(memoFile, JSON.stringify(memo));
    const h = createHash('sha256').update(`a.csv\0${8}\0${sha('planted')}\0`).digest('hex');
    assert.equal(await hashPathParam('a.csv', dir), `1:${h}`);
  });

  it('notices a same-size edit (new mtime/ctime) and never remembers racily clean files', async () => {
    const f = join(dir, 'b.csv');
    writeFileSync(f, 'v\n1\n');
    assert.equal(await hashPathParam('b.csv', dir), expected([['b.csv', 'v\n1\n']]));
    // Just written: within the racy window, so not remembered.
    assert.equal(JSON.parse(readFileSync(memoFile, 'utf8'))[f], undefined);
    utimesSync(f, old, old);
    await hashPathParam('b.csv', dir);
    assert.ok(JSON.parse(readFileSync(memoFile, 'utf8'))[f]);
    writeFileSync(f, 'v\n2\n'); // same size
    utimesSync(f, old, old); // even with the old mtime back, ctime moved
    assert.equal(await hashPathParam('b.csv', dir), expected([['b.csv', 'v\n2\n']]));
  });

  it('works with the memo off', async () => {
    process.env.TRIBUTARY_FILE_HASH_MEMO = 'off';
    writeFileSync(join(dir, 'c.csv'), 'c\n');
    assert.equal(await hashPathParam('c.csv', dir), expected([['c.csv', 'c\n']]));
  });
});
