/**
 * The text of "Tributary: Set Traffic Split" (`stable=90 canary=10`, or `off`): parsed and checked
 * against the model's labels and versions before `tributary traffic` runs, so the input box can
 * say what is wrong while the user types. No `vscode` here.
 */

export interface SplitTarget {
  /** The model's labels → versions (its registry index). */
  labels: Record<string, number>;
  /** Versions on disk. */
  versions: number[];
}

export type Split = { off: true } | { off: false; weights: [arm: string, weight: number][] };

export type SplitResult = { ok: true; split: Split } | { ok: false; message: string };

/** Same shape `tributary traffic` accepts for one pair. */
const PAIR = /^([^=\s,]+)=([0-9]+(?:\.[0-9]+)?)$/;
const VERSION = /^[1-9][0-9]*$/;

export function parseSplit(text: string, target: SplitTarget): SplitResult {
  const tokens = text.split(/[\s,]+/).filter(Boolean);
  const fail = (message: string): SplitResult => ({ ok: false, message });
  if (tokens.length === 0) return fail('Enter ARM=WEIGHT pairs, e.g. stable=90 canary=10 (arms: labels or version numbers), or "off".');
  if (tokens.some((t) => t.toLowerCase() === 'off')) {
    return tokens.length === 1 ? { ok: true, split: { off: true } } : fail('"off" removes the split: write it alone.');
  }
  const weights: [string, number][] = [];
  for (const token of tokens) {
    const m = PAIR.exec(token);
    if (!m) return fail(`"${token}" is not ARM=WEIGHT (a weight is a number ≥ 0, e.g. canary=10).`);
    const [, arm, raw] = m;
    if (weights.some(([a]) => a === arm)) return fail(`"${arm}" appears twice.`);
    if (VERSION.test(arm)) {
      if (!target.versions.includes(Number(arm))) return fail(`There is no version ${arm} (versions: ${target.versions.join(', ') || 'none'}).`);
    } else if (!(arm in target.labels)) {
      const labels = Object.keys(target.labels);
      return fail(`There is no label "${arm}" (labels: ${labels.join(', ') || 'none'}); use a label or a version number.`);
    } else if (!target.versions.includes(target.labels[arm])) {
      return fail(`Label "${arm}" points at version ${target.labels[arm]}, which is not in the registry.`);
    }
    weights.push([arm, Number(raw)]);
  }
  if (!weights.some(([, w]) => w > 0)) return fail('At least one weight must be above 0.');
  return { ok: true, split: { off: false, weights } };
}

/** `{ stable: 90, canary: 10 }` → `stable=90 canary=10`. */
export function formatSplit(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([arm, w]) => `${arm}=${w}`)
    .join(' ');
}

/**
 * What the input box starts with: the current split; else the labels (or, without labels, the two
 * newest versions) with the first one taking 90.
 */
export function suggestSplit(target: SplitTarget, current?: Record<string, number>): string {
  if (current && Object.keys(current).length) return formatSplit(current);
  const labels = Object.entries(target.labels).filter(([, v]) => target.versions.includes(v));
  const arms = labels.length ? labels.map(([l]) => l) : target.versions.slice(-2).reverse().map(String);
  if (arms.length === 0) return '';
  if (arms.length === 1) return `${arms[0]}=100`;
  const rest = Math.floor(10 / (arms.length - 1));
  return arms.map((a, i) => `${a}=${i === 0 ? 100 - rest * (arms.length - 1) : rest}`).join(' ');
}

/** The CLI arguments: `traffic REGISTRY MODEL stable=90 canary=10` or `… off`. */
export function trafficArgs(registry: string, model: string, split: Split): string[] {
  return ['traffic', registry, model, ...(split.off ? ['off'] : split.weights.map(([arm, w]) => `${arm}=${w}`))];
}
