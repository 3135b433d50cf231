/**
 * Check and normalise a schema in tensorflow_metadata's Schema proto3 JSON shape, as written by
 * `MessageToJson` or by hand. proto3 JSON allows the original snake_case field names and writes
 * int64 fields as strings, so both are accepted; fields we do not use are dropped and reported.
 */
import type { FeatureComparator, Schema, SchemaFeature, StringDomain } from '../../formats/schema.ts';
import { UserError } from '../../core/errors.ts';

export interface ParsedSchema {
  schema: Schema;
  /** JSON paths of fields that were ignored (unknown to Tributary). */
  ignored: string[];
}

const MAX_LISTED_ERRORS = 20;

export function parseSchema(data: unknown, source: string): ParsedSchema {
  const errors: string[] = [];
  const ignored: string[] = [];
  const schema = readSchema(camelCaseKeys(data), errors, ignored);
  if (errors.length) {
    const listed = errors.slice(0, MAX_LISTED_ERRORS).map((e) => `  - ${e}`);
    if (errors.length > MAX_LISTED_ERRORS) listed.push(`  ... and ${errors.length - MAX_LISTED_ERRORS} more`);
    throw new UserError(`Invalid schema in ${source}:\n${listed.join('\n')}`, { file: source });
  }
  return { schema, ignored };
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readSchema(data: unknown, errors: string[], ignored: string[]): Schema {
  if (!isObj(data)) {
    errors.push('the file must contain a JSON object with a "feature" array');
    return { feature: [] };
  }
  noteUnknown(data, ['feature', 'stringDomain', 'defaultEnvironment'], '', ignored);
  const schema: Schema = { feature: [] };

  const domainNames = new Set<string>();
  if (data.stringDomain !== undefined) {
    if (!Array.isArray(data.stringDomain)) errors.push('"stringDomain" must be an array');
    else {
      schema.stringDomain = data.stringDomain.map((d, i) => {
        const where = `stringDomain[${i}]`;
        const domain = readStringDomain(d, where, errors, ignored);
        if (!domain.name) errors.push(`${where}: a top-level string domain needs a "name"`);
        else if (domainNames.has(domain.name)) errors.push(`${where}: string domain "${domain.name}" is defined twice`);
        else domainNames.add(domain.name);
        return domain;
      });
    }
  }

  if (!Array.isArray(data.feature)) errors.push('"feature" must be an array of features');
  else {
    const names = new Set<string>();
    data.feature.forEach((f, i) => {
      const feature = readFeature(f, i, domainNames, errors, ignored);
      if (!feature) return;
      if (names.has(feature.name)) errors.push(`feature[${i}]: feature "${feature.name}" is defined twice`);
      names.add(feature.name);
      schema.feature.push(feature);
    });
  }

  if (data.defaultEnvironment !== undefined) {
    if (!Array.isArray(data.defaultEnvironment) || data.defaultEnvironment.some((e) => typeof e !== 'string'))
      errors.push('"defaultEnvironment" must be an array of strings');
    else schema.defaultEnvironment = [...data.defaultEnvironment] as string[];
  }
  return schema;
}

const FEATURE_FIELDS = [
  'name', 'type', 'presence', 'valueCount', 'domain', 'intDomain', 'floatDomain', 'stringDomain',
  'driftComparator', 'skewComparator', 'deprecated', 'lifecycleStage',
];

function readFeature(
  f: unknown,
  i: number,
  domainNames: Set<string>,
  errors: string[],
  ignored: string[],
): SchemaFeature | undefined {
  if (!isObj(f)) {
    errors.push(`feature[${i}] must be an object`);
    return undefined;
  }
  if (typeof f.name !== 'string' || f.name === '') {
    errors.push(`feature[${i}] needs a non-empty "name"`);
    return undefined;
  }
  const where = `feature[${i}] ("${f.name}")`;
  noteUnknown(f, FEATURE_FIELDS, `feature[${i}].`, ignored);
  if (f.type !== 'INT' && f.type !== 'FLOAT' && f.type !== 'BYTES') {
    const got = f.type === undefined ? 'no type' : JSON.stringify(f.type);
    errors.push(`${where}: "type" must be INT, FLOAT or BYTES, got ${got}`);
    return undefined;
  }
  const feature: SchemaFeature = { name: f.name, type: f.type };

  if (f.presence !== undefined) {
    const p = expectObj(f.presence, `${where}: "presence"`, errors);
    if (p) {
      feature.presence = {};
      const minFraction = readNumber(p.minFraction, `${where}: presence.minFraction`, errors, { min: 0, max: 1 });
      const minCount = readNumber(p.minCount, `${where}: presence.minCount`, errors, { min: 0, integer: true });
      if (minFraction !== undefined) feature.presence.minFraction = minFraction;
      if (minCount !== undefined) feature.presence.minCount = minCount;
    }
  }
  if (f.valueCount !== undefined) {
    const v = expectObj(f.valueCount, `${where}: "valueCount"`, errors);
    if (v) {
      const min = readNumber(v.min, `${where}: valueCount.min`, errors, { min: 0, integer: true });
      const max = readNumber(v.max, `${where}: valueCount.max`, errors, { min: 0, integer: true });
      checkOrder(min, max, `${where}: valueCount`, errors);
      feature.valueCount = { ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
    }
  }

  const domainKinds = ['domain', 'intDomain', 'floatDomain', 'stringDomain'].filter((k) => f[k] !== undefined);
  if (domainKinds.length > 1) errors.push(`${where}: only one of ${domainKinds.join(', ')} may be set`);
  if (f.domain !== undefined) {
    if (typeof f.domain !== 'string') errors.push(`${where}: "domain" must be the name of a top-level string domain`);
    else if (!domainNames.has(f.domain)) errors.push(`${where}: "domain" refers to unknown string domain "${f.domain}"`);
    else feature.domain = f.domain;
    if (f.type !== 'BYTES') errors.push(`${where}: a string domain needs type BYTES, not ${f.type}`);
  }
  if (f.stringDomain !== undefined) {
    feature.stringDomain = readStringDomain(f.stringDomain, `${where}: stringDomain`, errors, ignored);
    if (f.type !== 'BYTES') errors.push(`${where}: a string domain needs type BYTES, not ${f.type}`);
  }
  if (f.intDomain !== undefined) {
    const d = expectObj(f.intDomain, `${where}: "intDomain"`, errors);
    if (d) {
      if (f.type !== 'INT') errors.push(`${where}: "intDomain" needs type INT, not ${f.type}`);
      const min = readNumber(d.min, `${where}: intDomain.min`, errors, { integer: true });
      const max = readNumber(d.max, `${where}: intDomain.max`, errors, { integer: true });
      checkOrder(min, max, `${where}: intDomain`, errors);
      feature.intDomain = {
        ...(typeof d.name === 'string' && { name: d.name }),
        ...(min !== undefined && { min }),
        ...(max !== undefined && { max }),
        ...(d.isCategorical === true && { isCategorical: true }),
      };
    }
  }
  if (f.floatDomain !== undefined) {
    const d = expectObj(f.floatDomain, `${where}: "floatDomain"`, errors);
    if (d) {
      if (f.type !== 'FLOAT') errors.push(`${where}: "floatDomain" needs type FLOAT, not ${f.type}`);
      const min = readNumber(d.min, `${where}: floatDomain.min`, errors, {});
      const max = readNumber(d.max, `${where}: floatDomain.max`, errors, {});
      checkOrder(min, max, `${where}: floatDomain`, errors);
      feature.floatDomain = {
        ...(typeof d.name === 'string' && { name: d.name }),
        ...(min !== undefined && { min }),
        ...(max !== undefined && { max }),
      };
    }
  }
  for (const key of ['driftComparator', 'skewComparator'] as const) {
    if (f[key] !== undefined) {
      const comparator = readComparator(f[key], `${where}: ${key}`, errors);
      if (comparator) feature[key] = comparator;
    }
  }
  if (f.deprecated !== undefined && typeof f.deprecated !== 'boolean') errors.push(`${where}: "deprecated" must be true or false`);
  // TFMD's newer way to retire a feature; both mean "kept but no longer expected".
  const retired = f.lifecycleStage === 'DEPRECATED' || f.lifecycleStage === 'DISABLED';
  if (f.deprecated === true || retired) feature.deprecated = true;
  return feature;
}

function readStringDomain(d: unknown, where: string, errors: string[], ignored: string[]): StringDomain {
  if (!isObj(d)) {
    errors.push(`${where} must be an object with a "value" array`);
    return { value: [] };
  }
  noteUnknown(d, ['name', 'value'], `${where}.`, ignored);
  const domain: StringDomain = { value: [] };
  if (d.name !== undefined) {
    if (typeof d.name !== 'string') errors.push(`${where}: "name" must be a string`);
    else domain.name = d.name;
  }
  // proto3 JSON omits empty repeated fields, so a missing "value" is an empty domain.
  if (d.value !== undefined) {
    if (!Array.isArray(d.value) || d.value.some((v) => typeof v !== 'string')) errors.push(`${where}: "value" must be an array of strings`);
    else domain.value = [...d.value] as string[];
  }
  return domain;
}

function readComparator(c: unknown, where: string, errors: string[]): FeatureComparator | undefined {
  const obj = expectObj(c, where, errors);
  if (!obj) return undefined;
  const comparator: FeatureComparator = {};
  for (const key of ['infinityNorm', 'jensenShannonDivergence'] as const) {
    if (obj[key] === undefined) continue;
    const inner = expectObj(obj[key], `${where}.${key}`, errors);
    const threshold = inner && readNumber(inner.threshold, `${where}.${key}.threshold`, errors, { min: 0 });
    if (threshold === undefined) errors.push(`${where}.${key} needs a "threshold"`);
    else comparator[key] = { threshold };
  }
  return comparator;
}

function expectObj(v: unknown, where: string, errors: string[]): Obj | undefined {
  if (isObj(v)) return v;
  errors.push(`${where} must be an object`);
  return undefined;
}

/** A number, or a numeric string (proto3 JSON writes int64 as strings and may write "Infinity"). */
function readNumber(
  v: unknown,
  where: string,
  errors: string[],
  rule: { min?: number; max?: number; integer?: boolean },
): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const ok =
    !Number.isNaN(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max);
  if (ok) return n;
  const kind = rule.integer ? 'an integer' : 'a number';
  const range =
    rule.min !== undefined && rule.max !== undefined ? ` between ${rule.min} and ${rule.max}` : rule.min !== undefined ? ` >= ${rule.min}` : '';
  errors.push(`${where} must be ${kind}${range}, got ${JSON.stringify(v)}`);
  return undefined;
}

function checkOrder(min: number | undefined, max: number | undefined, where: string, errors: string[]): void {
  if (min !== undefined && max !== undefined && min > max) errors.push(`${where}: min ${min} is greater than max ${max}`);
}

function noteUnknown(obj: Obj, known: string[], prefix: string, ignored: string[]): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) ignored.push(`${prefix}${key}`);
}

/** proto3 JSON parsers accept the proto's snake_case names too; normalise them to lowerCamelCase. */
function camelCaseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelCaseKeys);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [key, value] of Object.entries(v)) out[key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = camelCaseKeys(value);
  return out;
}
