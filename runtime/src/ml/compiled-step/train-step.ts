/**
 * A compiled training step for the models plan.ts understands, on the wasm backend: the forward
 * and backward passes written out by layer, over buffers on the wasm heap, with XNNPACK doing the
 * matrix products. It replaces tfjs's per-step autograd (about 250 kernel dispatches, a gradient
 * tape, and a tensor per intermediate for the taxi model) with ~12 products and plain loops, and a
 * one-hot input with one kernel row read per example instead of a product with a one-hot matrix.
 *
 * Why it matters: that per-step work does not shrink with the batch, so data-parallel replicas,
 * each with a share of the batch, paid it in full; and the tape's garbage kept V8's helper
 * threads busy on the cores the replicas need.
 *
 * The loss value and metrics are still tfjs's own functions, on the step's predictions; the
 * gradients are the analytic ones of the same loss (tested against tfjs's autograd), handed to the
 * optimizer step the runtime installed (all-reduce and fused update: data-parallel.ts).
 */
import * as tf from '@tensorflow/tfjs';
import * as loops from './loops.ts';
import type { Leaf, Plan, Value } from './plan.ts';
import { FUSED, type HeapBuffer, WasmHeap } from './wasm-heap.ts';

/** The optimizer step for gradients held as host arrays, in the plan's trainable order. */
export type RawGradientStep = (names: string[], grads: Float32Array[], shapes: number[][]) => void;

/** Products with fewer output columns than this run as plain loops (XNNPACK pads columns to its tile). */
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
  kernelGrad?: Float32Array;
  biasGrad?: Float32Array;
}

interface Location {
  id: number;
  at: number;
}

export class CompiledStep {
  private readonly heap = new WasmHeap();
  private readonly nodes: DenseNode[] = [];
  private readonly byValue = new Map<number, DenseNode>();
  private capacity = 0;
  private readonly names: string[];
  private readonly shapes: number[][];
  private readonly grads: Float32Array[];
  private readonly inputLocations: (Location | undefined)[];
  private readonly epsilon = Math.fround(tf.backend().epsilon());

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
    for (const node of this.nodes) {
      const k = position.get(node.v.kernel.variable);
      const b = node.v.bias && position.get(node.v.bias.variable);
      if (node.v.kernel.trainable && k !== undefined) node.kernelGrad = this.grads[k];
      if (node.v.bias?.trainable && b !== undefined) node.biasGrad = this.grads[b];
    }
    this.inputLocations = plan.values.map(() => undefined);
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
    for (const node of this.nodes) this.forward(node, rows);
    const out = this.byValue.get(this.plan.output)!;
    // The predictions leave the heap before anything else allocates there.
    const predictions = this.heap.f32().slice(out.y!.at, out.y!.at + rows * units);
    this.lossGradient(out, rows, units, this.heap.locate(target).at);
    for (let n = this.nodes.length - 1; n >= 0; n--) this.backward(this.nodes[n], rows);
    this.applyGradients(this.names, this.grads, this.shapes);
    return this.lossAndMetrics(target, predictions, rows, units);
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
        loops.fill(this.heap.f32(), node.g.at, cap * units, 0);
      }
      if (node.wd > 0 && !node.direct) node.xd = this.heap.alloc(cap * node.wd);
      if (node.wd > 0 && node.sparse.length && !node.kd) node.kd = this.heap.alloc(node.wd * units);
      if (node.kernelGrad && node.wd > 0) {
        node.dkd ??= this.heap.alloc(node.wd * units);
        if (units >= XNN_MIN_COLUMNS) node.xdT = this.heap.alloc(node.wd * cap);
      }
      if (this.inputGradNeeded(node)) {
        node.dxd = this.heap.alloc(cap * node.wd);
        if (node.wd >= XNN_MIN_COLUMNS) node.kdT ??= this.heap.alloc(units * node.wd);
      }
    }
    this.capacity = cap;
  }

  private inputGradNeeded(node: DenseNode): boolean {
    return node.dense.some((l) => this.plan.needsGrad[l.value]);
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
    const h = this.heap.f32();
    for (const leaf of node.dense) loops.copyColumns(h, this.locationOf(leaf.value).at, leaf.width, node.xd!.at, node.wd, leaf.col, rows);
    return { id: node.xd!.id, at: node.xd!.at };
  }

  /** The kernel rows the dense input multiplies: the kernel itself, or its dense rows gathered. */
  private denseKernel(node: DenseNode, kernel: Location): Location {
    if (!node.sparse.length) return kernel;
    const h = this.heap.f32();
    for (const leaf of node.dense) loops.copyRows(h, kernel.at, leaf.row, leaf.width, node.v.units, node.kd!.at, leaf.col);
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
        loops.smallMatmul(this.heap.f32(), x.at, rows, node.wd, k.at, units, y.at, bias ? bias.at : -1);
      }
    } else {
      const h = this.heap.f32();
      loops.fill(h, y.at, rows * units, 0);
      if (bias) loops.addBias(h, y.at, rows, units, bias.at);
    }
    const h = this.heap.f32();
    const ids = this.heap.i32();
    for (const leaf of node.sparse) {
      const onehot = this.plan.values[leaf.value] as Extract<Value, { kind: 'onehot' }>;
      loops.addOneHotRows(h, ids, this.locationOf(onehot.src).at, rows, onehot.depth, kernel.at, leaf.row, units, y.at);
    }
    if (activated) return;
    const n = rows * units;
    if (v.activation === 'relu') loops.relu(h, y.at, n);
    else if (v.activation === 'sigmoid') loops.sigmoid(h, y.at, n);
    else if (v.activation === 'tanh') loops.tanh(h, y.at, n);
  }

  /** d loss / d (the output layer's pre-activation), into its gradient buffer. */
  private lossGradient(out: DenseNode, rows: number, units: number, targetAt: number): void {
    const h = this.heap.f32();
    const p = out.y!.at;
    const g = out.g!.at;
    const n = rows * units;
    // tfjs averages over the units, then over the batch.
    const scale = 1 / n;
    if (this.plan.loss === 'binaryCrossentropy') {
      // tfjs clips the sigmoid's output to [ε, 1-ε]; outside it the gradient is 0. Inside, the
      // cross-entropy's gradient through the sigmoid is p - y.
      const lo = this.epsilon;
      const hi = Math.fround(1 - this.epsilon);
      for (let i = 0; i < n; i++) {
        const pi = h[p + i];
        h[g + i] = pi >= lo && pi <= hi ? (pi - h[targetAt + i]) * scale : 0;
      }
      return;
    }
    for (let i = 0; i < n; i++) h[g + i] = 2 * (h[p + i] - h[targetAt + i]) * scale;
    this.activationBackward(out, rows);
  }

  private activationBackward(node: DenseNode, rows: number): void {
    const h = this.heap.f32();
    const n = rows * node.v.units;
    const { y, g } = node;
    if (node.v.activation === 'relu') loops.reluBackward(h, y!.at, g!.at, n);
    else if (node.v.activation === 'sigmoid') loops.sigmoidBackward(h, y!.at, g!.at, n);
    else if (node.v.activation === 'tanh') loops.tanhBackward(h, y!.at, g!.at, n);
  }

  private backward(node: DenseNode, rows: number): void {
    if (!this.plan.needsGrad[node.index]) return;
    // The output's activation was handled with the loss; others turn their output's gradient into the pre-activation's.
    if (node.index !== this.plan.output) this.activationBackward(node, rows);
    const units = node.v.units;
    const g = node.g!;
    if (node.biasGrad) loops.columnSums(this.heap.f32(), g.at, rows, units, node.biasGrad);
    if (node.kernelGrad) this.kernelGradient(node, rows);
    if (node.dxd) this.inputGradient(node, rows, this.heap.locate(node.v.kernel.variable.read()));
    // Ready for the next step's consumers to add into.
    loops.fill(this.heap.f32(), g.at, rows * units, 0);
  }

  private kernelGradient(node: DenseNode, rows: number): void {
    const units = node.v.units;
    const grad = node.kernelGrad!;
    const g = node.g!;
    if (node.sparse.length) grad.fill(0);
    if (node.wd > 0) {
      const x = this.denseInputLocation(node);
      const dkd = node.dkd!;
      if (units >= XNN_MIN_COLUMNS) {
        loops.transpose(this.heap.f32(), x.at, rows, node.wd, node.xdT!.at);
        this.heap.renew(g);
        this.heap.matmul(node.xdT!.id, node.wd, rows, g.id, units, dkd.id);
      } else {
        loops.smallWeightGrad(this.heap.f32(), x.at, rows, node.wd, g.at, units, dkd.at);
      }
      const h = this.heap.f32();
      for (const leaf of node.dense) {
        const from = dkd.at + leaf.col * units;
        grad.set(h.subarray(from, from + leaf.width * units), leaf.row * units);
      }
    }
    const h = this.heap.f32();
    const ids = this.heap.i32();
    for (const leaf of node.sparse) {
      const onehot = this.plan.values[leaf.value] as Extract<Value, { kind: 'onehot' }>;
      loops.scatterOneHotGrad(h, ids, this.locationOf(onehot.src).at, rows, onehot.depth, g.at, units, grad, leaf.row);
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
    const dxd = node.dxd!;
    // The dense kernel rows: the kernel itself, or the block the forward pass gathered.
    const k = node.sparse.length ? { id: node.kd!.id, at: node.kd!.at } : kernel;
    if (node.wd >= XNN_MIN_COLUMNS) {
      loops.transpose(this.heap.f32(), k.at, node.wd, units, node.kdT!.at);
      this.heap.renew(node.kdT!);
      this.heap.matmul(g.id, rows, units, node.kdT!.id, node.wd, dxd.id);
    } else {
      loops.smallInputGrad(this.heap.f32(), g.at, rows, units, k.at, node.wd, dxd.at);
    }
    const h = this.heap.f32();
    for (const leaf of node.dense) {
      if (!this.plan.needsGrad[leaf.value]) continue;
      const target = this.byValue.get(leaf.value)!.g!;
      loops.addColumns(h, dxd.at, node.wd, leaf.col, target.at, leaf.width, rows);
    }
  }

  /** tfjs's own loss and metric functions on the step's predictions (the values fit logs). */
  private lossAndMetrics(target: tf.Tensor, predictions: Float32Array, rows: number, units: number): tf.Scalar[] {
    const m = this.model as unknown as { lossFunctions: ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor)[]; metricsTensors: [(y: tf.Tensor, p: tf.Tensor) => tf.Tensor, number][] };
    return tf.tidy(() => {
      const p = tf.tensor2d(predictions, [rows, units]);
      const y = target.reshape([rows, units]);
      const loss = tf.mean(m.lossFunctions[0](y, p)) as tf.Scalar;
      return [loss, ...m.metricsTensors.map(([fn]) => tf.mean(fn(y, p)) as tf.Scalar)];
    });
  }
}
