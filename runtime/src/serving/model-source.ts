/**
 * How the server, Evaluator, InfraValidator and BulkInferrer open a serving bundle: ML-B's one
 * loadBundle (runtime/src/ml/bundle.ts), so every consumer applies the same transform graph and
 * model code. This module only names it for the serving side.
 */
export { loadBundle as openModel, type BundleInfo, type LoadedBundle as ServableModel, type Predictions } from '../ml/bundle.ts';
export type { ModelTask as Task } from '../ml/bundle.ts';
