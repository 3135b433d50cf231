/**
 * Short human labels for runs, besides their timestamp ids: the pipeline, when it started, and what
 * changed since the pipeline's previous run (parameters, edited code, a new data span), e.g.
 * `chicago-taxi · Dec 6 08:10 · trainer.epochs 8→12`. Read from the store alone (no artifact files).
 */
import type { StoreData } from '../core/metadata-types.ts';
import { compareRuns, experimentRuns, type ExperimentRun } from './experiments.ts';
import { listRuns } from './run-rows.ts';

export interface RunLabel {
  pipeline: string;
  /** `Dec 6 08:10`, local time. */
  time: string;
  /**
   * What changed since the previous run of the pipeline: `first run`, `no changes`, or up to two
   * differences and how many more; undefined when the previous run is not in this view of the store.
   */
  changes?: string;
  /** All three, joined with ` · `. */
  text: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SHOWN = 2;

export function formatRunTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const short = (v: string | undefined) => (v === undefined ? '∅' : v.length > 14 ? `${v.slice(0, 13)}…` : v);

/** The differences between two runs of one pipeline, most telling first: parameters, code, data. */
export function runChanges(previous: ExperimentRun, run: ExperimentRun): string[] {
  const diff = compareRuns(previous, run);
  return [
    ...diff.params.map((p) => (p.a === undefined ? `${p.key}=${short(p.b)}` : p.b === undefined ? `−${p.key}` : `${p.key} ${short(p.a)}→${short(p.b)}`)),
    ...diff.moduleHashes.filter((m) => m.a !== undefined && m.b !== undefined).map((m) => `${m.key.split('.')[0]} code edited`),
    ...diff.spans.map((s) => `${s.key} span ${short(s.a)}→${short(s.b)}`),
  ].filter((change, i, all) => all.indexOf(change) === i);
}

/**
 * A label per run id of the view, for every pipeline in it. The oldest run of a pipeline in the view
 * is compared with nothing: `first run` only when the view holds the pipeline's whole history
 * (`complete`), else it gets no change part.
 */
export function runLabels(data: StoreData, options: { complete?: boolean } = {}): Map<string, RunLabel> {
  const labels = new Map<string, RunLabel>();
  const pipelines = new Set(listRuns(data).map((r) => r.pipeline));
  const noFiles = { trainingCurve: () => undefined, evaluationMetrics: () => undefined };
  for (const pipeline of pipelines) {
    const runs = experimentRuns(data, pipeline, noFiles);
    runs.forEach((run, i) => {
      let changes: string | undefined;
      if (i > 0) {
        const all = runChanges(runs[i - 1], run);
        changes = all.length === 0 ? 'no changes' : [...all.slice(0, SHOWN), ...(all.length > SHOWN ? [`+${all.length - SHOWN} more`] : [])].join(', ');
      } else if (options.complete) changes = 'first run';
      const time = formatRunTime(run.startedAt);
      labels.set(run.runId, { pipeline, time, ...(changes && { changes }), text: [pipeline, time, changes].filter(Boolean).join(' · ') });
    });
  }
  return labels;
}
