/**
 * Importer: checks the source's content for the artifact type, writes it in Tributary's layout
 * (statistics as FeatureStats.json + .pb, a schema as schema.json + schema.pbtxt, a model or
 * examples folder copied as it is) and records a content hash of what was imported.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { tableFromIPC } from '../../formats/arrow.ts';
import { ARROW_TYPE_METADATA_KEY, listShards, listSplits, type ColumnInfo, type ExamplesProperties } from '../../formats/examples.ts';
import { SCHEMA_FILE, SCHEMA_PBTXT_FILE } from '../../formats/schema.ts';
import { STATISTICS_FILE, STATISTICS_PB_FILE, type DatasetFeatureStatisticsList } from '../../formats/statistics.ts';
import { schemaToPbtxt, statisticsFromPb, statisticsToPb } from '../../formats/tfx-proto.ts';
import { parseSchema } from '../schema-gen/parse-schema.ts';
import { readJsonFile } from '../schema-gen/read-json.ts';
import { PBTXT_EXTENSIONS, readSchemaFile } from '../schema-gen/read-schema-file.ts';
import type { importerParams, importerSpec } from './spec.ts';

type Ctx = ExecutorContext<Record<string, never>, typeof importerSpec.outputs, typeof importerParams>;

function allFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) allFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** sha256 over the imported files: their paths relative to the source, sizes and bytes. */
export function contentHash(source: string): string {
  const h = createHash('sha256');
  const isDir = statSync(source).isDirectory();
  for (const f of isDir ? allFiles(source) : [source]) {
    const bytes = readFileSync(f);
    h.update(`${isDir ? relative(source, f) : basename(f)}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

export async function execute(ctx: Ctx): Promise<void> {
  const p: Static<typeof importerParams> = ctx.params;
  const source = ctx.resolvePath(p.source);
  if (!existsSync(source)) throw new UserError(`source "${p.source}" does not exist`, { file: source, field: 'source' });
  const out = ctx.outputs.result;
  const props = (() => {
    switch (p.artifact_type) {
      case 'ExampleStatistics':
        return importStatistics(source, out.uri);
      case 'Schema':
        return importSchema(source, out.uri);
      case 'Model':
        return importModel(source, out.uri);
      case 'Examples':
        return importExamples(source, out.uri);
    }
  })();
  const hash = contentHash(source);
  out.properties = { ...props, source: p.source, contentHash: hash };
  ctx.log.info(`imported ${p.source} as ${p.artifact_type} (content sha256 ${hash.slice(0, 12)}…)`);
}

/** FeatureStats.pb/.json, or a folder with one, or TFX's per-split folders (Split-<name>/FeatureStats.pb). */
function readStatisticsSource(source: string): DatasetFeatureStatisticsList {
  const readOne = (file: string): DatasetFeatureStatisticsList => {
    if (extname(file).toLowerCase() === '.json') return readJsonFile(file, 'statistics file') as DatasetFeatureStatisticsList;
    try {
      return statisticsFromPb(readFileSync(file));
    } catch (e) {
      throw new UserError(`${file}: not a binary DatasetFeatureStatisticsList (FeatureStats.pb): ${(e as Error).message}`, { file, field: 'source' });
    }
  };
  if (!statSync(source).isDirectory()) return readOne(source);
  for (const name of [STATISTICS_PB_FILE, STATISTICS_FILE]) if (existsSync(join(source, name))) return readOne(join(source, name));
  const splits = readdirSync(source).filter((d) => d.startsWith('Split-') && existsSync(join(source, d, STATISTICS_PB_FILE))).sort();
  if (splits.length === 0) {
    throw new UserError(`${source}: no ${STATISTICS_PB_FILE}, ${STATISTICS_FILE} or Split-*/${STATISTICS_PB_FILE} in the folder`, { file: source, field: 'source' });
  }
  // TFX writes one list per split folder; the split is the folder's name when the dataset has none.
  return {
    datasets: splits.flatMap((d) => readOne(join(source, d, STATISTICS_PB_FILE)).datasets.map((ds) => ({ ...ds, name: ds.name || d.slice('Split-'.length) }))),
  };
}

function importStatistics(source: string, uri: string): Record<string, unknown> {
  const stats = readStatisticsSource(source);
  const bad = (what: string) => new UserError(`${source}: ${what}`, { file: source, field: 'source' });
  if (!stats || !Array.isArray(stats.datasets) || stats.datasets.length === 0) throw bad('no datasets in the statistics');
  const names = new Set<string>();
  for (const [i, ds] of stats.datasets.entries()) {
    if (!ds.name) throw bad(`dataset ${i} has no name (the split)`);
    if (names.has(ds.name)) throw bad(`split "${ds.name}" appears twice`);
    names.add(ds.name);
    if (!Array.isArray(ds.features)) throw bad(`split "${ds.name}" has no features`);
    for (const f of ds.features) if (!f.name) throw bad(`split "${ds.name}" has a feature without a name (paths of structured features are not read)`);
  }
  let pb: Uint8Array;
  try {
    pb = statisticsToPb(stats); // also refuses fields tensorflow_metadata's message does not have
  } catch (e) {
    throw bad(`not TFDV statistics: ${(e as Error).message}`);
  }
  writeFileSync(join(uri, STATISTICS_FILE), JSON.stringify(stats, null, 1));
  writeFileSync(join(uri, STATISTICS_PB_FILE), pb);
  return { splitNames: stats.datasets.map((d) => d.name), numExamples: Object.fromEntries(stats.datasets.map((d) => [d.name, d.numExamples])) };
}

function importSchema(source: string, uri: string): Record<string, unknown> {
  let file = source;
  if (statSync(source).isDirectory()) {
    const found = [SCHEMA_PBTXT_FILE, SCHEMA_FILE].map((n) => join(source, n)).find((f) => existsSync(f));
    if (!found) throw new UserError(`${source}: no ${SCHEMA_PBTXT_FILE} or ${SCHEMA_FILE} in the folder`, { file: source, field: 'source' });
    file = found;
  } else if (!PBTXT_EXTENSIONS.includes(extname(file).toLowerCase()) && extname(file).toLowerCase() !== '.json') {
    throw new UserError(`${source}: a schema is a .pbtxt (TFX text format) or .json file`, { file: source, field: 'source' });
  }
  const { schema } = parseSchema(readSchemaFile(file), file);
  writeFileSync(join(uri, SCHEMA_FILE), JSON.stringify(schema, null, 2) + '\n');
  writeFileSync(join(uri, SCHEMA_PBTXT_FILE), schemaToPbtxt(schema));
  return { features: schema.feature.length };
}

/** A Tributary model bundle (bundle.json + model.json), at the folder's top or in its bundle/ folder. */
function importModel(source: string, uri: string): Record<string, unknown> {
  if (!statSync(source).isDirectory()) throw new UserError(`${source}: a model is a folder (a Tributary serving bundle)`, { file: source, field: 'source' });
  const bundle = existsSync(join(source, 'bundle', 'bundle.json')) ? join(source, 'bundle') : source;
  for (const name of ['bundle.json', 'model.json']) {
    const file = join(bundle, name);
    if (!existsSync(file)) throw new UserError(`${source}: no ${name} (a Tributary model bundle has bundle.json, model.json and weights.bin)`, { file: source, field: 'source' });
    readJsonFile(file, 'model file');
  }
  cpSync(bundle, join(uri, 'bundle'), { recursive: true });
  const info = readJsonFile(join(bundle, 'bundle.json'), 'model file') as Record<string, unknown>;
  return { bundle: 'bundle', ...(typeof info.label === 'string' ? { label: info.label } : {}) };
}

function importExamples(source: string, uri: string): Record<string, unknown> {
  if (!statSync(source).isDirectory()) throw new UserError(`${source}: Examples are a folder of Split-<name>/part-*.arrow`, { file: source, field: 'source' });
  const splitNames = listSplits(source);
  if (splitNames.length === 0) throw new UserError(`${source}: no Split-<name> folders`, { file: source, field: 'source' });
  const props: ExamplesProperties = { splitNames, splits: {}, columns: [], skippedRows: 0 };
  let columns: ColumnInfo[] | undefined;
  for (const split of splitNames) {
    const shards = listShards(source, split);
    let rows = 0;
    for (const file of shards) {
      let table;
      try {
        table = tableFromIPC(readFileSync(file));
      } catch (e) {
        throw new UserError(`${file}: not an Arrow IPC file: ${(e as Error).message}`, { file, field: 'source' });
      }
      rows += table.numRows;
      const these = table.schema.fields.map((f) => ({ name: f.name, type: columnType(f, file) }));
      if (!columns) columns = these;
      else if (JSON.stringify(these) !== JSON.stringify(columns)) throw new UserError(`${file}: columns differ from the other shards`, { file, field: 'source' });
    }
    props.splits[split] = { rows, shards: shards.map((f) => basename(f)) };
  }
  props.columns = columns ?? [];
  cpSync(source, uri, { recursive: true });
  return { ...props };
}

function columnType(field: { name: string; type: { toString(): string }; metadata: Map<string, string> }, file: string): ColumnInfo['type'] {
  const t = String(field.type);
  if (t.startsWith('Dictionary<Int32, Utf8>') || t === 'Utf8') return 'STRING';
  if (t === 'Int32') return 'INT';
  if (t === 'Float64') return field.metadata.get(ARROW_TYPE_METADATA_KEY) === 'INT' ? 'INT' : 'FLOAT';
  throw new UserError(`${file}: column "${field.name}" has Arrow type ${t}; Examples hold Int32, Float64 and Dictionary<Utf8> columns`, { file, field: 'source' });
}
