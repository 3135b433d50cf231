/**
 * The language features of pipeline files as pure functions of (text, position, catalog): the
 * server wires them to LSP, the tests call them directly. Nothing here reads the registry itself:
 * the catalog (specs as JSON) is the single source for names, types and docs.
 */
import { dirname, resolve } from 'node:path';
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  SymbolKind,
  type CompletionItem,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { parsePipeline, renameNode, NODE_ID_PATTERN, NODE_KEYS, RUN_KEYS, TOP_LEVEL_KEYS, parseReference, findPair, offsetsToRange, type ParsedPipeline, type PipelineSpec, type Range as PipelineRange } from '../../../runtime/src/host-api.ts';
import { enumValues, findComponent, typeLabel, type Catalog, type ComponentSpecJson, type JsonSchema } from './catalog.ts';
import { completionContext, locate, offsetAt, positionAt, type Position } from './cursor.ts';

export function toLspRange(range: PipelineRange): Range {
  return { start: { line: range.start.line, character: range.start.column }, end: { line: range.end.line, character: range.end.column } };
}

function rangeOfOffsets(text: string, start: number, end: number): Range {
  return { start: positionAt(text, start), end: positionAt(text, end) };
}

// ------------------------------------------------------------------------------------------------
// Completion
// ------------------------------------------------------------------------------------------------

const TOP_LEVEL_DOCS: Record<string, string> = {
  name: 'Pipeline name (non-empty string).',
  root: 'Directory for artifacts and metadata, relative to this file (default .tributary).',
  components: 'Custom component type → module file exporting a ComponentDefinition as default.',
  nodes: 'Node id → node (`component`, `params`, `inputs`).',
  layout: 'Node id → `{ x, y }` canvas position; the runtime ignores it.',
  metadata: 'Where the metadata store is: `{ url_env: NAME }`, an environment variable holding a `postgres://user@host:5432/db` URL (default: the embedded store under `root`).',
};

const NODE_KEY_DOCS: Record<string, string> = {
  component: 'The registered component type this node runs.',
  params: "Parameters, checked against the component's JSON schema.",
  inputs: 'Input name → `<node>.<output>` of an upstream node.',
  run: 'Cluster settings: retries, cpu, memory, gpu, fan_out (ignored by local runs).',
};

/** Completion items at a position: keys, component types, parameter names and values, input references. */
export function complete(text: string, file: string, position: Position, catalog: Catalog): CompletionItem[] {
  const ctx = completionContext(text, position);
  const range: Range = { start: { line: position.line, character: ctx.start }, end: { line: position.line, character: ctx.end } };
  const spec = parsePipeline(text, file).spec;
  const [top, nodeId, section] = ctx.path;
  const nodeSpecs = spec.nodes;
  const componentOf = (id: string) => nodeSpecs[id]?.component ?? componentTypedOnLines(text, position, ctx.path);
  const keyItems = (names: readonly string[], docs: Record<string, string>, kind: CompletionItemKind) =>
    names
      .filter((n) => !ctx.siblings.includes(n))
      .map((n): CompletionItem => ({ label: n, kind, documentation: docs[n], textEdit: { range, newText: `${n}: ` } }));

  if (ctx.kind === 'key') {
    if (ctx.path.length === 0) return keyItems(TOP_LEVEL_KEYS, TOP_LEVEL_DOCS, CompletionItemKind.Module);
    if (top === 'nodes' && ctx.path.length === 2) return keyItems(NODE_KEYS, NODE_KEY_DOCS, CompletionItemKind.Property);
    if (top === 'nodes' && ctx.path.length === 3 && section === 'run') return keyItems(RUN_KEYS, {}, CompletionItemKind.Property);
    const component = top === 'nodes' && nodeId ? findComponent(catalog, componentOf(nodeId) ?? '') : undefined;
    if (component && ctx.path.length === 3 && section === 'params') return paramNameItems(component, ctx.siblings, range);
    if (component && ctx.path.length === 3 && section === 'inputs') {
      return Object.entries(component.inputs)
        .filter(([name]) => !ctx.siblings.includes(name))
        .map(([name, port]) => ({
          label: name,
          kind: CompletionItemKind.Field,
          detail: `${port.type}${port.optional ? ' (optional)' : ''}`,
          documentation: port.description,
          textEdit: { range, newText: `${name}: ` },
        }));
    }
    return [];
  }

  if (top === 'nodes' && ctx.path.length === 2 && ctx.key === 'component') {
    const custom = Object.keys(spec.components).map((type) => ({ label: type, kind: CompletionItemKind.Class, detail: 'custom component', textEdit: { range, newText: type } }));
    return [
      ...catalog.components.map((c) => ({
        label: c.type,
        kind: CompletionItemKind.Class,
        detail: c.category,
        documentation: { kind: MarkupKind.Markdown, value: componentDoc(c) },
        textEdit: { range, newText: c.type },
      })),
      ...custom,
    ];
  }
  if (top === 'nodes' && ctx.path.length === 3 && section === 'params' && ctx.key) {
    const component = findComponent(catalog, componentOf(nodeId) ?? '');
    const schema = component?.params.properties[ctx.key];
    const values = schema ? enumValues(schema) : undefined;
    return (values ?? []).map((v) => ({
      label: String(v),
      kind: CompletionItemKind.EnumMember,
      detail: v === schema?.default ? 'default' : undefined,
      textEdit: { range, newText: typeof v === 'string' ? v : JSON.stringify(v) },
    }));
  }
  if (top === 'nodes' && ctx.path.length === 3 && section === 'inputs' && ctx.key) {
    const component = findComponent(catalog, componentOf(nodeId) ?? '');
    const port = component?.inputs[ctx.key];
    return port ? referenceItems(spec, nodeId, port.type, catalog, range) : [];
  }
  return [];
}

function paramNameItems(component: ComponentSpecJson, siblings: string[], range: Range): CompletionItem[] {
  const required = new Set(component.params.required ?? []);
  return Object.entries(component.params.properties)
    .filter(([name]) => !siblings.includes(name))
    .map(([name, schema]) => {
      const needed = required.has(name) && schema.default === undefined;
      return {
        label: name,
        kind: CompletionItemKind.Property,
        detail: `${typeLabel(schema)}${needed ? ' (required)' : schema.default !== undefined ? ` = ${JSON.stringify(schema.default)}` : ''}`,
        documentation: schema.description,
        // Required parameters first, then the schema's order.
        sortText: `${needed ? 0 : 1}${String(Object.keys(component.params.properties).indexOf(name)).padStart(3, '0')}`,
        insertTextFormat: InsertTextFormat.PlainText,
        textEdit: { range, newText: `${name}: ` },
      };
    });
}

/**
 * `<node>.<output>` for every output of the wanted artifact type whose node is not the node itself
 * nor downstream of it (wiring one of those would close a cycle).
 */
function referenceItems(spec: PipelineSpec, nodeId: string, type: string, catalog: Catalog, range: Range): CompletionItem[] {
  const downstream = downstreamOf(spec, nodeId);
  const items: CompletionItem[] = [];
  for (const [id, node] of Object.entries(spec.nodes)) {
    if (id === nodeId || downstream.has(id)) continue;
    const component = findComponent(catalog, node.component);
    for (const [output, port] of Object.entries(component?.outputs ?? {})) {
      if (port.type !== type) continue;
      items.push({
        label: `${id}.${output}`,
        kind: CompletionItemKind.Reference,
        detail: `${port.type} from ${node.component}`,
        documentation: port.description,
        textEdit: { range, newText: `${id}.${output}` },
      });
    }
  }
  return items;
}

/** Every node that (transitively) reads an output of `nodeId`. */
export function downstreamOf(spec: PipelineSpec, nodeId: string): Set<string> {
  const found = new Set<string>();
  const queue = [nodeId];
  while (queue.length) {
    const current = queue.shift()!;
    for (const [id, node] of Object.entries(spec.nodes)) {
      if (found.has(id)) continue;
      if (Object.values(node.inputs).some((ref) => ref.node === current)) {
        found.add(id);
        queue.push(id);
      }
    }
  }
  return found;
}

/** The `component:` of the node being typed when the parser could not read the node (incomplete YAML). */
function componentTypedOnLines(text: string, position: Position, path: string[]): string | undefined {
  if (path[0] !== 'nodes' || path.length < 2) return undefined;
  const lines = text.split(/\r?\n/);
  for (let i = position.line; i >= 0; i--) {
    const match = /^\s*component:\s*([A-Za-z_][\w-]*)/.exec(lines[i]);
    if (match) return match[1];
    if (new RegExp(`^\\s*${path[1]}\\s*:`).test(lines[i])) return undefined;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Hover
// ------------------------------------------------------------------------------------------------

export function componentDoc(c: ComponentSpecJson): string {
  const ports = (ports: Record<string, { type: string; optional?: boolean }>) =>
    Object.entries(ports)
      .map(([name, p]) => `\`${name}\`: ${p.type}${p.optional ? ' (optional)' : ''}`)
      .join(', ') || 'none';
  const required = new Set(c.params.required ?? []);
  const params = Object.entries(c.params.properties).map(([name, s]) => {
    const note = s.default !== undefined ? ` = \`${JSON.stringify(s.default)}\`` : required.has(name) ? ' (required)' : '';
    return `- \`${name}\`${note}: ${s.description ?? ''}`;
  });
  return [`**${c.type}** · ${c.category}`, '', c.description, '', `Inputs: ${ports(c.inputs)}`, '', `Outputs: ${ports(c.outputs)}`, '', ...(params.length ? ['Parameters:', ...params] : [])].join('\n');
}

function paramDoc(component: ComponentSpecJson, name: string, schema: JsonSchema): string {
  const required = (component.params.required ?? []).includes(name) && schema.default === undefined;
  const lines = [`**${name}**: \`${typeLabel(schema)}\`${required ? ' (required)' : ''} — parameter of ${component.type}`, '', schema.description ?? ''];
  if (schema.default !== undefined) lines.push('', `Default: \`${JSON.stringify(schema.default)}\``);
  if (schema['x-path']) lines.push('', `A ${schema['x-path']} path relative to the pipeline file.`);
  if (schema['x-module']) lines.push('', 'A TypeScript module relative to the pipeline file.');
  return lines.join('\n');
}

function artifactDoc(type: string, catalog: Catalog): string {
  return `**${type}** (artifact type): ${catalog.artifactTypes[type] ?? ''}`;
}

export function hover(text: string, file: string, position: Position, catalog: Catalog): Hover | undefined {
  const parsed = parsePipeline(text, file);
  const at = locate(parsed, offsetAt(text, position));
  if (!at) return undefined;
  const range = rangeOfOffsets(text, at.start, at.end);
  const markdown = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
  const [top, nodeId, section, name] = at.path;
  if (top !== 'nodes' || !nodeId) return at.path.length === 1 && at.part === 'key' && TOP_LEVEL_DOCS[top] ? markdown(TOP_LEVEL_DOCS[top]) : undefined;
  const node = parsed.spec.nodes[nodeId];
  const component = node ? findComponent(catalog, node.component) : undefined;
  if (at.path.length === 2 && at.part === 'key') {
    return component ? markdown(`Node \`${nodeId}\`\n\n${componentDoc(component)}`) : undefined;
  }
  if (!component) return undefined;
  if (section === 'component' && at.path.length === 3 && at.part === 'value') return markdown(componentDoc(component));
  if (section === 'params' && name) {
    const schema = component.params.properties[name];
    return schema ? markdown(paramDoc(component, name, schema)) : undefined;
  }
  if (section === 'inputs' && name) {
    const port = component.inputs[name];
    if (!port) return undefined;
    if (at.part === 'key') return markdown(`**${name}**: ${port.type}${port.optional ? ' (optional)' : ''} — input of ${component.type}\n\n${port.description}\n\n${artifactDoc(port.type, catalog)}`);
    const ref = parseReference(at.text);
    const source = ref ? parsed.spec.nodes[ref.node] : undefined;
    const sourceComponent = source ? findComponent(catalog, source.component) : undefined;
    const output = ref && sourceComponent?.outputs[ref.output];
    if (!ref || !output) return undefined;
    return markdown(`Output \`${ref.output}\` of \`${ref.node}\` (${sourceComponent!.type}): ${output.type}\n\n${output.description}\n\n${artifactDoc(output.type, catalog)}`);
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Go to definition
// ------------------------------------------------------------------------------------------------

export type ReadFile = (path: string) => string | undefined;

/**
 * Definition targets:
 * - a module parameter (`'x-module': true`) → the function it provides (the node's function-name
 *   parameter, see `exportParamsOf`), else the top of the file;
 * - a function-name parameter → that export in the module file;
 * - a `components:` module → its default export;
 * - the node part of an input reference → the referenced node in this file.
 */
export function definition(text: string, file: string, position: Position, catalog: Catalog, readFile: ReadFile): Location | undefined {
  const parsed = parsePipeline(text, file);
  const at = locate(parsed, offsetAt(text, position));
  if (!at || at.part !== 'value') return undefined;
  const dir = dirname(resolve(file));
  const [top, nodeId, section, name] = at.path;
  if (top === 'components' && at.path.length === 2) return exportLocation(resolve(dir, at.text), 'default', readFile);
  if (top !== 'nodes' || !nodeId) return undefined;
  const node = parsed.spec.nodes[nodeId];
  if (section === 'inputs' && name) {
    const ref = parseReference(at.text);
    const key = ref && keyRange(parsed, ['nodes', ref.node]);
    return key ? { uri: file, range: key } : undefined;
  }
  const component = node ? findComponent(catalog, node.component) : undefined;
  if (!component || section !== 'params' || !name) return undefined;
  const schema = component.params.properties[name];
  if (!schema) return undefined;
  const exports = exportParamsOf(component);
  if (schema['x-module']) {
    const fn = exports.find((e) => e.moduleParam === name);
    const exportName = fn ? String(node.params[fn.param] ?? component.params.properties[fn.param].default ?? '') : '';
    return exportLocation(resolve(dir, at.text), exportName || undefined, readFile);
  }
  const fn = exports.find((e) => e.param === name);
  if (!fn) return undefined;
  const module = node.params[fn.moduleParam] ?? component.params.properties[fn.moduleParam]?.default;
  return typeof module === 'string' ? exportLocation(resolve(dir, module), at.text, readFile) : undefined;
}

/**
 * Parameters that name an export of a module parameter: those with `'x-export-of': '<module param>'`,
 * or, by TFX's convention, string parameters ending in `_fn` beside exactly one module parameter.
 */
export function exportParamsOf(component: ComponentSpecJson): { param: string; moduleParam: string }[] {
  const props = component.params.properties;
  const modules = Object.keys(props).filter((p) => props[p]['x-module']);
  const result: { param: string; moduleParam: string }[] = [];
  for (const [param, schema] of Object.entries(props)) {
    const of = schema['x-export-of'];
    if (typeof of === 'string' && of in props) result.push({ param, moduleParam: of });
    else if (param.endsWith('_fn') && schema.type === 'string' && modules.length === 1) result.push({ param, moduleParam: modules[0] });
  }
  return result;
}

/** Where `exportName` is declared in a TypeScript/JavaScript file (top of the file when not found). */
export function exportLocation(path: string, exportName: string | undefined, readFile: ReadFile): Location | undefined {
  const source = readFile(path);
  if (source === undefined) return undefined;
  const top: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if (!exportName) return { uri: path, range: top };
  const name = exportName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns =
    exportName === 'default'
      ? [/export\s+default\s+/]
      : [
          new RegExp(`export\\s+(?:async\\s+)?function\\s*\\*?\\s*(${name})\\b`),
          new RegExp(`export\\s+(?:const|let|var|class)\\s+(${name})\\b`),
          new RegExp(`export\\s*\\{[^}]*?\\bas\\s+(${name})\\b`),
          new RegExp(`export\\s*\\{[^}]*?\\b(${name})\\b`),
        ];
  for (const pattern of patterns) {
    const match = pattern.exec(source);
    if (!match) continue;
    const start = match.index + (match[1] ? match[0].lastIndexOf(match[1]) : 0);
    const end = match[1] ? start + match[1].length : match.index + match[0].trimEnd().length;
    return { uri: path, range: rangeOfOffsets(source, start, end) };
  }
  return { uri: path, range: top };
}

function keyRange(parsed: ParsedPipeline, path: string[]): Range | undefined {
  let map: unknown = parsed.document.contents;
  let pair: Pair<Node, Node | null> | undefined;
  for (const key of path) {
    if (!isMap(map)) return undefined;
    pair = findPair(map, key);
    map = pair?.value;
  }
  const range = pair?.key.range;
  return range ? toLspRange(offsetsToRange(parsed.lineCounter, range[0], range[1])) : undefined;
}

// ------------------------------------------------------------------------------------------------
// Rename
// ------------------------------------------------------------------------------------------------

/** The node id under the cursor (a node key, the node part of a reference, or a layout key) and its range. */
export function nodeIdAt(text: string, file: string, position: Position): { id: string; range: Range } | undefined {
  const parsed = parsePipeline(text, file);
  const offset = offsetAt(text, position);
  const at = locate(parsed, offset);
  if (!at) return undefined;
  const [top, nodeId, section] = at.path;
  if ((top === 'nodes' || top === 'layout') && at.path.length === 2 && at.part === 'key' && nodeId in parsed.spec.nodes) {
    return { id: nodeId, range: rangeOfOffsets(text, at.start, at.end) };
  }
  if (top === 'nodes' && section === 'inputs' && at.part === 'value' && at.path.length === 4) {
    const ref = parseReference(at.text);
    const raw = text.slice(at.start, at.end);
    const inRaw = raw.indexOf(at.text);
    if (!ref || inRaw < 0 || !(ref.node in parsed.spec.nodes)) return undefined;
    const start = at.start + inRaw;
    if (offset > start + ref.node.length) return undefined; // on the output part
    return { id: ref.node, range: rangeOfOffsets(text, start, start + ref.node.length) };
  }
  return undefined;
}

/** Edits renaming the node under the cursor everywhere (key, references, layout), via the runtime's renameNode. */
export function renameEdits(text: string, file: string, position: Position, newName: string): TextEdit[] {
  const target = nodeIdAt(text, file, position);
  if (!target) throw new RenameError('Place the cursor on a node id (its key, a reference or its layout entry) to rename it.');
  if (!NODE_ID_PATTERN.test(newName)) throw new RenameError(`"${newName}" is not a valid node id: start with a letter or "_", then letters, digits, "_" or "-".`);
  const parsed = parsePipeline(text, file);
  try {
    return renameNode(parsed, target.id, newName).map((e) => ({ range: toLspRange(e.range), newText: e.newText }));
  } catch (e) {
    throw new RenameError((e as Error).message);
  }
}

export class RenameError extends Error {}

// ------------------------------------------------------------------------------------------------
// Outline
// ------------------------------------------------------------------------------------------------

/** One symbol per node (component as detail), with its inputs and parameters as children. */
export function outline(text: string, file: string): DocumentSymbol[] {
  const parsed = parsePipeline(text, file);
  const contents = parsed.document.contents;
  const nodes = isMap(contents) ? findPair(contents, 'nodes') : undefined;
  if (!nodes || !isMap(nodes.value)) return [];
  const symbols: DocumentSymbol[] = [];
  for (const item of nodes.value.items) {
    const pair = item as Pair<Node, Node | null>;
    if (!isScalar(pair.key) || !pair.key.range) continue;
    const id = String(pair.key.value);
    const node = parsed.spec.nodes[id];
    const end = pair.value?.range ? pair.value.range[1] : pair.key.range[1];
    const children: DocumentSymbol[] = [];
    if (isMap(pair.value)) {
      for (const [section, kind] of [['inputs', SymbolKind.Field], ['params', SymbolKind.Property]] as const) {
        const sectionPair = findPair(pair.value, section);
        if (!sectionPair || !isMap(sectionPair.value)) continue;
        for (const child of sectionPair.value.items) {
          const c = child as Pair<Node, Node | null>;
          if (!isScalar(c.key) || !c.key.range) continue;
          const cEnd = c.value?.range ? c.value.range[1] : c.key.range[1];
          const value = isScalar(c.value) ? String(c.value.value) : undefined;
          children.push({
            name: String(c.key.value),
            detail: value,
            kind,
            range: rangeOfOffsets(parsed.text, c.key.range[0], cEnd),
            selectionRange: rangeOfOffsets(parsed.text, c.key.range[0], c.key.range[1]),
          });
        }
      }
    }
    symbols.push({
      name: id,
      detail: node?.component ?? '',
      kind: SymbolKind.Class,
      range: rangeOfOffsets(parsed.text, pair.key.range[0], end),
      selectionRange: rangeOfOffsets(parsed.text, pair.key.range[0], pair.key.range[1]),
      children,
    });
  }
  return symbols;
}
