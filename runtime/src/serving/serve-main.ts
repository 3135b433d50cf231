/**
 * Entry for a server child process (InfraValidator, bench): `serve-main REGISTRY [--port N]
 * [--host H]`. Kept apart from the CLI so a child loads only the server. Test fixture only:
 * TRIBUTARY_SERVE_PREDICT_DELAY_MS delays every predict.
 */
import { serve } from './serve.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const registry = args[0];
if (!registry) {
  process.stderr.write('usage: serve-main REGISTRY [--port N] [--host H]\n');
  process.exit(2);
}
serve(registry, {
  port: Number(flag('--port') ?? 0),
  host: flag('--host') ?? '127.0.0.1',
  readyLine: true,
  predictDelayMs: Number(process.env.TRIBUTARY_SERVE_PREDICT_DELAY_MS ?? 0),
}).catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
