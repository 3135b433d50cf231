import { UserError } from '../../core/errors.ts';

/** Split names and weights from the `splits` parameter, checked. */
export function checkSplits(splits: Record<string, number>): { splitNames: string[]; ratios: number[] } {
  const splitNames = Object.keys(splits);
  if (splitNames.length === 0) throw new UserError('splits must name at least one split', { field: 'splits' });
  for (const name of splitNames) {
    if (!/^[A-Za-z0-9_-]+$/.test(name) || !(splits[name] > 0)) {
      throw new UserError(`split "${name}" needs a name of letters, digits, _ or - and a positive ratio`, { field: 'splits' });
    }
  }
  return { splitNames, ratios: splitNames.map((s) => splits[s]) };
}
