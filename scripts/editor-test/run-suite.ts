/**
 * Runs the extension's mocha suite (dist/test/editor/index.cjs, built from test/editor/index.ts)
 * inside the extension host of a pinned code-server: the workbench's smoke-test driver loads the
 * extension under development and the tests from the URL's payload, forwards mocha's output
 * through `codeAutomationLog` and reports the exit code through `codeAutomationExit`.
 */
import { existsSync, rmSync } from 'node:fs';
import { format } from 'node:util';
import { join } from 'node:path';
import { isNoise, launchChromium, REPO, startCodeServer, waitForWorkbench } from './code-server.ts';
import { makeWorkspace } from './workspace.ts';

const SUITE = join(REPO, 'dist/test/editor/index.cjs');

export async function runEditorSuite(options: { timeoutMs?: number; grep?: string } = {}): Promise<number> {
  if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: run npm run build first`);
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const workspace = makeWorkspace();
  const server = await startCodeServer({
    verbose: !!process.env.TRIBUTARY_EDITOR_TEST_VERBOSE,
    // The suite reads its filter from the extension host's environment, inherited from code-server.
    env: options.grep ? { TRIBUTARY_EDITOR_GREP: options.grep } : {},
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let settle!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(code));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      // The smoke-test driver forwards console calls printf-style ('%s) %s:', …), as mocha made them.
      const text = format(...(args as [unknown, ...unknown[]]));
      if (isNoise(text)) return;
      (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
    });
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', server.remote(REPO)],
      ['extensionTestsPath', server.remote(SUITE)],
      ['skipWelcome', 'true'],
    ];
    await page.goto(server.url(workspace, payload));
    await waitForWorkbench(page);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`editor tests: no result after ${timeoutMs / 1000} s\n`);
        resolve(2);
      }, timeoutMs);
    });
    const code = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (code !== 0 && process.env.TRIBUTARY_EDITOR_TEST_VERBOSE) process.stderr.write(server.log());
    return code;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const grep = process.argv.indexOf('--grep');
  runEditorSuite({ grep: grep > 0 ? process.argv[grep + 1] : undefined }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
