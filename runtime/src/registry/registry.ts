import type { ComponentDefinition } from './types.ts';

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
