/**
 * The compiled step's plain loops over the wasm heap (`h`, indexed in float32 elements): copies,
 * transposes, the small products XNNPACK is slow for (a one-unit output layer), one-hot rows and
 * activations. Each is a small monomorphic function so V8 optimises it once.
 */

/** dst[r, col + j] = src[r, j] for j < width: a part of a concatenation, row by row. */
export function copyColumns(h: Float32Array, src: number, width: number, dst: number, dstWidth: number, col: number, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const s = src + r * width;
    const d = dst + r * dstWidth + col;
    for (let j = 0; j < width; j++) h[d + j] = h[s + j];
  }
}

/** dst[r, j] += src[r, col + j]: a part's share of a concatenation's gradient. */
export function addColumns(h: Float32Array, src: number, srcWidth: number, col: number, dst: number, width: number, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const s = src + r * srcWidth + col;
    const d = dst + r * width;
    for (let j = 0; j < width; j++) h[d + j] += h[s + j];
  }
}

/** dst[r, j] = src[r, col + j]: a part's share of a concatenation's gradient, for a part with no other consumer. */
export function takeColumns(h: Float32Array, src: number, srcWidth: number, col: number, dst: number, width: number, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const s = src + r * srcWidth + col;
    const d = dst + r * width;
    for (let j = 0; j < width; j++) h[d + j] = h[s + j];
  }
}

/** dst[c × r] = src[r × c]ᵀ, column by column: strided reads, sequential writes (5× faster than the other way round here). */
export function transpose(h: Float32Array, src: number, rows: number, cols: number, dst: number): void {
  for (let c = 0; c < cols; c++) {
    const d = dst + c * rows;
    for (let r = 0, s = src + c; r < rows; r++, s += cols) h[d + r] = h[s];
  }
}

/** dst = kernel rows [row, row + width) (a contiguous block of `units` columns each). */
export function copyRows(h: Float32Array, kernel: number, row: number, width: number, units: number, dst: number, dstRow: number): void {
  const from = kernel + row * units;
  const to = dst + dstRow * units;
  for (let i = 0; i < width * units; i++) h[to + i] = h[from + i];
}

/** out[r, j] = Σ_i x[r, i]·k[i, j] (+ bias[j]) for small products; overwrites out. */
export function smallMatmul(h: Float32Array, x: number, rows: number, inner: number, k: number, units: number, out: number, bias: number): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + r * inner;
    const or = out + r * units;
    for (let j = 0; j < units; j++) {
      let s = bias >= 0 ? h[bias + j] : 0;
      for (let i = 0; i < inner; i++) s += h[xr + i] * h[k + i * units + j];
      h[or + j] = s;
    }
  }
}

/** dk[i, j] = Σ_r x[r, i]·dz[r, j] (small `units`); overwrites dk. */
export function smallWeightGrad(h: Float32Array, x: number, rows: number, inner: number, dz: number, units: number, dk: number): void {
  for (let i = 0; i < inner * units; i++) h[dk + i] = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + r * inner;
    const zr = dz + r * units;
    for (let i = 0; i < inner; i++) {
      const xi = h[xr + i];
      const d = dk + i * units;
      for (let j = 0; j < units; j++) h[d + j] += xi * h[zr + j];
    }
  }
}

/** dx[r, i] = Σ_j dz[r, j]·k[i, j] (small `inner`); overwrites dx. */
export function smallInputGrad(h: Float32Array, dz: number, rows: number, units: number, k: number, inner: number, dx: number): void {
  for (let r = 0; r < rows; r++) {
    const zr = dz + r * units;
    const xr = dx + r * inner;
    for (let i = 0; i < inner; i++) {
      let s = 0;
      const ki = k + i * units;
      for (let j = 0; j < units; j++) s += h[zr + j] * h[ki + j];
      h[xr + i] = s;
    }
  }
}

/** out[r, :] += kernel[row + ids[r], :] for ids in [0, depth) (a one-hot part of the input; other ids are all-zero rows). */
export function addOneHotRows(h: Float32Array, ids: Int32Array, idsAt: number, rows: number, depth: number, kernel: number, row: number, units: number, out: number): void {
  for (let r = 0; r < rows; r++) {
    const id = ids[idsAt + r];
    if (id < 0 || id >= depth) continue;
    const k = kernel + (row + id) * units;
    const o = out + r * units;
    for (let j = 0; j < units; j++) h[o + j] += h[k + j];
  }
}

/** grad[(row + ids[r]) · units + j] += dz[r, j]: the one-hot part's kernel gradient (grad is a host array). */
export function scatterOneHotGrad(h: Float32Array, ids: Int32Array, idsAt: number, rows: number, depth: number, dz: number, units: number, grad: Float32Array, row: number): void {
  for (let r = 0; r < rows; r++) {
    const id = ids[idsAt + r];
    if (id < 0 || id >= depth) continue;
    const g = (row + id) * units;
    const z = dz + r * units;
    for (let j = 0; j < units; j++) grad[g + j] += h[z + j];
  }
}

/** grad[j] = Σ_r dz[r, j]: a bias gradient. */
export function columnSums(h: Float32Array, dz: number, rows: number, units: number, grad: Float32Array): void {
  grad.fill(0);
  for (let r = 0; r < rows; r++) {
    const z = dz + r * units;
    for (let j = 0; j < units; j++) grad[j] += h[z + j];
  }
}

export function addBias(h: Float32Array, y: number, rows: number, units: number, bias: number): void {
  for (let r = 0; r < rows; r++) {
    const o = y + r * units;
    for (let j = 0; j < units; j++) h[o + j] += h[bias + j];
  }
}

export function fill(h: Float32Array, at: number, n: number, value: number): void {
  for (let i = 0; i < n; i++) h[at + i] = value;
}

export function relu(h: Float32Array, y: number, n: number): void {
  for (let i = 0; i < n; i++) if (!(h[y + i] > 0)) h[y + i] = 0;
}

export function sigmoid(h: Float32Array, y: number, n: number): void {
  for (let i = 0; i < n; i++) h[y + i] = 1 / (1 + Math.exp(-h[y + i]));
}

export function tanh(h: Float32Array, y: number, n: number): void {
  for (let i = 0; i < n; i++) h[y + i] = Math.tanh(h[y + i]);
}

/**
 * g ← g·f′ in place (f′ from the activation's output y), and the bias gradient (the column sums of
 * the result) in the same pass when `bias` is given. One function per activation keeps each loop simple.
 */
export function reluBackward(h: Float32Array, y: number, g: number, rows: number, units: number, bias: Float32Array | null): void {
  if (bias) bias.fill(0);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < units; j++, i++) {
      if (!(h[y + i] > 0)) h[g + i] = 0;
      else if (bias) bias[j] += h[g + i];
    }
  }
}

export function sigmoidBackward(h: Float32Array, y: number, g: number, rows: number, units: number, bias: Float32Array | null): void {
  if (bias) bias.fill(0);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < units; j++, i++) {
      const s = h[y + i];
      const d = (h[g + i] *= s * (1 - s));
      if (bias) bias[j] += d;
    }
  }
}

export function tanhBackward(h: Float32Array, y: number, g: number, rows: number, units: number, bias: Float32Array | null): void {
  if (bias) bias.fill(0);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < units; j++, i++) {
      const t = h[y + i];
      const d = (h[g + i] *= 1 - t * t);
      if (bias) bias[j] += d;
    }
  }
}
