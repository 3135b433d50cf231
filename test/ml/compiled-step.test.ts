import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { oneHot } from '../../runtime/src/ml/layers.ts';
import { planModel } from '../../runtime/src/ml/compiled-step/plan.ts';
import { CompiledStep } from '../../runtime/src/ml/compiled-step/train-step.ts';
import { compiledFitDataset, installCompiledStep } from '../../runtime/src/ml/compiled-step/install.ts';
import { batchHooks, type SyncBatchHooks } from '../../runtime/src/ml/compiled-step/fit-loop.ts';
import { makeDataset } from '../../runtime/src/ml/dataset.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shardColumns, writeShards } from './fixtures.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

type Sym = tf.SymbolicTensor;

/** Wide & deep as the taxi sample builds it: numerics through dense layers, categorical ids one-hot beside them. */
function wideAndDeep(seed: number, opts: { hidden?: number[]; activation?: 'relu' | 'tanh' | 'sigmoid'; vocab?: number[]; outUnits?: number } = {}) {
  const vocab = opts.vocab ?? [16, 60, 10, 24];
  const numerics = [0, 1, 2].map((i) => tf.input({ shape: [1], name: `n${seed}_${i}` }));
  const cats = vocab.map((_, i) => tf.input({ shape: [1], dtype: 'int32', name: `c${seed}_${i}` }));
  let deep = tf.layers.concatenate().apply(numerics) as Sym;
  for (const units of opts.hidden ?? [32, 12, 5]) deep = tf.layers.dense({ units, activation: opts.activation ?? 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + units }) }).apply(deep) as Sym;
  const wide = cats.map((c, i) => oneHot({ depth: vocab[i] }).apply(c) as Sym);
  const joined = tf.layers.concatenate().apply([wide[0], deep, ...wide.slice(1)]) as Sym;
  const out = tf.layers.dense({ units: opts.outUnits ?? 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 99 }) }).apply(joined) as Sym;
  const model = tf.model({ inputs: [...numerics, ...cats], outputs: out });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return { model, vocab };
}

/** A seeded batch for `model`: floats in [-2, 2], ids in [-1, vocab] (out-of-range ids are all-zero one-hot rows), 0/1 or real targets. */
function batch(model: tf.LayersModel, rows: number, seed: number, vocab: number[] = [], binary = true): tf.Tensor[] {
  const random = mulberry32(seed);
  let c = 0;
  const xs = model.inputs.map((input) => {
    const width = input.shape[1] as number;
    if (input.dtype === 'int32') {
      const v = vocab[c++];
      return tf.tensor2d(Int32Array.from({ length: rows }, () => Math.floor(random() * (v + 2)) - 1), [rows, 1], 'int32');
    }
    return tf.tensor2d(Float32Array.from({ length: rows * width }, () => random() * 4 - 2), [rows, width]);
  });
  const units = model.outputs[0].shape[1] as number;
  const y = tf.tensor2d(Float32Array.from({ length: rows * units }, () => (binary ? (random() < 0.4 ? 1 : 0) : random() * 3 - 1)), [rows, units]);
  return [...xs, y];
}

/** tfjs's own gradients of the model's loss (its autograd), in the optimizer's order. */
function tfjsGradients(model: tf.LayersModel, data: tf.Tensor[]): { loss: number; grads: Float32Array[] } {
  const n = model.inputs.length;
  const vars = (model as unknown as { collectedTrainableWeights: tf.LayerVariable[] }).collectedTrainableWeights.map((w) => w.read() as tf.Variable);
  const lossFn = (model as unknown as { lossFunctions: ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor)[] }).lossFunctions[0];
  const { value, grads } = tf.variableGrads(() => tf.mean(lossFn(data[n], model.apply(data.slice(0, n), { training: true }) as tf.Tensor)) as tf.Scalar, vars);
  const out = { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** The compiled step's gradients and outputs for one batch (no optimizer step taken). */
function compiledGradients(model: tf.LayersModel, data: tf.Tensor[]): { loss: number; metrics: number[]; grads: Float32Array[]; names: string[] } {
  const planned = planModel(model);
  if ('reason' in planned) throw new Error(planned.reason);
  let grads: Float32Array[] = [];
  let names: string[] = [];
  const step = new CompiledStep(planned.plan, model, (n, g) => {
    names = n;
    grads = g.map((x) => x.slice());
  });
  const outs = step.run(data);
  step.dispose();
  assert.ok(outs, 'the step took the batch');
  const [loss, ...metrics] = outs.map((s) => s.dataSync()[0]);
  tf.dispose(outs);
  return { loss, metrics, grads, names };
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string, relative = 1e-4): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > relative * scale + 1e-9) assert.fail(`${label}[${i}]: ${actual[i]} vs tfjs ${expected[i]} (scale ${scale})`);
  }
}

describe('ml/compiled-step: the compiled train step on wasm gives tfjs autograd\'s gradients', () => {
  const previous = tf.getBackend();
  before(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  after(async () => {
    if (previous) await tf.setBackend(previous);
  });

  const cases: [string, () => { model: tf.LayersModel; data: tf.Tensor[] }][] = [
    [
      'wide & deep: relu layers, one-hot parts on both sides of the deep part, ids out of range, 300 rows',
      () => {
        const { model, vocab } = wideAndDeep(1);
        return { model, data: batch(model, 300, 7, vocab) };
      },
    ],
    [
      'tanh layers, small products (units < 8) and two sigmoid outputs',
      () => {
        const { model, vocab } = wideAndDeep(2, { hidden: [6, 3], activation: 'tanh', outUnits: 2 });
        return { model, data: batch(model, 64, 8, vocab) };
      },
    ],
    [
      'a Sequential regression: sigmoid hidden layer, linear output, mean squared error',
      () => {
        const model = tf.sequential({
          layers: [tf.layers.dense({ inputShape: [5], units: 16, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) })],
        });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const inner = (model as unknown as { model: tf.LayersModel }).model;
        return { model: inner, data: batch(inner, 33, 9, [], false) };
      },
    ],
    [
      'a layer read by three others (gradients add up), linear and tanh branches, mean squared error with mae and mse metrics',
      () => {
        const x = tf.input({ shape: [6] });
        const init = (seed: number) => tf.initializers.glorotNormal({ seed });
        const h = tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(21) }).apply(x) as Sym;
        const a = tf.layers.dense({ units: 9, activation: 'tanh', kernelInitializer: init(22) }).apply(h) as Sym;
        const b = tf.layers.dense({ units: 4, kernelInitializer: init(23) }).apply(h) as Sym;
        const out = tf.layers.dense({ units: 2, kernelInitializer: init(24) }).apply(tf.layers.concatenate().apply([a, h, b])) as Sym;
        const model = tf.model({ inputs: x, outputs: out });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae', 'mse'] });
        return { model, data: batch(model, 70, 13, [], false) };
      },
    ],
    [
      'a frozen layer: no gradient for its weights, but the gradient flows through it',
      () => {
        const { model, vocab } = wideAndDeep(4, { hidden: [20, 10] });
        model.layers.find((l) => l.getClassName() === 'Dense')!.trainable = false;
        model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
        return { model, data: batch(model, 128, 10, vocab) };
      },
    ],
  ];

  for (const [name, make] of cases) {
    it(name, () => {
      const { model, data } = make();
      const reference = tfjsGradients(model, data);
      const mine = compiledGradients(model, data);
      const vars = (model as unknown as { collectedTrainableWeights: tf.LayerVariable[] }).collectedTrainableWeights;
      assert.deepEqual(
        mine.names,
        vars.map((v) => (v.read() as tf.Variable).name),
      );
      assert.equal(mine.grads.length, reference.grads.length);
      mine.grads.forEach((g, i) => assertClose(g, reference.grads[i], mine.names[i]));
      assert.ok(Math.abs(mine.loss - reference.loss) <= 1e-5 * Math.max(1, Math.abs(reference.loss)), `loss ${mine.loss} vs ${reference.loss}`);
      tf.dispose(data);
      model.dispose();
    });
  }

  it('fit with the compiled step trains as tfjs does: same weights within float tolerance after 3 epochs, same logs', async () => {
    const run = async (compiled: boolean) => {
      const { model, vocab } = wideAndDeep(5);
      const data = batch(model, 400, 11, vocab);
      const n = model.inputs.length;
      const noLog = { info: () => undefined };
      const installed = compiled ? installCompiledStep(model, (names, grads, shapes) => model.optimizer.applyGradients(names.map((name, i) => ({ name, tensor: tf.tensor(grads[i], shapes[i]) }))), noLog) : undefined;
      assert.equal(!!installed, compiled);
      const history = await model.fit(data.slice(0, n), data[n], { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
      installed?.dispose();
      const weights = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
      tf.dispose(data);
      model.dispose();
      return { weights, loss: history.history.loss as number[], acc: history.history.acc as number[] };
    };
    const reference = await run(false);
    const mine = await run(true);
    mine.weights.forEach((w, i) => assertClose(w, reference.weights[i], `weight ${i}`, 1e-3));
    mine.loss.forEach((l, i) => assert.ok(Math.abs(l - reference.loss[i]) < 1e-4, `epoch ${i} loss ${l} vs ${reference.loss[i]}`));
    assert.deepEqual(mine.acc, reference.acc);
  });

  it('reports the loss and metrics tfjs computes for the batch: its own formulas for known metrics, tfjs\'s function for others', () => {
    const { model, vocab } = wideAndDeep(7);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy', tf.metrics.precision, 'crossentropy', 'mse'] });
    const data = batch(model, 90, 14, vocab);
    const n = model.inputs.length;
    const expected = tf.tidy(() => {
      const p = model.predict(data.slice(0, n)) as tf.Tensor;
      const m = model as unknown as { lossFunctions: ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor)[]; metricsTensors: [(y: tf.Tensor, p: tf.Tensor) => tf.Tensor, number][] };
      return [m.lossFunctions[0], ...m.metricsTensors.map(([fn]) => fn)].map((fn) => tf.mean(fn(data[n], p)).dataSync()[0]);
    });
    const planned = planModel(model);
    assert.ok('plan' in planned);
    assert.deepEqual(planned.plan.metrics, ['binaryAccuracy', 'tfjs', 'binaryCrossentropy', 'meanSquaredError']);
    const mine = compiledGradients(model, data);
    [mine.loss, ...mine.metrics].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `value ${i}: ${v} vs tfjs ${expected[i]}`));
    tf.dispose(data);
    model.dispose();
  });

  it('fitDataset through the runtime\'s loop: the same history, callback calls, validation and early stop as tfjs\'s loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compiled-fit-'));
    try {
      const random = mulberry32(21);
      const n = 700;
      const cols = {
        x0: Float32Array.from({ length: n }, () => random() * 2 - 1),
        x1: Float32Array.from({ length: n }, () => random() * 2 - 1),
        k: Int32Array.from({ length: n }, () => Math.floor(random() * 5)),
        y: new Float32Array(n),
      };
      cols.y.forEach((_, i) => (cols.y[i] = cols.x0[i] + (cols.k[i] === 2 ? 1 : 0) > 0.3 ? 1 : 0));
      const train = writeShards(join(dir, 'train'), shardColumns(cols, 300));
      const evalShards = writeShards(join(dir, 'eval'), shardColumns(cols, 1000));
      const features = [
        { name: 'x0', dtype: 'float32' as const },
        { name: 'x1', dtype: 'float32' as const },
        { name: 'k', dtype: 'int32' as const },
      ];
      const run = async (owned: boolean, earlyStop: boolean) => {
        const x0 = tf.input({ shape: [1], name: 'x0' });
        const x1 = tf.input({ shape: [1], name: 'x1' });
        const k = tf.input({ shape: [1], name: 'k', dtype: 'int32' });
        const deep = tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 31 }) }).apply(tf.layers.concatenate().apply([x0, x1])) as Sym;
        const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotNormal({ seed: 32 }) }).apply(tf.layers.concatenate().apply([deep, oneHot({ depth: 5 }).apply(k) as Sym])) as Sym;
        const model = tf.model({ inputs: [x0, x1, k], outputs: out });
        model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
        const apply = (names: string[], grads: Float32Array[], shapes: number[][]) => model.optimizer.applyGradients(names.map((name, i) => ({ name, tensor: tf.tensor(grads[i], shapes[i]) })));
        const logged: string[] = [];
        const installed = installCompiledStep(model, apply, { info: (m) => logged.push(m) });
        const ds = makeDataset(tf, { shards: train, features, label: 'y', batchSize: 128, shuffle: true, seed: 5 });
        const val = makeDataset(tf, { shards: evalShards, features, label: 'y', batchSize: 256 });
        const events: string[] = [];
        const recorder = new tf.CustomCallback({
          onTrainBegin: () => void events.push('train'),
          onEpochBegin: (e) => void events.push(`epoch ${e}`),
          onBatchEnd: (b, logs) => void events.push(`batch ${b} size ${logs?.size} ${typeof logs?.loss} ${typeof logs?.acc}`),
          onEpochEnd: (e, logs) => void events.push(`end ${e} ${Object.keys(logs ?? {}).sort().join(',')}`),
          onTrainEnd: () => void events.push('done'),
        });
        const callbacks: tf.CustomCallback[] = [recorder];
        if (earlyStop) callbacks.push(new tf.CustomCallback({ onBatchEnd: (b) => void (b === 2 && (model.stopTraining = true)) }));
        const args = { epochs: 3, validationData: val, callbacks, verbose: 0 as const };
        const fit = owned ? compiledFitDataset(model, ds, args, { info: (m) => logged.push(m) }) : model.fitDataset(ds, args);
        assert.ok(fit, 'the runtime\'s loop takes the call');
        const history = await fit;
        installed?.dispose();
        model.dispose();
        return { history: history.history as Record<string, number[]>, events, logged };
      };
      const reference = await run(false, false);
      const mine = await run(true, false);
      assert.deepEqual(mine.events, reference.events);
      assert.deepEqual(Object.keys(mine.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
      for (const key of Object.keys(reference.history)) {
        reference.history[key].forEach((v, i) => assert.ok(Math.abs(v - mine.history[key][i]) < 1e-4, `${key}[${i}]: ${mine.history[key][i]} vs tfjs ${v}`));
      }
      assert.ok(mine.logged.some((l) => /training loop: the runtime's/.test(l)), mine.logged.join('\n'));
      // model.stopTraining after the third batch ends training there, as in tfjs's loop.
      const stopped = await run(true, true);
      const stoppedRef = await run(false, true);
      assert.deepEqual(stopped.events, stoppedRef.events);
      assert.equal(stopped.history.loss.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no tensors behind, frees its heap buffers, and hands batches it does not cover (sample weights) to tfjs', () => {
    const { model, vocab } = wideAndDeep(6);
    const planned = planModel(model);
    if ('reason' in planned) throw new Error(planned.reason);
    let steps = 0;
    const step = new CompiledStep(planned.plan, model, () => void steps++);
    const data = batch(model, 50, 12, vocab);
    tf.dispose(step.run(data)!); // first call allocates its buffers
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(step.run(data)!);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(steps, 6);
    const weights = tf.ones([50, 1]);
    assert.equal(step.run([...data, weights]), undefined, 'sample weights');
    const floatIds = [...data];
    floatIds[3] = tf.cast(data[3], 'float32');
    assert.equal(step.run(floatIds), undefined, 'float ids');
    step.dispose();
    tf.dispose([...data, weights, floatIds[3]]);
    model.dispose();
  });

  it('says why it leaves a model to tfjs: dropout, embeddings, regularizers, a loss function of its own, softmax', () => {
    const input = () => tf.input({ shape: [4] });
    const reasons: string[] = [];
    const plan = (build: (x: Sym) => Sym, loss: string | ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor) = 'binaryCrossentropy', x = input()) => {
      const model = tf.model({ inputs: x, outputs: build(x) });
      model.compile({ optimizer: 'sgd', loss });
      const result = planModel(model);
      assert.ok('reason' in result);
      reasons.push(result.reason);
      model.dispose();
    };
    plan((x) => tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(tf.layers.dropout({ rate: 0.5 }).apply(x)) as Sym);
    plan(
      (x) => tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(tf.layers.flatten().apply(tf.layers.embedding({ inputDim: 5, outputDim: 2 }).apply(x))) as Sym,
      'binaryCrossentropy',
      tf.input({ shape: [1], dtype: 'int32' }),
    );
    plan((x) => tf.layers.dense({ units: 1, activation: 'sigmoid', kernelRegularizer: tf.regularizers.l2() }).apply(x) as Sym);
    plan((x) => tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(x) as Sym, (y, p) => tf.losses.absoluteDifference(y, p));
    plan((x) => tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as Sym, 'categoricalCrossentropy');
    assert.match(reasons[0], /Dropout/);
    assert.match(reasons[1], /Embedding/);
    assert.match(reasons[2], /regularizer/);
    assert.match(reasons[3], /function/);
    assert.match(reasons[4], /categoricalCrossentropy/);
  });
});

describe('ml/compiled-step/fit-loop: the batch hooks the runtime\'s loop calls', () => {
  it('calls the hooks that do something, in order, and skips tfjs\'s no-op ones and configs without batch functions', async () => {
    const calls: string[] = [];
    class Overrides extends tf.Callback {
      override async onBatchEnd(batch: number) {
        calls.push(`subclass ${batch}`);
      }
    }
    class Sync extends tf.Callback implements SyncBatchHooks {
      syncBatchBegin(b: number) {
        calls.push(`sync begin ${b}`);
      }
      syncBatchEnd(b: number) {
        calls.push(`sync end ${b}`);
      }
    }
    const sync = new Sync();
    const list = [
      new tf.History() as unknown as tf.Callback,
      new tf.CustomCallback({ onEpochEnd: () => undefined }) as unknown as tf.Callback,
      new tf.CustomCallback({ onBatchEnd: (b) => void calls.push(`config ${b}`) }) as unknown as tf.Callback,
      new tf.CustomCallback({ onYield: () => void calls.push('yield') }, 0) as unknown as tf.Callback,
      new Overrides(),
      sync,
    ];
    const begin = batchHooks(list, 'onBatchBegin');
    const end = batchHooks(list, 'onBatchEnd');
    assert.equal(begin.length, 1, 'only the synchronous begin hook');
    assert.equal(end.length, 4, 'the config with onBatchEnd, the one with onYield, the subclass, the synchronous hook');
    for (const hook of [...begin, ...end]) await hook(3, { size: 8 });
    assert.deepEqual(calls.filter((c) => c !== 'yield'), ['sync begin 3', 'config 3', 'subclass 3', 'sync end 3']);
  });
});
