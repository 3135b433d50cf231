/**
 * The Models view's data, without `vscode`: which registries the workspace has (Pusher nodes'
 * `registry` params, servers started by Serve Registry), each read from disk into models →
 * versions with labels, the traffic split's share per version and, when a server of this window
 * serves it, the live numbers from its `/metrics`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { listModels, listVersions, readIndex, armVersion, parseTraffic, type TrafficConfig } from '../../../runtime/src/host-api.ts';
import { statsKey, type VersionStats } from './prometheus.ts';

export interface ServedBy {
  host: string;
  port: number;
  /** Last poll: reachable, or why not. */
  state: 'up' | 'down' | 'starting';
  error?: string;
  /** Process of a server started outside this window (found by its record). */
  pid?: number;
}

export interface VersionView {
  version: number;
  labels: string[];
  /** Share of unversioned predicts under the split, in percent (undefined without a split). */
  sharePct?: number;
  /** The newest version answers unversioned predicts when there is no split. */
  isDefault: boolean;
  pushedAt?: string;
  modelUri?: string;
  /** Live numbers, when a server of this window serves the registry and has answered for it. */
  stats?: VersionStats;
}

export interface ModelView {
  registry: string;
  name: string;
  labels: Record<string, number>;
  traffic?: TrafficConfig;
  /** A split the server would refuse (it keeps the old one), or an unreadable index. */
  problem?: string;
  /** Arms of the split that name no version on disk. */
  missingArms: string[];
  /** Newest first. */
  versions: VersionView[];
}

export interface RegistryView {
  dir: string;
  /** Why it is listed: pipeline files with a Pusher writing here, and/or "served". */
  sources: string[];
  exists: boolean;
  models: ModelView[];
  server?: ServedBy;
}

/** Absolute registry folders of a pipeline file's Pusher nodes (relative paths: from the file). */
export function registriesOfPipeline(text: string, file: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return [];
  }
  const nodes = (doc as { nodes?: unknown } | null)?.nodes;
  if (!nodes || typeof nodes !== 'object') return [];
  const found: string[] = [];
  for (const node of Object.values(nodes as Record<string, unknown>)) {
    const { component, params } = (node ?? {}) as { component?: unknown; params?: { registry?: unknown } };
    if (component === 'Pusher' && typeof params?.registry === 'string' && params.registry) {
      const dir = resolve(dirname(file), params.registry);
      if (!found.includes(dir)) found.push(dir);
    }
  }
  return found;
}

/** A Serve Registry terminal's arguments (`cli.js serve DIR --port N [--host H]`) → what it serves. */
export function servedByArgs(args: readonly string[]): { registry: string; host: string; port: number } | undefined {
  const i = args.indexOf('serve');
  if (i < 0 || !args[i + 1] || args[i + 1].startsWith('-')) return undefined;
  const flag = (name: string) => {
    const at = args.indexOf(name, i);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const port = Number(flag('--port') ?? 8501);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const host = flag('--host') ?? '127.0.0.1';
  return { registry: resolve(args[i + 1]), host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port };
}

/** One model from its folder and index; `stats` from the server's /metrics when served. */
export function readModel(registry: string, name: string, stats?: Map<string, VersionStats>): ModelView {
  const versions = listVersions(registry, name);
  let labels: Record<string, number> = {};
  let traffic: TrafficConfig | undefined;
  let provenance: NonNullable<ReturnType<typeof readIndex>['versions']> = {};
  let problem: string | undefined;
  try {
    const index = readIndex(registry, name);
    labels = index.labels;
    provenance = index.versions ?? {};
    traffic = parseTraffic(index.traffic, `${registry}/${name}/index.json`);
  } catch (e) {
    problem = (e as Error).message;
  }
  const share = new Map<number, number>();
  const missingArms: string[] = [];
  if (traffic) {
    const total = Object.values(traffic.weights).reduce((s, w) => s + w, 0);
    for (const [arm, w] of Object.entries(traffic.weights)) {
      const v = armVersion(arm, labels);
      if (v === undefined || !versions.includes(v)) {
        if (w > 0) missingArms.push(arm);
        continue;
      }
      share.set(v, (share.get(v) ?? 0) + (100 * w) / total);
    }
  }
  const newest = versions.at(-1);
  return {
    registry,
    name,
    labels,
    traffic,
    problem,
    missingArms,
    versions: [...versions].reverse().map((version) => ({
      version,
      labels: Object.entries(labels)
        .filter(([, v]) => v === version)
        .map(([l]) => l),
      sharePct: traffic ? (share.get(version) ?? 0) : undefined,
      isDefault: !traffic && version === newest,
      pushedAt: provenance[String(version)]?.pushedAt,
      modelUri: provenance[String(version)]?.modelUri,
      stats: stats?.get(statsKey(name, version)),
    })),
  };
}

export function readRegistry(dir: string, sources: string[], stats?: Map<string, VersionStats>, server?: ServedBy): RegistryView {
  const models = listModels(dir).map((m) => readModel(dir, m, stats));
  return { dir, sources, exists: existsSync(dir), models, server };
}

export function formatPct(pct: number): string {
  const rounded = Math.round(pct * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} %`;
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s >= 1) return `${s.toFixed(s >= 10 ? 0 : 1)} s`;
  const ms = s * 1000;
  return `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`;
}

/** "stable · 90 % · 1,204 req · 3 err · p50 2.1 ms · p95 7.4 ms". */
export function describeVersion(v: VersionView, served: boolean): string {
  const parts = [...v.labels];
  if (v.sharePct !== undefined) parts.push(formatPct(v.sharePct));
  else if (v.isDefault) parts.push('default');
  if (served) {
    const s = v.stats;
    if (!s || s.requests === 0) parts.push('0 req');
    else parts.push(`${s.requests.toLocaleString('en-US')} req`, `${s.errors.toLocaleString('en-US')} err`, `p50 ${formatSeconds(s.p50)}`, `p95 ${formatSeconds(s.p95)}`);
  }
  return parts.join(' · ');
}

export function describeModel(m: ModelView): string {
  const count = `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`;
  if (m.problem) return `${count} · ⚠ ${m.problem}`;
  if (!m.traffic) return `${count} · no split`;
  const split = Object.entries(m.traffic.weights)
    .map(([a, w]) => `${a}=${w}`)
    .join(' ');
  return `${count} · split ${split}${m.missingArms.length ? ` · ⚠ no version for ${m.missingArms.join(', ')}` : ''}`;
}

export function describeServer(r: RegistryView): string {
  if (!r.server) return r.exists ? 'not served' : 'nothing pushed yet';
  const at = `${r.server.host}:${r.server.port}`;
  if (r.server.state === 'up') return `serving at ${at}`;
  if (r.server.state === 'starting') return `server at ${at} starting`;
  return `server at ${at} not answering`;
}

/** Markdown for a version's tooltip. */
export function versionTooltip(m: ModelView, v: VersionView, served: boolean): string {
  const lines = [`**${m.name}** version ${v.version}${v.labels.length ? ` — ${v.labels.join(', ')}` : ''}`, ''];
  if (v.sharePct !== undefined) {
    const arms = Object.entries(m.traffic?.weights ?? {})
      .filter(([arm]) => armVersion(arm, m.labels) === v.version)
      .map(([arm, w]) => `${arm}=${w}`);
    lines.push(`Traffic: ${formatPct(v.sharePct)} of unversioned predicts${arms.length ? ` (${arms.join(', ')})` : ''}`);
  } else if (v.isDefault) lines.push('Answers predicts that name no version or label (newest, no split).');
  if (v.pushedAt) lines.push('', `Pushed ${v.pushedAt}`);
  if (v.modelUri) lines.push('', `From \`${v.modelUri}\``);
  if (served) {
    const s = v.stats;
    if (!s || s.requests === 0) lines.push('', 'No predicts since the server started.');
    else {
      const arms = Object.entries(s.byArm)
        .map(([arm, n]) => `${arm || '(named)'}: ${n}`)
        .join(', ');
      const mean = s.requests ? s.latencySumSeconds / s.requests : undefined;
      lines.push(
        '',
        `Requests: ${s.requests} (${arms}) · errors: ${s.errors} (${formatPct(s.requests ? (100 * s.errors) / s.requests : 0)})`,
        '',
        `Latency: p50 ${formatSeconds(s.p50)} · p95 ${formatSeconds(s.p95)} · mean ${formatSeconds(mean)} (from the histogram buckets)`,
      );
    }
  }
  return lines.join('\n');
}
