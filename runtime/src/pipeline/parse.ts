import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';
import { offsetsToRange, Reporter } from './source.ts';
import { expandAliases } from './aliases.ts';
import {
  DEFAULT_ROOT,
  NODE_ID_PATTERN,
  NODE_KEYS,
  parseReference,
  CPU_PATTERN,
  MEMORY_PATTERN,
  RUN_KEYS,
  TOP_LEVEL_KEYS,
  type NodeRunSettings,
  type LayoutPosition,
  type NodeSpec,
  type PipelineSpec,
} from '../core/pipeline-spec.ts';
import { didYouMean } from './suggest.ts';
import { readAlerts } from './parse-alerts.ts';
import { readMetadataConfig } from './parse-metadata.ts';

export interface ParsedPipeline {
  /** Everything that could be read; fields that failed to parse are left empty. */
  spec: PipelineSpec;
  /** The YAML document with source ranges, kept for validation and comment-preserving edits. */
  document: Document.Parsed;
  /** Syntax and shape problems; `validatePipeline` adds the semantic ones. */
  diagnostics: Diagnostic[];
  lineCounter: LineCounter;
  text: string;
  file: string;
}

type Entry = { key: string; pair: Pair<Node, Node | null> };

/** Parses a `*.pipeline.yaml` text. Never throws: every problem becomes a diagnostic. */
export function parsePipeline(text: string, file: string): ParsedPipeline {
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are reported below with a clearer message and the first one wins.
  const document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const reporter = new Reporter(file, lineCounter);
  for (const problem of document.errors) {
    reporter.error('yaml-syntax', problem.message, offsetsToRange(lineCounter, problem.pos[0], problem.pos[1]));
  }
  for (const problem of document.warnings) {
    reporter.warning('yaml-warning', problem.message, offsetsToRange(lineCounter, problem.pos[0], problem.pos[1]));
  }
  // Values are read from a copy with aliases expanded; `document` keeps the text's own shape for
  // edits (an edit must never land on an anchor through one of its aliases).
  const expanded = document.clone() as Document.Parsed;
  expandAliases(expanded, reporter);
  const spec: PipelineSpec = { name: '', root: DEFAULT_ROOT, components: {}, nodes: {}, layout: {} };
  readTopLevel(expanded, spec, reporter);
  return { spec, document, diagnostics: reporter.diagnostics, lineCounter, text, file };
}

function readTopLevel(document: Document.Parsed, spec: PipelineSpec, reporter: Reporter): void {
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    reporter.error('missing-field', 'The pipeline file is empty: expected a map with "name", "root" and "nodes".', undefined);
    return;
  }
  if (!isMap(root)) {
    reporter.error('invalid-type', 'A pipeline file must be a map with "name", "root" and "nodes".', root);
    return;
  }
  const seen = new Set<string>();
  for (const { key, pair } of entries(root, reporter, 'duplicate-key', 'top-level key')) {
    seen.add(key);
    const value = pair.value;
    switch (key) {
      case 'name':
        spec.name = readString(value, pair, reporter, '"name"', { field: 'name' }) ?? '';
        break;
      case 'root':
        spec.root = readString(value, pair, reporter, '"root"', { field: 'root' }) ?? '';
        break;
      case 'components':
        readComponents(value, pair, spec, reporter);
        break;
      case 'nodes':
        readNodes(value, pair, spec, reporter);
        break;
      case 'layout':
        readLayout(value, spec, reporter);
        break;
      case 'alerts':
        spec.alerts = readAlerts(value, pair, reporter);
        break;
      case 'metadata':
        spec.metadata = readMetadataConfig(value, pair, reporter);
        break;
      default:
        reporter.error(
          'unknown-key',
          `Unknown top-level key "${key}"; expected one of ${TOP_LEVEL_KEYS.join(', ')}.${didYouMean(key, TOP_LEVEL_KEYS)}`,
          pair.key,
          { field: key },
        );
    }
  }
  // `root` may be left out: it defaults to .tributary beside the file.
  for (const required of ['name', 'nodes'] as const) {
    if (!seen.has(required)) {
      reporter.error('missing-field', `The pipeline has no "${required}".`, undefined, { field: required });
    }
  }
}

/** Unique string-keyed entries of a map; duplicates and non-string keys become diagnostics. */
function entries(map: YAMLMap, reporter: Reporter, duplicateCode: string, what: string, where = ''): Entry[] {
  const result: Entry[] = [];
  const seen = new Set<string>();
  for (const item of map.items) {
    const pair = item as Pair<Node, Node | null>;
    if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
      reporter.error('invalid-type', `A ${what}${where} must be a plain string.`, pair.key ?? pair);
      continue;
    }
    const key = String(pair.key.value);
    if (seen.has(key)) {
      reporter.error(duplicateCode, `Duplicate ${what} "${key}"${where}: only the first one is used.`, pair.key, {
        ...(duplicateCode === 'duplicate-node' ? { nodeId: key } : { field: key }),
      });
      continue;
    }
    seen.add(key);
    result.push({ key, pair });
  }
  return result;
}

function isEmpty(value: Node | null): boolean {
  return value === null || (isScalar(value) && value.value === null);
}

function readString(
  value: Node | null,
  pair: Pair,
  reporter: Reporter,
  what: string,
  extra: { nodeId?: string; field?: string },
): string | undefined {
  if (isScalar(value) && typeof value.value === 'string' && value.value !== '') return value.value;
  reporter.error('invalid-type', `${what} must be a non-empty string.`, isEmpty(value) ? pair.key as Node : value ?? undefined, extra);
  return undefined;
}

/** Returns the map, accepting an empty value as an empty map; reports anything else. */
function readMap(value: Node | null, reporter: Reporter, what: string, at: Node, extra = {}): YAMLMap | undefined {
  if (isEmpty(value)) return undefined;
  if (isMap(value)) return value;
  reporter.error('invalid-type', `${what} must be a map.`, value ?? at, extra);
  return undefined;
}

function readComponents(value: Node | null, pair: Pair, spec: PipelineSpec, reporter: Reporter): void {
  const map = readMap(value, reporter, '"components"', pair.key as Node, { field: 'components' });
  if (!map) return;
  for (const entry of entries(map, reporter, 'duplicate-key', 'component type')) {
    const module = readString(entry.pair.value, entry.pair, reporter, `The module of component "${entry.key}"`, {
      field: `components.${entry.key}`,
    });
    if (module !== undefined) spec.components[entry.key] = module;
  }
}

function readNodes(value: Node | null, pair: Pair, spec: PipelineSpec, reporter: Reporter): void {
  const map = readMap(value, reporter, '"nodes"', pair.key as Node, { field: 'nodes' });
  if (!map) return;
  for (const { key: id, pair: nodePair } of entries(map, reporter, 'duplicate-node', 'node id')) {
    if (!NODE_ID_PATTERN.test(id)) {
      reporter.error(
        'invalid-node-id',
        `Node id "${id}" must start with a letter or "_" and contain only letters, digits, "_" and "-".`,
        nodePair.key,
        { nodeId: id },
      );
    }
    const node = readNode(id, nodePair, reporter);
    if (node) spec.nodes[id] = node;
  }
}

function readNode(id: string, pair: Pair<Node, Node | null>, reporter: Reporter): NodeSpec | undefined {
  const extra = { nodeId: id };
  if (!isMap(pair.value)) {
    reporter.error('invalid-type', `Node "${id}" must be a map with "component", "params" and "inputs".`, pair.value ?? pair.key, extra);
    return undefined;
  }
  const node: NodeSpec = { component: '', params: {}, inputs: {} };
  let hasComponent = false;
  for (const { key, pair: field } of entries(pair.value, reporter, 'duplicate-key', 'key', ` in node "${id}"`)) {
    switch (key) {
      case 'component':
        hasComponent = true;
        node.component = readString(field.value, field, reporter, `The component of node "${id}"`, { ...extra, field: 'component' }) ?? '';
        break;
      case 'params': {
        const params = readMap(field.value, reporter, `The params of node "${id}"`, field.key, { ...extra, field: 'params' });
        if (params) {
          for (const param of entries(params, reporter, 'duplicate-key', 'parameter', ` in node "${id}"`)) {
            node.params[param.key] = param.pair.value === null ? null : param.pair.value.toJSON();
          }
        }
        break;
      }
      case 'inputs':
        readInputs(id, field, node, reporter);
        break;
      case 'run':
        readRunSettings(id, field, node, reporter);
        break;
      default:
        reporter.error(
          'unknown-key',
          `Unknown key "${key}" in node "${id}"; expected one of ${NODE_KEYS.join(', ')}.${didYouMean(key, NODE_KEYS)}`,
          field.key,
          { ...extra, field: key },
        );
    }
  }
  if (!hasComponent) reporter.error('missing-field', `Node "${id}" has no "component".`, pair.key, { ...extra, field: 'component' });
  return node;
}

function readInputs(id: string, field: Pair<Node, Node | null>, node: NodeSpec, reporter: Reporter): void {
  const inputs = readMap(field.value, reporter, `The inputs of node "${id}"`, field.key, { nodeId: id, field: 'inputs' });
  if (!inputs) return;
  for (const input of entries(inputs, reporter, 'duplicate-key', 'input', ` in node "${id}"`)) {
    const value = input.pair.value;
    const text = isScalar(value) && typeof value.value === 'string' ? value.value : undefined;
    const ref = text === undefined ? undefined : parseReference(text);
    if (ref) {
      node.inputs[input.key] = ref;
    } else {
      reporter.error(
        'invalid-reference',
        `Input "${input.key}" of node "${id}" must reference an output as "<node>.<output>"${text === undefined ? '' : `, not "${text}"`}.`,
        value && !isEmpty(value) ? value : input.pair.key,
        { nodeId: id, field: `inputs.${input.key}` },
      );
    }
  }
}

/** A node's `run:` section: every value checked here, since no component schema covers it. */
function readRunSettings(id: string, field: Pair<Node, Node | null>, node: NodeSpec, reporter: Reporter): void {
  const map = readMap(field.value, reporter, `The run settings of node "${id}"`, field.key, { nodeId: id, field: 'run' });
  if (!map) return;
  const run: NodeRunSettings = {};
  for (const { key, pair } of entries(map, reporter, 'duplicate-key', 'run setting', ` in node "${id}"`)) {
    const extra = { nodeId: id, field: `run.${key}` };
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const at = pair.value && !isEmpty(pair.value) ? pair.value : pair.key;
    const bad = (expected: string) =>
      reporter.error('invalid-run', `run.${key} of node "${id}" must be ${expected}, not ${JSON.stringify(pair.value?.toJSON() ?? null)}.`, at, extra);
    switch (key) {
      case 'retries':
        if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 20) run.retries = value as number;
        else bad('an integer from 0 to 20');
        break;
      case 'gpu':
        if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 16) run.gpu = value as number;
        else bad('an integer from 0 to 16');
        break;
      case 'cpu':
        if ((typeof value === 'number' || typeof value === 'string') && CPU_PATTERN.test(String(value)) && Number.parseFloat(String(value)) > 0) run.cpu = String(value);
        else bad('a positive CPU quantity such as 2, 0.5 or "500m"');
        break;
      case 'memory':
        if ((typeof value === 'number' || typeof value === 'string') && MEMORY_PATTERN.test(String(value)) && Number.parseFloat(String(value)) > 0) run.memory = String(value);
        else bad('a positive memory quantity such as "512Mi" or "4Gi"');
        break;
      case 'fan_out':
        if (typeof value === 'boolean') run.fan_out = value;
        else bad('true or false');
        break;
      default:
        reporter.error(
          'unknown-key',
          `Unknown run setting "${key}" in node "${id}"; expected one of ${RUN_KEYS.join(', ')}.${didYouMean(key, RUN_KEYS)}`,
          pair.key,
          extra,
        );
    }
  }
  node.run = run;
}

function readLayout(value: Node | null, spec: PipelineSpec, reporter: Reporter): void {
  const map = readMap(value, reporter, '"layout"', value as Node, { field: 'layout' });
  if (!map) return;
  for (const { key, pair } of entries(map, reporter, 'duplicate-key', 'layout entry')) {
    const position = pair.value && isMap(pair.value) ? (pair.value.toJSON() as Partial<LayoutPosition>) : undefined;
    if (position && typeof position.x === 'number' && typeof position.y === 'number') {
      spec.layout[key] = { x: position.x, y: position.y };
    } else {
      reporter.error('invalid-type', `The layout of "${key}" must be { x: <number>, y: <number> }.`, pair.value ?? pair.key, {
        nodeId: key,
        field: 'layout',
      });
    }
  }
}
