/**
 * Watches a run's events, matches them against the pipeline's alert rules and delivers the
 * alerts in the background. A failed delivery is retried with exponential backoff and then given
 * up: it is written to the run's alert log (<root>/runs/<run>/alerts.log), never fails the run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AlertMessage, RunEvent } from '../core/run-events.ts';
import type { PipelinePlan } from '../core/plan.ts';
import type { AlertTarget } from '../core/pipeline-spec.ts';
import { deliver, PermanentDeliveryError } from './deliver.ts';
import { factsOf, ruleMatches, type FinishedNode } from './match.ts';

export interface AlertOptions {
  /** Attempts per target, the first included. */
  attempts?: number;
  /** Wait before the first retry; doubles each time. */
  backoffMs?: number;
  timeoutMs?: number;
  /** Where `notification` alerts go (the run's onEvent). */
  emit?: (event: RunEvent) => void;
}

export function alertLogFile(root: string, runId: string): string {
  return join(root, 'runs', runId, 'alerts.log');
}

export function targetName(t: AlertTarget): string {
  if ('notification' in t) return 'notification';
  if ('command' in t) return `command ${t.command[0]}`;
  return `webhook (${'url_env' in t.webhook ? `$${t.webhook.url_env}` : t.webhook.url_file})`;
}

export class AlertDispatcher {
  private readonly pending = new Set<Promise<void>>();
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  readonly logFile: string;

  constructor(
    private readonly plan: Pick<PipelinePlan, 'name' | 'dir' | 'root' | 'alerts'>,
    private readonly runId: string,
    private readonly options: AlertOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    // The variable lets CLI-level tests keep retries fast.
    this.backoffMs = options.backoffMs ?? (Number(process.env.TRIBUTARY_ALERT_BACKOFF_MS) || 500);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.logFile = alertLogFile(plan.root, runId);
  }

  /** Called with every run event; `node` is the finished node's summary where there is one. */
  observe(event: RunEvent, node?: FinishedNode): void {
    const rules = this.plan.alerts ?? [];
    if (!rules.length) return;
    for (const fact of factsOf(event, node)) {
      const alert: AlertMessage = { ...fact, pipeline: this.plan.name, runId: this.runId, time: new Date().toISOString() };
      const targets = rules.filter((r) => ruleMatches(r, fact)).flatMap((r) => r.to);
      // Two rules naming the same target send it once.
      const unique = [...new Map(targets.map((t) => [JSON.stringify(t), t])).values()];
      for (const target of unique) this.track(this.send(alert, target));
    }
  }

  /** Resolves when every delivery started so far has succeeded or been given up. */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private log(line: string): void {
    try {
      mkdirSync(dirname(this.logFile), { recursive: true });
      appendFileSync(this.logFile, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // The alert log is best effort; a full disk must not fail the run either.
    }
  }

  private async send(alert: AlertMessage, target: AlertTarget): Promise<void> {
    const what = `${alert.event}${alert.nodeId ? ` (${alert.nodeId})` : ''} → ${targetName(target)}`;
    const ctx = {
      pipelineDir: this.plan.dir,
      timeoutMs: this.timeoutMs,
      notify: (a: AlertMessage) => this.options.emit?.({ type: 'alert', alert: a }),
    };
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        await deliver(alert, target, ctx);
        this.log(`sent ${what}${attempt > 1 ? ` on attempt ${attempt}` : ''}`);
        return;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const last = attempt === this.attempts || e instanceof PermanentDeliveryError;
        this.log(`${last ? 'gave up' : 'failed'} ${what} (attempt ${attempt}/${this.attempts}): ${message}`);
        if (last) return;
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }
}
