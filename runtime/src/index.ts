/** Tributary's public runtime API: what custom components, scripts and the editor program against. */
export { Type, type Static, type TObject } from '@sinclair/typebox';
export { ARTIFACT_TYPES, ARTIFACT_DESCRIPTIONS, type ArtifactType } from './registry/artifacts.ts';
export {
  defineComponent,
  UserError,
  type ArtifactRef,
  type ComponentCategory,
  type ComponentDefinition,
  type ComponentSpec,
  type Executor,
  type ExecutorContext,
  type InputResolver,
  type NodeLogger,
  type OutputArtifact,
  type PortSpec,
  type Progress,
  type ResolveQuery,
} from './registry/types.ts';
export { Registry } from './registry/registry.ts';
export { builtinRegistry } from './registry/builtins.ts';
export { createPool, defaultPoolSize, type WorkerPool } from './engine/pool.ts';
export { runPipeline, newRunId, type RunOptions, type RunSummary, type NodeSummary } from './engine/scheduler.ts';
export { runNode } from './engine/node-runner.ts';
export { loadPipelineFile, loadPlanOrThrow, PipelineInvalid } from './engine/load-pipeline.ts';
export type { PipelinePlan, PlanNode, RunEvent, NodeState, RunState } from './engine/plan.ts';
export { parsePipeline, type ParsedPipeline } from './pipeline/parse.ts';
export { validatePipeline } from './pipeline/validate.ts';
export { formatDiagnostic, type Diagnostic } from './pipeline/diagnostics.ts';
export type { PipelineSpec, NodeSpec, InputRef } from './pipeline/spec.ts';
export { MetadataStore } from './metadata/store.ts';
export { listRuns, lineage } from './metadata/report.ts';
export type * from './metadata/types.ts';
export type * from './formats/examples.ts';
export type * from './formats/statistics.ts';
export type * from './formats/schema.ts';
export type * from './formats/anomalies.ts';
export { pipeline, PipelineBuilder, Chain, type OutputRef, type NodeHandle } from './pipeline/fluent.ts';
export * as edits from './pipeline/edit.ts';
export type * from './ml/api.ts';
// Layers for run_fn models over transformed features (categorical ids → one-hot), registered for serialization.
export { OneHot, oneHot, type OneHotArgs } from './ml/layers.ts';
