import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedOptimizer, fusedSupport } from '../../runtime/src/ml/fused-optimizer.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

const SHAPES = [[7, 5], [5], [3, 4, 2]];
const STEPS = 25;

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.1),
  momentum: () => tf.train.momentum(0.05, 0.9),
  nesterov: () => tf.train.momentum(0.05, 0.8, true),
  rmsprop: () => tf.train.rmsprop(0.01),
  'rmsprop centered with momentum': () => tf.train.rmsprop(0.01, 0.85, 0.5, 1e-6, true),
  adam: () => tf.train.adam(0.01),
  'adam (own betas, epsilon)': () => tf.train.adam(0.003, 0.8, 0.95, 1e-4),
};

let serial = 0;
/** Variables of SHAPES with the same seeded values for every call; unique names. */
function variables(): tf.Variable[] {
  const random = mulberry32(5);
  const tag = serial++;
  return SHAPES.map((shape, i) => tf.variable(tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), shape), true, `fused_test_${tag}_${i}`));
}

/** Seeded gradients for `steps` steps (large and small values, some zeros). */
function gradients(steps: number, seed: number): Float32Array[][] {
  const random = mulberry32(seed);
  return Array.from({ length: steps }, () => SHAPES.map((shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() < 0.1 ? 0 : (random() * 2 - 1) * (random() < 0.2 ? 100 : 1)))));
}

const tfjsStep = (optimizer: tf.Optimizer, vars: tf.Variable[], grads: Float32Array[]) => {
  const list = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) }));
  optimizer.applyGradients(list);
  tf.dispose(list.map((g) => g.tensor));
};

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
const stateOf = async (optimizer: tf.Optimizer) => (await optimizer.getWeights()).map((w) => ({ suffix: w.name.replace(/^.*\//, ''), values: Array.from(w.tensor.dataSync()) }));

for (const backend of ['cpu', 'wasm']) {
  describe(`ml/fused-optimizer on ${backend}: one pass per variable, the same numbers as tfjs's optimizer`, () => {
    const previous = tf.getBackend();
    before(async () => {
      await tf.setBackend(backend);
      await tf.ready();
    });
    after(async () => {
      if (previous) await tf.setBackend(previous);
    });

    for (const [kind, make] of Object.entries(OPTIMIZERS)) {
      it(`${kind}: weights, state and iterations bit-identical after ${STEPS} steps, and after a checkpoint's restore`, async () => {
        const reference = make();
        const mine = make();
        assert.equal(fusedSupport(mine).fused, true);
        const fused = new FusedOptimizer(mine);
        const [a, b] = [variables(), variables()];
        const grads = gradients(STEPS, 9);
        for (const g of grads) {
          tfjsStep(reference, a, g);
          fused.apply(b.map((v) => v.name), g);
        }
        assert.deepEqual(values(b), values(a), 'weights');
        assert.equal(mine.iterations, reference.iterations);
        // Steps and state reads leave no tensors behind beyond the state tfjs itself keeps.
        (await mine.getWeights()).slice(0, 1).forEach((w) => w.tensor.dispose()); // the iteration count scalar is made per call
        const tensorsBefore = tf.memory().numTensors;
        for (const g of gradients(2, 11)) {
          tfjsStep(reference, a, g);
          fused.apply(b.map((v) => v.name), g);
        }
        (await mine.getWeights()).slice(0, 1).forEach((w) => w.tensor.dispose());
        assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors');
        // getWeights writes the host state into tfjs's variables, under tfjs's names and order.
        const [refState, myState] = [await stateOf(reference), await stateOf(mine)];
        assert.deepEqual(myState, refState, 'optimizer state');

        // Checkpoint and resume, both ways: the saved state set on a new optimizer continues
        // as tfjs's own resume does (tfjs's Adam recomputes its β powers from the step count).
        const restore = async (from: tf.Optimizer) => {
          const to = make();
          await to.setWeights((await from.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
          return to;
        };
        const [referenceResumed, resumed] = [await restore(reference), await restore(mine)];
        const again = new FusedOptimizer(resumed);
        for (const g of gradients(5, 10)) {
          tfjsStep(referenceResumed, a, g);
          again.apply(b.map((v) => v.name), g);
        }
        assert.deepEqual(values(b), values(a), 'weights after the resume');
        assert.deepEqual(await stateOf(resumed), await stateOf(referenceResumed), 'state after the resume');
        tf.dispose([...a, ...b]);
      });
    }

    it('a state set on the optimizer mid-training is read before the next step', async () => {
      const reference = tf.train.adam(0.01);
      const mine = tf.train.adam(0.01);
      const fused = new FusedOptimizer(mine);
      const [a, b] = [variables(), variables()];
      const [first, second] = [gradients(3, 1), gradients(3, 2)];
      for (const g of first) {
        tfjsStep(reference, a, g);
        fused.apply(b.map((v) => v.name), g);
      }
      // Both restore the reference's state (as a checkpoint restore does after fit started).
      const state = await reference.getWeights();
      await mine.setWeights(state.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
      b.forEach((v, i) => v.assign(a[i]));
      for (const g of second) {
        tfjsStep(reference, a, g);
        fused.apply(b.map((v) => v.name), g);
      }
      assert.deepEqual(values(b), values(a));
      tf.dispose([...a, ...b]);
    });

    it('a step sharded over two replicas (each updating half the weights and its state) equals the whole step, bit for bit', () => {
      for (const make of Object.values(OPTIMIZERS)) {
        const whole = new FusedOptimizer(make());
        const a = variables();
        const halves = [new FusedOptimizer(make()), new FusedOptimizer(make())];
        const b = variables();
        const names = b.map((v) => v.name);
        const total = b.reduce((n, v) => n + v.size, 0);
        const split: [number, number][] = [
          [0, Math.floor(total / 2)],
          [Math.floor(total / 2), total],
        ];
        for (const g of gradients(6, 13)) {
          whole.apply(a.map((v) => v.name), g);
          // Each replica: its share from the same starting weights; then the shares are put together.
          const results = halves.map((opt, r) => {
            const w = FusedOptimizer.readVariables(names);
            opt.updateShare(names, w, g, split[r][0], split[r][1]);
            return w;
          });
          const merged = results[0].map((w, i) => {
            const out = w.slice();
            let base = 0;
            for (let j = 0; j < i; j++) base += results[0][j].length;
            for (let k = 0; k < out.length; k++) if (base + k >= split[1][0]) out[k] = results[1][i][k];
            return out;
          });
          FusedOptimizer.writeVariables(names, merged);
        }
        assert.deepEqual(values(b), values(a));
      }
    });

    it('updates the weights in place where it can (wasm), and products with them use the new values, not a packed copy of the old', () => {
      const w = tf.variable(tf.tensor(Array.from({ length: 16 * 12 }, (_, i) => Math.sin(i)), [16, 12]), true, `fused_inplace_${serial++}`);
      const x = tf.tensor(Array.from({ length: 5 * 16 }, (_, i) => Math.cos(i)), [5, 16]);
      const fused = new FusedOptimizer(tf.train.adam(0.1));
      const grad = Float32Array.from({ length: 16 * 12 }, (_, i) => (i % 7) - 3);
      const ids: unknown[] = [];
      const products: number[][] = [];
      for (let i = 0; i < 3; i++) {
        // The backend packs w's values for this product, under w's tensor id.
        products.push(Array.from(tf.matMul(x, w).dataSync()));
        fused.apply([w.name], [grad]);
        ids.push(w.dataId);
      }
      const after = Array.from(tf.matMul(x, w).dataSync());
      const fresh = tf.tensor(w.dataSync(), w.shape);
      assert.deepEqual(after, Array.from(tf.matMul(x, fresh).dataSync()));
      assert.notDeepEqual(after, products[2]);
      // On wasm, once the variable no longer shares its memory with the tensor it was made from, the update stays in it.
      if (backend === 'wasm') assert.equal(ids[2], ids[1], 'same tensor memory');
      tf.dispose([w, x, fresh]);
    });

    it('other optimizers, and replaced steps, keep tfjs\'s own step (with the reason)', () => {
      for (const o of [tf.train.adagrad(0.1), tf.train.adadelta(), tf.train.adamax(0.01)]) {
        const support = fusedSupport(o);
        assert.equal(support.fused, false);
        assert.match((support as { reason: string }).reason, /no fused step for the \w+ optimizer/);
      }
      const patched = tf.train.adam(0.01);
      patched.applyGradients = () => undefined;
      assert.match((fusedSupport(patched) as { reason: string }).reason, /applyGradients was replaced/);
      class Custom extends tf.AdamOptimizer {}
      assert.equal(fusedSupport(new Custom(0.01, 0.9, 0.999)).fused, false);
    });
  });
}
