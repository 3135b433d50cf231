import { readRecords, type ReadRecordsArgs } from './read-records.ts';

export const tasks = {
  'tfrecord.readRecords': (args: ReadRecordsArgs) => readRecords(args),
};
