import type { Static, TObject } from '@sinclair/typebox';
import { csvExampleGen } from '../components/csv-example-gen/index.ts';
import { exampleValidator } from '../components/example-validator/index.ts';
import { schemaGen } from '../components/schema-gen/index.ts';
import { statisticsGen } from '../components/statistics-gen/index.ts';
import type { ArtifactType } from '../core/artifacts.ts';
import { Registry } from '../core/registry.ts';
import { UserError } from '../core/errors.ts';
import { type ComponentDefinition } from '../core/registry.ts';
import { type Ports } from '../core/component.ts';
import type { Diagnostic } from './diagnostics.ts';
import { serializePipeline } from './edit.ts';
import { checkParams } from './params.ts';
import { parsePipeline } from './parse.ts';
import { DEFAULT_ROOT, NODE_ID_PATTERN, type LayoutPosition, type NodeSpec, type PipelineSpec } from '../core/pipeline-spec.ts';
import { validatePipeline } from './validate.ts';

/** A node's output, typed by its artifact type so that wiring is checked by the compiler. */
export interface OutputRef<T extends ArtifactType = ArtifactType> {
  readonly node: string;
  readonly output: string;
  readonly type: T;
}

type RequiredInputs<I extends Ports> = { [K in keyof I]: I[K] extends { optional: true } ? never : K }[keyof I];
type OptionalInputs<I extends Ports> = Exclude<keyof I, RequiredInputs<I>>;

/** Required inputs must be given, optional ones may be; each takes only an output of its artifact type. */
export type InputRefs<I extends Ports> = { [K in RequiredInputs<I>]: OutputRef<I[K]['type']> } & {
  [K in OptionalInputs<I>]?: OutputRef<I[K]['type']>;
};

type InputsOption<I extends Ports> = [RequiredInputs<I>] extends [never] ? { inputs?: InputRefs<I> } : { inputs: InputRefs<I> };

/**
 * Params are typed by the component's TypeBox schema. They are Partial because schema defaults are
 * not visible in TypeBox's static types; a missing required one is reported by `validate()`.
 */
export type NodeOptions<I extends Ports, P extends TObject> = InputsOption<I> & {
  params?: Partial<Static<P>>;
  position?: LayoutPosition;
};

/** `options` may be left out only when the component has no required input. */
type OptionsArgs<I extends Ports, P extends TObject> = [RequiredInputs<I>] extends [never]
  ? [options?: NodeOptions<I, P>]
  : [options: NodeOptions<I, P>];

export interface NodeHandle<O extends Ports> {
  readonly id: string;
  readonly outputs: { readonly [K in keyof O]: OutputRef<O[K]['type']> };
}

export interface PipelineOptions {
  /** Artifacts and metadata directory, relative to the pipeline file (default `.tributary`). */
  root?: string;
  /** Custom component type → module file, written to the `components` section. */
  components?: Record<string, string>;
}

export class PipelineBuilder {
  private readonly nodes: Record<string, NodeSpec> = {};
  private readonly layout: Record<string, LayoutPosition> = {};
  private readonly definitions = new Map<string, ComponentDefinition<any, any, any>>();

  constructor(
    readonly name: string,
    private readonly options: PipelineOptions = {},
  ) {}

  add<I extends Ports, O extends Ports, P extends TObject>(
    id: string,
    definition: ComponentDefinition<I, O, P>,
    ...[options]: OptionsArgs<I, P>
  ): NodeHandle<O> {
    if (!NODE_ID_PATTERN.test(id)) throw new UserError(`"${id}" is not a valid node id.`, { nodeId: id });
    if (id in this.nodes) throw new UserError(`Pipeline "${this.name}" already has a node "${id}".`, { nodeId: id });
    const type = definition.spec.type;
    const known = this.definitions.get(type);
    if (known && known !== definition) throw new UserError(`Two different components are named "${type}".`, { nodeId: id });
    const inputs = this.checkedInputs(id, definition, (options?.inputs ?? {}) as Record<string, OutputRef | undefined>);
    const params = structuredClone((options?.params ?? {}) as Record<string, unknown>);
    // The compiler already checks these; repeat at run time for callers from plain JavaScript or `any`.
    // Missing params are left to validate(): schema defaults are invisible to the static types.
    const problem = checkParams(definition.spec.params, params).find((p) => p.kind !== 'missing');
    if (problem) {
      const name = problem.path.join('.');
      const message = problem.kind === 'unknown' ? `has no parameter "${name}"` : `parameter "${name}" ${problem.message}`;
      throw new UserError(`Node "${id}": ${type} ${message}.`, { nodeId: id, field: `params.${name}` });
    }
    this.definitions.set(type, definition);
    this.nodes[id] = { component: type, params, inputs };
    if (options?.position) this.layout[id] = { ...options.position };
    const outputs = Object.fromEntries(
      Object.entries(definition.spec.outputs).map(([output, port]) => [output, { node: id, output, type: port.type }]),
    );
    return { id, outputs: outputs as NodeHandle<O>['outputs'] };
  }

  private checkedInputs(id: string, definition: ComponentDefinition<any, any, any>, given: Record<string, OutputRef | undefined>): NodeSpec['inputs'] {
    const ports: Ports = definition.spec.inputs;
    const inputs: NodeSpec['inputs'] = {};
    const fail = (message: string, name: string) => new UserError(`Node "${id}": ${message}`, { nodeId: id, field: `inputs.${name}` });
    for (const [name, ref] of Object.entries(given)) {
      if (ref === undefined) continue;
      const port = ports[name];
      if (!port) throw fail(`${definition.spec.type} has no input "${name}".`, name);
      if (!(ref.node in this.nodes)) throw fail(`input "${name}" comes from node "${ref.node}", which is not in pipeline "${this.name}".`, name);
      if (ref.type !== port.type) throw fail(`input "${name}" expects ${port.type}, but "${ref.node}.${ref.output}" is ${ref.type}.`, name);
      inputs[name] = { node: ref.node, output: ref.output };
    }
    for (const [name, port] of Object.entries(ports)) {
      if (!port.optional && !(name in inputs)) throw fail(`the required input "${name}" (${port.type}) is missing.`, name);
    }
    return inputs;
  }

  /** Starts the standard chain: a CsvExampleGen node `example_gen` reading `input`. */
  fromCsv(input: string, options: StageOptions<typeof csvExampleGen> = {}): Chain<{ examples: OutputRef<'Examples'> }> {
    const node = this.add(options.id ?? 'example_gen', csvExampleGen, { params: { ...options.params, input }, position: options.position });
    return new Chain(this, { examples: node.outputs.examples });
  }

  toSpec(): PipelineSpec {
    return structuredClone({
      name: this.name,
      root: this.options.root ?? DEFAULT_ROOT,
      components: this.options.components ?? {},
      nodes: this.nodes,
      layout: this.layout,
    });
  }

  toYaml(): string {
    return serializePipeline(this.toSpec());
  }

  /** A registry holding the components this pipeline uses. */
  registry(): Registry {
    const registry = new Registry();
    for (const definition of this.definitions.values()) registry.register(definition);
    return registry;
  }

  /** Diagnostics of the YAML this pipeline writes, as if saved at `file` (default: `<workspaceRoot>/<name>.pipeline.yaml`). */
  validate(options: { workspaceRoot?: string; file?: string } = {}): Diagnostic[] {
    const workspaceRoot = options.workspaceRoot ?? process.cwd();
    const file = options.file ?? `${workspaceRoot}/${this.name}.pipeline.yaml`;
    return validatePipeline(parsePipeline(this.toYaml(), file), this.registry(), { file, workspaceRoot });
  }
}

type ParamsOf<D> = D extends ComponentDefinition<any, any, infer P> ? Partial<Static<P>> : never;

export interface StageOptions<D> {
  /** Node id; defaults to the TFX-style name (example_gen, statistics_gen, ...). */
  id?: string;
  params?: ParamsOf<D>;
  position?: LayoutPosition;
}

/** Artifacts produced so far by a chain; each step needs some of them. */
interface ChainArtifacts {
  examples?: OutputRef<'Examples'>;
  statistics?: OutputRef<'ExampleStatistics'>;
  schema?: OutputRef<'Schema'>;
  anomalies?: OutputRef<'ExampleAnomalies'>;
}

/**
 * The standard data-validation chain. Each step is only callable once the artifacts it reads exist,
 * e.g. `inferSchema()` needs statistics, so `fromCsv(...).inferSchema()` does not compile.
 */
export class Chain<A extends ChainArtifacts> {
  constructor(
    readonly pipeline: PipelineBuilder,
    readonly artifacts: A,
  ) {}

  generateStatistics(
    this: Chain<A & { examples: OutputRef<'Examples'> }>,
    options: StageOptions<typeof statisticsGen> = {},
  ): Chain<A & { statistics: OutputRef<'ExampleStatistics'> }> {
    const node = this.pipeline.add(options.id ?? 'statistics_gen', statisticsGen, {
      inputs: { examples: this.artifacts.examples },
      params: options.params,
      position: options.position,
    });
    return new Chain(this.pipeline, { ...this.artifacts, statistics: node.outputs.statistics });
  }

  inferSchema(
    this: Chain<A & { statistics: OutputRef<'ExampleStatistics'> }>,
    options: StageOptions<typeof schemaGen> = {},
  ): Chain<A & { schema: OutputRef<'Schema'> }> {
    const node = this.pipeline.add(options.id ?? 'schema_gen', schemaGen, {
      inputs: { statistics: this.artifacts.statistics },
      params: options.params,
      position: options.position,
    });
    return new Chain(this.pipeline, { ...this.artifacts, schema: node.outputs.schema });
  }

  validateInputData(
    this: Chain<A & { statistics: OutputRef<'ExampleStatistics'>; schema: OutputRef<'Schema'> }>,
    options: StageOptions<typeof exampleValidator> = {},
  ): Chain<A & { anomalies: OutputRef<'ExampleAnomalies'> }> {
    const node = this.pipeline.add(options.id ?? 'example_validator', exampleValidator, {
      inputs: { statistics: this.artifacts.statistics, schema: this.artifacts.schema },
      params: options.params,
      position: options.position,
    });
    return new Chain(this.pipeline, { ...this.artifacts, anomalies: node.outputs.anomalies });
  }

  toSpec(): PipelineSpec {
    return this.pipeline.toSpec();
  }

  toYaml(): string {
    return this.pipeline.toYaml();
  }

  validate(options?: { workspaceRoot?: string; file?: string }): Diagnostic[] {
    return this.pipeline.validate(options);
  }
}

export function pipeline(name: string, options: PipelineOptions = {}): PipelineBuilder {
  return new PipelineBuilder(name, options);
}
