/**
 * A compiled training step for the models plan.ts understands, on the wasm backend: the forward
 * and backward passes written out by layer, over buffers on the wasm heap, with XNNPACK doing the
 * matrix products. It replaces tfjs's per-step autograd (about 250 kernel dispatches, a gradient
 * tape, and a tensor per intermediate for the taxi model) with ~12 products and a few loops, and a
 * one-hot input with one kernel row read per example instead of a product with a one-hot matrix.
 * The loops (transposes, activations, bias sums, one-hot rows, small products, the loss gradient
 * and the known metrics) are the runtime's own wasm (step-kernels.ts), so a replica's new isolate
 * has nothing per row for TurboFan to compile first.
 *
 * Why it matters: that per-step work does not shrink with the batch, so data-parallel replicas,
 * each with a share of the batch, paid it in full; and the tape's garbage kept V8's helper
 * threads busy on the cores the replicas need.
 *
 * The loss value and the known metrics follow tfjs's formulas (other metrics are tfjs's own
 * functions, on the step's predictions); the gradients are the analytic ones of the same loss
 * (tested against tfjs's autograd), handed to the optimizer step the runtime installed (all-reduce
 * and fused update: data-parallel.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Leaf, Metric, Plan, Value } from './plan.ts';
import { ACTIVATION_KIND, METRIC_KIND } from './step-kernels.ts';
import { FUSED, type HeapBuffer, WasmHeap } from './wasm-heap.ts';

/** The optimizer step for gradients held as host arrays, in the plan's trainable order. */
export type RawGradientStep = (names: string[], grads: Float32Array[], shapes: number[][]) => void;

/** Products with fewer output columns than this run as the kernels' loops (XNNPACK pads columns to its tile). */
const XNN_MIN_COLUMNS = 8;

type DenseValue = Extract<Value, { kind: 'dense' }>;

interface DenseLeaf extends Leaf {
  /** Column of this part in the dense input matrix. */
  col: number;
}

interface DenseNode {
  index: number;
  v: DenseValue;
  dense: DenseLeaf[];
  sparse: Leaf[];
  /** Columns of the dense input matrix. */
  wd: number;
  /** The dense input matrix is one value as it is (no copy). */
  direct: boolean;
  y?: HeapBuffer;
  g?: HeapBuffer;
  xd?: HeapBuffer;
  kd?: HeapBuffer;
  xdT?: HeapBuffer;
  kdT?: HeapBuffer;
  dkd?: HeapBuffer;
  dxd?: HeapBuffer;
  /** The kernel's and bias's gradients on the heap (copied to the optimizer's host arrays after backward). */
  kernelGrad?: HeapBuffer;
  biasGrad?: HeapBuffer;
}

interface Location {
  id: number;
  at: number;
}

export class CompiledStep {
  private readonly heap = new WasmHeap();
  /** The loops, in wasm over the heap: pointers are byte offsets (`at * 4`). */
  private readonly k = this.heap.kernels;
  private readonly nodes: DenseNode[] = [];
  private readonly byValue = new Map<number, DenseNode>();
  private capacity = 0;
  private readonly names: string[];
  private readonly shapes: number[][];
  private readonly grads: Float32Array[];
  /** The gradients as backward leaves them, on the heap (one per trainable weight). */
  private readonly gradBuffers: HeapBuffer[];
  private readonly inputLocations: (Location | undefined)[];
  private readonly epsilon = Math.fround(tf.backend().epsilon());
  /** tfjs clips predictions to [ε, 1-ε] for binary cross-entropy. */
  private readonly clipHi = Math.fround(1 - this.epsilon);
  /** Per value: more than one layer reads it, so their gradients add up in its buffer (otherwise its one reader writes it). */
  private readonly accumulates: boolean[];

  constructor(
    private readonly plan: Plan,
    private readonly model: tf.LayersModel,
    private readonly applyGradients: RawGradientStep,
  ) {
    plan.values.forEach((v, index) => {
      if (v.kind !== 'dense') return;
      const leaves = plan.leaves.get(index)!;
      let col = 0;
      const dense = leaves.filter((l) => !l.sparse).map((l) => ({ ...l, col: (col += l.width) - l.width }));
      const node: DenseNode = { index, v, dense, sparse: leaves.filter((l) => l.sparse), wd: col, direct: dense.length === 1 && leaves.length === 1 };
      this.nodes.push(node);
      this.byValue.set(index, node);
    });
    const position = new Map(plan.trainable.map((w, i) => [w, i]));
    this.names = plan.trainable.map((w) => (w.read() as tf.Variable).name);
    this.shapes = plan.trainable.map((w) => w.shape as number[]);
    this.grads = plan.trainable.map((w) => new Float32Array(tf.util.sizeFromShape(w.shape as number[])));
    this.gradBuffers = this.grads.map((g) => this.heap.alloc(g.length));
    for (const node of this.nodes) {
      const k = position.get(node.v.kernel.variable);
      const b = node.v.bias && position.get(node.v.bias.variable);
      if (node.v.kernel.trainable && k !== undefined) node.kernelGrad = this.gradBuffers[k];
      if (node.v.bias?.trainable && b !== undefined) node.biasGrad = this.gradBuffers[b];
    }
    this.inputLocations = plan.values.map(() => undefined);
    const readers = plan.values.map(() => 0);
    for (const node of this.nodes) for (const leaf of node.dense) readers[leaf.value]++;
    this.accumulates = readers.map((n) => n > 1);
  }

  /** Layers and inputs in one line, for the training log. */
  describe(): string {
    const oneHot = this.plan.values.filter((v) => v.kind === 'onehot').length;
    return `${this.nodes.length} dense layer(s)${oneHot ? `, ${oneHot} one-hot input(s) as row lookups` : ''}, ${this.plan.loss}`;
  }

  /**
   * One training step on `data` (the model's inputs in order, then the target), as tfjs's train
   * function: returns [loss, ...metrics]. Undefined when the batch is not what the plan expects
   * (other dtypes or shapes, sample weights): the caller runs tfjs's own step then.
   */
  run(data: tf.Tensor[]): tf.Scalar[] | undefined {
    const inputs = this.model.inputs.length;
    if (data.length !== inputs + 1) return undefined;
    const rows = data[0].shape[0];
    for (let i = 0; i < inputs; i++) {
      const t = data[i];
      const v = this.plan.values[i] as Extract<Value, { kind: 'input' }>;
      if (t.dtype !== v.dtype || t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== v.width) return undefined;
    }
    const target = data[inputs];
    const units = this.plan.widths[this.plan.output];
    if (target.dtype !== 'float32' || target.size !== rows * units) return undefined;
    if (rows === 0) return undefined;

    this.ensureCapacity(rows);
    for (let i = 0; i < inputs; i++) this.inputLocations[i] = this.heap.locate(data[i]);
    const { values, predictions } = this.train(rows, units, this.heap.locate(target).at, this.plan.metrics.includes('tfjs'));
    return this.scalars(values, target, predictions, rows, units);
  }

  /**
   * One training step on a batch of host arrays (the dataset's, without tensors): the columns named
   * as the model's inputs, one value per row each, and the labels. Returns [loss, ...metrics] as
   * numbers, or undefined when the batch does not fit the plan or a metric needs tfjs.
   */
  runHost(features: Record<string, Float32Array | Int32Array>, label: Float32Array, rows: number): number[] | undefined {
    const names = this.model.inputNames;
    if (rows === 0 || this.plan.metrics.includes('tfjs') || this.plan.widths[this.plan.output] !== 1 || label.length < rows) return undefined;
    for (let i = 0; i < names.length; i++) {
      const v = this.plan.values[i] as Extract<Value, { kind: 'input' }>;
      const col = features[names[i]];
      if (!col || v.width !== 1 || col.length < rows || (v.dtype === 'int32') !== col instanceof Int32Array) return undefined;
    }
    this.ensureCapacity(rows);
    this.ensureHostInputs(rows);
    for (let i = 0; i < names.length; i++) {
      const col = features[names[i]];
      const buf = this.hostInputs[i];
      if (col instanceof Int32Array) this.heap.i32().set(col.subarray(0, rows), buf.at);
      else this.heap.f32().set(col.subarray(0, rows), buf.at);
      this.inputLocations[i] = { id: buf.id, at: buf.at };
    }
    this.heap.f32().set(label.subarray(0, rows), this.hostTarget!.at);
    return this.train(rows, 1, this.hostTarget!.at, false).values;
  }

  /** Why host batches with these columns cannot go through runHost (undefined: they can). */
  hostRefusal(features: { name: string; dtype: 'float32' | 'int32' }[]): string | undefined {
    if (this.plan.metrics.includes('tfjs')) return 'a metric the compiled step leaves to tfjs';
    if (this.plan.widths[this.plan.output] !== 1) return 'an output of more than one unit';
    const byName = new Map(features.map((f) => [f.name, f.dtype]));
    for (let i = 0; i < this.model.inputNames.length; i++) {
      const v = this.plan.values[i] as Extract<Value, { kind: 'input' }>;
      const name = this.model.inputNames[i];
      if (byName.get(name) !== v.dtype || v.width !== 1) return `input ${name} is not a ${v.dtype} column of the dataset`;
    }
    return undefined;
  }

  /** Heap buffers for host batches: one per input, and the targets. */
  private hostInputs: HeapBuffer[] = [];
  private hostTarget?: HeapBuffer;
  private hostCapacity = 0;

  private ensureHostInputs(rows: number): void {
    if (rows <= this.hostCapacity) return;
    for (const b of this.hostInputs) this.heap.free(b);
    if (this.hostTarget) this.heap.free(this.hostTarget);
    this.hostInputs = this.model.inputNames.map(() => this.heap.alloc(rows));
    this.hostTarget = this.heap.alloc(rows);
    this.hostCapacity = rows;
  }

  /** Forward, loss and metrics, backward, optimizer step; inputs are at inputLocations. */
  private train(rows: number, units: number, targetAt: number, keepPredictions: boolean): { values: number[]; predictions?: Float32Array } {
    for (const node of this.nodes) this.forward(node, rows);
    const out = this.byValue.get(this.plan.output)!;
    const values = this.measure(out.y!.at, targetAt, rows, units);
    // Metrics left to tfjs read the predictions after the heap may have moved: copy them out now.
    const predictions = keepPredictions ? this.heap.f32().slice(out.y!.at, out.y!.at + rows * units) : undefined;
    this.lossGradient(out, rows, units, targetAt);
    for (let n = this.nodes.length - 1; n >= 0; n--) this.backward(this.nodes[n], rows);
    // Host copies for the optimizer step: it may allocate on the heap (new tensor ids), and a
    // growing heap detaches every view of it.
    const h = this.heap.f32();
    this.gradBuffers.forEach((b, i) => this.grads[i].set(h.subarray(b.at, b.at + b.size)));
    this.applyGradients(this.names, this.grads, this.shapes);
    return { values, predictions };
  }

  dispose(): void {
    this.heap.dispose();
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    for (const node of this.nodes) for (const key of ['y', 'g', 'xd', 'xdT', 'dxd'] as const) if (node[key]) this.heap.free(node[key]!);
    const cap = rows;
    for (const node of this.nodes) {
      const units = node.v.units;
      node.y = this.heap.alloc(cap * units);
      if (this.plan.needsGrad[node.index]) {
        // Consumers add into it during backward; each node zeroes it again after its own backward.
        node.g = this.heap.alloc(cap * units);
        this.k.fill(node.g.offset, cap * units, 0);
      }
      if (node.wd > 0 && !node.direct) node.xd = this.heap.alloc(cap * node.wd);
      if (node.wd > 0 && node.sparse.length && !node.kd) node.kd = this.heap.alloc(node.wd * units);
      if (node.kernelGrad && node.wd > 0) {
        node.dkd ??= this.heap.alloc(node.wd * units);
        if (units >= XNN_MIN_COLUMNS) node.xdT = this.heap.alloc(node.wd * cap);
      }
      if (this.inputGradNeeded(node)) {
        if (!this.writesSourceGradient(node)) node.dxd = this.heap.alloc(cap * node.wd);
        if (node.wd >= XNN_MIN_COLUMNS) node.kdT ??= this.heap.alloc(units * node.wd);
      }
    }
    this.capacity = cap;
  }

  private inputGradNeeded(node: DenseNode): boolean {
    return node.dense.some((l) => this.plan.needsGrad[l.value]);
  }

  /** The input gradient goes straight into the source's gradient buffer (one source, read by this layer only). */
  private writesSourceGradient(node: DenseNode): boolean {
    return node.direct && !this.accumulates[node.dense[0].value];
  }

  /** A value's matrix: an input tensor as the dataset made it, or a Dense layer's output buffer. */
  private locationOf(value: number): Location {
    const v = this.plan.values[value];
    if (v.kind === 'input') return this.inputLocations[v.input]!;
    const y = this.byValue.get(value)!.y!;
    return { id: y.id, at: y.at };
  }

  /** The dense input matrix of a node (copied side by side unless it is one value). */
  private denseInput(node: DenseNode, rows: number): Location {
    if (node.direct) return this.locationOf(node.dense[0].value);
    for (const leaf of node.dense) this.k.copyColumns(this.locationOf(leaf.value).at * 4, leaf.width, node.xd!.offset, node.wd, leaf.col, rows);
    return { id: node.xd!.id, at: node.xd!.at };
  }

  /** The kernel rows the dense input multiplies: the kernel itself, or its dense rows gathered. */
  private denseKernel(node: DenseNode, kernel: Location): Location {
    if (!node.sparse.length) return kernel;
    for (const leaf of node.dense) this.k.copyRows(kernel.at * 4, leaf.row, leaf.width, node.v.units, node.kd!.offset, leaf.col);
    this.heap.renew(node.kd!);
    return { id: node.kd!.id, at: node.kd!.at };
  }

  private forward(node: DenseNode, rows: number): void {
    const { v } = node;
    const units = v.units;
    const y = node.y!;
    const kernel = this.heap.locate(v.kernel.variable.read());
    const bias = v.bias ? this.heap.locate(v.bias.variable.read()) : undefined;
    // XNNPACK applies relu and sigmoid itself when nothing is added after the product.
    const fusable = !node.sparse.length && (v.activation === 'relu' || v.activation === 'sigmoid' || v.activation === 'linear');
    let activated = false;
    if (node.wd > 0) {
      const x = this.denseInput(node, rows);
      const k = this.denseKernel(node, kernel);
      if (units >= XNN_MIN_COLUMNS) {
        this.heap.matmul(x.id, rows, node.wd, k.id, units, y.id, bias?.id ?? 0, fusable ? FUSED[v.activation as keyof typeof FUSED] : FUSED.linear);
        activated = fusable;
      } else {
        this.k.smallMatmul(x.at * 4, rows, node.wd, k.at * 4, units, y.offset, bias ? bias.at * 4 : 0, !!bias);
      }
    } else {
      this.k.fill(y.offset, rows * units, 0);
      if (bias) this.k.addBias(y.offset, rows, units, bias.at * 4);
    }
    for (const leaf of node.sparse) {
      const onehot = this.plan.values[leaf.value] as Extract<Value, { kind: 'onehot' }>;
      this.k.addOneHotRows(this.locationOf(onehot.src).at * 4, rows, onehot.depth, kernel.at * 4, leaf.row, units, y.offset);
    }
    if (activated) return;
    const n = rows * units;
    if (v.activation === 'relu') this.k.relu(y.offset, n);
    else if (v.activation === 'sigmoid') this.k.sigmoid(y.offset, n);
    else if (v.activation === 'tanh') this.k.tanh(y.offset, n);
  }

  /** d loss / d (the output layer's pre-activation), into its gradient buffer. */
  private lossGradient(out: DenseNode, rows: number, units: number, targetAt: number): void {
    const n = rows * units;
    // tfjs averages over the units, then over the batch. For binary cross-entropy it clips the
    // sigmoid's output to [ε, 1-ε], where outside the gradient is 0; inside, the cross-entropy's
    // gradient through the sigmoid is p - y.
    this.k.lossGradient(this.plan.loss === 'binaryCrossentropy', out.y!.offset, targetAt * 4, out.g!.offset, n, this.epsilon, this.clipHi, 1 / n);
  }

  /** The pre-activation's gradient from the output's, in place, and the bias gradient in the same pass. */
  private activationBackward(node: DenseNode, rows: number): void {
    const units = node.v.units;
    const { y, g } = node;
    const bias = node.biasGrad;
    const activation = node.v.activation;
    if (activation === 'relu' || activation === 'sigmoid' || activation === 'tanh') {
      this.k.activationBackward(ACTIVATION_KIND[activation], y!.offset, g!.offset, rows, units, bias ? bias.offset : 0, !!bias);
    } else if (bias) {
      this.k.columnSums(g!.offset, rows, units, bias.offset);
    }
  }

  private backward(node: DenseNode, rows: number): void {
    if (!this.plan.needsGrad[node.index]) return;
    const units = node.v.units;
    const g = node.g!;
    // Binary cross-entropy's gradient already went through the output's sigmoid (lossGradient).
    if (node.index === this.plan.output && this.plan.loss === 'binaryCrossentropy') {
      if (node.biasGrad) this.k.columnSums(g.offset, rows, units, node.biasGrad.offset);
    } else {
      this.activationBackward(node, rows);
    }
    if (node.kernelGrad) this.kernelGradient(node, rows);
    if (this.inputGradNeeded(node)) this.inputGradient(node, rows, this.heap.locate(node.v.kernel.variable.read()));
    // Several readers add into it next step: start from zero.
    if (this.accumulates[node.index]) this.k.fill(g.offset, rows * units, 0);
  }

  private kernelGradient(node: DenseNode, rows: number): void {
    const units = node.v.units;
    const grad = node.kernelGrad!;
    const g = node.g!;
    if (node.sparse.length) this.k.fill(grad.offset, grad.size, 0);
    if (node.wd > 0) {
      const x = this.denseInputLocation(node);
      const dkd = node.dkd!;
      if (units >= XNN_MIN_COLUMNS) {
        this.k.transpose(x.at * 4, rows, node.wd, node.xdT!.offset);
        this.heap.renew(g);
        this.heap.matmul(node.xdT!.id, node.wd, rows, g.id, units, dkd.id);
      } else {
        this.k.smallWeightGrad(x.at * 4, rows, node.wd, g.offset, units, dkd.offset);
      }
      // The dense rows' block into their places in the kernel's gradient.
      for (const leaf of node.dense) this.k.copyRows(dkd.offset, leaf.col, leaf.width, units, grad.offset, leaf.row);
    }
    for (const leaf of node.sparse) {
      const onehot = this.plan.values[leaf.value] as Extract<Value, { kind: 'onehot' }>;
      this.k.scatterOneHotGrad(this.locationOf(onehot.src).at * 4, rows, onehot.depth, g.offset, units, grad.offset, leaf.row);
    }
  }

  /** The dense input matrix as the forward pass left it. */
  private denseInputLocation(node: DenseNode): Location {
    if (node.direct) return this.locationOf(node.dense[0].value);
    return { id: node.xd!.id, at: node.xd!.at };
  }

  private inputGradient(node: DenseNode, rows: number, kernel: Location): void {
    const units = node.v.units;
    const g = node.g!;
    // Into the source's gradient buffer when it is this layer's only input and read by nobody else.
    const out = this.writesSourceGradient(node) ? this.byValue.get(node.dense[0].value)!.g! : node.dxd!;
    // The dense kernel rows: the kernel itself, or the block the forward pass gathered.
    const k = node.sparse.length ? { id: node.kd!.id, at: node.kd!.at } : kernel;
    if (node.wd >= XNN_MIN_COLUMNS) {
      this.k.transpose(k.at * 4, node.wd, units, node.kdT!.offset);
      this.heap.renew(node.kdT!);
      this.heap.matmul(g.id, rows, units, node.kdT!.id, node.wd, out.id);
    } else {
      this.k.smallInputGrad(g.offset, rows, units, k.at * 4, node.wd, out.offset);
    }
    if (out !== node.dxd) return;
    for (const leaf of node.dense) {
      if (!this.plan.needsGrad[leaf.value]) continue;
      const target = this.byValue.get(leaf.value)!.g!;
      if (this.accumulates[leaf.value]) this.k.addColumns(out.offset, node.wd, leaf.col, target.offset, leaf.width, rows);
      else this.k.takeColumns(out.offset, node.wd, leaf.col, target.offset, leaf.width, rows);
    }
  }

  /**
   * The loss and the metrics the step knows, from the predictions at `p` and targets at `t`: tfjs's
   * formulas (binary cross-entropy on predictions clipped to [ε, 1-ε], accuracy at 0.5), summed
   * in float64. NaN where tfjs's function will be called instead.
   */
  private measure(p: number, t: number, rows: number, units: number): number[] {
    const n = rows * units;
    const kinds: Metric[] = [this.plan.loss === 'binaryCrossentropy' ? 'binaryCrossentropy' : 'meanSquaredError', ...this.plan.metrics];
    return kinds.map((kind) => (kind === 'tfjs' ? NaN : this.k.metricMean(METRIC_KIND[kind], p * 4, t * 4, n, this.epsilon, this.clipHi)));
  }

  /** The train function's scalars: [loss, ...metrics], tfjs's functions where the step has no formula. */
  private scalars(values: number[], target: tf.Tensor, predictions: Float32Array | undefined, rows: number, units: number): tf.Scalar[] {
    if (!predictions) return values.map((v) => tf.scalar(v));
    const fns = (this.model as unknown as { metricsTensors: [(y: tf.Tensor, p: tf.Tensor) => tf.Tensor, number][] }).metricsTensors;
    return tf.tidy(() => {
      const p = tf.tensor2d(predictions, [rows, units]);
      const y = target.reshape([rows, units]);
      return values.map((v, i) => (Number.isNaN(v) && i > 0 ? (tf.mean(fns[i - 1][0](y, p)) as tf.Scalar) : tf.scalar(v)));
    });
  }
}
