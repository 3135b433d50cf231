/**
 * Which metadata store a pipeline uses: a Postgres server when the pipeline file's
 * `metadata: { url_env: NAME }` names an environment variable holding its URL, or when
 * `TRIBUTARY_METADATA` holds one; otherwise the embedded store under `<root>/metadata/`. The URL
 * (with any password) lives in the environment, never in the pipeline file.
 */
import { UserError } from '../core/errors.ts';
import { metadataFile } from '../core/plan.ts';
import type { MetadataConfig } from '../core/pipeline-spec.ts';
import type { MetadataBackend } from './backend.ts';
import { MetadataStore } from './store.ts';
import { PostgresMetadataStore, redactUrl } from './postgres/store.ts';

export type { MetadataConfig };

export const METADATA_ENV = 'TRIBUTARY_METADATA';

/** The store URL this pipeline uses, or undefined for the embedded store. */
export function metadataUrl(config: MetadataConfig | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = config?.url_env;
  const url = name ? env[name] : env[METADATA_ENV];
  if (name && !url) throw new UserError(`The pipeline's metadata store URL is read from $${name} (metadata.url_env), which is not set`);
  if (!url) return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UserError(`$${name ?? METADATA_ENV} must be a postgres:// URL (postgres://user@host:5432/db), not ${redactUrl(url)}`);
  }
  return url;
}

/** Opens the pipeline's store: Postgres when configured, else the embedded one of `root`. */
export async function openMetadataStore(root: string, config?: MetadataConfig, env: NodeJS.ProcessEnv = process.env): Promise<MetadataBackend> {
  const url = metadataUrl(config, env);
  return url ? PostgresMetadataStore.open(url) : MetadataStore.open(metadataFile(root));
}

/** A store named directly: a postgres:// URL or an embedded store's folder (tests, tools). */
export async function openStoreAt(location: string): Promise<MetadataBackend> {
  return /^postgres(ql)?:\/\//.test(location) ? PostgresMetadataStore.open(location) : MetadataStore.open(location);
}
