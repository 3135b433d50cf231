/**
 * Sends one alert to one target. Webhooks get a Slack incoming-webhook payload ({text, blocks});
 * commands get the alert JSON on stdin and in TRIBUTARY_ALERT (no shell: args as written).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { AlertMessage } from '../core/run-events.ts';
import type { AlertTarget } from '../core/pipeline-spec.ts';

/** A failure that retrying cannot fix (missing variable, unreadable file): logged once. */
export class PermanentDeliveryError extends Error {}

export function slackPayload(alert: AlertMessage): { text: string; blocks: unknown[] } {
  const icon = alert.severity === 'ERROR' ? ':red_circle:' : alert.severity === 'WARNING' ? ':warning:' : ':information_source:';
  const text = `${icon} [${alert.pipeline}] ${alert.title}: ${alert.text}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${alert.title}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: alert.text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `pipeline *${alert.pipeline}* · run \`${alert.runId}\`${alert.nodeId ? ` · node \`${alert.nodeId}\`` : ''} · ${alert.severity} · ${alert.time}` }],
      },
    ],
  };
}

export function webhookUrl(target: { url_env: string } | { url_file: string }, pipelineDir: string, env: NodeJS.ProcessEnv = process.env): string {
  let url: string;
  if ('url_env' in target) {
    url = env[target.url_env] ?? '';
    if (!url) throw new PermanentDeliveryError(`environment variable ${target.url_env} (the webhook URL) is not set`);
  } else {
    const file = target.url_file.startsWith('~/') ? resolve(homedir(), target.url_file.slice(2)) : resolve(pipelineDir, target.url_file);
    try {
      url = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new PermanentDeliveryError(`cannot read the webhook URL file ${file}: ${(e as Error).message}`);
    }
  }
  if (!/^https?:\/\//.test(url)) throw new PermanentDeliveryError(`the webhook URL from ${'url_env' in target ? target.url_env : target.url_file} is not an http(s) URL`);
  return url;
}

export interface DeliveryContext {
  pipelineDir: string;
  /** The `notification` target: becomes an `alert` RunEvent. */
  notify: (alert: AlertMessage) => void;
  timeoutMs: number;
}

export async function deliver(alert: AlertMessage, target: AlertTarget, ctx: DeliveryContext): Promise<void> {
  if ('notification' in target) {
    ctx.notify(alert);
    return;
  }
  if ('webhook' in target) {
    const url = webhookUrl(target.webhook, ctx.pipelineDir);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(slackPayload(alert)),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    const body = await res.text().catch(() => '');
    // Slack answers 4xx for a bad payload or a revoked hook: retrying does not help those, except 429.
    if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new PermanentDeliveryError(`webhook answered ${res.status} ${body.slice(0, 200)}`);
    if (!res.ok) throw new Error(`webhook answered ${res.status} ${body.slice(0, 200)}`);
    return;
  }
  await runCommand(target.command, alert, ctx);
}

function runCommand(args: string[], alert: AlertMessage, ctx: DeliveryContext): Promise<void> {
  const json = JSON.stringify(alert);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(args[0], args.slice(1), {
      cwd: ctx.pipelineDir,
      env: { ...process.env, TRIBUTARY_ALERT: json, TRIBUTARY_ALERT_EVENT: alert.event },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-500)));
    const timer = setTimeout(() => child.kill('SIGKILL'), ctx.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${args[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`${args[0]} exited with ${signal ?? code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // a command that ignores stdin may close it early
    child.stdin.end(json);
  });
}
