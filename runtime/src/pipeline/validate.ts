import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { outputTypeOf } from '../core/component.ts';
import type { Registry } from '../core/registry.ts';
import type { ComponentDefinition } from '../core/registry.ts';
import type { Diagnostic, Range } from './diagnostics.ts';
import { findCycles, formatCycle } from './graph.ts';
import { checkParams, pathParams } from './params.ts';
import type { ParsedPipeline } from './parse.ts';
import { findPair, offsetsToRange, Reporter } from './source.ts';
import { formatReference, type InputRef, type NodeSpec } from '../core/pipeline-spec.ts';
import { didYouMean } from './suggest.ts';

export interface ValidateOptions {
  /** Reported in diagnostics; defaults to the file given to parsePipeline. */
  file?: string;
  /** Paths in the pipeline may not resolve outside this directory. */
  workspaceRoot: string;
}

/**
 * Every problem of a parsed pipeline (its parse diagnostics included), each at the tightest range.
 * Nodes whose component is declared under `components` but missing from the registry are not
 * checked further: their modules are loaded by the engine, not here.
 */
export function validatePipeline(parsed: ParsedPipeline, registry: Registry, options: ValidateOptions): Diagnostic[] {
  const file = options.file ?? parsed.file;
  const reporter = new Reporter(file, parsed.lineCounter);
  const check = new PipelineChecker(parsed, registry, reporter, resolve(options.workspaceRoot), dirname(resolve(file)));
  check.all();
  return [...parsed.diagnostics.map((d) => ({ ...d, file })), ...reporter.diagnostics];
}

class PipelineChecker {
  constructor(
    private readonly parsed: ParsedPipeline,
    private readonly registry: Registry,
    private readonly reporter: Reporter,
    private readonly workspaceRoot: string,
    private readonly pipelineDir: string,
  ) {}

  private get spec() {
    return this.parsed.spec;
  }

  all(): void {
    if (this.spec.root) this.checkPath(this.spec.root, this.valueAt(['root']), '"root"', { field: 'root' });
    for (const [type, module] of Object.entries(this.spec.components)) {
      this.checkPath(module, this.valueAt(['components', type]), `The module of component "${type}"`, {
        field: `components.${type}`,
      });
    }
    for (const [id, node] of Object.entries(this.spec.nodes)) this.checkNode(id, node);
    this.checkCycles();
    this.checkLayout();
    this.checkAlertNodes();
  }

  /** Alert rules may name nodes; a typo would silently never fire. */
  private checkAlertNodes(): void {
    (this.spec.alerts ?? []).forEach((rule, i) => {
      (rule.nodes ?? []).forEach((id, j) => {
        if (id in this.spec.nodes) return;
        const list = this.valueAt(['alerts', i, 'nodes']);
        this.reporter.error(
          'unknown-node',
          `Alert rule ${i + 1} names node "${id}", which does not exist.${didYouMean(id, Object.keys(this.spec.nodes))}`,
          (isSeq(list) ? (list.items[j] as Node) : list) ?? this.keyAt(['alerts']),
          { field: `alerts.${i}.nodes` },
        );
      });
    });
  }

  /** The YAML value node at a path of map keys / sequence indexes, following first occurrences. */
  private valueAt(path: (string | number)[]): Node | undefined {
    return this.pairAt(path)?.value ?? undefined;
  }

  private keyAt(path: (string | number)[]): Node | undefined {
    const pair = this.pairAt(path);
    return pair ? pair.key : undefined;
  }

  private pairAt(path: (string | number)[]): Pair<Node, Node | null> | undefined {
    let current: unknown = this.parsed.document.contents;
    let pair: Pair<Node, Node | null> | undefined;
    for (const segment of path) {
      if (isMap(current)) {
        pair = findPair(current, String(segment));
        current = pair?.value;
      } else if (isSeq(current) && typeof segment === 'number') {
        const item = current.items[segment];
        // Sequence items have no key; a synthetic pair lets callers treat them alike.
        pair = item ? ({ key: item, value: item } as Pair<Node, Node | null>) : undefined;
        current = item;
      } else {
        return undefined;
      }
      if (!pair) return undefined;
    }
    return pair;
  }

  private checkNode(id: string, node: NodeSpec): void {
    const nodeKey = this.keyAt(['nodes', id]);
    if (!node.component) return; // already reported by the parser
    const definition = this.registry.get(node.component);
    if (!definition) {
      if (node.component in this.spec.components) return;
      const known = [...this.registry.list().map((d) => d.spec.type), ...Object.keys(this.spec.components)];
      this.reporter.error(
        'unknown-component',
        `Node "${id}" uses unknown component "${node.component}".${didYouMean(node.component, known)}`,
        this.valueAt(['nodes', id, 'component']) ?? nodeKey,
        { nodeId: id, field: 'component' },
      );
      return;
    }
    this.checkParams(id, node, definition);
    this.checkInputs(id, node, definition);
  }

  private checkParams(id: string, node: NodeSpec, definition: ComponentDefinition): void {
    const schema = definition.spec.params;
    const names = Object.keys(schema.properties ?? {});
    const paramsKey = this.keyAt(['nodes', id, 'params']);
    for (const problem of checkParams(schema, node.params)) {
      const path = ['nodes', id, 'params', ...problem.path];
      const name = problem.path.join('.');
      const extra = { nodeId: id, field: `params.${name}` };
      if (problem.kind === 'unknown') {
        const suggestion = problem.path.length === 1 ? didYouMean(name, names) : '';
        this.reporter.error(
          'unknown-param',
          `Component ${node.component} has no parameter "${name}" (node "${id}").${suggestion}`,
          this.keyAt(path),
          extra,
        );
      } else if (problem.kind === 'missing') {
        const parent = problem.path.length === 1 ? paramsKey : this.keyAt(path.slice(0, -1));
        this.reporter.error(
          'missing-param',
          `Node "${id}" is missing required parameter "${name}" of ${node.component}.`,
          parent ?? this.keyAt(['nodes', id]),
          extra,
        );
      } else {
        this.reporter.error(
          'invalid-param',
          `Parameter "${name}" of node "${id}" ${problem.message}.`,
          this.valueAt(path) ?? paramsKey,
          extra,
        );
      }
    }
    for (const found of pathParams(schema, node.params)) {
      const name = found.path.join('.');
      this.checkPath(found.value, this.valueAt(['nodes', id, 'params', ...found.path]), `Parameter "${name}" of node "${id}"`, {
        nodeId: id,
        field: `params.${name}`,
      });
    }
  }

  private checkInputs(id: string, node: NodeSpec, definition: ComponentDefinition): void {
    const ports = definition.spec.inputs;
    for (const [name, ref] of Object.entries(node.inputs)) {
      const extra = { nodeId: id, field: `inputs.${name}` };
      const port = ports[name];
      if (!port) {
        this.reporter.error(
          'unknown-input',
          `Component ${node.component} has no input "${name}" (node "${id}"); its inputs are ${listOrNone(Object.keys(ports))}.${didYouMean(name, Object.keys(ports))}`,
          this.keyAt(['nodes', id, 'inputs', name]),
          extra,
        );
        continue;
      }
      const value = this.valueAt(['nodes', id, 'inputs', name]);
      const source = this.spec.nodes[ref.node];
      if (!source) {
        this.reporter.error(
          'unknown-node',
          `Input "${name}" of node "${id}" references node "${ref.node}", which does not exist.${didYouMean(ref.node, Object.keys(this.spec.nodes))}`,
          this.referencePart(value, ref, 'node'),
          extra,
        );
        continue;
      }
      const sourceDefinition = this.registry.get(source.component);
      if (!sourceDefinition) continue; // unknown or custom component: reported (or checked) elsewhere
      const output = sourceDefinition.spec.outputs[ref.output];
      if (!output) {
        const outputs = Object.keys(sourceDefinition.spec.outputs);
        this.reporter.error(
          'unknown-output',
          `Node "${ref.node}" (${source.component}) has no output "${ref.output}"; its outputs are ${listOrNone(outputs)}.${didYouMean(ref.output, outputs)}`,
          this.referencePart(value, ref, 'output'),
          extra,
        );
        continue;
      }
      const outputType = outputTypeOf(output, source.params);
      if (outputType !== port.type) {
        this.reporter.error(
          'type-mismatch',
          `Input "${name}" of node "${id}" expects ${port.type}, but "${formatReference(ref)}" is ${outputType}.`,
          value,
          extra,
        );
      }
    }
    const missing = Object.entries(ports).filter(([name, port]) => !port.optional && !(name in node.inputs) && !this.hasMalformedInput(id, name));
    for (const [name, port] of missing) {
      this.reporter.error(
        'missing-input',
        `Node "${id}" is missing required input "${name}" (${port.type}) of ${node.component}.`,
        this.keyAt(['nodes', id, 'inputs']) ?? this.keyAt(['nodes', id]),
        { nodeId: id, field: `inputs.${name}` },
      );
    }
  }

  /** A malformed reference was already reported by the parser; do not also call it missing. */
  private hasMalformedInput(id: string, name: string): boolean {
    return this.valueAt(['nodes', id, 'inputs', name]) !== undefined || this.keyAt(['nodes', id, 'inputs', name]) !== undefined;
  }

  /** The range of the `node` or `output` part of a `node.output` scalar, falling back to the whole value. */
  private referencePart(value: Node | undefined, ref: InputRef, part: 'node' | 'output'): Node | Range | undefined {
    if (!value?.range || !isScalar(value)) return value;
    const raw = this.parsed.text.slice(value.range[0], value.range[1]);
    const at = raw.indexOf(formatReference(ref));
    if (at < 0) return value;
    const start = value.range[0] + at + (part === 'node' ? 0 : ref.node.length + 1);
    const length = part === 'node' ? ref.node.length : ref.output.length;
    return offsetsToRange(this.parsed.lineCounter, start, start + length);
  }

  private checkPath(path: string, at: Node | undefined, what: string, extra: { nodeId?: string; field?: string }): void {
    const resolved = resolve(this.pipelineDir, path);
    const inside = relative(this.workspaceRoot, resolved);
    if (inside === '..' || inside.startsWith('../') || inside.startsWith('..\\') || isAbsolute(inside)) {
      this.reporter.error(
        'path-outside-workspace',
        `${what} "${path}" resolves to ${resolved}, outside the workspace ${this.workspaceRoot}.`,
        at,
        extra,
      );
    }
  }

  private checkCycles(): void {
    for (const [id, cycle] of findCycles(this.spec)) {
      // Point at the input through which the previous node on the cycle feeds this one.
      const previous = cycle[cycle.length - 2];
      const input = Object.entries(this.spec.nodes[id].inputs).find(([, ref]) => ref.node === previous)?.[0];
      this.reporter.error(
        'cycle',
        `Node "${id}" is part of a cycle: ${formatCycle(cycle)}.`,
        input ? this.valueAt(['nodes', id, 'inputs', input]) : this.keyAt(['nodes', id]),
        { nodeId: id, ...(input ? { field: `inputs.${input}` } : {}) },
      );
    }
  }

  private checkLayout(): void {
    for (const id of Object.keys(this.spec.layout)) {
      if (id in this.spec.nodes) continue;
      this.reporter.warning(
        'unknown-layout-node',
        `Layout entry "${id}" names no node.${didYouMean(id, Object.keys(this.spec.nodes))}`,
        this.keyAt(['layout', id]),
        { nodeId: id, field: 'layout' },
      );
    }
  }
}

function listOrNone(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
}
