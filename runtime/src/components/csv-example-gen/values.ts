/**
 * Value kinds and number parsing straight from bytes (no string allocation per field).
 *
 * Kinds form a lattice I32 < I53 < F64 < STR: a column holds the narrowest kind all its values
 * fit; a value that does not fit widens the column. I53 is an INT column stored as Float64
 * (exact to 2^53), per runtime/src/formats/examples.ts.
 */
import type { FeatureType } from '../../formats/examples.ts';

export const KIND_I32 = 0;
export const KIND_I53 = 1;
export const KIND_F64 = 2;
export const KIND_STR = 3;
/** Classification result of an empty cell: fits every kind. */
export const MISSING = -1;

export type Kind = 0 | 1 | 2 | 3;

export function featureTypeOf(kind: number): FeatureType {
  return kind === KIND_STR ? 'STRING' : kind === KIND_F64 ? 'FLOAT' : 'INT';
}

export const KIND_NAMES = ['int32', 'int (float64 storage)', 'float', 'string'];

const MAX_SAFE = 2 ** 53;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A plain decimal integer ([+-]digits) or NaN. Values beyond 2^53 return NaN too, so they fall
 * through to the float path (an INT column cannot hold them exactly anyway).
 */
export function parseIntBytes(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    neg = c0 === 45;
    i++;
  }
  if (i >= e) return NaN;
  let v = 0;
  for (; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (v > MAX_SAFE) return NaN;
  return neg ? -v : v;
}

/**
 * A decimal float ([+-]digits[.digits][e[+-]digits], at least one digit) or NaN. Strict on syntax
 * (no spaces, hex, "Infinity"), so every cell has one well-defined kind. Uses the exact fast path
 * (mantissa < 2^53, |exponent| <= 22: one correctly rounded operation) and Number() otherwise.
 */
export function parseFloatBytes(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let exp = 0;
  let exact = true;
  for (; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    digits++;
  }
  if (i < e && buf[i] === 46 /* . */) {
    i++;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      digits++;
      exp--;
    }
  }
  if (digits === 0) return NaN;
  if (m > MAX_SAFE) exact = false;
  if (i < e && (buf[i] === 101 || buf[i] === 69) /* e E */) {
    i++;
    let eneg = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    if (i >= e) return NaN;
    let ev = 0;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return NaN;
      if (ev < 100000) ev = ev * 10 + d;
    }
    exp += eneg ? -ev : ev;
  }
  if (i !== e) return NaN;
  if (exact && exp >= -22 && exp <= 22) {
    const v = exp < 0 ? m / POW10[-exp] : m * POW10[exp];
    return neg ? -v : v;
  }
  let text = '';
  for (let k = s; k < e; k++) text += String.fromCharCode(buf[k]);
  return Number(text);
}

/** Narrowest kind for an integer value. */
export function intKind(v: number): Kind {
  return v >= INT32_MIN && v <= INT32_MAX ? KIND_I32 : KIND_I53;
}

/** Kind of one cell's bytes (`quotedEscapes`: contains "" escapes, so never a number). */
export function classifyBytes(buf: Uint8Array, s: number, e: number, quotedEscapes: boolean): number {
  if (s === e) return MISSING;
  if (quotedEscapes) return KIND_STR;
  const iv = parseIntBytes(buf, s, e);
  if (iv === iv) return intKind(iv);
  const fv = parseFloatBytes(buf, s, e);
  return fv === fv ? KIND_F64 : KIND_STR;
}

/** Kind of a parsed JSON value, or MISSING; undefined for values that are not flat. */
export function classifyJson(v: unknown): number | undefined {
  if (v === null || v === '') return MISSING;
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && Math.abs(v) <= MAX_SAFE ? intKind(v) : KIND_F64;
    case 'boolean':
      return KIND_I32;
    case 'string':
      return KIND_STR;
    default:
      return undefined;
  }
}
