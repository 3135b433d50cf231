/**
 * Everything the VS Code extension uses of the runtime, in one place: the extension imports the
 * runtime only through this module (an eslint rule forbids deeper imports), so what the host
 * depends on is visible here and the runtime's folders can move behind it. The host bundles
 * include only what they use of it.
 */

// The run model: events a run reports, store records, plans.
export type { AlertMessage, NodeState, RunEvent, RunState } from './core/run-events.ts';
export type { ArtifactRecord, ExecutionRecord, StoreData } from './core/metadata-types.ts';
export { metadataFile } from './core/plan.ts';
export { isUserError, UserError } from './core/errors.ts';

// Components: the built-in list, specs and the registry.
export { BUILTIN_COMPONENTS, builtinRegistry } from './components/index.ts';
export type { ComponentCategory, ComponentSpec } from './core/component.ts';
export type { Registry } from './core/registry.ts';
export { ARTIFACT_DESCRIPTIONS } from './core/artifacts.ts';
export { approvalOf, isPendingApproval } from './components/manual-approval/approval-records.ts';

// Pipeline files: parse, validate, edit, locate.
export { NODE_ID_PATTERN, NODE_KEYS, parseReference, RUN_KEYS, TOP_LEVEL_KEYS, type PipelineSpec } from './core/pipeline-spec.ts';
export { parsePipeline, type ParsedPipeline } from './pipeline/parse.ts';
export { validatePipeline } from './pipeline/validate.ts';
export type { Diagnostic, Range } from './pipeline/diagnostics.ts';
export { addNode, applyEdits, connect, disconnect, removeNode, removeParam, renameNode, setLayout, setParam, type TextEdit } from './pipeline/edit.ts';
export { findPair, nodeOffsets, offsetsToRange } from './pipeline/source.ts';
export { suggestionIn } from './pipeline/suggest.ts';
export { writeFeatureTypes } from './pipeline/feature-types.ts';
export { findWorkspaceRoot } from './util/paths.ts';

// Runs and artifacts as the views show them.
export { listRuns } from './metadata/run-rows.ts';
export { runLabels, type RunLabel } from './metadata/run-labels.ts';
export { readStoreView, storeStamp, type StoreQuery } from './metadata/embedded/reader.ts';
// Which store a pipeline uses, without loading a driver (a Postgres store is read through the CLI).
export { metadataUrl } from './metadata/url.ts';
export type { SpanTrend, TrendsReport } from './metadata/trends.ts';
export { describeCpu, type CpuBreakdown } from './util/thread-cpu.ts';
export { describeRuntime, RUNTIME_CHOICE_ENV, type RunRuntime } from './util/run-runtime.ts';

// The environment: doctor reports (from any runtime, as JSON) and the Trainer's backend choice line.
export { describeDoctor, type BackendCheck, type DoctorReport } from './cli/doctor-report.ts';
export { GPU_BACKENDS, parseBackendChoice } from './ml/backend-names.ts';
export { STATISTICS_FILE, type DatasetFeatureStatisticsList } from './formats/statistics.ts';
export { SCHEMA_FILE, type Schema } from './formats/schema.ts';
export { ANOMALIES_FILE, type ExampleAnomaliesFile } from './formats/anomalies.ts';

// Model serving: registry folders, traffic splits, live servers.
export { listModels, listVersions, readIndex, type TrafficConfig } from './serving/registry-index.ts';
export { armVersion, parseTraffic } from './serving/traffic.ts';
export { liveServerRecords, SERVERS_DIR } from './serving/server-records.ts';
