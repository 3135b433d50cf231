import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const infraValidatorParams = Type.Object({
  max_startup_ms: Type.Integer({ default: 5000, minimum: 1, description: 'Bless only if the server process is ready (model loaded) within this time.' }),
  max_p99_ms: Type.Number({ default: 200, minimum: 0, description: 'Bless only if the 99th percentile latency of single-row predict requests is below this.' }),
  num_requests: Type.Integer({ default: 100, minimum: 1, maximum: 100000, description: 'Predict requests to time, each one real example.' }),
  warmup_requests: Type.Integer({ default: 3, minimum: 0, description: 'Untimed requests first (JIT, lazy init).' }),
  split: Type.String({ default: 'eval', description: 'Split of the examples the requests are built from.' }),
  workers: Type.Integer({ default: 2, minimum: 0, description: 'Server processes of the multi-worker server (`tributary serve --workers`); 0: `auto`, as `tributary serve` (one per core but one). Startup counts until every one is ready, so many workers on a big machine slow the startup check.' }),
});

export const infraValidatorSpec = {
  type: 'InfraValidator',
  version: '1',
  category: 'deployment',
  icon: 'server-process',
  // It times a server: it runs alone, so the timings are the candidate's, not its neighbours'.
  resources: 'exclusive',
  description:
    'Starts the model server as a separate process on a loopback port with the candidate bundle, measures time to ready and the latency of predict requests built from real examples, and blesses the model only within max_startup_ms and max_p99_ms.',
  inputs: {
    model: { type: 'Model', description: 'The candidate model.' },
    examples: { type: 'Examples', description: 'Raw examples to build requests from.' },
  },
  outputs: {
    blessing: { type: 'InfraBlessing', description: 'infra_blessing.json: blessed or not, startup time, latency percentiles, reasons.' },
  },
  params: infraValidatorParams,
} satisfies ComponentSpec;
