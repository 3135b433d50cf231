import { join } from 'node:path';
import { STATISTICS_FILE, type DatasetFeatureStatisticsList } from '../../formats/statistics.ts';
import { UserError } from '../../core/errors.ts';
import { readJsonFile } from './read-json.ts';

const FEATURE_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BYTES', 'STRUCT']);

/**
 * Read an ExampleStatistics artifact's file. Only the fields every consumer relies on are checked:
 * the rest of the shape is StatisticsGen's contract.
 */
export function readStatistics(artifactUri: string): DatasetFeatureStatisticsList {
  const file = join(artifactUri, STATISTICS_FILE);
  const data = readJsonFile(file, 'statistics file') as DatasetFeatureStatisticsList;
  const bad = (what: string) => new UserError(`Statistics file ${file}: ${what}`, { file });
  if (!data || typeof data !== 'object' || !Array.isArray(data.datasets)) throw bad('expected an object with a "datasets" array');
  const names = new Set<string>();
  data.datasets.forEach((ds, i) => {
    if (!ds || typeof ds.name !== 'string') throw bad(`datasets[${i}] has no split name`);
    if (names.has(ds.name)) throw bad(`split "${ds.name}" appears twice`);
    names.add(ds.name);
    if (typeof ds.numExamples !== 'number') throw bad(`split "${ds.name}" has no numExamples`);
    if (!Array.isArray(ds.features)) throw bad(`split "${ds.name}" has no "features" array`);
    ds.features.forEach((f, j) => {
      if (!f || typeof f.name !== 'string') throw bad(`split "${ds.name}" features[${j}] has no name`);
      if (!FEATURE_TYPES.has(f.type)) throw bad(`feature "${f.name}" of split "${ds.name}" has unknown type ${JSON.stringify(f.type)}`);
    });
  });
  return data;
}
