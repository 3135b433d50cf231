/** A reference to another node's output: `<node>.<output>` in YAML. */
export interface InputRef {
  node: string;
  output: string;
}

/**
 * How a node's step runs on a cluster (Argo/Kubeflow): retries and resource requests. The local
 * scheduler ignores it; it never changes outputs, so it is not part of the cache key.
 */
export interface NodeRunSettings {
  /** Extra attempts after a failed one. */
  retries?: number;
  /** Kubernetes CPU quantity, e.g. "2" or "500m". */
  cpu?: string;
  /** Kubernetes memory quantity, e.g. "4Gi". */
  memory?: string;
  /** GPUs (nvidia.com/gpu) for the step. */
  gpu?: number;
  /** Data-parallel components fan out over shards on a cluster unless this is false. */
  fan_out?: boolean;
}

export interface NodeSpec {
  component: string;
  params: Record<string, unknown>;
  inputs: Record<string, InputRef>;
  run?: NodeRunSettings;
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
export const NODE_KEYS = ['component', 'params', 'inputs', 'run'] as const;
export const RUN_KEYS = ['retries', 'cpu', 'memory', 'gpu', 'fan_out'] as const;
/** Kubernetes resource quantities as accepted here: plain or milli CPUs, binary or decimal byte suffixes. */
export const CPU_PATTERN = /^(\d+(\.\d+)?|\d+m)$/;
export const MEMORY_PATTERN = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
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
