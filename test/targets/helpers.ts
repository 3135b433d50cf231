import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { build } from 'esbuild';
import { parseDocument } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const schemaFile = join(repoRoot, '..', 'shared', 'schemas', 'argo-workflows.schema.json');

/** Argo's JSON schema as a validator, or undefined (with the reason) when shared/ is absent. */
export function argoValidator(): ((doc: unknown) => string[]) | undefined {
  if (!existsSync(schemaFile)) return undefined;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  return (doc) => {
    const copy = structuredClone(doc) as Record<string, unknown>;
    delete copy.status; // the schema rejects null timestamps there (see shared/schemas/README.md)
    return validate(copy) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/**
 * The CLI bundled as `npm run build` does, inside the repo so npm packages resolve: a replayed
 * step then starts in a fraction of a second instead of compiling TypeScript each time.
 */
export async function bundleCli(): Promise<string[]> {
  const outdir = join(repoRoot, 'test', '.tmp', `argo-cli-${process.pid}`);
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
    // The same entries as the Dockerfile's image.
    entryPoints: {
      cli: join(repoRoot, 'runtime/src/cli/main.ts'),
      'pool-worker': join(repoRoot, 'runtime/src/engine/pool-worker.ts'),
      index: join(repoRoot, 'runtime/src/index.ts'),
      serve: join(repoRoot, 'runtime/src/serving/serve-main.ts'),
    },
    outdir,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  await cp(join(repoRoot, 'runtime/src/engine/pool-worker.cjs'), join(outdir, 'pool-worker.cjs'));
  // The .proto subsets the bundle loads at run time, beside it as in dist/runtime/proto.
  await cp(join(repoRoot, 'runtime/src/formats/proto'), join(outdir, 'proto'), { recursive: true });
  return [process.execPath, join(outdir, 'cli.js')];
}

/** The taxi pipeline's data nodes: what the data-only replay runs (the model part trains for minutes). */
export const TAXI_DATA_NODES = ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator'];

/**
 * A fresh workspace (package.json marks its root) holding a copy of the taxi sample: every
 * pipeline file and module, ExampleGen cut into `shardSizeMb` shards. `dataOnly` keeps only the
 * data nodes in taxi.pipeline.yaml.
 */
export async function taxiWorkspace(shardSizeMb: number, options: { dataOnly?: boolean } = {}): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'argo-ws-'));
  await writeFile(join(dir, 'package.json'), '{}\n');
  await mkdir(join(dir, 'taxi'));
  const sample = join(repoRoot, 'samples', 'taxi');
  await cp(join(sample, 'data'), join(dir, 'taxi', 'data'), { recursive: true });
  for (const f of readdirSync(sample).filter((f) => f.endsWith('.ts') || f.endsWith('.pipeline.yaml'))) await cp(join(sample, f), join(dir, 'taxi', f));
  const file = join(dir, 'taxi', 'taxi.pipeline.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  // Small shards so the data-parallel components really fan out over several map steps.
  doc.setIn(['nodes', 'example_gen', 'params', 'shard_size_mb'], shardSizeMb);
  if (options.dataOnly) {
    for (const id of Object.keys(doc.toJS().nodes)) {
      if (!TAXI_DATA_NODES.includes(id)) {
        doc.deleteIn(['nodes', id]);
        doc.deleteIn(['layout', id]);
      }
    }
  }
  await writeFile(file, doc.toString());
  return { dir, file };
}

/**
 * A fresh workspace with the model fixture (fixtures/model.pipeline.yaml: every model component on
 * a seeded model) over the first `rows` rows of the taxi CSV and the taxi sample's preprocessing_fn.
 */
export async function modelWorkspace(rows: number): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'argo-model-'));
  await writeFile(join(dir, 'package.json'), '{}\n');
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'registry'));
  const csv = readFileSync(join(repoRoot, 'samples', 'taxi', 'data', 'taxi.csv'), 'utf8').split('\n');
  await writeFile(join(dir, 'data', 'taxi.csv'), `${csv.slice(0, rows + 1).join('\n')}\n`);
  await cp(join(repoRoot, 'samples', 'taxi', 'taxi_transform.ts'), join(dir, 'taxi_transform.ts'));
  await cp(join(repoRoot, 'test', 'targets', 'fixtures', 'seeded_model.ts'), join(dir, 'seeded_model.ts'));
  await cp(join(repoRoot, 'test', 'targets', 'fixtures', 'model.pipeline.yaml'), join(dir, 'model.pipeline.yaml'));
  return { dir, file: join(dir, 'model.pipeline.yaml') };
}
