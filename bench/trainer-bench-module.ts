// The benchmark's run_fn: the taxi wide & deep model, fitted without per-epoch validation so the
// timed span is training only (the bare loop does the same).
import type { RunFn } from '../runtime/src/ml/api.ts';
import { buildModel } from '../samples/taxi/taxi_trainer.ts';

export const run_fn: RunFn = async (ctx) => {
  const { model } = buildModel(ctx);
  await model.fitDataset(ctx.train_dataset, { epochs: ctx.epochs, callbacks: ctx.callbacks, verbose: 0 });
  return { model };
};
