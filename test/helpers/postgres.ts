/**
 * A real Postgres server for the store's tests, started by the tests themselves: Debian's
 * `postgresql` binaries (initdb, pg_ctl) on a temporary data folder and a free port, with `trust`
 * authentication on 127.0.0.1 only. As root it runs as the `postgres` user (Postgres refuses to
 * run as root). `TRIBUTARY_TEST_POSTGRES_URL` points the tests at a server of one's own instead.
 *
 * Where neither is available the tests skip, saying why, unless `TRIBUTARY_REQUIRE_POSTGRES=1`
 * (set by `.ci/run`), where they fail instead.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** A fresh, empty database on the server for each call. */
  database(): Promise<string>;
  stop(): Promise<void>;
}

export const postgresRequired = process.env.TRIBUTARY_REQUIRE_POSTGRES === '1';

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let counter = 0;
function databases(admin: string) {
  return async () => {
    const name = `trib_${process.pid}_${++counter}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
}

/**
 * Starts a server, or returns why it cannot (the caller skips or, in CI, fails). Tests run it
 * without fsync (nothing to keep); `durable` (benchmarks) keeps Postgres's default durability.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres | string> {
  const external = process.env.TRIBUTARY_TEST_POSTGRES_URL;
  if (external) return { database: databases(external), stop: async () => undefined };
  const bin = binDir();
  if (!bin || !existsSync(join(bin, 'initdb'))) {
    return 'no Postgres server binaries (install Debian\'s postgresql, e.g. apt-get install -y postgresql, or set TRIBUTARY_TEST_POSTGRES_URL)';
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'trib-pg-'));
  const data = join(dir, 'data');
  const run = (program: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, program), args, { stdio: 'pipe' });
  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(dir, uid, gid);
    }
    run('initdb', ['-D', data, '-U', 'tributary', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    const port = await freePort();
    const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
    const flags = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${fast}`;
    run('pg_ctl', ['-D', data, '-o', flags, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    const stop = async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    return { database: databases(`postgres://tributary@127.0.0.1:${port}/postgres`), stop };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: Buffer; message: string };
    return `could not start Postgres from ${bin}: ${err.stderr?.toString().trim() || err.message}`;
  }
}

/**
 * For a mocha `describe`: starts the server before its tests (skipping them, or failing in CI,
 * when it cannot) and stops it after. `url()` gives a fresh database.
 */
export function usePostgres(): { url: () => Promise<string> } {
  let server: TestPostgres | undefined;
  before(async function () {
    this.timeout(120_000);
    const started = await startPostgres();
    if (typeof started === 'string') {
      if (postgresRequired) throw new Error(`TRIBUTARY_REQUIRE_POSTGRES=1 but ${started}`);
      console.log(`      (skipped: ${started})`);
      this.skip();
    }
    server = started as TestPostgres;
  });
  after(async function () {
    this.timeout(60_000);
    await server?.stop();
  });
  return { url: () => server!.database() };
}
