import { Registry } from './registry.ts';
import { csvExampleGen } from '../components/csv-example-gen/index.ts';
import { parquetExampleGen } from '../components/parquet-example-gen/index.ts';
import { importExampleGen } from '../components/import-example-gen/index.ts';
import { statisticsGen } from '../components/statistics-gen/index.ts';
import { schemaGen } from '../components/schema-gen/index.ts';
import { exampleValidator } from '../components/example-validator/index.ts';
import { transform } from '../components/transform/index.ts';
import { tuner } from '../components/tuner/index.ts';
import { trainer } from '../components/trainer/index.ts';
import { evaluator } from '../components/evaluator/index.ts';
import { infraValidator } from '../components/infra-validator/index.ts';
import { pusher } from '../components/pusher/index.ts';
import { bulkInferrer } from '../components/bulk-inferrer/index.ts';
import { manualApproval } from '../components/manual-approval/index.ts';

let builtins: Registry | undefined;

/** The registry of Tributary's own components: the one list, in pipeline order. */
export function builtinRegistry(): Registry {
  builtins ??= new Registry().register(csvExampleGen).register(parquetExampleGen).register(importExampleGen).register(statisticsGen).register(schemaGen).register(exampleValidator).register(transform).register(tuner).register(trainer).register(evaluator).register(infraValidator).register(manualApproval).register(pusher).register(bulkInferrer);
  return builtins;
}
