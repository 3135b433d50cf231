/**
 * Trainer checkpoints: after every epoch the model's weights, the optimizer's state (Adam's
 * moments and step count) and the epochs done, written as one folder that appears whole (written
 * under a temp name, then renamed):
 *
 *   <dir>/checkpoint.json   { formatVersion, epoch (epochs done), epochs, history, weights, optimizer }
 *   <dir>/weights.bin       model weights then optimizer weights, tf.io.encodeWeights layout
 *
 * Weights are matched by their saved names (a LayerVariable's originalName, as model.json names
 * them), so a checkpoint restores into the same architecture built again by run_fn; warm start
 * from a base model's bundle uses the same matching, taking only the weights that fit.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileModelHandler } from '../../ml/bundle.ts';
/** One epoch's metrics, as the session records them (its EpochRecord). */
type EpochRecord = { epoch: number; [metric: string]: number };

const META = 'checkpoint.json';
const DATA = 'weights.bin';

export interface CheckpointMeta {
  formatVersion: 1;
  /** Epochs completed: training resumes at this epoch. */
  epoch: number;
  epochs: number;
  savedAt: string;
  history: EpochRecord[];
  weights: tf.io.WeightsManifestEntry[];
  optimizer: tf.io.WeightsManifestEntry[];
}

export function readCheckpointMeta(dir: string): CheckpointMeta | undefined {
  const file = join(dir, META);
  if (!existsSync(file) || !existsSync(join(dir, DATA))) return undefined;
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as CheckpointMeta;
    return meta.formatVersion === 1 ? meta : undefined;
  } catch {
    return undefined; // a damaged checkpoint is no checkpoint: training starts over
  }
}

export async function saveCheckpoint(dir: string, model: tf.LayersModel, meta: Pick<CheckpointMeta, 'epoch' | 'epochs' | 'history'>): Promise<void> {
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizer = model.optimizer ? await model.optimizer.getWeights() : [];
  const encoded = await tf.io.encodeWeights([...weights, ...optimizer]);
  const specs = encoded.specs;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const data = encoded.data instanceof ArrayBuffer ? encoded.data : tf.io.CompositeArrayBuffer.join(encoded.data);
  writeFileSync(join(tmp, DATA), new Uint8Array(data));
  const full: CheckpointMeta = { formatVersion: 1, ...meta, savedAt: new Date().toISOString(), weights: specs.slice(0, weights.length), optimizer: specs.slice(weights.length) };
  writeFileSync(join(tmp, META), JSON.stringify(full));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Sets the model's weights (and the optimizer's state) from a checkpoint; throws when they do not fit. */
export async function restoreCheckpoint(dir: string, model: tf.LayersModel, meta: CheckpointMeta): Promise<void> {
  const data = readFileSync(join(dir, DATA));
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const all = tf.io.decodeWeights(buffer, [...meta.weights, ...meta.optimizer]);
  const assigned = assignWeights(model, all);
  if (assigned.set !== model.weights.length) throw new Error(`the checkpoint has ${assigned.set} of the model's ${model.weights.length} weights (${assigned.missing.slice(0, 3).join(', ')} missing or of another shape)`);
  if (model.optimizer && meta.optimizer.length) await model.optimizer.setWeights(meta.optimizer.map((s) => ({ name: s.name, tensor: all[s.name] })));
  tf.dispose(Object.values(all));
}

/** Warm start: the base bundle's weights that match the model's by name and shape. */
export async function warmStartFrom(bundleDir: string, model: tf.LayersModel): Promise<{ set: number; of: number }> {
  const artifacts = await fileModelHandler(bundleDir).load!();
  const data = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
  const named = tf.io.decodeWeights(data, artifacts.weightSpecs ?? []);
  const { set } = assignWeights(model, named);
  tf.dispose(Object.values(named));
  return { set, of: model.weights.length };
}

function assignWeights(model: tf.LayersModel, named: tf.NamedTensorMap): { set: number; missing: string[] } {
  let set = 0;
  const missing: string[] = [];
  for (const w of model.weights) {
    const t = named[w.originalName];
    if (t && t.dtype === w.dtype && t.shape.length === w.shape.length && t.shape.every((d, i) => d === w.shape[i])) {
      w.write(t);
      set++;
    } else {
      missing.push(w.originalName);
    }
  }
  return { set, missing };
}
