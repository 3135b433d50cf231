import { isNode, isPair, isScalar, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Diagnostic, Range } from './diagnostics.ts';

/** Converts character offsets to a 0-based range using the parser's line counter. */
export function offsetsToRange(lineCounter: LineCounter, start: number, end: number): Range {
  const a = lineCounter.linePos(start);
  const b = lineCounter.linePos(Math.max(start, end));
  return { start: { line: a.line - 1, column: a.col - 1 }, end: { line: b.line - 1, column: b.col - 1 } };
}

/** The source span of a node's content (without trailing comments or blank lines). */
export function nodeOffsets(node: Node | Pair): [number, number] | undefined {
  if (isPair(node)) {
    const key = isNode(node.key) ? nodeOffsets(node.key) : undefined;
    const value = isNode(node.value) ? contentOffsets(node.value) : undefined;
    if (!key) return value;
    return [key[0], Math.max(key[1], value?.[1] ?? key[1])];
  }
  return node.range ? [node.range[0], node.range[1]] : undefined;
}

/** Like nodeOffsets but for block collections ends at the last item's content, not at the next key. */
export function contentOffsets(node: Node): [number, number] | undefined {
  if (!node.range) return undefined;
  const items = (node as { items?: unknown[]; flow?: boolean }).items;
  if (!Array.isArray(items) || (node as { flow?: boolean }).flow || items.length === 0) {
    return [node.range[0], node.range[1]];
  }
  const last = items[items.length - 1];
  const lastOffsets = isPair(last) || isNode(last) ? nodeOffsets(last as Node | Pair) : undefined;
  return [node.range[0], lastOffsets ? lastOffsets[1] : node.range[1]];
}

/** The pair for a string key; the first one when a key is duplicated (the parser keeps the first too). */
export function findPair(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  for (const item of map.items) {
    if (isScalar(item.key) && String(item.key.value) === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

export type Located = Node | Pair | Range | undefined;

/** Collects diagnostics for one file, turning YAML nodes into ranges. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly lineCounter: LineCounter,
  ) {}

  rangeOf(at: Located): Range {
    if (at === undefined) return { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };
    if ('start' in at) return at;
    const offsets = nodeOffsets(at);
    return offsets ? offsetsToRange(this.lineCounter, offsets[0], offsets[1]) : this.rangeOf(undefined);
  }

  report(
    severity: Diagnostic['severity'],
    code: string,
    message: string,
    at: Located,
    extra: { nodeId?: string; field?: string } = {},
  ): void {
    this.diagnostics.push({ severity, code, message, file: this.file, range: this.rangeOf(at), ...extra });
  }

  error(code: string, message: string, at: Located, extra?: { nodeId?: string; field?: string }): void {
    this.report('error', code, message, at, extra);
  }

  warning(code: string, message: string, at: Located, extra?: { nodeId?: string; field?: string }): void {
    this.report('warning', code, message, at, extra);
  }
}
