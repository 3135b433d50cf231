/**
 * The pipeline file's `metadata:` section: `{ url_env: NAME }`, the environment variable that holds
 * the Postgres store's URL. A URL written in the file is refused: it may carry a password.
 */
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import type { Reporter } from './source.ts';
import type { MetadataConfig } from '../core/pipeline-spec.ts';
import { ENV_NAME } from './parse-alerts.ts';

export function readMetadataConfig(value: Node | null, pair: Pair, reporter: Reporter): MetadataConfig | undefined {
  const bad = (at: Node | undefined, message: string) => {
    reporter.error('invalid-metadata', message, at ?? (pair.key as Node), { field: 'metadata' });
    return undefined;
  };
  const usage = 'metadata takes { url_env: NAME }: the environment variable holding the store URL (postgres://user@host:5432/db)';
  if (!isMap(value) || value.items.length !== 1) return bad(value ?? undefined, `${usage}.`);
  const only = value.items[0] as Pair<Node, Node | null>;
  const key = isScalar(only.key) ? String(only.key.value) : '';
  const text = isScalar(only.value) && typeof only.value.value === 'string' ? only.value.value : '';
  if (key === 'url') return bad(only.key, `A URL is written in the pipeline file, and it may carry a password: ${usage}.`);
  if (key !== 'url_env') return bad(only.key, `Unknown key "${key}" under metadata; ${usage}.`);
  if (!ENV_NAME.test(text)) return bad(only.value ?? only.key, `"${text}" is not an environment variable name.`);
  return { url_env: text };
}
