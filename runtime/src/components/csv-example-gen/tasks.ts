import { parseRange, type ParseRangeArgs } from './range-parser.ts';

export const tasks = {
  'csv.parseRange': (args: ParseRangeArgs) => parseRange(args),
};
