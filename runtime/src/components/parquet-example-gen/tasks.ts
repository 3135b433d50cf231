import { readRows, type ReadRowsArgs } from './read-rows.ts';

export const tasks = {
  'parquet.readRows': (args: ReadRowsArgs) => readRows(args),
};
