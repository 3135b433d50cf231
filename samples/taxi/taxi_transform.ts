/**
 * The taxi preprocessing function, as TFX's taxi_utils.preprocessing_fn: missing values filled,
 * dense floats z-scored, strings through vocabularies, coordinates into quantile buckets,
 * calendar fields and areas as categorical ids, and the label "big tipper" (tips > 20% of fare).
 *
 * One deliberate difference: TFX feeds the 11-digit census tracts to an identity column capped
 * at 2000 ids, which maps every real tract to the default id. Here they go through a vocabulary,
 * so they carry information.
 */
import type { Analyzers, PreprocessingFn, RawColumns, TransformedColumns } from 'tributary';

const DENSE_FLOAT_FEATURE_KEYS = ['trip_miles', 'fare', 'trip_seconds'];
const VOCAB_FEATURE_KEYS = ['payment_type', 'company'];
const VOCAB_SIZE = 1000;
const OOV_SIZE = 10;
const BUCKET_FEATURE_KEYS = ['pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude'];
const FEATURE_BUCKET_COUNT = 10;
/** Calendar fields and community areas are small integers: used as ids directly (id space, default 0). */
const CATEGORICAL_ID_FEATURES: Record<string, number> = {
  trip_start_hour: 24, // 0–23
  trip_start_day: 8, // 1 = Sunday … 7 = Saturday
  trip_start_month: 13, // 1–12
  pickup_community_area: 78, // 1–77; missing → 0
  dropoff_community_area: 78,
};
const CENSUS_TRACT_KEYS = ['pickup_census_tract', 'dropoff_census_tract'];
const MAX_CENSUS_TRACTS = 2000;
export const LABEL_KEY = 'tips';
export const FARE_KEY = 'fare';

/** Transformed feature names get a suffix, as in TFX, so raw and transformed never mix. */
export const transformedName = (key: string): string => `${key}_xf`;

function numeric(inputs: RawColumns, key: string): Float64Array {
  return inputs[key] as Float64Array;
}

export const preprocessing_fn: PreprocessingFn = (inputs: RawColumns, tft: Analyzers): TransformedColumns => {
  const outputs: TransformedColumns = {};

  for (const key of DENSE_FLOAT_FEATURE_KEYS) {
    outputs[transformedName(key)] = tft.scale_to_z_score(tft.fill_in_missing(numeric(inputs, key)));
  }
  for (const key of VOCAB_FEATURE_KEYS) {
    outputs[transformedName(key)] = tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs[key] as (string | null)[]), {
      top_k: VOCAB_SIZE,
      num_oov_buckets: OOV_SIZE,
    });
  }
  for (const key of BUCKET_FEATURE_KEYS) {
    outputs[transformedName(key)] = tft.bucketize(tft.fill_in_missing(numeric(inputs, key)), FEATURE_BUCKET_COUNT);
  }
  for (const [key, size] of Object.entries(CATEGORICAL_ID_FEATURES)) {
    outputs[transformedName(key)] = tft.categorical_identity(tft.fill_in_missing(numeric(inputs, key)), size);
  }
  for (const key of CENSUS_TRACT_KEYS) {
    outputs[transformedName(key)] = tft.compute_and_apply_vocabulary(tft.fill_in_missing(numeric(inputs, key)), {
      top_k: MAX_CENSUS_TRACTS,
      num_oov_buckets: 1,
    });
  }

  // Was this passenger a big tipper? A missing fare counts as not.
  const fare = numeric(inputs, FARE_KEY);
  const tips = tft.fill_in_missing(numeric(inputs, LABEL_KEY));
  const big = new Int32Array(fare.length);
  for (let i = 0; i < fare.length; i++) big[i] = !Number.isNaN(fare[i]) && tips[i] > 0.2 * fare[i] ? 1 : 0;
  outputs[transformedName(LABEL_KEY)] = big;
  return outputs;
};
