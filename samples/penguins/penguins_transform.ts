/**
 * Palmer penguins preprocessing, as TFX's penguin example: the four body measurements z-scored,
 * island and sex through vocabularies, and the species as class ids (the label).
 */
import type { PreprocessingFn } from 'tributary';

export const NUMERIC_FEATURES = ['culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g'];
export const CATEGORICAL_FEATURES = ['island', 'sex'];
export const LABEL = 'species';

export const preprocessing_fn: PreprocessingFn = (inputs, tft) => {
  const outputs: ReturnType<PreprocessingFn> = {};
  for (const key of NUMERIC_FEATURES) {
    const raw = inputs[key] as Float64Array;
    const z = tft.scale_to_z_score(tft.fill_in_missing(raw));
    // A missing measurement becomes the (z-scored) mean, 0, rather than a zero-gram penguin.
    for (let i = 0; i < raw.length; i++) if (Number.isNaN(raw[i])) z[i] = 0;
    outputs[`${key}_xf`] = z;
  }
  for (const key of CATEGORICAL_FEATURES) {
    outputs[`${key}_xf`] = tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs[key] as (string | null)[]), { num_oov_buckets: 1 });
  }
  // No OOV bucket: the ids are exactly the classes, in vocabulary order (most frequent first).
  outputs[`${LABEL}_xf`] = tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs[LABEL] as (string | null)[]));
  return outputs;
};
