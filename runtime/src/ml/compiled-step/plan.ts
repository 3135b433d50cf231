/**
 * What the compiled train step (train-step.ts) understands of a model: a graph of Input, one-hot
 * (the runtime's OneHot layer), Concatenate (last axis), Flatten of a 2-D value and Dense layers,
 * one output, and a loss whose gradient it knows (binary cross-entropy on a sigmoid output, mean
 * squared error). Anything else (dropout, batch norm, embeddings, regularizers, constraints,
 * shared layers, several outputs, custom losses) gets `undefined` and a reason: tfjs's own
 * autograd trains those.
 *
 * The plan is a list of values in topological order. A one-hot value is never materialised: a
 * Dense layer over it reads one kernel row per example (forward) and adds into one row of the
 * kernel's gradient (backward), which is exactly the product with the one-hot matrix.
 */
import type * as tf from '@tensorflow/tfjs';

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'tanh']);

export type Loss = 'binaryCrossentropy' | 'meanSquaredError';
const LOSS_NAMES: Record<string, Loss> = {
  binaryCrossentropy: 'binaryCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  meanSquaredError: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
};

/** A LayerVariable as the step uses it: tfjs's variable and whether the optimizer trains it. */
export interface Weight {
  variable: tf.LayerVariable;
  trainable: boolean;
}

export type Value =
  | { kind: 'input'; input: number; width: number; dtype: 'float32' | 'int32' }
  | { kind: 'onehot'; src: number; depth: number }
  | { kind: 'concat'; parts: number[] }
  | { kind: 'dense'; src: number; units: number; activation: Activation; kernel: Weight; bias?: Weight; name: string };

/** A Dense layer's input, cut into the kernel rows each part multiplies. */
export interface Leaf {
  value: number;
  /** First kernel row of this part. */
  row: number;
  width: number;
  sparse: boolean;
}

/** Metrics the step computes itself (tfjs's formulas); others are tfjs's own functions on its predictions. */
export type Metric = 'binaryAccuracy' | 'binaryCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError' | 'tfjs';

export interface Plan {
  values: Value[];
  /** Per compiled metric (tfjs's metricsTensors order). */
  metrics: Metric[];
  widths: number[];
  /** The model's output value (a Dense). */
  output: number;
  loss: Loss;
  /** Per value: whether any trainable weight lies upstream (its gradient is needed). */
  needsGrad: boolean[];
  /** Per Dense value: its input's parts. */
  leaves: Map<number, Leaf[]>;
  /** The trainable weights in tfjs's collectedTrainableWeights order (the optimizer's order). */
  trainable: tf.LayerVariable[];
}

export type PlanResult = { plan: Plan } | { reason: string };

interface LayerLike {
  name: string;
  getClassName(): string;
  inboundNodes: unknown[];
  input: SymbolicLike | SymbolicLike[];
  output: SymbolicLike | SymbolicLike[];
  trainable: boolean;
  getConfig(): Record<string, unknown>;
}
interface SymbolicLike {
  id: number;
  shape: (number | null)[];
  dtype: string;
}
interface DenseLike extends LayerLike {
  units: number;
  activation: { getClassName(): string };
  useBias: boolean;
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  activityRegularizer?: unknown;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
}

function lossOf(model: tf.LayersModel): Loss | string {
  const raw = (model as unknown as { loss: unknown }).loss;
  const one = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
  if (typeof one !== 'string') return 'a loss given as a function (or one per output)';
  return LOSS_NAMES[one] ?? `loss "${one}"`;
}

/** The plan of `model` (a compiled LayersModel; for a Sequential, its inner model), or why not. */
export function planModel(model: tf.LayersModel): PlanResult {
  if (!model.optimizer) return { reason: 'the model is not compiled' };
  if (model.outputs.length !== 1) return { reason: `${model.outputs.length} outputs (one is supported)` };
  const loss = lossOf(model);
  if (loss !== 'binaryCrossentropy' && loss !== 'meanSquaredError') return { reason: `${loss} (binary cross-entropy and mean squared error are supported)` };
  if ((model as unknown as { losses?: unknown[] }).losses?.length) return { reason: 'the model adds losses of its own' };

  const values: Value[] = [];
  const widths: number[] = [];
  const bySymbol = new Map<number, number>();
  const add = (symbol: SymbolicLike, v: Value, width: number) => {
    bySymbol.set(symbol.id, values.length);
    values.push(v);
    widths.push(width);
  };
  model.inputs.forEach((input, i) => {
    const shape = input.shape;
    if (shape.length !== 2 || typeof shape[1] !== 'number') return;
    if (input.dtype !== 'float32' && input.dtype !== 'int32') return;
    add(input as unknown as SymbolicLike, { kind: 'input', input: i, width: shape[1], dtype: input.dtype }, shape[1]);
  });
  if (values.length !== model.inputs.length) return { reason: 'an input that is not a float32 or int32 matrix [batch, n]' };

  const trainableSet = new Set(model.trainableWeights.map((w) => (w as unknown as { id: number }).id));
  const weight = (variable: tf.LayerVariable): Weight => ({ variable, trainable: trainableSet.has((variable as unknown as { id: number }).id) });

  for (const layer of model.layers as unknown as LayerLike[]) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) return { reason: `layer ${layer.name} is applied ${layer.inboundNodes.length} times` };
    const ins = (Array.isArray(layer.input) ? layer.input : [layer.input]).map((s) => bySymbol.get(s.id));
    const out = layer.output as SymbolicLike;
    if (Array.isArray(out)) return { reason: `layer ${layer.name} has several outputs` };
    if (ins.some((i) => i === undefined)) return { reason: `layer ${layer.name} reads a value the step does not know` };
    const src = ins as number[];
    if (cls === 'TributaryOneHot') {
      const v = values[src[0]];
      if (v.kind !== 'input' || v.dtype !== 'int32' || v.width !== 1) return { reason: `one-hot layer ${layer.name} over something other than an int32 [batch, 1] input` };
      const depth = (layer as unknown as { depth: number }).depth;
      add(out, { kind: 'onehot', src: src[0], depth }, depth);
    } else if (cls === 'Concatenate') {
      const axis = (layer as unknown as { axis: number }).axis;
      if (axis !== -1 && axis !== 1) return { reason: `concatenate layer ${layer.name} on axis ${axis}` };
      // Nested concatenations are flattened: a part is an input, a one-hot or a Dense output.
      const parts = src.flatMap((s) => {
        const v = values[s];
        return v.kind === 'concat' ? v.parts : [s];
      });
      add(out, { kind: 'concat', parts }, parts.reduce((n, p) => n + widths[p], 0));
    } else if (cls === 'Flatten') {
      // Flatten of a [batch, n] value is the value itself.
      if (out.shape.length !== 2 || widths[src[0]] !== out.shape[1]) return { reason: `flatten layer ${layer.name} over a value of rank > 2` };
      bySymbol.set(out.id, src[0]);
    } else if (cls === 'Dense') {
      const d = layer as unknown as DenseLike;
      const activation = d.activation.getClassName();
      if (!ACTIVATIONS.has(activation)) return { reason: `dense layer ${layer.name} with activation ${activation}` };
      if (d.kernelRegularizer || d.biasRegularizer || d.activityRegularizer) return { reason: `dense layer ${layer.name} has a regularizer` };
      if (d.kernelConstraint || d.biasConstraint) return { reason: `dense layer ${layer.name} has a constraint` };
      const inShape = (layer.input as SymbolicLike).shape;
      if (inShape.length !== 2) return { reason: `dense layer ${layer.name} over a value of rank ${inShape.length}` };
      if (values[src[0]].kind === 'input' && (values[src[0]] as { dtype: string }).dtype !== 'float32') return { reason: `dense layer ${layer.name} reads an int32 input directly` };
      add(out, { kind: 'dense', src: src[0], units: d.units, activation: activation as Activation, kernel: weight(d.kernel), bias: d.useBias && d.bias ? weight(d.bias) : undefined, name: layer.name }, d.units);
    } else {
      return { reason: `layer ${layer.name} (${cls}) is not one the compiled step knows` };
    }
  }

  const output = bySymbol.get((model.outputs[0] as unknown as SymbolicLike).id);
  if (output === undefined || values[output].kind !== 'dense') return { reason: 'the output is not a Dense layer' };
  const outValue = values[output] as Extract<Value, { kind: 'dense' }>;
  if (loss === 'binaryCrossentropy' && outValue.activation !== 'sigmoid') return { reason: 'binary cross-entropy on an output without a sigmoid' };

  const leaves = new Map<number, Leaf[]>();
  const needsGrad = values.map(() => false);
  values.forEach((v, i) => {
    if (v.kind === 'concat') needsGrad[i] = v.parts.some((p) => needsGrad[p]);
    if (v.kind !== 'dense') return;
    needsGrad[i] = v.kernel.trainable || !!v.bias?.trainable || needsGrad[v.src];
    const parts = values[v.src].kind === 'concat' ? (values[v.src] as { parts: number[] }).parts : [v.src];
    let row = 0;
    leaves.set(
      i,
      parts.map((p) => {
        const leaf = { value: p, row, width: widths[p], sparse: values[p].kind === 'onehot' };
        row += widths[p];
        return leaf;
      }),
    );
    if (row !== (v.kernel.variable.shape[0] as number)) throw new Error(`compiled step: dense layer ${v.name} has ${v.kernel.variable.shape[0]} kernel rows for ${row} input columns`);
  });
  // The optimizer receives gradients in this order (tfjs's collectedTrainableWeights).
  const trainable = (model as unknown as { collectedTrainableWeights: tf.LayerVariable[] }).collectedTrainableWeights;
  const known = new Set<tf.LayerVariable>();
  for (const v of values) if (v.kind === 'dense') [v.kernel, v.bias].forEach((w) => w && known.add(w.variable));
  if (trainable.some((w) => !known.has(w))) return { reason: 'a trainable weight outside the layers the step knows' };
  return { plan: { values, widths, output, loss, metrics: metricsOf(model, loss, widths[output]), needsGrad, leaves, trainable } };
}

const METRIC_NAMES: Record<string, Metric> = {
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  meanSquaredError: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
  meanAbsoluteError: 'meanAbsoluteError',
  binaryAccuracy: 'binaryAccuracy',
  binaryCrossentropy: 'binaryCrossentropy',
};

/**
 * Which metric each of the model's compiled metrics is, as tfjs's compile decides it for one
 * output ('accuracy' is binary accuracy on one unit or with binary cross-entropy, 'crossentropy'
 * likewise); 'tfjs' where the step calls tfjs's function instead.
 */
function metricsOf(model: tf.LayersModel, loss: Loss, units: number): Metric[] {
  const count = (model as unknown as { metricsTensors: unknown[] }).metricsTensors.length;
  const raw = (model as unknown as { metrics?: unknown }).metrics;
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : undefined;
  if (!list || list.length !== count) return Array.from({ length: count }, () => 'tfjs');
  const binary = units === 1 || loss === 'binaryCrossentropy';
  return list.map((m): Metric => {
    if (typeof m !== 'string') return 'tfjs';
    if (m === 'accuracy' || m === 'acc') return binary ? 'binaryAccuracy' : 'tfjs';
    if (m === 'crossentropy' || m === 'ce') return binary ? 'binaryCrossentropy' : 'tfjs';
    return METRIC_NAMES[m] ?? 'tfjs';
  });
}
