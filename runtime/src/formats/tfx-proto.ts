/**
 * TFX's own artifact formats, in and out: the binary DatasetFeatureStatisticsList
 * (FeatureStats.pb, what tfdv.load_stats_binary and Facets read), the Schema in protobuf text
 * format (schema.pbtxt) and tf.Example records. The messages are the subsets in ./proto/*.proto
 * (tensorflow_metadata's and TensorFlow's published field numbers); protobufjs encodes and
 * decodes them. protobufjs has no text format, so the pbtxt printer and parser below walk its
 * reflection of schema.proto: the field names, types and numbers come from the .proto file, not
 * from a second copy here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { DatasetFeatureStatisticsList } from './statistics.ts';
import type { Schema } from './schema.ts';

/** Where the .proto files are: beside this module in the sources, in dist/<bundle>/proto when bundled (scripts/build.mjs copies them). */
function protoPath(name: string): string {
  const candidates = [new URL(`./proto/${name}`, import.meta.url), new URL(`../formats/proto/${name}`, import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Tributary's ${name} is missing (looked in ${candidates.join(', ')})`);
  return found;
}

const roots = new Map<string, protobuf.Root>();
function root(name: string): protobuf.Root {
  let r = roots.get(name);
  if (!r) {
    r = protobuf.parse(readFileSync(protoPath(name), 'utf8'), { keepCase: false }).root;
    roots.set(name, r);
  }
  return r;
}

export const statisticsType = (): protobuf.Type => root('statistics.proto').lookupType('tensorflow.metadata.v0.DatasetFeatureStatisticsList');
export const schemaType = (): protobuf.Type => root('schema.proto').lookupType('tensorflow.metadata.v0.Schema');
export const exampleType = (): protobuf.Type => root('example.proto').lookupType('tensorflow.Example');

/** Plain object → message, refusing fields the proto does not have (fromObject would drop them silently). */
function checkedFromObject(type: protobuf.Type, value: unknown, path: string): protobuf.Message {
  checkKnownFields(type, value, path);
  return type.fromObject(value as Record<string, unknown>);
}

function checkKnownFields(type: protobuf.Type, value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const field = type.fields[key];
    if (!field) throw new Error(`${path}.${key}: not a field of ${type.name}`);
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type) {
      const items = field.repeated && Array.isArray(v) ? v : [v];
      items.forEach((item, i) => checkKnownFields(field.resolvedType as protobuf.Type, item, field.repeated ? `${path}.${key}[${i}]` : `${path}.${key}`));
    }
  }
}

/** Drops the nulls toObject({defaults}) gives unset message fields, so readers see them absent. */
function dropNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropNulls) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out as T;
}

const TO_OBJECT = { longs: Number, enums: String, defaults: true, arrays: true } as const;

export function statisticsToPb(stats: DatasetFeatureStatisticsList): Uint8Array {
  const type = statisticsType();
  return type.encode(checkedFromObject(type, stats, 'statistics')).finish();
}

/**
 * FeatureStats.pb → Tributary's JSON shape. proto3 leaves zero values out of the binary; they come
 * back as zeros (every scalar field present), as TFDV's own Python objects show them.
 */
export function statisticsFromPb(bytes: Uint8Array): DatasetFeatureStatisticsList {
  const type = statisticsType();
  return dropNulls(type.toObject(type.decode(bytes), TO_OBJECT)) as DatasetFeatureStatisticsList;
}

// ---- protobuf text format (schema.pbtxt) ----

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function quote(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out + '"';
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function printMessage(type: protobuf.Type, value: Record<string, unknown>, indent: string, lines: string[]): void {
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  for (const field of fields) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    field.resolve();
    const items = field.repeated ? (v as unknown[]) : [v];
    for (const item of items) {
      const name = snake(field.name);
      if (field.resolvedType instanceof protobuf.Type) {
        lines.push(`${indent}${name} {`);
        printMessage(field.resolvedType, item as Record<string, unknown>, indent + '  ', lines);
        lines.push(`${indent}}`);
      } else if (field.resolvedType instanceof protobuf.Enum) lines.push(`${indent}${name}: ${String(item)}`);
      else if (typeof item === 'string') lines.push(`${indent}${name}: ${quote(item)}`);
      else if (typeof item === 'number') lines.push(`${indent}${name}: ${formatNumber(item)}`);
      else lines.push(`${indent}${name}: ${String(item)}`);
    }
  }
}

/** A Schema in protobuf text format, fields in field-number order as TFX's writers print them. */
export function schemaToPbtxt(schema: Schema): string {
  const type = schemaType();
  const normalized = type.toObject(checkedFromObject(type, schema, 'schema'), { longs: Number, enums: String }) as Record<string, unknown>;
  const lines: string[] = [];
  printMessage(type, normalized, '', lines);
  return lines.join('\n') + '\n';
}

export class TextFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${message}`);
  }
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct';
  text: string;
  line: number;
  column: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  let separated = false;
  while (i < text.length) {
    const c = text[i];
    if (c === ',' || c === ';') separated = true;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ';') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const column = i - lineStart + 1;
    if ('{}<>:[]'.includes(c)) {
      separated = true;
      tokens.push({ kind: 'punct', text: c, line, column });
      i++;
    } else if (c === '"' || c === "'") {
      const bytes: number[] = [];
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\n') throw new TextFormatError('string not closed before the end of the line', line, column);
        if (text[i] === '\\') {
          const e = text[i + 1];
          const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11, '?': 63 };
          if (e in simple) {
            bytes.push(simple[e]);
            i += 2;
          } else if (/[0-7]/.test(e)) {
            const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
            bytes.push(parseInt(oct, 8));
            i += 1 + oct.length;
          } else if (e === 'x') {
            const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))?.[0];
            if (!hex) throw new TextFormatError('bad \\x escape', line, i - lineStart + 1);
            bytes.push(parseInt(hex, 16));
            i += 2 + hex.length;
          } else throw new TextFormatError(`unknown escape \\${e}`, line, i - lineStart + 1);
        } else {
          const cp = text.codePointAt(i)!;
          bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
          i += cp > 0xffff ? 2 : 1;
        }
      }
      if (i >= text.length) throw new TextFormatError('string not closed', line, column);
      i++;
      // Adjacent strings concatenate, as in C.
      const prev = tokens[tokens.length - 1];
      const value = Buffer.from(bytes).toString('utf8');
      if (prev?.kind === 'string' && !separated) prev.text += value;
      else tokens.push({ kind: 'string', text: value, line, column });
      separated = false;
    } else {
      const m = /^[-+]?(?:[A-Za-z_][A-Za-z0-9_.]*|(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fF]?)/.exec(text.slice(i));
      if (!m) throw new TextFormatError(`unexpected character ${JSON.stringify(c)}`, line, column);
      const word = m[0];
      const isIdent = /^[A-Za-z_]/.test(word);
      separated = true;
      tokens.push({ kind: isIdent ? 'ident' : 'number', text: word, line, column });
      i += word.length;
    }
  }
  return tokens;
}

function scalarValue(field: protobuf.Field, tok: Token): unknown {
  const at = () => new TextFormatError(`field "${snake(field.name)}" (${field.type}) cannot take ${JSON.stringify(tok.text)}`, tok.line, tok.column);
  if (field.resolvedType instanceof protobuf.Enum) {
    if (tok.kind === 'ident' && tok.text in field.resolvedType.values) return tok.text;
    if (tok.kind === 'number') {
      const name = field.resolvedType.valuesById[Number(tok.text)];
      if (name) return name;
    }
    throw new TextFormatError(`"${tok.text}" is not a value of ${field.resolvedType.name} (${Object.keys(field.resolvedType.values).join(', ')})`, tok.line, tok.column);
  }
  switch (field.type) {
    case 'string':
    case 'bytes':
      if (tok.kind !== 'string') throw at();
      return tok.text;
    case 'bool':
      if (['true', 't', '1', 'True'].includes(tok.text)) return true;
      if (['false', 'f', '0', 'False'].includes(tok.text)) return false;
      throw at();
    case 'double':
    case 'float': {
      const t = tok.text.toLowerCase().replace(/f$/, '');
      const v = t === 'inf' || t === 'infinity' || t === '+inf' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : t === 'nan' ? NaN : Number(t);
      if (tok.kind === 'string' || (Number.isNaN(v) && t !== 'nan')) throw at();
      return v;
    }
    default: {
      if (tok.kind !== 'number') throw at();
      const v = Number(tok.text);
      if (!Number.isInteger(v)) throw at();
      if (!Number.isSafeInteger(v)) throw new TextFormatError(`${tok.text} is beyond ±2^53, which Tributary keeps exactly`, tok.line, tok.column);
      return v;
    }
  }
}

function parseMessage(type: protobuf.Type, tokens: Token[], pos: { i: number }, close: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (;;) {
    const tok = tokens[pos.i];
    if (!tok) {
      if (close) {
        const last = tokens[tokens.length - 1];
        throw new TextFormatError(`missing "${close}" before the end of the file`, last?.line ?? 1, last?.column ?? 1);
      }
      return out;
    }
    if (close && tok.kind === 'punct' && tok.text === close) {
      pos.i++;
      return out;
    }
    if (tok.kind !== 'ident') throw new TextFormatError(`expected a field name, found ${JSON.stringify(tok.text)}`, tok.line, tok.column);
    const field = type.fields[camel(tok.text)];
    if (!field || snake(field.name) !== tok.text) {
      throw new TextFormatError(`"${tok.text}" is not a field of ${type.name} that Tributary reads (${type.fieldsArray.map((f) => snake(f.name)).join(', ')})`, tok.line, tok.column);
    }
    field.resolve();
    pos.i++;
    const isMessage = field.resolvedType instanceof protobuf.Type;
    let next = tokens[pos.i];
    if (next?.kind === 'punct' && next.text === ':') {
      pos.i++;
      next = tokens[pos.i];
    } else if (!isMessage) throw new TextFormatError(`expected ":" after "${tok.text}"`, (next ?? tok).line, (next ?? tok).column);
    const values: unknown[] = [];
    const readOne = () => {
      const t = tokens[pos.i];
      if (!t) throw new TextFormatError(`"${tok.text}" has no value`, tok.line, tok.column);
      if (isMessage) {
        if (t.kind !== 'punct' || (t.text !== '{' && t.text !== '<')) throw new TextFormatError(`expected "{" after "${tok.text}"`, t.line, t.column);
        pos.i++;
        values.push(parseMessage(field.resolvedType as protobuf.Type, tokens, pos, t.text === '{' ? '}' : '>'));
      } else {
        values.push(scalarValue(field, t));
        pos.i++;
      }
    };
    if (next?.kind === 'punct' && next.text === '[') {
      if (!field.repeated) throw new TextFormatError(`"${tok.text}" is not repeated; a list is not allowed`, next.line, next.column);
      pos.i++;
      while (!(tokens[pos.i]?.kind === 'punct' && tokens[pos.i].text === ']')) readOne();
      pos.i++;
    } else readOne();
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[]) ?? []), ...values];
    else if (field.name in out || (field.partOf && field.partOf.oneof.some((n) => n !== field.name && n in out))) {
      throw new TextFormatError(`"${tok.text}" is set twice`, tok.line, tok.column);
    } else out[field.name] = values[0];
  }
}

/** schema.pbtxt → Tributary's Schema (the JSON shape); TextFormatError names line and column. */
export function schemaFromPbtxt(text: string): Schema {
  const type = schemaType();
  const tokens = tokenize(text);
  const value = parseMessage(type, tokens, { i: 0 }, undefined);
  return type.toObject(type.fromObject(value), { longs: Number, enums: String }) as Schema;
}
