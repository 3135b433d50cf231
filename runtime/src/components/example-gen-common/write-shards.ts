import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardFileName, splitDir } from '../../formats/examples.ts';
import { type ArrowColumn, ColumnBuilder, toArrowFile } from '../csv-example-gen/column-builders.ts';

/**
 * Worker side: one Arrow file per split that got rows, named by the shard's position in the input
 * (so the output does not depend on scheduling); returns the file names (null: no rows). Column
 * builders hand their arrays to the thread's next shard.
 */
export function writeSplitShards(outUri: string, splitNames: string[], shardIndex: number, counts: number[], builders: ArrowColumn[][]): (string | null)[] {
  return splitNames.map((name, s) => {
    if (counts[s] === 0) return null;
    const dir = splitDir(outUri, name);
    mkdirSync(dir, { recursive: true });
    const fileName = shardFileName(shardIndex);
    writeFileSync(join(dir, fileName), toArrowFile(builders[s], counts[s]));
    for (const b of builders[s]) if (b instanceof ColumnBuilder) b.release();
    return fileName;
  });
}
