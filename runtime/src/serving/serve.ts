/** `tributary serve`: runs a ModelServer until SIGINT/SIGTERM and announces readiness on stdout. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { ModelServer, type ServerOptions } from './server.ts';
import { writeServerRecord } from './server-records.ts';

export interface ServeOptions extends ServerOptions {
  /** Print one JSON line {"ready":true,...} when listening (the InfraValidator reads it). */
  readyLine?: boolean;
}

export async function serve(registry: string, options: ServeOptions = {}): Promise<ModelServer> {
  const started = performance.now();
  const dir = resolve(registry);
  if (!existsSync(dir)) throw new UserError(`Model registry ${dir} does not exist`, { file: dir });
  const server = new ModelServer(dir, options);
  const address = await server.start();
  const readyMs = Math.round(performance.now() - started);
  // Other windows and tools find this server through its record (server-records.ts), written
  // before the ready line so that whoever reads the line finds the record too.
  const removeRecord = writeServerRecord(dir, address, (line) => process.stderr.write(`warning: ${line}\n`));
  process.once('exit', removeRecord);
  if (options.readyLine) {
    process.stdout.write(`${JSON.stringify({ ready: true, host: address.host, port: address.port, readyMs })}\n`);
  } else {
    process.stdout.write(`Serving ${dir} at http://${address.host}:${address.port}/v1/models (ready in ${readyMs} ms)\n`);
  }
  const stop = () => {
    removeRecord();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
