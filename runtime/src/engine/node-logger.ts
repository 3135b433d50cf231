import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NodeLogger } from '../core/component.ts';

/**
 * A node's log: appended synchronously to a file in the run's record so it survives a crash,
 * and forwarded to the run's listeners.
 */
export class FileNodeLogger implements NodeLogger {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly forward: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  private write(level: 'info' | 'warn' | 'error', message: string): void {
    if (this.fd !== undefined) writeSync(this.fd, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    this.forward(level, message);
  }

  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
