/**
 * InfraValidator: the candidate bundle in a real server process. Blessed only when the process
 * is ready within max_startup_ms, the model loads, every request succeeds and the p99 latency of
 * single-row predicts is below max_p99_ms.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '../../core/component.ts';
import { quantileSorted } from '../../ml/metrics.ts';
import { readBundleFeatures } from '../../serving/registry-index.ts';
import { readSplitRows } from '../evaluator/read-rows.ts';
import type { infraValidatorSpec } from './spec.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

type Spec = typeof infraValidatorSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const INFRA_BLESSING_FILE = 'infra_blessing.json';
const MODEL = 'candidate';

interface Reason {
  check: string;
  passed: boolean;
  message: string;
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const bundle = join(ctx.inputs.model.uri, 'bundle');
  const registry = mkdtempSync(join(tmpdir(), 'tributary-infra-'));
  const reasons: Reason[] = [];
  const result: Record<string, unknown> = {};
  let server: ServerProcess | undefined;
  try {
    mkdirSync(join(registry, MODEL));
    symlinkSync(bundle, join(registry, MODEL, '1'), 'dir');
    // Requests: real rows, only the features the bundle accepts.
    let features: string[];
    try {
      features = readBundleFeatures(bundle);
    } catch (e) {
      reasons.push({ check: 'load', passed: false, message: `the model cannot be loaded: ${(e as Error).message}` });
      return finish(ctx, reasons, result);
    }
    const rows = readSplitRows(ctx.inputs.examples.uri, params.split, params.num_requests).map((r) =>
      Object.fromEntries(features.filter((f) => f in r).map((f) => [f, r[f]])),
    );
    // Wait a little past the limit so a slow start is measured, not just cut off.
    const waitMs = params.max_startup_ms * 2 + 1000;
    try {
      server = await startServerProcess(registry, { timeoutMs: waitMs, workers: params.workers || 'auto' });
    } catch (e) {
      reasons.push({ check: 'startup', passed: false, message: `server did not start: ${(e as Error).message}` });
    }
    if (server) {
      const startupMs = Math.round(server.readyMs);
      result.startup_ms = startupMs;
      const fast = startupMs < params.max_startup_ms;
      reasons.push({ check: 'startup', passed: fast, message: `ready in ${startupMs} ms ${fast ? '<' : '≥'} max_startup_ms ${params.max_startup_ms}` });
      const base = `http://127.0.0.1:${server.port}/v1/models/${MODEL}`;
      const status = (await (await fetch(base)).json()) as { model_version_status?: { state: string; status: { error_message: string } }[] };
      const v = status.model_version_status?.[0];
      if (v?.state !== 'AVAILABLE') {
        reasons.push({ check: 'load', passed: false, message: `the model cannot be loaded: ${v?.status.error_message || 'not available'}` });
      } else {
        reasons.push({ check: 'load', passed: true, message: 'the model loaded' });
        await timeRequests(ctx, `${base}:predict`, rows, reasons, result);
      }
    }
  } finally {
    await server?.stop();
    rmSync(registry, { recursive: true, force: true });
  }
  finish(ctx, reasons, result);
}

function finish(ctx: Ctx, reasons: Reason[], result: Record<string, unknown>): void {
  const { params } = ctx;
  const blessed = reasons.length > 0 && reasons.every((r) => r.passed);
  const out = ctx.outputs.blessing;
  writeFileSync(join(out.uri, INFRA_BLESSING_FILE), JSON.stringify({ formatVersion: 1, blessed, model: { id: ctx.inputs.model.id, uri: ctx.inputs.model.uri }, ...result, limits: { max_startup_ms: params.max_startup_ms, max_p99_ms: params.max_p99_ms }, reasons }, null, 2));
  writeFileSync(join(out.uri, blessed ? 'INFRA_BLESSED' : 'INFRA_NOT_BLESSED'), '');
  out.properties = { blessed, modelId: ctx.inputs.model.id, ...result, failed: reasons.filter((r) => !r.passed).map((r) => r.message) };
  for (const r of reasons) {
    if (r.passed) ctx.log.info(`pass: ${r.message}`);
    else ctx.log.warn(`FAIL: ${r.message}`);
  }
  ctx.log.info(blessed ? 'Model INFRA_BLESSED' : 'Model NOT infra-blessed');
}

async function timeRequests(ctx: Ctx, url: string, rows: Record<string, unknown>[], reasons: Reason[], result: Record<string, unknown>): Promise<void> {
  const { params } = ctx;
  if (rows.length === 0) {
    reasons.push({ check: 'requests', passed: false, message: `split "${params.split}" has no rows to build requests from` });
    return;
  }
  const send = async (row: Record<string, unknown>) => {
    const t = performance.now();
    const r = await fetch(url, { method: 'POST', body: JSON.stringify({ instances: [row] }), headers: { 'content-type': 'application/json' } });
    const text = await r.text();
    return { ms: performance.now() - t, ok: r.status === 200, status: r.status, text };
  };
  for (let i = 0; i < params.warmup_requests; i++) await send(rows[i % rows.length]);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  for (let i = 0; i < params.num_requests; i++) {
    ctx.signal.throwIfAborted();
    const r = await send(rows[i % rows.length]);
    latencies.push(r.ms);
    if (!r.ok) {
      failures++;
      firstFailure ||= `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    }
  }
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  const p99 = quantileSorted(latencies, 0.99);
  result.latency_ms = { n: latencies.length, p50: round(quantileSorted(latencies, 0.5)), p99: round(p99), max: round(latencies.at(-1)!) };
  reasons.push({
    check: 'requests',
    passed: failures === 0,
    message: failures === 0 ? `${latencies.length} requests succeeded` : `${failures} of ${latencies.length} requests failed (first: ${firstFailure})`,
  });
  const fast = p99 < params.max_p99_ms;
  reasons.push({ check: 'latency', passed: fast, message: `p99 latency ${round(p99)} ms ${fast ? '<' : '≥'} max_p99_ms ${params.max_p99_ms}` });
}
