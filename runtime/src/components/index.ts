/**
 * The one list of Tributary's own components, in pipeline order. A component is its folder
 * (spec.ts with its ports, parameters, category and icon; index.ts with its lazy executor, fan-out,
 * resolver and pool tasks) plus one line here: the registry, the pool workers' tasks, the editor's
 * palette and icons all read this list.
 */
import { Registry, type ComponentDefinition } from '../core/registry.ts';
import { csvExampleGen } from './csv-example-gen/index.ts';
import { parquetExampleGen } from './parquet-example-gen/index.ts';
import { importExampleGen } from './import-example-gen/index.ts';
import { importer } from './importer/index.ts';
import { statisticsGen } from './statistics-gen/index.ts';
import { schemaGen } from './schema-gen/index.ts';
import { exampleValidator } from './example-validator/index.ts';
import { transform } from './transform/index.ts';
import { tuner } from './tuner/index.ts';
import { trainer } from './trainer/index.ts';
import { evaluator } from './evaluator/index.ts';
import { infraValidator } from './infra-validator/index.ts';
import { manualApproval } from './manual-approval/index.ts';
import { modelOptimizer } from './model-optimizer/index.ts';
import { pusher } from './pusher/index.ts';
import { bulkInferrer } from './bulk-inferrer/index.ts';

export const BUILTIN_COMPONENTS: readonly ComponentDefinition<any, any, any>[] = [
  csvExampleGen,
  parquetExampleGen,
  importExampleGen,
  importer,
  statisticsGen,
  schemaGen,
  exampleValidator,
  transform,
  tuner,
  trainer,
  modelOptimizer,
  evaluator,
  infraValidator,
  manualApproval,
  pusher,
  bulkInferrer,
];

let builtins: Registry | undefined;

/** The registry of the built-in components; a pipeline's custom components join a clone of it. */
export function builtinRegistry(): Registry {
  if (!builtins) {
    builtins = new Registry();
    for (const component of BUILTIN_COMPONENTS) builtins.register(component);
  }
  return builtins;
}
