/** ModelOptimizer's worker task: timing both models loads tfjs, which the engine's thread need not. */
import type { MeasureArgs } from './measure.ts';

export const tasks = {
  'model-optimizer.measure': async (args: MeasureArgs) => (await import('./measure.ts')).measure(args),
};
