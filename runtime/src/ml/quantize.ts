/**
 * Weight quantisation in tfjs's own manifest format, so a stock `tf.loadLayersModel` reads the
 * result (it dequantises to float32 as it loads): each quantised float32 weight's manifest entry
 * gains `quantization: { dtype: 'float16' }` or `{ dtype: 'uint8', min, scale }`, and its bytes in
 * weights.bin shrink to 2 or 1 per value.
 *
 * uint8 is the affine scheme of the tensorflowjs converter: 256 levels spanning the weight's
 * [min, max], nudged so that 0 is exactly representable (zero biases and padding stay zero).
 * Only float32 weights are quantised; others are copied as they are.
 */
import { setFloat16 } from '@petamoriken/float16';
import type * as tf from '@tensorflow/tfjs';

export type Quantization = 'float16' | 'uint8';

export interface QuantizedWeights {
  specs: tf.io.WeightsManifestEntry[];
  data: Uint8Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** uint8 affine parameters for values in [min, max]: min nudged so 0 maps to an integer level. */
export function uint8Range(min: number, max: number): { min: number; scale: number } {
  if (!(max > min)) return { min, scale: 1 }; // a constant: every value decodes to min exactly
  const scale = (max - min) / 255;
  if (min > 0 || max < 0) return { min, scale };
  const zeroPoint = Math.round(-min / scale);
  return { min: -zeroPoint * scale, scale };
}

function quantizeOne(values: Float32Array, to: Quantization): { bytes: Uint8Array; quantization: NonNullable<tf.io.WeightsManifestEntry['quantization']> } {
  if (to === 'float16') {
    const bytes = new Uint8Array(values.length * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) setFloat16(view, i * 2, values[i], true);
    return { bytes, quantization: { dtype: 'float16' } };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) lo = hi = 0;
  const { min, scale } = uint8Range(lo, hi);
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
  return { bytes, quantization: { dtype: 'uint8', min, scale } };
}

/** The weights of a manifest (specs in order over `data`), float32 ones quantised to `to`. */
export function quantizeWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, to: Quantization): QuantizedWeights {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let at = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`weight ${spec.name} is already quantised (${spec.quantization.dtype})`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytesPer = BYTES[spec.dtype];
    if (bytesPer === undefined) throw new Error(`weight ${spec.name} has dtype ${spec.dtype}, which cannot be quantised or copied by size`);
    const length = size * bytesPer;
    if (at + length > data.byteLength) throw new Error(`weights.bin ends before weight ${spec.name}`);
    if (spec.dtype === 'float32') {
      const { bytes, quantization } = quantizeOne(new Float32Array(data.slice(at, at + length)), to);
      parts.push(bytes);
      out.push({ ...spec, quantization });
    } else {
      parts.push(new Uint8Array(data.slice(at, at + length)));
      out.push(spec);
    }
    at += length;
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  return { specs: out, data: joined };
}
