import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoadConnection, postBytes } from '../../bench/http-load-client.ts';

describe('serving bench load connection', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        if (body === 'close') return req.socket.destroy();
        const status = body === 'missing' ? 404 : 200;
        // A long answer arrives in several chunks; the head and the body are written apart.
        const text = body === 'long' ? 'x'.repeat(300_000) : '{"ok":true}';
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.write(text.slice(0, 5));
        setImmediate(() => res.end(text.slice(5)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends pre-built requests on one keep-alive socket and reads answers framed by content-length', async () => {
    const connection = new LoadConnection(port);
    for (const body of ['a', 'long', 'b']) assert.equal(typeof (await connection.post(postBytes('/p', body))), 'number');
    const missing = await connection.post(postBytes('/p', 'missing'));
    assert.ok(missing instanceof Error && /HTTP 404/.test(missing.message));
    // A dropped connection is an error for its request; the next request opens a new socket.
    const dropped = await connection.post(postBytes('/p', 'close'));
    assert.ok(dropped instanceof Error);
    assert.equal(typeof (await connection.post(postBytes('/p', 'c'))), 'number');
    connection.close();
    assert.deepEqual(seen, ['POST /p a', 'POST /p long', 'POST /p b', 'POST /p missing', 'POST /p close', 'POST /p c']);
  });
});
