/**
 * The optimizer step over host arrays, in one pass per variable, instead of tfjs's ~5 to 15
 * kernels per variable (Adam: 14 kernels and two scalar assigns per variable and step): the
 * training loop already holds the gradients as float32 arrays (read for the all-reduce, or with
 * one worker read once), so the update is a plain loop and each variable is written once.
 *
 * Semantics are tfjs's own, operation for operation in float32: every intermediate tfjs rounds
 * to float32 (each kernel's output) is rounded here with Math.fround, in the same order, and the
 * hyperparameters enter as tfjs's float32 scalars do. On the cpu and wasm backends the weights
 * and optimizer state come out bit-identical to tfjs's optimizer given the same gradients
 * (test/ml/fused-optimizer.test.ts). Only where tensors live in host memory (cpu, wasm): on a
 * GPU backend tfjs's kernels stay.
 *
 * The state (Adam's moments, momentum's accumulations, RMSProp's mean squares…) lives in host
 * arrays while training and is written into tfjs's own optimizer variables, under tfjs's names,
 * whenever anyone asks for the optimizer's weights (checkpoints, model.save); weights set on the
 * optimizer (a restored checkpoint) are read back before the next step. SGD, momentum (Nesterov
 * too), RMSProp (centered too) and Adam; any other optimizer, or a subclass, keeps tfjs's step.
 */
import * as tf from '@tensorflow/tfjs';
import { inPlace } from './compiled-step/wasm-heap.ts';

const f = Math.fround;

/** One state array per variable for each named slot of tfjs's optimizer (its field, and the suffix of the saved name). */
interface Slot {
  field: string;
  suffix: string;
}

interface Kind {
  slots: (o: OptimizerFields) => Slot[];
  /** Updates `w` (and the slot arrays, in `slots` order) in place with gradient `g`. */
  update(o: OptimizerFields, w: Float32Array, g: Float32Array, state: Float32Array[], step: StepScalars): void;
}

/** The optimizer fields the kinds read (tfjs keeps them public at runtime, typed as protected). */
interface OptimizerFields {
  learningRate: number;
  c?: tf.Scalar;
  m?: tf.Scalar;
  useNesterov?: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  decay: number;
  momentum: number;
  centered: boolean;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  [field: string]: unknown;
}

/** Per-step values shared by every variable (read once a step). */
interface StepScalars {
  c: number;
  m: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

const sgd: Kind = {
  slots: () => [],
  update(_o, w, g, _s, { c }) {
    for (let i = 0; i < w.length; i++) w[i] = f(f(c * g[i]) + w[i]);
  },
};

const momentum: Kind = {
  slots: () => [{ field: 'accumulations', suffix: 'momentum' }],
  update(o, w, g, [acc], { c, m }) {
    for (let i = 0; i < w.length; i++) {
      const a = f(f(m * acc[i]) + g[i]);
      acc[i] = a;
      w[i] = o.useNesterov ? f(f(c * f(g[i] + f(a * m))) + w[i]) : f(f(c * a) + w[i]);
    }
  },
};

const rmsprop: Kind = {
  slots: (o) => [
    { field: 'accumulatedMeanSquares', suffix: 'rms' },
    { field: 'accumulatedMoments', suffix: 'momentum' },
    ...(o.centered ? [{ field: 'accumulatedMeanGrads', suffix: 'mg' }] : []),
  ],
  update(o, w, g, [ms, mom, mg]) {
    const decay = f(o.decay);
    const oneMinusDecay = f(1 - o.decay);
    const lr = f(o.learningRate);
    const eps = f(o.epsilon);
    const mo = f(o.momentum);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const s = f(f(ms[i] * decay) + f(f(gi * gi) * oneMinusDecay));
      ms[i] = s;
      let contribution: number;
      if (o.centered) {
        const meanGrad = f(f(mg[i] * decay) + f(gi * oneMinusDecay));
        mg[i] = meanGrad;
        contribution = f(f(gi * lr) / f(Math.sqrt(f(s - f(f(meanGrad * meanGrad) + eps)))));
      } else {
        contribution = f(f(gi * lr) / f(Math.sqrt(f(s + eps))));
      }
      const moment = f(f(mom[i] * mo) + contribution);
      mom[i] = moment;
      w[i] = f(w[i] - moment);
    }
  },
};

const adam: Kind = {
  slots: () => [
    { field: 'accumulatedFirstMoment', suffix: 'm' },
    { field: 'accumulatedSecondMoment', suffix: 'v' },
  ],
  update(o, w, g, [m, v], { oneMinusAccBeta1, oneMinusAccBeta2 }) {
    const b1 = f(o.beta1);
    const oneMinusB1 = f(1 - o.beta1);
    const b2 = f(o.beta2);
    const oneMinusB2 = f(1 - o.beta2);
    const eps = f(o.epsilon);
    const negLr = f(-o.learningRate);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const m1 = f(f(m[i] * b1) + f(gi * oneMinusB1));
      const v1 = f(f(v[i] * b2) + f(f(gi * gi) * oneMinusB2));
      m[i] = m1;
      v[i] = v1;
      const mHat = f(m1 / oneMinusAccBeta1);
      const vHat = f(v1 / oneMinusAccBeta2);
      w[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * negLr) + w[i]);
    }
  },
};

/** Exact classes only: a subclass may change the step, so it keeps its own. */
const KINDS = new Map<object, { name: string; kind: Kind }>([
  [tf.SGDOptimizer.prototype, { name: 'SGD', kind: sgd }],
  [tf.MomentumOptimizer.prototype, { name: 'momentum', kind: momentum }],
  [tf.RMSPropOptimizer.prototype, { name: 'RMSProp', kind: rmsprop }],
  [tf.AdamOptimizer.prototype, { name: 'Adam', kind: adam }],
]);

/** Backends whose tensors live in host memory: the step runs where the data already is. */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/** `backend`: tfjs's kernels are the right place for the step there (not a shortfall); `optimizer`: no fused step for it. */
export type FusedSupport = { fused: true; name: string } | { fused: false; why: 'backend' | 'optimizer'; reason: string };

/** Whether `optimizer` gets the fused step on the current backend, and if not why. */
export function fusedSupport(optimizer: tf.Optimizer): FusedSupport {
  if (!HOST_BACKENDS.has(tf.getBackend())) return { fused: false, why: 'backend', reason: `the ${tf.getBackend()} backend's tensors live outside JavaScript, where its own kernels run the step` };
  const known = KINDS.get(Object.getPrototypeOf(optimizer) as object);
  const name = (optimizer.constructor as { className?: string }).className ?? optimizer.constructor.name;
  if (!known) return { fused: false, why: 'optimizer', reason: `no fused step for the ${name} optimizer (SGD, momentum, RMSProp and Adam have one)` };
  if (Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients')) return { fused: false, why: 'optimizer', reason: `this ${name} optimizer's applyGradients was replaced` };
  return { fused: true, name: known.name };
}

/**
 * The fused step for `optimizer` (call fusedSupport first). `apply` takes the gradients by
 * variable name (as tfjs's applyGradients does) as float32 arrays, and updates the variables and
 * the optimizer's state as tfjs's step would, iterations included.
 */
export class FusedOptimizer {
  private readonly kind: Kind;
  private readonly o: OptimizerFields;
  /** Per slot, per variable position (tfjs indexes its state by the gradient's position). */
  private state: Float32Array[][] = [];
  private names: string[] = [];
  private accBeta1 = 0;
  private accBeta2 = 0;
  /** tfjs's variables hold the state (at the start, or after setWeights): read them before the next step. */
  private stale = true;
  /** The host arrays are ahead of tfjs's variables: write them before anyone reads the optimizer's weights. */
  private dirty = false;

  constructor(private readonly optimizer: tf.Optimizer) {
    const known = KINDS.get(Object.getPrototypeOf(optimizer) as object);
    if (!known) throw new Error('FusedOptimizer: unsupported optimizer (check fusedSupport first)');
    this.kind = known.kind;
    this.o = optimizer as unknown as OptimizerFields;
    const getWeights = optimizer.getWeights.bind(optimizer);
    const setWeights = optimizer.setWeights.bind(optimizer);
    optimizer.getWeights = async () => {
      this.flush();
      return getWeights();
    };
    optimizer.setWeights = async (weights) => {
      await setWeights(weights);
      this.stale = true;
    };
  }

  apply(names: string[], grads: Float32Array[]): void {
    if (this.stale || names.length !== this.names.length || names.some((n, i) => n !== this.names[i])) this.load(names);
    const slots = this.kind.slots(this.o);
    const step = this.stepScalars();
    const registered = tf.engine().registeredVariables;
    const copyOnRead = tf.getBackend() === 'wasm';
    names.forEach((name, i) => {
      const variable = registered[name];
      const state = slots.map((_, s) => this.state[s][i]);
      // On wasm the variable's own memory is updated: no copy out, no new tensor.
      const own = inPlace(variable);
      if (own) {
        this.kind.update(this.o, own.values, grads[i], state, step);
        own.commit();
        return;
      }
      // wasm's dataSync is a copy; cpu's is the variable's own storage, which other tensors may share.
      const read = variable.dataSync() as Float32Array;
      const next = copyOnRead ? read : Float32Array.from(read);
      this.kind.update(this.o, next, grads[i], state, step);
      const t = tf.tensor(next, variable.shape, 'float32');
      variable.assign(t);
      t.dispose();
    });
    this.endStep();
  }

  /**
   * A sharded step (data-parallel replicas, each updating its share of the weights): updates the
   * flat positions [from, to) of `weights` (host copies of the variables, in `names` order, laid
   * end to end) with `grads`, and the optimizer state there; other positions are left alone. The
   * iterations advance once, as for a whole step. The same arithmetic as apply.
   */
  updateShare(names: string[], weights: Float32Array[], grads: Float32Array[], from: number, to: number): void {
    if (this.stale || names.length !== this.names.length || names.some((n, i) => n !== this.names[i])) this.load(names);
    const slots = this.kind.slots(this.o);
    const step = this.stepScalars();
    let base = 0;
    weights.forEach((w, i) => {
      const lo = Math.max(from - base, 0);
      const hi = Math.min(to - base, w.length);
      base += w.length;
      if (lo >= hi) return;
      this.kind.update(this.o, w.subarray(lo, hi), grads[i].subarray(lo, hi), slots.map((_, s) => this.state[s][i].subarray(lo, hi)), step);
    });
    this.endStep();
  }

  /** The host state arrays, per slot and variable (a sharded step gathers every replica's share of them). */
  stateArrays(): Float32Array[][] {
    return this.state;
  }

  /** Writes host copies of the variables' values into them (in place on wasm). */
  static writeVariables(names: string[], weights: Float32Array[]): void {
    const registered = tf.engine().registeredVariables;
    names.forEach((name, i) => {
      const variable = registered[name];
      const own = inPlace(variable);
      if (own) {
        own.values.set(weights[i]);
        own.commit();
        return;
      }
      const t = tf.tensor(weights[i], variable.shape, 'float32');
      variable.assign(t);
      t.dispose();
    });
  }

  /** The variables' current values as host arrays (copies), into `out` where its arrays fit. */
  static readVariables(names: string[], out: Float32Array[] = []): Float32Array[] {
    const registered = tf.engine().registeredVariables;
    return names.map((name, i) => {
      const variable = registered[name];
      const own = inPlace(variable);
      const target = out[i]?.length === variable.size ? out[i] : new Float32Array(variable.size);
      target.set(own ? own.values : (variable.dataSync() as Float32Array));
      return target;
    });
  }

  private stepScalars(): StepScalars {
    return {
      c: this.o.c ? this.o.c.dataSync()[0] : 0,
      m: this.o.m ? this.o.m.dataSync()[0] : 0,
      oneMinusAccBeta1: f(1 - this.accBeta1),
      oneMinusAccBeta2: f(1 - this.accBeta2),
    };
  }

  /** After a step's updates: Adam's powers of beta, tfjs's iteration count, state ahead of tfjs's variables. */
  private endStep(): void {
    if (this.kind === adam) {
      this.accBeta1 = f(this.accBeta1 * f(this.o.beta1));
      this.accBeta2 = f(this.accBeta2 * f(this.o.beta2));
    }
    (this.optimizer as unknown as { incrementIterations(): void }).incrementIterations();
    this.dirty = true;
  }

  /** The state from tfjs's variables (zeros where tfjs has none yet, as tfjs starts). */
  private load(names: string[]): void {
    const registered = tf.engine().registeredVariables;
    this.names = [...names];
    this.state = this.kind.slots(this.o).map(({ field }) => {
      const entries = (this.o[field] as { variable: tf.Variable }[] | undefined) ?? [];
      return names.map((name, i) => {
        const held = entries[i]?.variable;
        return held ? Float32Array.from(held.dataSync() as Float32Array) : new Float32Array(registered[name].size);
      });
    });
    if (this.kind === adam) {
      this.accBeta1 = this.o.accBeta1!.dataSync()[0];
      this.accBeta2 = this.o.accBeta2!.dataSync()[0];
    }
    this.stale = false;
  }

  /** Writes the host state into tfjs's own variables (created under tfjs's names where missing). */
  private flush(): void {
    if (!this.dirty) return;
    const registered = tf.engine().registeredVariables;
    this.kind.slots(this.o).forEach(({ field, suffix }, s) => {
      const entries = ((this.o[field] as { originalName: string; variable: tf.Variable }[] | undefined) ??= []);
      this.names.forEach((name, i) => {
        const t = tf.tensor(this.state[s][i], registered[name].shape, 'float32');
        if (entries[i]) entries[i].variable.assign(t);
        else entries[i] = { originalName: `${name}/${suffix}`, variable: tf.variable(t, false) };
        t.dispose(); // the variable holds its own reference to the values
      });
    });
    if (this.kind === adam) {
      tf.tidy(() => {
        this.o.accBeta1!.assign(tf.scalar(this.accBeta1));
        this.o.accBeta2!.assign(tf.scalar(this.accBeta2));
      });
    }
    this.dirty = false;
  }
}
