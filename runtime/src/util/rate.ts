/**
 * Progress with a rate and an estimated time left, for nodes that run long (the Evaluator and
 * BulkInferrer predicting millions of rows): the CLI and the canvas show both.
 */
import type { Progress } from '../core/component.ts';

export class RateMeter {
  private readonly started = performance.now();
  constructor(
    readonly unit: string,
    readonly total?: number,
  ) {}

  /** The progress after `done` units. No rate until a unit is done (nothing to divide yet). */
  at(done: number): Progress {
    const seconds = (performance.now() - this.started) / 1000;
    const progress: Progress = { done, unit: this.unit, ...(this.total !== undefined ? { total: this.total } : {}) };
    if (done > 0 && seconds > 0) {
      progress.perSecond = Math.round(done / seconds);
      if (this.total !== undefined) progress.etaMs = Math.max(0, Math.round(((this.total - done) / done) * seconds * 1000));
    }
    return progress;
  }
}

/** `52,300 rows/s, ETA 1m 05s` (empty without a rate). */
export function describeRate(p: Pick<Progress, 'perSecond' | 'etaMs' | 'unit'>): string {
  if (p.perSecond === undefined) return '';
  const parts = [`${p.perSecond.toLocaleString('en-US')} ${p.unit}/s`];
  if (p.etaMs !== undefined) {
    const s = Math.round(p.etaMs / 1000);
    parts.push(`ETA ${s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s} s`}`);
  }
  return parts.join(', ');
}
