import { Document, isScalar, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/** Marks a value to be written in flow style, e.g. layout positions as `{ x: 0, y: 0 }`. */
export class Flow<T = unknown> {
  constructor(readonly value: T) {}
}

export function flow<T>(value: T): Flow<T> {
  return new Flow(value);
}

const TO_STRING = { indent: 2, lineWidth: 0, minContentWidth: 0 } as const;

/** A YAML node for a plain value, honouring Flow markers at any depth. */
export function toYamlNode(value: unknown, inFlow = false): Node {
  if (value instanceof Flow) return toYamlNode(value.value, true);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    seq.flow = inFlow;
    for (const item of value) seq.items.push(toYamlNode(item, inFlow));
    return seq;
  }
  if (value !== null && typeof value === 'object') {
    const map = new YAMLMap();
    map.flow = inFlow;
    for (const [key, item] of Object.entries(value)) map.set(new Scalar(key), toYamlNode(item, inFlow));
    return map;
  }
  const scalar = new Scalar(value);
  // Multi-line strings as block scalars would need the surrounding indentation; quoting keeps them on one line.
  if (typeof value === 'string' && value.includes('\n')) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

function stringify(node: Node): string {
  return new Document(node).toString(TO_STRING).replace(/\n$/, '');
}

/** Written on the same line as its key: scalars, flow collections and empty collections. */
export function isInline(value: unknown): boolean {
  if (value instanceof Flow || value === null || typeof value !== 'object') return true;
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

/** A scalar or flow value on one line; `style` keeps the quoting of the value it replaces. */
export function renderInline(value: unknown, style?: Scalar['type']): string {
  const node = toYamlNode(value instanceof Flow ? value : isInline(value) ? value : new Flow(value));
  if (isScalar(node) && style && typeof value === 'string' && !value.includes('\n')) node.type = style;
  return stringify(node);
}

/**
 * `key: value` or `key:` followed by an indented block. The first line carries no indentation (it is
 * written where the key starts); later lines are indented for a key at `column`.
 */
export function renderPair(keySource: string, value: unknown, column: number, step: number): string {
  if (isInline(value)) return `${keySource}: ${renderInline(value)}`;
  const body = stringify(toYamlNode(value))
    .split('\n')
    .map((line) => ' '.repeat(column + step) + reindent(line, step))
    .join('\n');
  return `${keySource}:\n${body}`;
}

/** Our renderer indents by 2; scale leading spaces to the file's step. */
function reindent(line: string, step: number): string {
  const leading = line.length - line.trimStart().length;
  return ' '.repeat((leading / 2) * step) + line.trimStart();
}

/** A map key as YAML source, quoted only when needed. */
export function renderKey(key: string): string {
  return stringify(new Scalar(key));
}
