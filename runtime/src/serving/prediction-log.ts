/**
 * Optional request/prediction log (`tributary serve --prediction-log FILE`): one JSON line per
 * predict, with the model, version and traffic arm, so arms can be compared offline.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface PredictionRecord {
  time: string;
  model: string;
  version: number;
  /** Traffic arm, "" when the request named its version or label. */
  arm: string;
  key?: string;
  status: number;
  latencyMs: number;
  instances?: unknown[];
  predictions?: unknown[];
  error?: string;
}

export class PredictionLog {
  private readonly stream: WriteStream;

  constructor(file: string) {
    const path = resolve(file);
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', () => undefined); // logging must never take the server down
  }

  write(record: PredictionRecord): void {
    this.stream.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((r) => this.stream.end(() => r()));
  }
}
