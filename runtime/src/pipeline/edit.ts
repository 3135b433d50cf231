import { Document, isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { UserError } from '../core/errors.ts';
import type { Range } from './diagnostics.ts';
import type { ParsedPipeline } from './parse.ts';
import { flow, Flow, isInline, renderInline, renderKey, renderPair, toYamlNode } from './render.ts';
import { contentOffsets, findPair, offsetsToRange } from './source.ts';
import { formatReference, NODE_ID_PATTERN, type InputRef, type LayoutPosition, type PipelineSpec } from '../core/pipeline-spec.ts';

/**
 * Writer for pipeline files. Every function is pure: it reads a parsed file and returns text edits
 * against its original text (what the editor turns into a WorkspaceEdit). Only the edited spans
 * change, so comments and formatting elsewhere survive byte for byte. Edits returned by one call
 * never overlap; apply them with `applyEdits`, then parse again before the next edit.
 */
export interface TextEdit {
  /** Offset and length of the replaced span in the original text. */
  offset: number;
  length: number;
  newText: string;
  /** The same span as 0-based line/column, for editors. */
  range: Range;
}

type YamlPair = Pair<Node, Node | null>;

/** Applies edits computed against `text`; edits at the same offset keep the order they were made in. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const ordered = edits.map((edit, index) => ({ edit, index })).sort((a, b) => a.edit.offset - b.edit.offset || a.index - b.index);
  let result = '';
  let cursor = 0;
  for (const { edit } of ordered) {
    if (edit.offset < cursor) throw new Error(`Overlapping edits at offset ${edit.offset}`);
    result += text.slice(cursor, edit.offset) + edit.newText;
    cursor = edit.offset + edit.length;
  }
  return result + text.slice(cursor);
}

const COLLAPSIBLE = new Set(['params', 'inputs', 'layout', 'components']);

/** Builds non-overlapping edits for one parsed file. */
class EditBuilder {
  readonly edits: TextEdit[] = [];
  readonly step: number;

  constructor(private readonly parsed: ParsedPipeline) {
    this.step = this.detectIndentStep();
  }

  private get text(): string {
    return this.parsed.text;
  }

  private get root(): YAMLMap {
    const contents = this.parsed.document.contents;
    if (!isMap(contents) || contents.flow) throw new UserError('Only a pipeline file whose top level is a block map can be edited.', { file: this.parsed.file });
    return contents;
  }

  private replace(start: number, end: number, newText: string): void {
    this.edits.push({ offset: start, length: end - start, newText, range: offsetsToRange(this.parsed.lineCounter, start, end) });
  }

  private column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Offset just after the newline ending the line that holds `offset` (or the end of the text). */
  private nextLineStart(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    return newline < 0 ? this.text.length : newline + 1;
  }

  /** The file's indentation unit, from how node entries are indented under `nodes`. */
  private detectIndentStep(): number {
    const contents = this.parsed.document.contents;
    const nodes = isMap(contents) ? findPair(contents, 'nodes') : undefined;
    const first = nodes && isMap(nodes.value) && !nodes.value.flow ? nodes.value.items[0] : undefined;
    const firstKey = first?.key as Node | undefined;
    if (!nodes?.key.range || !firstKey?.range) return 2;
    const step = this.column(firstKey.range[0]) - this.column(nodes.key.range[0]);
    return step > 0 ? step : 2;
  }

  pairAt(path: string[]): YamlPair | undefined {
    let map: YAMLMap | undefined = this.root;
    let pair: YamlPair | undefined;
    for (const key of path) {
      if (!map) return undefined;
      pair = findPair(map, key);
      if (!pair) return undefined;
      map = isMap(pair.value) ? pair.value : undefined;
    }
    return pair;
  }

  /** Sets the value at a path of map keys, creating the missing maps on the way. */
  setIn(path: string[], value: unknown): void {
    let map = this.root;
    for (let i = 0; i < path.length; i++) {
      const pair = findPair(map, path[i]);
      const rest = path.slice(i + 1);
      if (!pair) return this.insertPairs(map, [[path[i], nest(rest, value)]]);
      if (rest.length === 0) return this.replaceValue(pair, value);
      if (!isBlockMap(pair.value)) {
        // Null, empty or flow map: rewrite it whole, keeping flow style.
        const current = isMap(pair.value) ? (pair.value.toJSON() as Record<string, unknown>) : {};
        const merged = { ...current, ...(nest(rest, value) as Record<string, unknown>) };
        return this.replaceValue(pair, isMap(pair.value) && pair.value.flow ? flow(merged) : merged);
      }
      map = pair.value;
    }
  }

  /** Deletes the pair at a path; a params/inputs/layout/components map left empty goes too. */
  deleteIn(path: string[], options: { withComments?: boolean } = {}): void {
    const pair = this.pairAt(path);
    if (!pair) return;
    const parentPath = path.slice(0, -1);
    const parent = parentPath.length === 0 ? undefined : this.pairAt(parentPath);
    const map = parent ? (parent.value as YAMLMap) : this.root;
    if (map.items.length === 1 && parent) {
      const parentKey = parentPath[parentPath.length - 1];
      if (COLLAPSIBLE.has(parentKey)) return this.deleteIn(parentPath);
      return this.replaceValue(parent, {});
    }
    if (map.flow) {
      const rest = { ...(map.toJSON() as Record<string, unknown>) };
      delete rest[path[path.length - 1]];
      return this.replaceValue(parent!, flow(rest));
    }
    this.deleteBlockPair(pair, options.withComments ?? false);
  }

  private deleteBlockPair(pair: YamlPair, withComments: boolean): void {
    const [keyStart, end] = pairOffsets(pair);
    let start = this.lineStart(keyStart);
    if (withComments) start = this.startOfLeadingComments(start, this.column(keyStart));
    let stop = this.nextLineStart(end);
    // Do not leave two blank lines where the pair sat between blank lines.
    const blankBefore = start > 0 && isBlank(this.lineAt(start - 1));
    if (blankBefore && stop < this.text.length && isBlank(this.lineAt(stop))) stop = this.nextLineStart(stop);
    this.replace(start, stop, '');
  }

  private lineAt(offset: number): string {
    const start = this.lineStart(offset);
    const end = this.text.indexOf('\n', start);
    return this.text.slice(start, end < 0 ? this.text.length : end);
  }

  private blankLineAbove(key: Node): boolean {
    const start = this.startOfLeadingComments(this.lineStart(key.range![0]), this.column(key.range![0]));
    return start > 0 && isBlank(this.lineAt(start - 1));
  }

  /** Comment lines directly above a key, at its indentation, describe it: they go with it. */
  private startOfLeadingComments(lineStart: number, column: number): number {
    let start = lineStart;
    while (start > 0) {
      const previous = this.lineStart(start - 1);
      const line = this.text.slice(previous, start - 1);
      if (!line.trimStart().startsWith('#') || line.length - line.trimStart().length !== column) break;
      start = previous;
    }
    return start;
  }

  replaceValue(pair: YamlPair, value: unknown): void {
    const key = pair.key;
    const old = pair.value;
    const [keyStart] = pairOffsets(pair);
    const oldIsScalar = isScalar(old) && old.value !== null && old.range && old.range[1] > old.range[0];
    if (oldIsScalar && isInline(value) && !(value instanceof Flow)) {
      return this.replace(old.range![0], old.range![1], renderInline(value, old.type));
    }
    if (old && isMap(old) && old.flow && value instanceof Flow && old.range) {
      return this.replace(old.range[0], old.range[1], renderInline(value));
    }
    const [, end] = pairOffsets(pair);
    const keySource = this.text.slice(key.range![0], key.range![1]);
    this.replace(keyStart, end, renderPair(keySource, value, this.column(keyStart), this.step));
  }

  /** Appends pairs at the end of a block map (after its last entry's last line). */
  insertPairs(map: YAMLMap, entries: [string, unknown][]): void {
    if (map.items.length === 0 || map.flow) throw new Error('insertPairs needs a non-empty block map');
    const first = map.items[0].key as Node;
    const column = this.column(first.range![0]);
    const [, end] = pairOffsets(map.items[map.items.length - 1] as YamlPair);
    let at = this.nextLineStart(end);
    // At the end of the file, write after any trailing blank lines rather than before them.
    const atEnd = this.text.slice(at).trim() === '';
    if (atEnd) at = this.text.length;
    let newline = at === this.text.length && !this.text.endsWith('\n') ? '\n' : '';
    // Entries separated by blank lines (like the sample's nodes) get one too.
    if (!(atEnd && /\n\s*\n$/.test(this.text)) && map.items.length > 1 && this.blankLineAbove(map.items[map.items.length - 1].key as Node)) newline += '\n';
    const body = entries.map(([key, value]) => ' '.repeat(column) + renderPair(renderKey(key), value, column, this.step) + '\n').join('');
    this.replace(at, at, newline + body);
  }

  replaceScalar(node: Node, value: string): void {
    if (!isScalar(node) || !node.range) throw new Error('not a scalar');
    this.replace(node.range[0], node.range[1], renderInline(value, node.type));
  }

  setLayout(positions: Record<string, LayoutPosition>): void {
    const layout = this.pairAt(['layout']);
    if (!layout || !isBlockMap(layout.value)) {
      const current = layout && isMap(layout.value) ? (layout.value.toJSON() as Record<string, LayoutPosition>) : {};
      const merged = Object.fromEntries(Object.entries({ ...current, ...positions }).map(([id, p]) => [id, flow({ x: p.x, y: p.y })]));
      if (layout) return this.replaceValue(layout, merged);
      return this.insertPairs(this.root, [['layout', merged]]);
    }
    const added: [string, unknown][] = [];
    for (const [id, position] of Object.entries(positions)) {
      const value = flow({ x: position.x, y: position.y });
      const pair = findPair(layout.value, id);
      if (pair) this.replaceValue(pair as YamlPair, value);
      else added.push([id, value]);
    }
    if (added.length > 0) this.insertPairs(layout.value, added);
  }
}

function isBlockMap(node: Node | null | undefined): node is YAMLMap<Node, Node | null> {
  return isMap(node) && !node.flow && node.items.length > 0;
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** From the key's start to the end of the value's content (trailing comments on that line excluded). */
function pairOffsets(pair: YamlPair): [number, number] {
  const start = pair.key.range![0];
  const value = pair.value;
  const valueEnd = value && value.range ? (contentOffsets(value)?.[1] ?? value.range[1]) : pair.key.range![1];
  return [start, Math.max(valueEnd, pair.key.range![1] + 1)];
}

function nest(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function requireNode(parsed: ParsedPipeline, nodeId: string): void {
  if (!(nodeId in parsed.spec.nodes)) throw new UserError(`Pipeline "${parsed.spec.name}" has no node "${nodeId}".`, { file: parsed.file, nodeId });
}

function requireFreeId(parsed: ParsedPipeline, nodeId: string): void {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new UserError(`"${nodeId}" is not a valid node id.`, { file: parsed.file, nodeId });
  if (nodeId in parsed.spec.nodes) throw new UserError(`Pipeline "${parsed.spec.name}" already has a node "${nodeId}".`, { file: parsed.file, nodeId });
}

function build(parsed: ParsedPipeline, change: (builder: EditBuilder) => void): TextEdit[] {
  const builder = new EditBuilder(parsed);
  change(builder);
  return builder.edits;
}

export function setParam(parsed: ParsedPipeline, nodeId: string, name: string, value: unknown): TextEdit[] {
  requireNode(parsed, nodeId);
  return build(parsed, (b) => b.setIn(['nodes', nodeId, 'params', name], value));
}

export function removeParam(parsed: ParsedPipeline, nodeId: string, name: string): TextEdit[] {
  requireNode(parsed, nodeId);
  return build(parsed, (b) => b.deleteIn(['nodes', nodeId, 'params', name]));
}

/** `StatisticsGen` → `statistics_gen`, then `statistics_gen_2`, ... until unused. */
export function uniqueNodeId(spec: PipelineSpec, componentType: string): string {
  const base = componentType
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .replace(/^(?=[0-9])/, 'n_');
  if (!(base in spec.nodes)) return base;
  for (let n = 2; ; n++) if (!(`${base}_${n}` in spec.nodes)) return `${base}_${n}`;
}

export interface AddNodeOptions {
  id?: string;
  params?: Record<string, unknown>;
  inputs?: Record<string, InputRef>;
  position?: LayoutPosition;
}

export function addNode(parsed: ParsedPipeline, componentType: string, options: AddNodeOptions = {}): { id: string; edits: TextEdit[] } {
  const id = options.id ?? uniqueNodeId(parsed.spec, componentType);
  requireFreeId(parsed, id);
  const node: Record<string, unknown> = { component: componentType };
  if (options.params && Object.keys(options.params).length > 0) node.params = options.params;
  if (options.inputs && Object.keys(options.inputs).length > 0) {
    node.inputs = Object.fromEntries(Object.entries(options.inputs).map(([name, ref]) => [name, formatReference(ref)]));
  }
  const edits = build(parsed, (b) => {
    b.setIn(['nodes', id], node);
    if (options.position) b.setLayout({ [id]: options.position });
  });
  return { id, edits };
}

/** Removes a node, the inputs of other nodes that read from it, and its layout entry. */
export function removeNode(parsed: ParsedPipeline, nodeId: string): TextEdit[] {
  requireNode(parsed, nodeId);
  return build(parsed, (b) => {
    b.deleteIn(['nodes', nodeId], { withComments: true });
    for (const [id, node] of Object.entries(parsed.spec.nodes)) {
      if (id === nodeId) continue;
      const reading = Object.entries(node.inputs).filter(([, ref]) => ref.node === nodeId).map(([name]) => name);
      const inputsPair = b.pairAt(['nodes', id, 'inputs']);
      const inputCount = inputsPair && isMap(inputsPair.value) ? inputsPair.value.items.length : 0;
      if (reading.length > 0 && reading.length === inputCount) b.deleteIn(['nodes', id, 'inputs']);
      else for (const name of reading) b.deleteIn(['nodes', id, 'inputs', name]);
    }
    if (nodeId in parsed.spec.layout) b.deleteIn(['layout', nodeId]);
  });
}

/** Renames a node and every reference to it, and its layout key. */
export function renameNode(parsed: ParsedPipeline, oldId: string, newId: string): TextEdit[] {
  requireNode(parsed, oldId);
  if (oldId === newId) return [];
  requireFreeId(parsed, newId);
  return build(parsed, (b) => {
    b.replaceScalar(b.pairAt(['nodes', oldId])!.key, newId);
    for (const [id, node] of Object.entries(parsed.spec.nodes)) {
      for (const [name, ref] of Object.entries(node.inputs)) {
        if (ref.node !== oldId) continue;
        b.replaceScalar(b.pairAt(['nodes', id, 'inputs', name])!.value!, formatReference({ node: newId, output: ref.output }));
      }
    }
    const layout = b.pairAt(['layout', oldId]);
    if (layout) b.replaceScalar(layout.key, newId);
  });
}

export function connect(parsed: ParsedPipeline, nodeId: string, input: string, source: InputRef): TextEdit[] {
  requireNode(parsed, nodeId);
  requireNode(parsed, source.node);
  return build(parsed, (b) => b.setIn(['nodes', nodeId, 'inputs', input], formatReference(source)));
}

export function disconnect(parsed: ParsedPipeline, nodeId: string, input: string): TextEdit[] {
  requireNode(parsed, nodeId);
  return build(parsed, (b) => b.deleteIn(['nodes', nodeId, 'inputs', input]));
}

/** Sets the positions of some nodes; each is written in flow style, `{ x: 0, y: 0 }`. */
export function setLayout(parsed: ParsedPipeline, positions: Record<string, LayoutPosition>): TextEdit[] {
  return build(parsed, (b) => b.setLayout(positions));
}

/** The YAML text of a new pipeline file (the editor's "new pipeline", the fluent API's toYaml). */
export function serializePipeline(spec: PipelineSpec): string {
  const content: Record<string, unknown> = { name: spec.name, root: spec.root };
  if (Object.keys(spec.components).length > 0) content.components = spec.components;
  content.nodes = Object.fromEntries(
    Object.entries(spec.nodes).map(([id, node]) => {
      const entry: Record<string, unknown> = { component: node.component };
      if (Object.keys(node.params).length > 0) entry.params = node.params;
      if (Object.keys(node.inputs).length > 0) {
        entry.inputs = Object.fromEntries(Object.entries(node.inputs).map(([name, ref]) => [name, formatReference(ref)]));
      }
      return [id, entry];
    }),
  );
  if (Object.keys(spec.layout).length > 0) {
    content.layout = Object.fromEntries(Object.entries(spec.layout).map(([id, p]) => [id, flow({ x: p.x, y: p.y })]));
  }
  const document = new Document(toYamlNode(content));
  // A blank line before each section after the header keeps long files readable.
  for (const pair of (document.contents as YAMLMap<Node, Node>).items) {
    if (['components', 'nodes', 'layout'].includes(String((pair.key as { value?: unknown }).value))) pair.key.spaceBefore = true;
  }
  return document.toString({ indent: 2, lineWidth: 0 });
}
