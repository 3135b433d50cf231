/** A reference to another node's output: `<node>.<output>` in YAML. */
export interface InputRef {
  node: string;
  output: string;
}

export interface NodeSpec {
  component: string;
  params: Record<string, unknown>;
  inputs: Record<string, InputRef>;
}

export interface LayoutPosition {
  x: number;
  y: number;
}

/** The typed content of a `*.pipeline.yaml` file. */
export interface PipelineSpec {
  name: string;
  /** Directory for artifacts and metadata, relative to the pipeline file. */
  root: string;
  /** Custom components: type → module file (relative to the pipeline file) exporting a ComponentDefinition. */
  components: Record<string, string>;
  nodes: Record<string, NodeSpec>;
  layout: Record<string, LayoutPosition>;
}

export const TOP_LEVEL_KEYS = ['name', 'root', 'components', 'nodes', 'layout'] as const;
export const NODE_KEYS = ['component', 'params', 'inputs'] as const;
export const DEFAULT_ROOT = '.tributary';

/** Node ids are used in references (`id.output`) and directory names, so they are kept simple. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const REFERENCE_PATTERN = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function parseReference(text: string): InputRef | undefined {
  const match = REFERENCE_PATTERN.exec(text);
  return match ? { node: match[1], output: match[2] } : undefined;
}

export function formatReference(ref: InputRef): string {
  return `${ref.node}.${ref.output}`;
}
