/**
 * Entry for a server child process (InfraValidator, bench): `serve-main REGISTRY [--port N]
 * [--host H] [--workers N|auto] [--max-batch-size N] [--batch-timeout-ms MS] [--warmup-requests N]`. Kept apart from the
 * CLI so a child loads only the server (and so do its cluster workers, which re-run this file).
 * Test fixture only: TRIBUTARY_SERVE_PREDICT_DELAY_MS delays every predict.
 */
import { parseServeWorkers, serve } from './serve.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const number = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));
const registry = args[0];
if (!registry) {
  process.stderr.write('usage: serve-main REGISTRY [--port N] [--host H] [--workers N|auto] [--max-batch-size N] [--batch-timeout-ms MS] [--warmup-requests N]\n');
  process.exit(2);
}
try {
  await serve(registry, {
    port: Number(flag('--port') ?? 0),
    host: flag('--host') ?? '127.0.0.1',
    workers: parseServeWorkers(flag('--workers') ?? '1'),
    maxBatchSize: number('--max-batch-size'),
    batchTimeoutMs: number('--batch-timeout-ms'),
    warmupRequests: number('--warmup-requests'),
    readyLine: true,
    predictDelayMs: Number(process.env.TRIBUTARY_SERVE_PREDICT_DELAY_MS ?? 0),
  });
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
