/**
 * Which metadata store a pipeline uses: a Postgres server when the pipeline file's
 * `metadata: { url_env: NAME }` names an environment variable holding its URL, or when
 * `TRIBUTARY_METADATA` holds one; otherwise the embedded store under `<root>/metadata/`. The URL
 * (with any password) lives in the environment, never in the pipeline file.
 */
import { metadataFile } from '../core/plan.ts';
import type { MetadataConfig } from '../core/pipeline-spec.ts';
import type { MetadataBackend } from './backend.ts';
import { MetadataStore } from './store.ts';
import { PostgresMetadataStore } from './postgres/store.ts';
import { metadataUrl } from './url.ts';

export type { MetadataConfig };
export { METADATA_ENV, metadataUrl } from './url.ts';

/** Opens the pipeline's store: Postgres when configured, else the embedded one of `root`. */
export async function openMetadataStore(root: string, config?: MetadataConfig, env: NodeJS.ProcessEnv = process.env): Promise<MetadataBackend> {
  const url = metadataUrl(config, env);
  return url ? PostgresMetadataStore.open(url) : MetadataStore.open(metadataFile(root));
}

/** A store named directly: a postgres:// URL or an embedded store's folder (tests, tools). */
export async function openStoreAt(location: string): Promise<MetadataBackend> {
  return /^postgres(ql)?:\/\//.test(location) ? PostgresMetadataStore.open(location) : MetadataStore.open(location);
}
