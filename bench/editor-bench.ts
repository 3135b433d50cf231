/**
 * Editor benchmarks against the pinned code-server with headless Debian Chromium (software
 * rendering: --disable-gpu), so numbers are for this environment, not a desktop GPU:
 *   - activation: VS Code's own measure from "Developer: Show Running Extensions" (bundle load +
 *     activate), the extension's target being < 150 ms;
 *   - canvas first paint of the taxi pipeline: from the Enter that runs "Tributary: Open Canvas" to every node
 *     drawn (target < 1 s): the very first open in a fresh browser profile (includes installing
 *     code-server's webview service worker, once per profile), the first open in each of three
 *     new windows (page reloads: the extension host and webviews start again), and later opens;
 *   - a generated 300-node pipeline: first paint, then frames per second (requestAnimationFrame in
 *     the canvas webview) while a node is dragged for ~3 s.
 * Run: node --import tsx bench/editor-bench.ts   (needs scripts/editor-test/install.sh once; it makes the
 * production build first, so run `npm run build` again before the editor tests)
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { launchChromium, REPO, startCodeServer, waitForWorkbench } from '../scripts/editor-test/code-server.ts';
import { makeWorkspace } from '../scripts/editor-test/workspace.ts';
import { findFrame, quickOpen, runCommand } from '../test/e2e/run.ts';

/** 300 nodes: 75 independent chains ExampleGen → StatisticsGen → SchemaGen → ExampleValidator on a grid. */
export function generatedPipeline(chains: number): string {
  const nodes: string[] = [];
  const layout: string[] = [];
  for (let c = 0; c < chains; c++) {
    const id = (kind: string) => `${kind}_${c}`;
    nodes.push(
      `  ${id('gen')}:\n    component: CsvExampleGen\n    params:\n      input: data/taxi.csv`,
      `  ${id('stats')}:\n    component: StatisticsGen\n    inputs:\n      examples: ${id('gen')}.examples`,
      `  ${id('schema')}:\n    component: SchemaGen\n    inputs:\n      statistics: ${id('stats')}.statistics`,
      `  ${id('check')}:\n    component: ExampleValidator\n    inputs:\n      statistics: ${id('stats')}.statistics\n      schema: ${id('schema')}.schema`,
    );
    ['gen', 'stats', 'schema', 'check'].forEach((k, i) => layout.push(`  ${id(k)}: { x: ${i * 260}, y: ${c * 140} }`));
  }
  return `name: generated-${chains * 4}\nroot: .tributary/generated\nnodes:\n${nodes.join('\n')}\nlayout:\n${layout.join('\n')}\n`;
}

async function openCanvasTimed(page: Page, file: string, lastNode: string): Promise<{ ms: number; frame: Frame }> {
  await quickOpen(page, file);
  await page.locator('.tab', { hasText: file }).first().waitFor({ timeout: 15_000 });
  // From the Enter that runs the command: typing into the palette is the test's, not the canvas's.
  let started = Date.now();
  await runCommand(page, 'Tributary: Open Canvas', () => (started = Date.now()));
  const frame = await findFrame(page, `.react-flow__node[data-id="${lastNode}"]`, 60_000);
  return { ms: Date.now() - started, frame };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  // What users install: the packaged (production) build — minified, React in production mode. The
  // development build that the tests use is ~4× larger and React checks everything it renders.
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--production'], { cwd: REPO, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('production build failed');
  const workspace = makeWorkspace('bench-');
  writeFileSync(join(workspace, 'taxi/generated.pipeline.yaml'), generatedPipeline(75));
  const server = await startCodeServer();
  const browser = await launchChromium();
  const results: Record<string, unknown> = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url(workspace, [['extensionDevelopmentPath', server.remote(REPO)], ['skipWelcome', 'true']]));
    await waitForWorkbench(page);
    if (await page.locator('.part.auxiliarybar').isVisible().catch(() => false)) await runCommand(page, 'View: Toggle Secondary Side Bar Visibility');

    // Canvas first paint, taxi: the first open includes the language server's start and spec load.
    const taxi: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { ms } = await openCanvasTimed(page, 'taxi.pipeline.yaml', 'example_validator');
      taxi.push(ms);
      await runCommand(page, 'View: Close All Editors');
      await page.waitForTimeout(500);
    }
    results.taxiFirstPaintMs = { first: taxi[0], medianWarm: median(taxi.slice(1)), all: taxi };


    // Activation, as VS Code measured it.
    await runCommand(page, 'Developer: Show Running Extensions');
    const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'Tributary' }).first();
    await row.waitFor({ timeout: 20_000 });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    results.activation = { text, ms: Number(/(\d+)\s*ms/.exec(text)?.[1] ?? NaN) };
    await runCommand(page, 'View: Close All Editors');

    // The first open above pays a one-time cost that is not the canvas's: the browser installs
    // code-server's webview service worker (pre/index.html waits ~3 s for it here). A new window in
    // a browser that has it, which is what a user opening VS Code sees, is the realistic first open.
    const newWindow: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.reload();
      await waitForWorkbench(page);
      // A reload restores the editors that were open: start from none, as a new window would.
      await runCommand(page, 'View: Close All Editors');
      await page.waitForTimeout(1500);
      for (const frame of page.frames()) if (await frame.$('.react-flow__node').catch(() => null)) throw new Error('a canvas survived Close All Editors');
      newWindow.push((await openCanvasTimed(page, 'taxi.pipeline.yaml', 'example_validator')).ms);
      await runCommand(page, 'View: Close All Editors');
    }
    results.taxiFirstPaintNewWindowMs = { median: median(newWindow), all: newWindow };

    // 300 nodes: first paint, then FPS while dragging a node.
    const big = await openCanvasTimed(page, 'generated.pipeline.yaml', 'check_74');
    const drawn = await big.frame.locator('.react-flow__node').count();
    results.generated = { nodes: drawn, firstPaintMs: big.ms };
    const node = big.frame.locator('.react-flow__node[data-id="stats_37"]');
    await node.scrollIntoViewIfNeeded().catch(() => undefined);
    const box = await node.boundingBox();
    if (!box) throw new Error('stats_37 is not visible');
    // A string, not a function: tsx's transpiled functions reference helpers the page lacks.
    await big.frame.evaluate(`(() => {
      window.__frames = 0;
      window.__long = 0;
      window.__worst = 0;
      window.__count = true;
      let last = performance.now();
      const tick = (now) => {
        if (!window.__count) return;
        window.__frames++;
        const gap = now - last;
        last = now;
        if (gap > 50) window.__long++;
        window.__worst = Math.max(window.__worst, gap);
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    const started = Date.now();
    // Fitted to the view, 300 nodes are small: grab the node's centre.
    const x0 = box.x + box.width / 2;
    const y0 = box.y + box.height / 2;
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 0; i < 180; i++) {
      const t = i / 180;
      await page.mouse.move(x0 + 300 * Math.sin(t * Math.PI * 2) + 40 * t, y0 + 200 * t);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
    const seconds = (Date.now() - started) / 1000;
    const [frames, longFrames, worstMs] = (await big.frame.evaluate('(() => { window.__count = false; return [window.__frames, window.__long, window.__worst]; })()')) as number[];
    const after = await node.boundingBox();
    Object.assign(results.generated as Record<string, unknown>, {
      longFramesOver50ms: longFrames,
      worstFrameMs: Math.round(worstMs),
      // The node really followed the pointer (else the FPS would only measure an idle page).
      nodeMovedPx: after ? Math.round(Math.hypot(after.x - box.x, after.y - box.y)) : null,
    });
    (results.generated as Record<string, unknown>).dragFps = Number((frames / seconds).toFixed(1));
    (results.generated as Record<string, unknown>).dragSeconds = Number(seconds.toFixed(2));
    await page.screenshot({ path: join(REPO, 'test-results/bench-300-nodes.png') });
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
