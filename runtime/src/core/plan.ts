import type { Registry } from './registry.ts';
import type { AlertRule, MetadataConfig, NodeRunSettings } from './pipeline-spec.ts';

/** One node as the engine runs it: resolved component type, raw params, input references. */
export interface PlanNode {
  id: string;
  component: string;
  params: Record<string, unknown>;
  inputs: Record<string, { node: string; output: string }>;
  /** Cluster settings (retries, resources, fan-out); the local scheduler ignores them. */
  run?: NodeRunSettings;
}

/** A validated pipeline, ready to run. */
export interface PipelinePlan {
  name: string;
  /** Absolute path of the pipeline file (or a synthetic name for code-built pipelines). */
  file: string;
  /** Directory relative paths resolve against. */
  dir: string;
  /** Absolute pipeline root: artifacts, logs and metadata. */
  root: string;
  /** In topological order. */
  nodes: PlanNode[];
  registry: Registry;
  /** The file's `alerts` rules (runtime/src/alerts/). */
  alerts?: AlertRule[];
  /** The file's `metadata:` section: where the store is (runtime/src/metadata/open.ts). */
  metadata?: MetadataConfig;
}

/** The root's metadata store folder (the first format's `metadata.json` beside it is migrated on open). */
export function metadataFile(root: string): string {
  return `${root}/metadata`;
}
