/**
 * Where the cursor is in a pipeline file. Two views:
 * - `completionContext` reads the lines around the cursor by indentation, because while someone
 *   types (`    trip`, `component: `) the YAML is often incomplete and the parser's tree is not
 *   where the cursor is;
 * - `locate` walks the parsed YAML tree, exact for hover, definition and rename on complete text.
 * Positions are 0-based lines and UTF-16 columns, as LSP counts.
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ParsedPipeline } from '../../../runtime/src/host-api.ts';

export interface Position {
  line: number;
  character: number;
}

export interface CompletionContext {
  /** Keys of the enclosing maps, outermost first: `['nodes', 'trainer', 'params']`. */
  path: string[];
  /** Typing a key (`    tri|`) or the value of `key` (`    input: da|`). */
  kind: 'key' | 'value';
  key?: string;
  /** What was typed of the word being completed. */
  prefix: string;
  /** Columns of the text a completion replaces (on the cursor's line). */
  start: number;
  end: number;
  /** Keys already present at the cursor's level (to leave them out). */
  siblings: string[];
}

const KEY_LINE = /^(\s*)([^\s:#'"][^:#]*?|"[^"]*"|'[^']*')\s*:(\s|$)/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isContent(line: string): boolean {
  const trimmed = line.trim();
  return trimmed !== '' && !trimmed.startsWith('#') && trimmed !== '---';
}

function keyOf(line: string): string | undefined {
  const match = KEY_LINE.exec(line);
  return match ? match[2].replace(/^["']|["']$/g, '') : undefined;
}

export function completionContext(text: string, position: Position): CompletionContext {
  const lines = text.split(/\r?\n/);
  const full = lines[position.line] ?? '';
  const before = full.slice(0, position.character);
  const indent = indentOf(full.trim() === '' ? before : full);
  const keyMatch = KEY_LINE.exec(before);
  let context: Omit<CompletionContext, 'path' | 'siblings'>;
  if (keyMatch) {
    const start = skipSpaces(full, keyMatch[0].length);
    const end = valueEnd(full, start, position.character);
    context = { kind: 'value', key: keyOf(before), prefix: unquote(full.slice(start, position.character)), start, end };
  } else {
    const start = indentOf(before);
    const rest = full.slice(start);
    const wordEnd = start + (/^[^\s:#]*/.exec(rest)?.[0].length ?? 0);
    context = { kind: 'key', prefix: before.slice(start), start, end: Math.max(wordEnd, position.character) };
  }
  // Ancestors: each earlier content line indented less than the current level opens a map.
  const path: string[] = [];
  let level = indent;
  let parentLine = -1;
  for (let i = position.line - 1; i >= 0 && level > 0; i--) {
    if (!isContent(lines[i])) continue;
    const li = indentOf(lines[i]);
    if (li < level) {
      const key = keyOf(lines[i]);
      if (key === undefined) break;
      path.unshift(key);
      if (parentLine < 0) parentLine = i;
      level = li;
    }
  }
  return { ...context, path, siblings: siblingKeys(lines, position.line, indent, parentLine) };
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

/** End of a plain value: before a ` #` comment and trailing spaces, never before the cursor. */
function valueEnd(line: string, start: number, cursor: number): number {
  const comment = line.indexOf(' #', start);
  let e = comment < 0 ? line.length : comment;
  while (e > start && line[e - 1] === ' ') e--;
  return Math.max(e, cursor);
}

function unquote(text: string): string {
  return text.replace(/^["']/, '');
}

/** Keys of the other lines at `indent` inside the same parent block. */
function siblingKeys(lines: string[], cursorLine: number, indent: number, parentLine: number): string[] {
  const keys: string[] = [];
  for (let i = parentLine + 1; i < lines.length; i++) {
    if (!isContent(lines[i])) continue;
    const li = indentOf(lines[i]);
    if (li < indent || (parentLine >= 0 && li <= indentOf(lines[parentLine]))) break;
    if (li === indent && i !== cursorLine) {
      const key = keyOf(lines[i]);
      if (key !== undefined) keys.push(key);
    }
  }
  return keys;
}

export interface Located {
  /** Keys from the top: `['nodes', 'trainer', 'params', 'module_file']`. */
  path: string[];
  /** On the key of the last path element, or on its (scalar) value. */
  part: 'key' | 'value';
  /** Offsets of the key or scalar value under the cursor. */
  start: number;
  end: number;
  /** The scalar's value as text. */
  text: string;
}

/** The key or scalar value at `offset` in a parsed pipeline, with its path of keys. */
export function locate(parsed: ParsedPipeline, offset: number): Located | undefined {
  const contents = parsed.document.contents;
  return contents ? visit(contents as Node, [], offset) : undefined;
}

function visit(node: Node, path: string[], offset: number): Located | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      const pair = item as Pair<Node, Node | null>;
      if (!isScalar(pair.key) || !pair.key.range) continue;
      const key = String(pair.key.value);
      const [ks, ke] = pair.key.range;
      if (offset >= ks && offset <= ke) return { path: [...path, key], part: 'key', start: ks, end: ke, text: key };
      const value = pair.value;
      if (!value?.range) continue;
      if (isScalar(value)) {
        const [vs, ve] = value.range;
        if (offset >= vs && offset <= ve) return { path: [...path, key], part: 'value', start: vs, end: ve, text: String(value.value ?? '') };
      } else if (offset >= value.range[0] && offset <= value.range[2]) {
        const inner = visit(value, [...path, key], offset);
        if (inner) return inner;
      }
    }
  } else if (isSeq(node)) {
    for (let index = 0; index < node.items.length; index++) {
      const item = node.items[index] as Node;
      if (!item?.range || offset < item.range[0] || offset > item.range[1]) continue;
      if (isScalar(item)) return { path: [...path, String(index)], part: 'value', start: item.range[0], end: item.range[1], text: String(item.value ?? '') };
      return visit(item, [...path, String(index)], offset);
    }
  }
  return undefined;
}

/** Offset of a 0-based line/character in `text`. */
export function offsetAt(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(offset + position.character, text.length);
}

/** 0-based line/character of an offset in `text`. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}
