/**
 * TFRecord test files: tf.Examples encoded with protobufjs, framed here from the format's
 * definition (uint64 length, masked CRC32C of the length, data, masked CRC32C of the data), with
 * the CRC32C from @aws-crypto/crc32c, independent of the reader's framing code.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { crc32c } from '@aws-crypto/crc32c';
import { exampleType } from '../../runtime/src/formats/tfx-proto.ts';

export type FeatureValue = { int64: (number | bigint)[] } | { float: number[] } | { bytes: string[] };
export type ExampleDef = Record<string, FeatureValue>;

function masked(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

export function encodeExample(example: ExampleDef): Uint8Array {
  const feature: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(example)) {
    if ('int64' in v) feature[name] = { int64List: { value: v.int64.map((x) => x.toString()) } };
    else if ('float' in v) feature[name] = { floatList: { value: v.float } };
    else feature[name] = { bytesList: { value: v.bytes.map((s) => Buffer.from(s, 'utf8')) } };
  }
  const type = exampleType();
  return type.encode(type.fromObject({ features: { feature } })).finish();
}

export function frame(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(masked(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(masked(data), 0);
  return Buffer.concat([header, data, footer]);
}

export function tfrecordBytes(examples: ExampleDef[]): Buffer {
  return Buffer.concat(examples.map((e) => frame(encodeExample(e))));
}

export function writeTfRecord(path: string, examples: ExampleDef[], options: { gzip?: boolean } = {}): Buffer {
  const bytes = tfrecordBytes(examples);
  writeFileSync(path, options.gzip ? gzipSync(bytes) : bytes);
  return bytes;
}
