/**
 * Which store a CLI command reads: the pipeline file's `metadata:` section or $TRIBUTARY_METADATA
 * (a Postgres server), else the embedded store of its root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { metadataFile } from '../core/plan.ts';
import { UserError } from '../core/errors.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import { metadataUrl, openMetadataStore } from '../metadata/open.ts';
import { parsePipeline } from '../pipeline/parse.ts';

/** The pipeline file named, or the only `*.pipeline.yaml` in the current folder. */
export function pipelineFileOrDefault(file: string | undefined): string {
  if (file) return file;
  const found = readdirSync('.').filter((f) => f.endsWith('.pipeline.yaml'));
  if (found.length === 1) return found[0];
  throw new UserError(found.length ? `Several pipeline files here (${found.join(', ')}): name one` : 'No *.pipeline.yaml here: name one');
}

/** The pipeline's store: its `metadata:` section or $TRIBUTARY_METADATA, else the embedded one of its root. */
export async function openStoreFor(file: string): Promise<MetadataBackend> {
  const abs = resolve(file);
  const parsed = parsePipeline(readFileSync(abs, 'utf8'), abs);
  const root = resolve(dirname(abs), parsed.spec.root);
  if (!metadataUrl(parsed.spec.metadata)) {
    const store = metadataFile(root);
    if (!existsSync(store) && !existsSync(join(root, 'metadata.json'))) throw new UserError(`No runs recorded yet for ${file} (no ${store})`);
  }
  return openMetadataStore(root, parsed.spec.metadata);
}

/** The store and pipeline name, for the over-time views (trends, runs --metrics, compare). */
export async function openHistory(file: string | undefined): Promise<{ store: MetadataBackend; pipeline: string }> {
  const path = pipelineFileOrDefault(file);
  const pipeline = parsePipeline(readFileSync(resolve(path), 'utf8'), resolve(path)).spec.name;
  return { store: await openStoreFor(path), pipeline };
}
