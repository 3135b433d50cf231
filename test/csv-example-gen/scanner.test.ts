import assert from 'node:assert/strict';
import {
  ERR_GARBAGE_AFTER_QUOTE,
  ERR_STRAY_QUOTE,
  ERR_UNTERMINATED_QUOTE,
  FIELD_ESCAPED,
  RecordScan,
  SCAN_NEED_MORE,
  SCAN_OK,
  unescapeInto,
} from '../../runtime/src/components/csv-example-gen/csv-scanner.ts';
import { inferCsvKinds } from '../../runtime/src/components/csv-example-gen/infer.ts';
import { murmur3, splitBounds, splitOf } from '../../runtime/src/components/csv-example-gen/row-hash.ts';
import { firstInvalidUtf8 } from '../../runtime/src/components/csv-example-gen/utf8.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR, classifyBytes, parseFloatBytes, parseIntBytes } from '../../runtime/src/components/csv-example-gen/values.ts';

/** Scans every record of `text` and returns decoded fields per record. */
function scanAll(text: string, delim = ','): string[][] {
  const buf = Buffer.from(text);
  const scan = new RecordScan(16);
  const out: string[][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const rc = scan.scan(buf, pos, buf.length, true, delim.charCodeAt(0));
    assert.equal(rc, SCAN_OK, `scan failed at ${pos}`);
    const fields: string[] = [];
    for (let j = 0; j < scan.count; j++) {
      if (scan.flags[j] === FIELD_ESCAPED) {
        const tmp = Buffer.alloc(scan.ends[j] - scan.starts[j]);
        fields.push(tmp.toString('utf8', 0, unescapeInto(buf, scan.starts[j], scan.ends[j], tmp)));
      } else fields.push(buf.toString('utf8', scan.starts[j], scan.ends[j]));
    }
    out.push(fields);
    pos = scan.next;
  }
  return out;
}

describe('csv scanner', () => {
  it('splits plain fields, keeps empty ones', () => {
    assert.deepEqual(scanAll('a,b,,d\n1,,3,\n'), [
      ['a', 'b', '', 'd'],
      ['1', '', '3', ''],
    ]);
  });

  it('handles quotes, escaped quotes and delimiters inside quotes', () => {
    assert.deepEqual(scanAll('"x,y","say ""hi""",""\n'), [['x,y', 'say "hi"', '']]);
  });

  it('handles CRLF, a quoted CRLF and a last line without newline', () => {
    assert.deepEqual(scanAll('a,b\r\n"1\r\n2",3\r\n4,5'), [
      ['a', 'b'],
      ['1\r\n2', '3'],
      ['4', '5'],
    ]);
  });

  it('counts newlines inside quoted fields', () => {
    const buf = Buffer.from('"a\nb\nc",d\nnext\n');
    const scan = new RecordScan(4);
    assert.equal(scan.scan(buf, 0, buf.length, true, 44), SCAN_OK);
    assert.equal(scan.newlines, 3);
    assert.equal(buf.toString('utf8', scan.next), 'next\n');
  });

  it('uses another delimiter', () => {
    assert.deepEqual(scanAll('a;b,c;"d;e"\n', ';'), [['a', 'b,c', 'd;e']]);
    assert.deepEqual(scanAll('a\tb\n', '\t'), [['a', 'b']]);
  });

  it('asks for more bytes when a record is cut by the buffer end', () => {
    const scan = new RecordScan(4);
    for (const text of ['a,b', '"a\nb', 'a,"b"', 'a,b\r']) {
      assert.equal(scan.scan(Buffer.from(text), 0, text.length, false, 44), SCAN_NEED_MORE, text);
    }
  });

  it('reports malformed quoting with the offending position', () => {
    const scan = new RecordScan(4);
    const cases: [string, number, number][] = [
      ['1,"abc\n2,3\n', ERR_UNTERMINATED_QUOTE, 2],
      ['1,ab"c\n', ERR_STRAY_QUOTE, 4],
      ['1,"ab"c,2\n', ERR_GARBAGE_AFTER_QUOTE, 6],
    ];
    for (const [text, code, at] of cases) {
      assert.equal(scan.scan(Buffer.from(text), 0, text.length, true, 44), code, text);
      assert.equal(scan.errorPos, at, text);
    }
  });
});

describe('csv values', () => {
  const b = (s: string) => Buffer.from(s);
  it('parses integers from bytes', () => {
    for (const s of ['0', '-17', '+5', '2147483647', '9007199254740992']) assert.equal(parseIntBytes(b(s), 0, s.length), Number(s), s);
    for (const s of ['', '-', '1.0', '1e3', ' 1', '12a', '99999999999999999999']) assert.ok(Number.isNaN(parseIntBytes(b(s), 0, s.length)), s);
  });

  it('parses floats exactly like Number()', () => {
    const samples = ['0.1', '-3.25', '1e-7', '6.02214076e23', '.5', '5.', '41.980872852', '-87.628509595', '123456789012345678901', '1.7976931348623157e308', '4.9e-324'];
    const random = mulberry32(7);
    for (let i = 0; i < 500; i++) {
      const [x, scale, digits] = [random(), Math.floor(random() * 13), Math.floor(random() * 17)];
      samples.push(((x - 0.5) * 10 ** (scale - 4)).toPrecision(1 + digits));
    }
    for (const s of samples) assert.equal(parseFloatBytes(b(s), 0, s.length), Number(s), s);
    for (const s of ['', '.', 'e5', '1e', '1.2.3', 'NaN', 'Infinity', '0x10', '1 ']) assert.ok(Number.isNaN(parseFloatBytes(b(s), 0, s.length)), s);
  });

  it('classifies cells into the narrowest kind', () => {
    const kind = (s: string) => classifyBytes(b(s), 0, s.length, false);
    assert.equal(kind('42'), KIND_I32);
    assert.equal(kind('3000000000'), KIND_I53);
    assert.equal(kind('1.5'), KIND_F64);
    assert.equal(kind('99999999999999999999'), KIND_F64);
    assert.equal(kind('abc'), KIND_STR);
  });

  it('infers column kinds from a sample, empty cells fit anything', () => {
    const text = 'x,y,z,w\n1,1.5,a,\n2,,b,3000000000\n,3,c,7\n';
    const buf = Buffer.from(text);
    const start = text.indexOf('\n') + 1;
    assert.deepEqual(inferCsvKinds(buf, start, true, 4, 44).kinds, [KIND_I32, KIND_F64, KIND_STR, KIND_I53]);
  });

  it('finds the first invalid UTF-8 byte', () => {
    const good = Buffer.from('héllo ✓ 😀');
    assert.equal(firstInvalidUtf8(good, 0, good.length), -1);
    const bad = Buffer.from([0x61, 0x62, 0xe9, 0x63]);
    assert.equal(firstInvalidUtf8(bad, 0, bad.length), 2);
    const truncated = Buffer.from([0x61, 0xe2, 0x9c]);
    assert.equal(firstInvalidUtf8(truncated, 0, truncated.length), 1);
  });
});

describe('row hash split', () => {
  it('is deterministic and follows the ratios', () => {
    const bounds = splitBounds([2, 1]);
    const counts = [0, 0];
    for (let i = 0; i < 30000; i++) {
      const row = Buffer.from(`${i},${i * 7 % 13},label${i % 3}`);
      const s = splitOf(murmur3(row, 0, row.length, 1), bounds);
      assert.equal(splitOf(murmur3(Buffer.from(row), 0, row.length, 1), bounds), s);
      counts[s]++;
    }
    assert.ok(Math.abs(counts[0] / 30000 - 2 / 3) < 0.015, `train share ${counts[0] / 30000}`);
  });

  it('matches the published MurmurHash3 x86_32 vectors', () => {
    const h = (s: string, seed: number) => murmur3(Buffer.from(s), 0, Buffer.byteLength(s), seed);
    assert.equal(h('', 0), 0);
    assert.equal(h('', 1), 0x514e28b7);
    assert.equal(h('test', 0), 0xba6bd213);
    assert.equal(h('Hello, world!', 1234), 0xfaf6cdb3);
    assert.equal(h('The quick brown fox jumps over the lazy dog', 0x9747b28c), 0x2fa826cd);
  });
});
