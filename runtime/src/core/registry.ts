import type { TObject } from '@sinclair/typebox';
import type { ArtifactRecord } from './metadata-types.ts';
import type { ComponentSpec, Executor, InputResolver, Ports, ResolveQuery } from './component.ts';
import type { FanOut } from './fan-out.ts';
import type { WorkerTasks } from './worker-pool.ts';

/** A spec plus a lazy executor, so specs can be read without loading executor code. */
export interface ComponentDefinition<I extends Ports = Ports, O extends Ports = Ports, P extends TObject = TObject> {
  spec: ComponentSpec<I, O, P>;
  loadExecutor(): Promise<Executor<I, O, P>>;
  /** Content hash of a custom component's module file: part of the cache key. */
  sourceHash?: string;
  /** Optional shard-level protocol (map over shards, merge partials) for multi-process runs such as Argo. */
  loadFanOut?(): Promise<FanOut>;
  /** The pool tasks this component's executor runs, by name (prefixed with the component). */
  loadTasks?(): Promise<WorkerTasks>;
  /** Artifacts the executor takes from the metadata store (see InputResolver). */
  resolveInputs?(query: ResolveQuery<P>): Record<string, ArtifactRecord | undefined>;
}

export function defineComponent<I extends Ports, O extends Ports, P extends TObject>(
  spec: ComponentSpec<I, O, P>,
  loadExecutor: () => Promise<Executor<I, O, P>>,
  options: { resolveInputs?: InputResolver<P> } = {},
): ComponentDefinition<I, O, P> {
  return { spec, loadExecutor, ...(options.resolveInputs ? { resolveInputs: options.resolveInputs } : {}) };
}

/** The one list of components. Built-ins are registered in `builtins.ts`; custom components join at load time. */
export class Registry {
  private readonly components = new Map<string, ComponentDefinition<any, any, any>>();

  register(definition: ComponentDefinition<any, any, any>): this {
    const type = definition.spec.type;
    if (this.components.has(type)) throw new Error(`Component type "${type}" is registered twice`);
    this.components.set(type, definition);
    return this;
  }

  get(type: string): ComponentDefinition | undefined {
    return this.components.get(type);
  }

  has(type: string): boolean {
    return this.components.has(type);
  }

  list(): ComponentDefinition[] {
    return [...this.components.values()];
  }

  /** A copy to which a pipeline's custom components can be added without touching this one. */
  clone(): Registry {
    const copy = new Registry();
    for (const def of this.components.values()) copy.register(def);
    return copy;
  }
}
