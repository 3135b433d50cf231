/**
 * The serving bench's load generator connection: one keep-alive HTTP/1.1 socket that sends a
 * request whose bytes were built once and reads the answer framed by its content-length (the
 * model server always sends one), as wrk and autocannon do. Node's http client costs about as
 * much CPU per request as the server's own request path, and its garbage collections pause every
 * request in flight; on a machine whose cores the load generator shares with the server, both
 * were measured as the server's latency.
 */
import { connect, type Socket } from 'node:net';

/** The bytes of a POST with a JSON body, built once and sent as often as needed. */
export function postBytes(path: string, body: string): Buffer {
  const payload = Buffer.from(body);
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`), payload]);
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class LoadConnection {
  private socket?: Socket;
  private pending?: { resolve: (r: number | Error) => void; started: number };
  /** Bytes of the answer so far, when it came in several chunks. */
  private parts: Buffer[] = [];
  private received = 0;
  /** Header end and whole length of the answer being read, once its head is in. */
  private head?: { status: number; length: number };

  constructor(private readonly port: number) {}

  /** Sends one request; resolves with its latency in ms, or an Error (status other than 200, or a dropped connection). */
  post(request: Buffer): Promise<number | Error> {
    if (this.pending) throw new Error('one request at a time on a connection');
    const socket = (this.socket ??= this.open());
    return new Promise((resolve) => {
      this.pending = { resolve, started: performance.now() };
      socket.write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = (e?: Error) => {
      if (this.socket === socket) this.socket = undefined;
      this.finish(e ?? new Error('the server closed the connection'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    return socket;
  }

  private read(chunk: Buffer): void {
    this.parts.push(chunk);
    this.received += chunk.length;
    if (!this.head) {
      const all = this.parts.length === 1 ? chunk : Buffer.concat(this.parts);
      const end = all.indexOf(HEADER_END);
      if (end < 0) return;
      const headers = all.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
      if (!length) {
        this.socket?.destroy();
        return this.finish(new Error(`an answer without content-length: ${headers.split('\r\n')[0]}`));
      }
      this.head = { status: Number(headers.slice(9, 12)), length: end + HEADER_END.length + Number(length[1]) };
    }
    if (this.received >= this.head.length) this.finish(this.head.status === 200 ? undefined : new Error(`HTTP ${this.head.status}`));
  }

  private finish(error?: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    this.parts = [];
    this.received = 0;
    this.head = undefined;
    pending?.resolve(error ?? performance.now() - pending.started);
  }
}
