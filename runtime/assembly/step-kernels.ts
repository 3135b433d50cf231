/**
 * The compiled train step's loops (runtime/src/ml/compiled-step/), in AssemblyScript, compiled to a
 * small wasm module that imports tfjs's wasm heap as its memory: pointers are byte offsets into it.
 *
 * Why wasm and not JS: each data-parallel replica is its own V8 isolate, and JS loops there run
 * unoptimised until TurboFan has compiled them on V8's helper threads, once per isolate. On a
 * machine with a core per replica those compiles take cores the replicas need, for the first
 * epochs of every training. This module is compiled once per process and its code is ready at the
 * first step (Liftoff, then TurboFan per function in the background on a few hundred bytes).
 *
 * Built by scripts/build-step-kernels.mjs into step-kernels.wasm.ts (committed; a test rebuilds it
 * and compares). Arithmetic as in tfjs: float32 storage, float64 where a JS formula computed in
 * float64 before rounding (activations, the loss and metrics).
 */

// ---------------------------------------------------------------------------------------------
// Copies and layout

/** dst[r, col + j] = src[r, j] for j < width: a part of a concatenation, row by row. */
export function copyColumns(src: usize, width: i32, dst: usize, dstWidth: i32, col: i32, rows: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + ((<usize>r * <usize>dstWidth + <usize>col) << 2), src + <usize>r * bytes, bytes);
  }
}

/** dst[r, j] += src[r, col + j]: a part's share of a concatenation's gradient. */
export function addColumns(src: usize, srcWidth: i32, col: i32, dst: usize, width: i32, rows: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + ((<usize>r * <usize>srcWidth + <usize>col) << 2);
    const d = dst + ((<usize>r * <usize>width) << 2);
    addInto(d, s, width);
  }
}

/** dst[r, j] = src[r, col + j]: a part's share of a concatenation's gradient, for a part with no other consumer. */
export function takeColumns(src: usize, srcWidth: i32, col: i32, dst: usize, width: i32, rows: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + <usize>r * bytes, src + ((<usize>r * <usize>srcWidth + <usize>col) << 2), bytes);
  }
}

/** dst[c × r] = src[r × c]ᵀ, column by column: strided reads, sequential writes. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  const stride = <usize>cols << 2;
  for (let c = 0; c < cols; c++) {
    let d = dst + ((<usize>c * <usize>rows) << 2);
    let s = src + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      store<f32>(d, load<f32>(s));
      d += 4;
      s += stride;
    }
  }
}

/** dst rows [dstRow, dstRow + width) = kernel rows [row, row + width), `units` columns each. */
export function copyRows(kernel: usize, row: i32, width: i32, units: i32, dst: usize, dstRow: i32): void {
  memory.copy(dst + ((<usize>dstRow * <usize>units) << 2), kernel + ((<usize>row * <usize>units) << 2), (<usize>width * <usize>units) << 2);
}

export function fill(at: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(at + (<usize>i << 2), value);
}

/** d[j] += s[j] for j < n. */
function addInto(d: usize, s: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

// ---------------------------------------------------------------------------------------------
// Small products (an output layer of a few units, where XNNPACK pads to its tile)

/** out[r, j] = Σ_i x[r, i]·k[i, j] (+ bias[j] when hasBias); overwrites out. Float32 sums, as JS's loop stored them. */
export function smallMatmul(x: usize, rows: i32, inner: i32, k: usize, units: i32, out: usize, bias: usize, hasBias: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>inner) << 2);
    const or = out + ((<usize>r * <usize>units) << 2);
    for (let j = 0; j < units; j++) {
      let s: f64 = hasBias ? <f64>load<f32>(bias + (<usize>j << 2)) : 0;
      for (let i = 0; i < inner; i++) s += <f64>load<f32>(xr + (<usize>i << 2)) * <f64>load<f32>(k + ((<usize>i * <usize>units + <usize>j) << 2));
      store<f32>(or + (<usize>j << 2), <f32>s);
    }
  }
}

/** dk[i, j] = Σ_r x[r, i]·dz[r, j] (small `units`); overwrites dk. */
export function smallWeightGrad(x: usize, rows: i32, inner: i32, dz: usize, units: i32, dk: usize): void {
  fill(dk, inner * units, 0);
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>inner) << 2);
    const zr = dz + ((<usize>r * <usize>units) << 2);
    for (let i = 0; i < inner; i++) {
      const xi = <f64>load<f32>(xr + (<usize>i << 2));
      const d = dk + ((<usize>i * <usize>units) << 2);
      for (let j = 0; j < units; j++) {
        const o = <usize>j << 2;
        store<f32>(d + o, <f32>(<f64>load<f32>(d + o) + xi * <f64>load<f32>(zr + o)));
      }
    }
  }
}

/** dx[r, i] = Σ_j dz[r, j]·k[i, j] (small `inner`); overwrites dx. */
export function smallInputGrad(dz: usize, rows: i32, units: i32, k: usize, inner: i32, dx: usize): void {
  for (let r = 0; r < rows; r++) {
    const zr = dz + ((<usize>r * <usize>units) << 2);
    const xr = dx + ((<usize>r * <usize>inner) << 2);
    for (let i = 0; i < inner; i++) {
      let s: f64 = 0;
      const ki = k + ((<usize>i * <usize>units) << 2);
      for (let j = 0; j < units; j++) s += <f64>load<f32>(zr + (<usize>j << 2)) * <f64>load<f32>(ki + (<usize>j << 2));
      store<f32>(xr + (<usize>i << 2), <f32>s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One-hot inputs as kernel rows

/** out[r, :] += kernel[row + ids[r], :] for ids in [0, depth) (other ids are all-zero rows). */
export function addOneHotRows(ids: usize, rows: i32, depth: i32, kernel: usize, row: i32, units: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < 0 || id >= depth) continue;
    addInto(out + ((<usize>r * <usize>units) << 2), kernel + ((<usize>(row + id) * <usize>units) << 2), units);
  }
}

/** grad[(row + ids[r]), :] += dz[r, :]: the one-hot part's kernel gradient. */
export function scatterOneHotGrad(ids: usize, rows: i32, depth: i32, dz: usize, units: i32, grad: usize, row: i32): void {
  for (let r = 0; r < rows; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < 0 || id >= depth) continue;
    addInto(grad + ((<usize>(row + id) * <usize>units) << 2), dz + ((<usize>r * <usize>units) << 2), units);
  }
}

// ---------------------------------------------------------------------------------------------
// Bias and activations

/** grad[j] = Σ_r dz[r, j]: a bias gradient. */
export function columnSums(dz: usize, rows: i32, units: i32, grad: usize): void {
  fill(grad, units, 0);
  for (let r = 0; r < rows; r++) addInto(grad, dz + ((<usize>r * <usize>units) << 2), units);
}

export function addBias(y: usize, rows: i32, units: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) addInto(y + ((<usize>r * <usize>units) << 2), bias, units);
}

export function relu(y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = y + (<usize>i << 2);
    if (!(load<f32>(p) > 0)) store<f32>(p, 0);
  }
}

export function sigmoid(y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, <f32>(1 / (1 + Math.exp(-<f64>load<f32>(p)))));
  }
}

export function tanh(y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, <f32>Math.tanh(<f64>load<f32>(p)));
  }
}

/**
 * g ← g·f′ in place (f′ from the activation's output y), and the bias gradient (the column sums of
 * the result) in the same pass when hasBias. kind: 1 relu, 2 sigmoid, 3 tanh.
 */
export function activationBackward(kind: i32, y: usize, g: usize, rows: i32, units: i32, bias: usize, hasBias: bool): void {
  if (hasBias) fill(bias, units, 0);
  for (let r = 0; r < rows; r++) {
    const row = (<usize>r * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = row + (<usize>j << 2);
      const yv = load<f32>(y + o);
      let d: f32;
      if (kind === 1) {
        d = yv > 0 ? load<f32>(g + o) : 0;
      } else if (kind === 2) {
        d = <f32>(<f64>load<f32>(g + o) * (<f64>yv * (1 - <f64>yv)));
      } else {
        d = <f32>(<f64>load<f32>(g + o) * (1 - <f64>yv * <f64>yv));
      }
      store<f32>(g + o, d);
      if (hasBias) store<f32>(bias + (<usize>j << 2), load<f32>(bias + (<usize>j << 2)) + d);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Loss gradient and metrics

/**
 * d loss / d (the output's pre-activation) into g, for n predictions p and targets t: binary
 * cross-entropy through the sigmoid (p - t inside tfjs's clip [lo, hi], 0 outside) when bce, else
 * mean squared error's 2(p - t); both times `scale` (tfjs averages over units, then rows).
 */
export function lossGradient(bce: bool, p: usize, t: usize, g: usize, n: i32, lo: f64, hi: f64, scale: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const pi = <f64>load<f32>(p + o);
    const ti = <f64>load<f32>(t + o);
    let d: f64;
    if (bce) d = pi >= lo && pi <= hi ? (pi - ti) * scale : 0;
    else d = 2 * (pi - ti) * scale;
    store<f32>(g + o, <f32>d);
  }
}

/**
 * Mean over n of a metric of predictions p against targets t, summed in float64 as tfjs's formula:
 * kind 0 binary cross-entropy (predictions clipped to [eps, 1-eps]), 1 binary accuracy at 0.5,
 * 2 mean squared error, 3 mean absolute error.
 */
export function metricMean(kind: i32, p: usize, t: usize, n: i32, lo: f64, hi: f64): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const pi = <f64>load<f32>(p + o);
    const ti = <f64>load<f32>(t + o);
    if (kind === 0) {
      const y = Math.min(Math.max(pi, lo), hi);
      const logit = Math.log(y / (1 - y));
      sum += Math.max(logit, 0) - logit * ti + Math.log1p(Math.exp(-Math.abs(logit)));
    } else if (kind === 1) {
      sum += ti === (pi > 0.5 ? 1 : 0) ? 1 : 0;
    } else if (kind === 2) {
      sum += (pi - ti) * (pi - ti);
    } else {
      sum += Math.abs(pi - ti);
    }
  }
  return sum / <f64>n;
}
