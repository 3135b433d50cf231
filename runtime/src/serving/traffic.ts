/**
 * A/B traffic splits, kept in the registry index beside the labels:
 *
 *   "traffic": { "weights": { "stable": 90, "canary": 10 }, "key_header": "x-user-id" }
 *
 * Arms are labels or version numbers. Only predict requests that name neither a version nor a
 * label are split. With a request key (the `key_header` header or the `key_field` body field;
 * `x-tributary-key` always works) the arm is a hash of the key, so one user keeps one arm while
 * the weights stay; without one it is random.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../core/errors.ts';
import { readIndex, writeIndex, type TrafficConfig } from './registry-index.ts';

export const DEFAULT_KEY_HEADER = 'x-tributary-key';

/** The split of an index, checked; a broken one is an error the server logs (and ignores). */
export function parseTraffic(raw: unknown, where: string): TrafficConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const bad = (why: string) => new UserError(`${where}: "traffic" ${why}`, { file: where });
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('must be an object { weights: { arm: weight } }');
  const { weights, key_header, key_field } = raw as Record<string, unknown>;
  if (!weights || typeof weights !== 'object' || Array.isArray(weights)) throw bad('needs "weights": { "stable": 90, "canary": 10 }');
  const entries = Object.entries(weights as Record<string, unknown>);
  for (const [arm, w] of entries) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw bad(`weight of "${arm}" must be a number ≥ 0`);
  }
  if (!entries.some(([, w]) => (w as number) > 0)) throw bad('needs at least one weight above 0');
  if (key_header !== undefined && (typeof key_header !== 'string' || !/^[A-Za-z0-9-]+$/.test(key_header))) throw bad('key_header must be a header name');
  if (key_field !== undefined && (typeof key_field !== 'string' || !key_field)) throw bad('key_field must be a field name');
  return {
    weights: Object.fromEntries(entries) as Record<string, number>,
    ...(key_header ? { key_header: key_header.toLowerCase() } : {}),
    ...(key_field ? { key_field } : {}),
  };
}

/** A key's fixed point in [0, 1): the first 48 bits of its SHA-256. */
export function keyPoint(key: string): number {
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** The arm a point in [0, 1) falls into, arms in the index's order. */
export function armAt(weights: Record<string, number>, point: number): string {
  const arms = Object.entries(weights).filter(([, w]) => w > 0);
  const total = arms.reduce((s, [, w]) => s + w, 0);
  let at = point * total;
  for (const [arm, w] of arms) {
    if (at < w) return arm;
    at -= w;
  }
  return arms[arms.length - 1][0];
}

export function chooseArm(config: TrafficConfig, key: string | undefined, random: () => number = Math.random): string {
  return armAt(config.weights, key === undefined || key === '' ? random() : keyPoint(key));
}

/** The request key: the configured header or body field, else x-tributary-key. */
export function requestKey(config: TrafficConfig, headers: Record<string, string | string[] | undefined>, body: unknown): string | undefined {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (config.key_header && header(config.key_header)) return header(config.key_header);
  if (config.key_field && body && typeof body === 'object' && !Array.isArray(body)) {
    const v = (body as Record<string, unknown>)[config.key_field];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return header(DEFAULT_KEY_HEADER);
}

/** An arm's version: a version number, or what its label points at. */
export function armVersion(arm: string, labels: Record<string, number>): number | undefined {
  return /^[1-9][0-9]*$/.test(arm) ? Number(arm) : labels[arm];
}

/** `tributary traffic`: writes (or with "off" removes) a model's split; arms must exist now. */
export function setTraffic(
  registry: string,
  model: string,
  pairs: string[],
  options: { keyHeader?: string; keyField?: string } = {},
): TrafficConfig | undefined {
  const index = readIndex(registry, model);
  if (pairs.length === 1 && pairs[0] === 'off') {
    delete index.traffic;
    writeIndex(registry, model, index);
    return undefined;
  }
  const weights: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([^=]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(pair);
    if (!m) throw new UserError(`"${pair}" is not ARM=WEIGHT (e.g. stable=90 canary=10)`);
    if (armVersion(m[1], index.labels) === undefined) {
      throw new UserError(`Model "${model}" has no label "${m[1]}" (labels: ${Object.keys(index.labels).join(', ') || 'none'}); use a label or a version number`);
    }
    weights[m[1]] = Number(m[2]);
  }
  const previous = index.traffic;
  const config = parseTraffic(
    {
      weights: pairs.length ? weights : (previous?.weights ?? {}),
      key_header: options.keyHeader ?? previous?.key_header,
      key_field: options.keyField ?? previous?.key_field,
    },
    `${registry}/${model}`,
  )!;
  index.traffic = config;
  writeIndex(registry, model, index);
  return config;
}

export function describeTraffic(registry: string, model: string): string {
  const index = readIndex(registry, model);
  const t = index.traffic;
  if (!t) return `${model}: no traffic split (requests without a version or label get the newest version)`;
  const total = Object.values(t.weights).reduce((s, w) => s + w, 0);
  const arms = Object.entries(t.weights).map(([arm, w]) => {
    const v = armVersion(arm, index.labels);
    return `${arm}=${w} (${((100 * w) / total).toFixed(1)}%, version ${v ?? 'missing!'})`;
  });
  const key = [t.key_header && `header ${t.key_header}`, t.key_field && `field ${t.key_field}`, `header ${DEFAULT_KEY_HEADER}`].filter(Boolean).join(', ');
  return `${model}: ${arms.join(', ')}; sticky by ${key}`;
}
