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

/** What an alert rule fires on (see docs/pipeline-format.md#alerts). */
export const ALERT_EVENTS = ['run_failed', 'node_failed', 'anomalies', 'not_blessed', 'pushed', 'approval_needed'] as const;
export type AlertEventKind = (typeof ALERT_EVENTS)[number];
export const ALERT_SEVERITIES = ['WARNING', 'ERROR'] as const;

/**
 * Where an alert goes. A webhook's URL is a secret: it comes from an environment variable or a
 * file outside the pipeline file, never from the pipeline file itself.
 */
export type AlertTarget =
  | { webhook: { url_env: string } | { url_file: string } }
  | { command: string[] }
  | { notification: true };

export interface AlertRule {
  on: AlertEventKind[];
  /** `anomalies` only: the lowest severity that fires (default WARNING). */
  severity?: (typeof ALERT_SEVERITIES)[number];
  /** Only events of these nodes (run_failed ignores it); default every node. */
  nodes?: string[];
  to: AlertTarget[];
}

export const ALERT_RULE_KEYS = ['on', 'severity', 'nodes', 'to'] as const;
export const ALERT_TARGET_KEYS = ['webhook', 'command', 'notification'] as const;

/** The typed content of a `*.pipeline.yaml` file. */
export interface PipelineSpec {
  name: string;
  /** Directory for artifacts and metadata, relative to the pipeline file. */
  root: string;
  /** Custom components: type → module file (relative to the pipeline file) exporting a ComponentDefinition. */
  components: Record<string, string>;
  nodes: Record<string, NodeSpec>;
  layout: Record<string, LayoutPosition>;
  /** Pipeline-level alert rules; absent when the file has none. */
  alerts?: AlertRule[];
  /** Where the metadata store is; absent: the embedded store under `root` (or $TRIBUTARY_METADATA). */
  metadata?: MetadataConfig;
}

/**
 * The pipeline file's `metadata:` section: `{ url_env: NAME }` names the environment variable
 * holding a Postgres URL (`postgres://user@host:5432/db`), so no URL or password is in the file.
 */
export interface MetadataConfig {
  url_env: string;
}

export const TOP_LEVEL_KEYS = ['name', 'root', 'components', 'nodes', 'layout', 'alerts', 'metadata'] as const;
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
