/**
 * Which store a pipeline's metadata goes to, decided from its `metadata:` section and the
 * environment only: no driver is loaded, so the editor can ask it (and read a Postgres store
 * through the CLI) without bundling `pg`.
 */
import { UserError } from '../core/errors.ts';
import type { MetadataConfig } from '../core/pipeline-spec.ts';

export const METADATA_ENV = 'TRIBUTARY_METADATA';

/** A URL as messages may show it: never the password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an invalid postgres URL)';
  }
}

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
