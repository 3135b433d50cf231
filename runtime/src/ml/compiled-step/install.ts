/**
 * Puts the compiled train step (train-step.ts) under a model's fit/fitDataset: tfjs builds its
 * train function with `makeTrainFunction` at the start of every fit, so replacing that method on
 * the model (the inner model of a Sequential, which fits through it) changes the step and nothing
 * else: callbacks, logs, early stopping, validation and the dataset loop stay tfjs's. A batch the
 * plan does not cover (sample weights, another dtype) goes to tfjs's own function.
 */
import * as tf from '@tensorflow/tfjs';
import { hostPassOf } from '../dataset.ts';
import { fitOwned, ownedLoopRefusal } from './fit-loop.ts';
import { planModel } from './plan.ts';
import { CompiledStep, type RawGradientStep } from './train-step.ts';

export interface CompiledStepLog {
  info(message: string): void;
}

/** Models whose loop choice was logged (once per model). */
const loopLogged = new WeakSet<object>();

/**
 * fitDataset through the runtime's own loop (fit-loop.ts) when `model` has a compiled step and
 * `dataset` is one of the runtime's; undefined where tfjs's fitDataset must run. Says which, once.
 */
export function compiledFitDataset(model: tf.LayersModel, dataset: object, args: tf.ModelFitDatasetArgs<unknown> | undefined, log: CompiledStepLog): Promise<tf.History> | undefined {
  const target = fitted(model);
  const step = installed.get(target);
  if (!step) return undefined;
  const say = (message: string) => {
    if (loopLogged.has(target)) return;
    loopLogged.add(target);
    log.info(message);
  };
  const host = hostPassOf(dataset);
  const refusal = !host ? 'a dataset the runtime did not make' : ownedLoopRefusal(args) ?? step.hostRefusal(host.features);
  if (refusal) {
    say(`training loop: tfjs's fitDataset (${refusal})`);
    return undefined;
  }
  say("training loop: the runtime's (batches go from the dataset's arrays into the compiled step, no tensors per step)");
  return fitOwned(target, step, host!.pass, args!);
}

type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];
interface Trainable {
  makeTrainFunction(): TrainFunction;
}

const installed = new WeakMap<object, CompiledStep>();

/** The LayersModel that fit runs through: a Sequential's inner model, or the model itself. */
function fitted(model: tf.LayersModel): tf.LayersModel {
  const inner = (model as unknown as { model?: unknown }).model;
  return inner instanceof tf.LayersModel ? inner : model;
}

/**
 * Compiles `model`'s train step where plan.ts understands it and the backend is wasm; says which
 * step trains, once per model. `optimizerStep` is the runtime's optimizer step for host arrays.
 * Returns what to dispose when training is over.
 */
export function installCompiledStep(model: tf.LayersModel, optimizerStep: RawGradientStep | undefined, log: CompiledStepLog): { dispose(): void } | undefined {
  const target = fitted(model);
  if (installed.has(target)) return undefined;
  const off = (why: string) => {
    log.info(`train step: tfjs's autograd (${why})`);
    return undefined;
  };
  if (process.env.TRIBUTARY_COMPILED_STEP === '0') return off('TRIBUTARY_COMPILED_STEP=0');
  if (tf.getBackend() !== 'wasm') return off(`the compiled step runs on wasm; this is ${tf.getBackend()}`);
  if (!optimizerStep) return off('no host optimizer step');
  const planned = planModel(target);
  if ('reason' in planned) return off(planned.reason);
  const step = new CompiledStep(planned.plan, target, optimizerStep);
  installed.set(target, step);
  const original = (target as unknown as Trainable).makeTrainFunction.bind(target);
  (target as unknown as Trainable).makeTrainFunction = () => {
    let tfjsStep: TrainFunction | undefined;
    return (data) => step.run(data) ?? (tfjsStep ??= original())(data);
  };
  log.info(`train step: compiled (${step.describe()}; forward and backward as XNNPACK products and wasm loops instead of tfjs's autograd)`);
  return {
    dispose: () => {
      (target as unknown as Trainable).makeTrainFunction = original;
      installed.delete(target);
      step.dispose();
    },
  };
}
