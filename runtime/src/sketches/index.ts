/** Mergeable, structured-cloneable sketches for streaming statistics. */
export { KllSketch, type KllState, DEFAULT_KLL_K, kllRankError } from './kll.ts';
export { HyperLogLog, type HyperLogLogState, DEFAULT_HLL_PRECISION } from './hyperloglog.ts';
export { NumberFrequencies, StringFrequencies, type FrequencyState, type TopEntries } from './frequencies.ts';
export { type WeightedSample, sortedSample, quantile, quantiles, rank } from './weighted-sample.ts';
