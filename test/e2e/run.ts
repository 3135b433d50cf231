/**
 * End to end, as a user: Debian Chromium (playwright-core) drives code-server with the extension
 * under development. Each step is recorded pass/fail with its reason and a screenshot under
 * test-results/e2e/, and the run continues where later steps can still say something (a feature
 * another engineer has not finished fails its own steps, not the whole report).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import { launchChromium, REPO, startCodeServer, waitForWorkbench } from '../../scripts/editor-test/code-server.ts';
import { makeWorkspace } from '../../scripts/editor-test/workspace.ts';
import { curvesCross, type Curve } from '../../webview/src/canvas/crossings.ts';
import { cachedRerunSteps, sharedRootSteps } from './history-steps.ts';
import { liveRunSteps, outsideRunStep } from './live-run-steps.ts';
import { productionSteps } from './production-steps.ts';
import { QUICK_INPUT } from './quick-input.ts';
import { viewerSteps } from './viewer-steps.ts';
import { themeSteps } from './theme-steps.ts';

export const RESULTS = join(REPO, 'test-results/e2e');

interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
  screenshot?: string;
}

// ---------------------------------------------------------------------------------------------
// Workbench helpers (selectors from ../shared/reference/editor-testing.md)

/** Keyboard focus back to the workbench: keys pressed while a webview has focus stay in its iframe. */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur?.());
}

const quickInputField = (page: Page) => page.locator(`${QUICK_INPUT} input:not([type="checkbox"])`).first();
const quickRows = (page: Page) => page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`);

/** The placeholder of the quick input on screen; '' when none is open. */
async function openPlaceholder(page: Page): Promise<string> {
  if (!(await page.locator(QUICK_INPUT).count())) return '';
  return (await quickInputField(page).getAttribute('placeholder', { timeout: 1000 }).catch(() => null)) ?? '';
}

/** Opens a quick input with `key`; a webview that takes focus back as it reveals gets a few tries. */
async function openQuickInput(page: Page, key: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await focusWorkbench(page);
    await page.keyboard.press('Escape');
    await page.keyboard.press(key);
    try {
      await quickInputField(page).waitFor({ state: 'visible', timeout: 3000 });
      return;
    } catch (error) {
      if (attempt === 4) throw error;
      await page.waitForTimeout(500);
    }
  }
}

/** Runs a command from the palette: the row whose label is exactly `title` (another command can
 * start with the same words, "Open Artifact" and "Open Artifact Viewer", and the palette lists the
 * recently used one first). A webview that takes the focus as it loads can close the palette under
 * us, so the whole sequence gets a few tries. */
export async function runCommand(page: Page, title: string, onEnter?: () => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await openQuickInput(page, 'F1');
      await quickInputField(page).fill(`>${title}`, { timeout: 5000 });
      await pickRow(page, title, attempt === 3 ? 15_000 : 5000, undefined, { exact: true, onEnter });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.waitForTimeout(500);
    }
  }
}

/** Opens `file` with Quick Open and returns once its editor is the active tab (a webview revealing
 * itself can take the focus and close Quick Open: then it tries again). */
export async function quickOpen(page: Page, file: string): Promise<void> {
  const active = page.locator('.tab.active', { hasText: file });
  for (let attempt = 1; ; attempt++) {
    await openQuickInput(page, 'Control+P');
    if (!(await quickInputField(page).fill(file, { timeout: 5000 }).then(() => true, () => false))) {
      if (attempt === 3) throw new Error(`Quick Open closed before ${file} could be typed`);
      continue;
    }
    // The focused row, not just any row, must be the file: Enter opens the focused one.
    await pickRow(page, file, 15_000).catch(() => undefined);
    try {
      await active.first().waitFor({ timeout: 5000 });
      await page.waitForTimeout(300);
      return;
    } catch (error) {
      if (attempt === 3) throw new Error(`${file} did not become the active editor: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * Waits, on what is on screen, for the picker whose placeholder matches `until` (and, with `row`,
 * lists it); a "Which pipeline?" question on the way (a viewer is not a pipeline) is answered with
 * `pipeline`. A command reads the store before it shows its picker, which takes seconds on a loaded
 * machine: the deadline is generous because nothing here waits on a fixed time.
 */
async function awaitPicker(page: Page, options: { until: RegExp; pipeline?: string; row?: string; timeout?: number }): Promise<void> {
  const timeout = options.timeout ?? 60_000;
  const deadline = Date.now() + timeout;
  let seen = '';
  // What was on screen, as it changed (for the error): "+ms placeholder (rows)".
  const started = Date.now();
  const history: string[] = [];
  while (Date.now() < deadline) {
    const placeholder = await openPlaceholder(page);
    if (placeholder) seen = placeholder;
    const look = `${placeholder || 'none'} (${placeholder ? await quickRows(page).count() : 0} rows)`;
    if (!history.length || !history[history.length - 1].endsWith(look)) history.push(`+${Date.now() - started} ms ${look}`);
    const asked = async () => /which pipeline/i.test(await openPlaceholder(page)) && (await quickRows(page).filter({ hasText: options.pipeline }).count()) > 0;
    if (options.pipeline && /which pipeline/i.test(placeholder) && (await asked())) {
      // The list can switch to the next picker under us (placeholder and rows update apart): pickRow
      // then stops, and the next look sees which picker is really open.
      const answered = await pickRow(page, options.pipeline, 2000, /which pipeline/i).then(() => true, () => false);
      // The question stays on screen a moment after the Enter (the extension host replaces it):
      // answering it again then could land on the first row of the next question.
      if (answered) history.push(`+${Date.now() - started} ms answered ${options.pipeline}`);
      if (answered) await until(async () => !(await asked()), 'the answered "Which pipeline?" to go', 5000).catch(() => undefined);
      continue;
    }
    if (options.until.test(placeholder) && (!options.row || (await quickRows(page).filter({ hasText: options.row }).count()))) return;
    // A command that asks "Which pipeline?" asks it at once: nothing on screen for 20 s means a
    // webview that took the focus as it loaded closed the question unseen (the caller retries).
    if (options.pipeline && !seen && Date.now() - started > 20_000) throw new Error(`no picker at all within 20 s (a webview took the focus?)`);
    await page.waitForTimeout(200);
  }
  throw new Error(`no picker ${options.until}${options.row ? ` listing "${options.row}"` : ''} within ${timeout} ms (last seen: "${seen || 'none'}"; on screen: ${history.slice(-8).join(', ')})`);
}

/**
 * Runs a Tributary command that picks an artifact of `pipeline`, and picks the row with `row`.
 * Retried once: a webview revealed by the previous step can take the focus back and close the picker.
 */
async function pickArtifactWith(page: Page, command: string, pipeline: string, row: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, command);
      await awaitPicker(page, { until: /which artifact/i, pipeline, row });
      return await pickRow(page, row, 5000, /which artifact/i);
    } catch (error) {
      if (attempt === 2) throw error;
      // Said, so that a retry that passes still shows in the log.
      process.stdout.write(`    (${command}: ${(error as Error).message.split('\n')[0]}; retrying)\n`);
      await page.keyboard.press('Escape');
      // The first command may still be reading the store: its picker must not replace the retry's.
      await waitForNoPicker(page, 5000);
    }
  }
}

/** Until no quick input is on screen (closing any that opens meanwhile), at most `timeout` ms. */
async function waitForNoPicker(page: Page, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.locator(QUICK_INPUT).count()) await page.keyboard.press('Escape');
    await page.waitForTimeout(250);
  }
}

/** A quick pick row's label (without its description and the "recently used" tag). */
const rowLabel = (row: Locator) => row.locator('.label-name').first().textContent({ timeout: 1000 }).then((t) => (t ?? '').trim(), () => '');

/**
 * Picks the first row of the open quick pick that contains `text` (with `exact`, whose label is
 * `text`), with the keyboard: the list is virtual and scrolls itself, so a pointer click can wait
 * on a row that is rendered but off-screen.
 */
async function pickRow(page: Page, text: string, timeout = 20_000, placeholder?: RegExp, options: { exact?: boolean; onEnter?: () => void } = {}): Promise<string> {
  const rows = quickRows(page);
  const row = rows.filter({ hasText: text }).first();
  await row.waitFor({ timeout });
  const label = ((await row.innerText({ timeout: 2000 }).catch(() => text)) || text).replace(/\s+/g, ' ').trim();
  const input = quickInputField(page);
  await input.focus();
  const total = await page.locator(`${QUICK_INPUT} .quick-input-list`).first().getAttribute('aria-rowcount', { timeout: 1000 }).then(Number).catch(() => NaN);
  const limit = Number.isFinite(total) && total > 0 ? total + 1 : 200;
  for (let step = 0; step < limit; step++) {
    if (placeholder && !placeholder.test(await openPlaceholder(page))) throw new Error(`the quick pick is no longer ${placeholder}`);
    const focused = rows.and(page.locator('.focused')).first();
    const hit = options.exact ? (await rowLabel(focused)) === text : ((await focused.innerText({ timeout: 1000 }).catch(() => '')) || '').includes(text);
    if (hit) {
      options.onEnter?.();
      await page.keyboard.press('Enter');
      return label;
    }
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`no row with "${text}" took the keyboard focus in the quick pick`);
}

/** Webviews are iframes in iframes: the frame whose document has `selector`. */
export async function findFrame(page: Page, selector: string, timeout = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        // A frame navigating away: try the next.
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no webview frame with ${selector} within ${timeout} ms`);
}

async function center(frame: Frame, selector: string): Promise<{ x: number; y: number }> {
  const box = await frame.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** A React Flow connection drag from one handle to another, with intermediate moves as a user would. */
async function dragHandle(page: Page, frame: Frame, from: string, to: string): Promise<void> {
  const a = await center(frame, from);
  const b = await center(frame, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.waitForTimeout(150);
  await page.mouse.up();
}

/** A node only the model pipeline's canvas has. */
const MODEL_CANVAS = '.react-flow__node[data-id="bulk_inferrer"]';

const handle = (node: string, kind: 'in' | 'out', port: string) => `.react-flow__node[data-id="${node}"] .react-flow__handle[data-handleid="${kind}:${port}"]`;

/** What the canvas shows: zoom and pan, node titles in CSS px (font size × zoom), labels, selection. */
async function readCanvas(frame: Frame) {
  return frame.evaluate(() => {
    const viewport = document.querySelector('.react-flow__viewport') as HTMLElement;
    const m = new DOMMatrixReadOnly(getComputedStyle(viewport).transform);
    const pane = document.querySelector('.react-flow') as HTMLElement;
    return {
      zoom: m.a,
      x: m.e,
      y: m.f,
      pane: `${pane.clientWidth}×${pane.clientHeight}`,
      paneWidth: pane.clientWidth,
      titles: Array.from(document.querySelectorAll('.react-flow__node .node-id')).map((el) => ({ id: el.textContent ?? '', px: parseFloat(getComputedStyle(el).fontSize) * m.a })),
      compact: document.querySelectorAll('.pipeline-node.compact').length,
      edgeLabels: document.querySelectorAll('.react-flow__edge-textwrapper, .react-flow__edge-text').length,
      propertiesFolded: document.querySelector('.canvas-app.no-properties') !== null,
      selected: Array.from(document.querySelectorAll('.react-flow__node.selected')).map((el) => el.getAttribute('data-id') ?? ''),
    };
  });
}

/** Polls `check` until it holds: steps wait on what the page shows, not on a fixed time. */
async function until(check: () => Promise<boolean>, what: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`waited ${timeout} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Where React Flow draws a node (its transform). */
const nodeSpot = (frame: Frame, id: string) => frame.locator(`.react-flow__node[data-id="${id}"]`).evaluate((e) => (e as HTMLElement).style.transform, undefined, { timeout: 5000 });

/** The canvas once its viewport stops moving (an animated fit), read as readCanvas reads it. */
async function settledCanvas(frame: Frame): Promise<Awaited<ReturnType<typeof readCanvas>>> {
  let last = await readCanvas(frame);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await readCanvas(frame);
    if (next.zoom === last.zoom && next.x === last.x && next.y === last.y) return next;
    last = next;
  }
  return last;
}

/**
 * Pairs of drawn edges that cross, counted on the rendered SVG paths (sampled along their length),
 * not on the layout's own model of them. Edges between the same two nodes are not counted (their
 * twist depends on port order only), nor two edges meeting at a shared handle, nor two routed
 * edges of a wrapped drawing forking from one (as layout.ts counts them). Also the edges drawn
 * behind a node they do not connect (a sample point inside the node's box, a few px in from its sides).
 */
async function countCrossings(frame: Frame, file: string): Promise<{ crossings: number; pairs: string[]; behind: string[]; routed: number }> {
  const wiring = (parse(readFileSync(file, 'utf8')) as { nodes: Record<string, { inputs?: Record<string, string> }> }).nodes;
  const { drawn, boxes } = await frame.evaluate(() => ({
    drawn: Array.from(document.querySelectorAll('.react-flow__edge')).map((edge) => {
      const path = edge.querySelector('path.react-flow__edge-path') as SVGPathElement;
      const length = path.getTotalLength();
      const points = Array.from({ length: 49 }, (_, i) => path.getPointAtLength((length * i) / 48)).map((p) => ({ x: p.x, y: p.y }));
      return { id: edge.getAttribute('data-id') ?? '', points, routed: path.classList.contains('routed') };
    }),
    // In flow units, as the edges are: the node's translate and its unscaled size.
    boxes: Array.from(document.querySelectorAll('.react-flow__node')).map((el) => {
      const node = el as HTMLElement;
      const m = new DOMMatrixReadOnly(getComputedStyle(node).transform);
      return { id: node.getAttribute('data-id') ?? '', x: m.e, y: m.f, width: node.offsetWidth, height: node.offsetHeight };
    }),
  }));
  const edges = drawn.map(({ id, points, routed }) => {
    const [target, input] = id.split('.');
    const source = String(wiring[target]?.inputs?.[input] ?? '').split('.')[0];
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const curve: Curve = { points, box: { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) } };
    return { id, source, target, curve, routed };
  });
  // Two edges routed between the rows of a wrapped drawing from one handle share their descent, then fork.
  const fork = (a: (typeof edges)[number], b: (typeof edges)[number]) => a.routed && b.routed && Math.hypot(a.curve.points[0].x - b.curve.points[0].x, a.curve.points[0].y - b.curve.points[0].y) < 1;
  const pairs: string[] = [];
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const [a, b] = [edges[i], edges[j]];
      if ((a.source === b.source && a.target === b.target) || fork(a, b)) continue;
      if (curvesCross(a.curve, b.curve)) pairs.push(`${a.source}→${a.id} × ${b.source}→${b.id}`);
    }
  }
  const inset = 4;
  const behind = edges.flatMap((e) =>
    boxes
      .filter((b) => b.id !== e.source && b.id !== e.target)
      .filter((b) => e.curve.points.some((p) => p.x > b.x + inset && p.x < b.x + b.width - inset && p.y > b.y + inset && p.y < b.y + b.height - inset))
      .map((b) => `${e.source}→${e.id} behind ${b.id}`),
  );
  return { crossings: pairs.length, pairs, behind, routed: edges.filter((e) => e.routed).length };
}

/** How much of the canvas pane the drawn nodes span at the current view, as fractions of its width and height. */
async function drawnExtent(frame: Frame): Promise<{ width: number; height: number }> {
  return frame.evaluate(() => {
    const pane = (document.querySelector('.react-flow') as HTMLElement).getBoundingClientRect();
    const boxes = Array.from(document.querySelectorAll('.react-flow__node')).map((el) => el.getBoundingClientRect());
    const width = Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left));
    const height = Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
    return { width: width / pane.width, height: height / pane.height };
  });
}

/** The most edge crossings the shipped samples draw at "fit view" (measured; see layout.ts for why taxi is not 0). */
const CROSSINGS = { taxi: 1, tuned: 4, narrow: 1 } as const;
/** The most edges drawn behind a node they do not connect (layout.ts scores them above a crossing; taxi's one, trainer → pusher behind infra_validator, is measured). */
const BEHIND = { taxi: 1, tuned: 0, narrow: 0 } as const;
/** The least share of the canvas height the drawing spans at "fit view" in the 1600×1000 window with the Explorer open (one wide row spanned 20 %), and in the narrow pane (whose width limits it). */
const HEIGHT_USED = 0.6;
const HEIGHT_USED_NARROW = 0.45;

// ---------------------------------------------------------------------------------------------

export async function runEndToEnd(options: { only?: RegExp } = {}): Promise<number> {
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  const workspace = makeWorkspace('e2e-');
  const taxiFile = join(workspace, 'taxi/taxi.pipeline.yaml');
  const server = await startCodeServer({ verbose: !!process.env.TRIBUTARY_EDITOR_TEST_VERBOSE });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const results: StepResult[] = [];
  let shot = 0;
  /**
   * One step, recorded with a numbered screenshot of what its title names. A step whose last clicks
   * open something else (a link to a viewer) calls `capture()` at the named state first; its later
   * pictures are extra named files. A failed step's picture is the moment it failed.
   */
  const step = async (name: string, body: (capture: () => Promise<void>) => Promise<string | void>): Promise<boolean> => {
    if (options.only && !options.only.test(name)) return false;
    const started = Date.now();
    const screenshot = join(RESULTS, `${String(++shot).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    let captured = false;
    const capture = async () => {
      await page.screenshot({ path: screenshot });
      captured = true;
    };
    let ok = true;
    let detail = '';
    try {
      detail = (await body(capture)) ?? '';
    } catch (error) {
      ok = false;
      detail = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    }
    if (!ok || !captured) await page.screenshot({ path: screenshot }).catch(() => undefined);
    results.push({ name, ok, ms: Date.now() - started, detail, screenshot });
    process.stdout.write(`  ${ok ? '✔' : '✖'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}\n`);
    return ok;
  };

  let canvas: Frame | undefined;
  let added: string | undefined;
  try {
    await step('workbench opens with the extension', async () => {
      // A loaded machine can take longer than playwright's default 30 s to serve the workbench.
      await page.goto(server.url(workspace, [['extensionDevelopmentPath', server.remote(REPO)], ['skipWelcome', 'true']]), { timeout: 120_000 });
      await waitForWorkbench(page);
      await page.locator('.activitybar [aria-label*="Tributary"]').first().waitFor({ timeout: 30_000 });
      // Room for the canvas: no chat panel beside it.
      if (await page.locator('.part.auxiliarybar').isVisible().catch(() => false)) {
        await runCommand(page, 'View: Toggle Secondary Side Bar Visibility').catch(() => page.keyboard.press('Escape'));
      }
      await runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));
      return 'Tributary view container in the activity bar';
    });

    await step('open the taxi pipeline in the canvas', async () => {
      await quickOpen(page, 'taxi.pipeline.yaml');
      await page.locator('.tab', { hasText: 'taxi.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
      const started = Date.now();
      await runCommand(page, 'Tributary: Open Canvas');
      canvas = await findFrame(page, '.react-flow__node[data-id="example_validator"]', 30_000);
      const nodes = await canvas.locator('.react-flow__node').count();
      const file = parse(readFileSync(taxiFile, 'utf8')) as { nodes: Record<string, { inputs?: Record<string, string | string[]> }> };
      const expected = Object.keys(file.nodes).length;
      if (nodes !== expected) throw new Error(`${nodes} nodes drawn, the file has ${expected}`);
      const drawnAfter = Date.now() - started;
      // Every node shown (React Flow hides a node until it is measured) and every input an edge.
      const wiring = Object.values(file.nodes).reduce((n, node) => n + Object.values(node.inputs ?? {}).flat().length, 0);
      const counts = async () => ({
        shown: await canvas!.locator('.react-flow__node').evaluateAll((els) => els.filter((e) => getComputedStyle(e).visibility !== 'hidden').length),
        edges: await canvas!.locator('.react-flow__edge').count(),
      });
      let seen = await counts();
      for (const deadline = Date.now() + 10_000; (seen.shown < expected || seen.edges < wiring) && Date.now() < deadline; seen = await counts()) await page.waitForTimeout(200);
      if (seen.shown < expected || seen.edges < wiring) throw new Error(`${seen.shown} of ${expected} nodes shown, ${seen.edges} of ${wiring} edges drawn`);
      return `${nodes} nodes drawn ${drawnAfter} ms after the command, ${seen.edges} edges`;
    });

    await step('canvas readable at fit view with the Explorer open: titles ≥ 11 px, no edge labels, no properties column', async () => {
      await runCommand(page, 'View: Show Explorer');
      await page.locator('.part.sidebar').first().waitFor({ state: 'visible', timeout: 10_000 });
      await page.waitForTimeout(1000); // the editor area has its new width
      canvas = await findFrame(page, '.react-flow__node[data-id="example_validator"]');
      await canvas.locator('vscode-button[title^="Zoom to fit"]').click();
      await page.waitForTimeout(1000);
      const seen = await readCanvas(canvas);
      const small = seen.titles.filter((t) => t.px < 11);
      if (small.length) throw new Error(`titles below 11 px at zoom ${seen.zoom.toFixed(2)}: ${small.map((t) => `${t.id} ${t.px.toFixed(1)} px`).join(', ')}`);
      if (seen.titles.length < 9) throw new Error(`${seen.titles.length} titles`);
      if (seen.edgeLabels !== 0) throw new Error(`${seen.edgeLabels} edge labels drawn at fit view`);
      if (!seen.propertiesFolded) throw new Error('the properties column is open with nothing selected');
      const smallest = Math.min(...seen.titles.map((t) => t.px));
      const tangle = await countCrossings(canvas, taxiFile);
      if (tangle.crossings > CROSSINGS.taxi) throw new Error(`${tangle.crossings} edge crossings: ${tangle.pairs.join('; ')}`);
      if (tangle.behind.length > BEHIND.taxi) throw new Error(`${tangle.behind.length} edges drawn behind nodes: ${tangle.behind.join('; ')}`);
      // Not one wide row with most of the height empty (issue #13).
      const extent = await drawnExtent(canvas);
      if (extent.height < HEIGHT_USED) throw new Error(`the drawing spans ${(100 * extent.height).toFixed(0)} % of the canvas height`);
      return `pane ${seen.pane}, zoom ${seen.zoom.toFixed(2)}, smallest title ${smallest.toFixed(1)} px (${seen.compact} compact nodes), the drawing spans ${(100 * extent.width).toFixed(0)} % × ${(100 * extent.height).toFixed(0)} % of the canvas, ${tangle.crossings} edge crossing(s) ${tangle.pairs.join('; ')}; ${tangle.behind.length} behind a node ${tangle.behind.join('; ')}`;
    });

    await runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));
    await page.waitForTimeout(800);

    await step('drag StatisticsGen from the palette onto the canvas', async () => {
      if (!canvas) throw new Error('no canvas');
      const ids = () => canvas!.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
      const before = new Set(await ids());
      const pane = await canvas.locator('.react-flow__pane').boundingBox();
      if (!pane) throw new Error('no canvas pane');
      await canvas.locator('.palette-item[data-component="StatisticsGen"]').dragTo(canvas.locator('.react-flow__pane'), { targetPosition: { x: pane.width * 0.5, y: pane.height * 0.85 } });
      const deadline = Date.now() + 15_000;
      while (!added && Date.now() < deadline) {
        added = (await ids()).find((id) => !before.has(id));
        if (!added) await page.waitForTimeout(200);
      }
      if (!added) throw new Error(`no new node after the drop (${before.size} nodes)`);
      // Zoom in on the new node and its future neighbours so handles are big enough to hit.
      await canvas.locator(`.react-flow__node[data-id="${added}"]`).waitFor();
      return `added node "${added}"`;
    });

    await step('refuse an incompatible connection with a reason', async () => {
      if (!canvas || !added) throw new Error('no added node');
      await page.waitForTimeout(800); // the drop's document update has settled
      const edges = await canvas.locator('.react-flow__edge').count();
      // Schema → an input that takes Examples.
      await dragHandle(page, canvas, handle('schema_gen', 'out', 'schema'), handle(added, 'in', 'examples'));
      const toast = canvas.locator('.toast.error, [role="alert"]').first();
      await toast.waitFor({ timeout: 10_000 });
      const text = (await toast.innerText()).trim();
      if (!/Examples|Schema|type/i.test(text)) throw new Error(`refusal does not give the types: "${text}"`);
      await page.waitForTimeout(500);
      const after = await canvas.locator('.react-flow__edge').count();
      if (after !== edges) throw new Error(`an edge was drawn anyway (${edges} → ${after} edges)`);
      return `"${text.replace(/\s+/g, ' ').slice(0, 160)}"`;
    });

    await step('connect example_gen.examples to the new node', async () => {
      if (!canvas || !added) throw new Error('no added node');
      const edges = await canvas.locator('.react-flow__edge').count();
      await dragHandle(page, canvas, handle('example_gen', 'out', 'examples'), handle(added, 'in', 'examples'));
      const deadline = Date.now() + 10_000;
      while ((await canvas.locator('.react-flow__edge').count()) <= edges) {
        if (Date.now() > deadline) throw new Error(`still ${edges} edges`);
        await page.waitForTimeout(200);
      }
      return `${edges} → ${await canvas.locator('.react-flow__edge').count()} edges`;
    });

    await step('save: the YAML has the node and the edge, comments kept', async () => {
      if (!added) throw new Error('no added node');
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 10_000;
      let doc: { nodes: Record<string, { component: string; inputs?: Record<string, string> }> } | undefined;
      let text = '';
      while (Date.now() < deadline) {
        text = readFileSync(taxiFile, 'utf8');
        doc = parse(text);
        if (doc?.nodes?.[added]?.inputs?.examples) break;
        await page.waitForTimeout(250);
      }
      const node = doc?.nodes?.[added];
      if (node?.component !== 'StatisticsGen') throw new Error(`saved file has no StatisticsGen node "${added}"`);
      if (node.inputs?.examples !== 'example_gen.examples') throw new Error(`inputs.examples is ${JSON.stringify(node.inputs?.examples)}`);

      if (!text.includes('# Reads the CSV and writes it as Examples split into train/eval.')) throw new Error('a comment was lost');
      return `nodes.${added}: component StatisticsGen, inputs.examples example_gen.examples`;
    });

    await step('delete the new node (Delete key) and save', async () => {
      if (!canvas || !added) throw new Error('no added node');
      const node = canvas.locator(`.react-flow__node[data-id="${added}"]`);
      // The first click may only move focus from the workbench into the webview: up to 3 tries.
      for (let attempt = 1; ; attempt++) {
        await node.click();
        await node.press('Delete');
        try {
          await node.waitFor({ state: 'detached', timeout: 3000 });
          break;
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(1000);
      const doc = parse(readFileSync(taxiFile, 'utf8'));
      if (doc.nodes[added]) throw new Error('still in the file');
      return 'removed from the file';
    });

    await step('a tab switch keeps zoom, viewport and selection', async () => {
      if (!canvas) throw new Error('no canvas');
      const tabs = page.locator('.tabs-container .tab');
      const canvasTab = await tabs.evaluateAll((els) => els.findIndex((e) => e.classList.contains('active')));
      await canvas.locator('.react-flow__node[data-id="trainer"]').click();
      await canvas.locator('.react-flow__controls-zoomin').click();
      await page.waitForTimeout(600);
      const before = await readCanvas(canvas);
      await quickOpen(page, 'README.md');
      await page.waitForTimeout(1000);
      await tabs.nth(canvasTab).click();
      canvas = await findFrame(page, '.react-flow__node[data-id="example_validator"]', 30_000);
      await page.waitForTimeout(1000);
      const after = await readCanvas(canvas);
      if (Math.abs(after.zoom - before.zoom) > 0.01 || Math.abs(after.x - before.x) > 2 || Math.abs(after.y - before.y) > 2) {
        throw new Error(`viewport ${JSON.stringify([before.zoom, before.x, before.y])} → ${JSON.stringify([after.zoom, after.x, after.y])}`);
      }
      if (after.selected.join() !== 'trainer') throw new Error(`selected after the switch: ${after.selected.join() || 'nothing'}`);
      return `zoom ${after.zoom.toFixed(2)} at (${Math.round(after.x)}, ${Math.round(after.y)}), ${after.selected.join()} selected, kept`;
    });

    await step('invalid form input stays in the field, marked, and leaves the file unchanged', async (capture) => {
      if (!canvas) throw new Error('no canvas');
      await canvas.locator('.react-flow__node[data-id="trainer"]').click();
      const field = canvas.locator('.properties [data-field="epochs"]');
      const input = field.locator('vscode-text-field input');
      await input.waitFor({ timeout: 10_000 });
      const saved = readFileSync(taxiFile, 'utf8');
      await input.fill('abc');
      await input.press('Enter');
      await canvas.locator('.properties [data-field="epochs"].has-error').waitFor({ timeout: 10_000 });
      const message = (await field.locator('.problem').first().innerText()).trim();
      await page.waitForTimeout(800);
      if ((await input.inputValue()) !== 'abc') throw new Error(`the field shows "${await input.inputValue()}", not what was typed`);
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(1000);
      if (readFileSync(taxiFile, 'utf8') !== saved) throw new Error('the file changed');
      await capture();
      // A valid value goes through the same field.
      await input.fill('12');
      await input.press('Enter');
      await page.waitForTimeout(1000);
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 10_000;
      while ((parse(readFileSync(taxiFile, 'utf8')) as { nodes: { trainer: { params: { epochs: number } } } }).nodes.trainer.params.epochs !== 12) {
        if (Date.now() > deadline) throw new Error('a valid 12 was not written');
        await page.waitForTimeout(250);
      }
      return `"abc" kept and marked ("${message}"), file unchanged; "12" written`;
    });

    await step("lists and objects get structured editors (the Evaluator's thresholds and slices); defaults are placeholders", async (capture) => {
      if (!canvas) throw new Error('no canvas');
      await canvas.locator('.react-flow__node[data-id="evaluator"]').click();
      const thresholds = canvas.locator('.properties [data-field="thresholds"]');
      await thresholds.waitFor({ timeout: 10_000 });
      const items = await thresholds.locator('.list-row').count();
      const nested = await canvas.locator('.properties [data-field="thresholds.0.metric"], .properties [data-field="thresholds.0.change.direction"]').count();
      const slices = canvas.locator('.properties [data-field="slicing_specs"]');
      const raw = (await thresholds.locator('.field-json').count()) + (await slices.locator('.field-json').count());
      if (!items || nested < 2 || raw) throw new Error(`thresholds: ${items} items, ${nested} nested fields, ${raw} raw JSON fields`);
      const sliceRows = await slices.locator('.list-row').count();
      if (sliceRows < 2) throw new Error(`slicing_specs: ${sliceRows} rows`);
      // A parameter left at its default shows the default as a placeholder, not as a value set.
      const batch = canvas.locator('.properties [data-field="batch_size"] vscode-text-field').first();
      const placeholder = (await batch.getAttribute('placeholder')) ?? (await batch.locator('input').getAttribute('placeholder'));
      const value = await batch.locator('input').inputValue();
      if (placeholder !== '2048' || value !== '') throw new Error(`batch_size: placeholder ${placeholder}, value "${value}"`);
      // The picture: the thresholds' nested fields in view (the slices above them).
      await thresholds.scrollIntoViewIfNeeded();
      await capture();
      return `thresholds: ${items} item(s) with nested fields; slicing_specs: ${sliceRows} rows; no raw JSON; batch_size placeholder ${placeholder}, empty`;
    });

    // A narrow pane (a 1000 px window with the Explorer open, nothing selected): Auto layout goes
    // top to bottom, and the nodes' handles follow it (inputs on top, outputs at the bottom), so
    // edges run straight down. Last of the taxi canvas's steps: the Auto layout stays unsaved (the
    // document dirty), so no later step sees it and nothing is written behind VS Code's back.
    await step('a narrow pane: Auto layout runs top to bottom, inputs on top and outputs at the bottom, titles ≥ 11 px', async () => {
      if (!canvas) throw new Error('no canvas');
      const frame = canvas;
      await runCommand(page, 'View: Show Explorer');
      await page.locator('.part.sidebar').first().waitFor({ state: 'visible', timeout: 10_000 });
      // Nothing selected: the properties column folds away and the canvas has the editor's width.
      await frame.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await until(async () => (await readCanvas(frame)).propertiesFolded, 'the properties column to fold', 10_000);
      const start = await nodeSpot(frame, 'pusher');
      const wide = (await readCanvas(frame)).paneWidth;
      await page.setViewportSize({ width: 1000, height: 1000 });
      await until(async () => (await readCanvas(frame)).paneWidth < wide - 300, 'the canvas pane to narrow', 15_000);
      await frame.locator('vscode-button[title^="Auto layout"]').click();
      await until(async () => (await nodeSpot(frame, 'pusher')) !== start, 'the nodes to move', 30_000);
      await frame.locator('vscode-button[title^="Zoom to fit"]').click();
      const seen = await settledCanvas(frame);
      const small = seen.titles.filter((t) => t.px < 11);
      if (small.length) throw new Error(`titles below 11 px at zoom ${seen.zoom.toFixed(2)} in a ${seen.pane} pane: ${small.map((t) => `${t.id} ${t.px.toFixed(1)} px`).join(', ')}`);
      const sides = await frame.locator('.react-flow__node .react-flow__handle').evaluateAll((els) => els.map((e) => `${(e.getAttribute('data-handleid') ?? '').split(':')[0]}:${e.getAttribute('data-handlepos')}`));
      const wrong = sides.filter((s) => s !== 'in:top' && s !== 'out:bottom');
      if (!sides.length || wrong.length) throw new Error(`handles ${wrong.slice(0, 5).join(', ')} (${wrong.length} of ${sides.length} not inputs on top / outputs at the bottom)`);
      // Every edge runs down: it leaves its source below where it starts and enters its target from above.
      const runs = await frame.locator('.react-flow__edge path.react-flow__edge-path').evaluateAll((paths) =>
        paths.map((p) => {
          const path = p as SVGPathElement;
          return path.getPointAtLength(path.getTotalLength()).y - path.getPointAtLength(0).y;
        }),
      );
      if (runs.some((dy) => dy <= 0)) throw new Error(`${runs.filter((dy) => dy <= 0).length} of ${runs.length} edges run up or sideways`);
      const tangle = await countCrossings(frame, taxiFile);
      if (tangle.crossings > CROSSINGS.narrow) throw new Error(`${tangle.crossings} edge crossings: ${tangle.pairs.join('; ')}`);
      if (tangle.behind.length > BEHIND.narrow) throw new Error(`${tangle.behind.length} edges drawn behind nodes: ${tangle.behind.join('; ')}`);
      const smallest = Math.min(...seen.titles.map((t) => t.px));
      const extent = await drawnExtent(frame);
      if (extent.height < HEIGHT_USED_NARROW) throw new Error(`the drawing spans ${(100 * extent.height).toFixed(0)} % of the canvas height`);
      return `pane ${seen.pane}, zoom ${seen.zoom.toFixed(2)}, smallest title ${smallest.toFixed(1)} px (${seen.compact} compact nodes), the drawing spans ${(100 * extent.width).toFixed(0)} % × ${(100 * extent.height).toFixed(0)} % of the canvas; ${sides.length} handles, inputs on top and outputs at the bottom; ${runs.length} edges, all running down; ${tangle.crossings} crossing(s) ${tangle.pairs.join('; ')}; ${tangle.behind.length} behind a node`;
    });
    await page.setViewportSize({ width: 1600, height: 1000 });

    // Its picture shows what the title says: the Explorer open, the palette closed, the drawing
    // fitted. The file is put back and the side bar closed only after the screenshot.
    const tunedFile = join(workspace, 'taxi/taxi-tuned.pipeline.yaml');
    const tunedBefore = readFileSync(tunedFile, 'utf8');
    await step('auto layout of taxi-tuned with the Explorer open: few crossings, titles ≥ 11 px, the height used', async () => {
      await runCommand(page, 'View: Show Explorer');
      await page.locator('.part.sidebar').first().waitFor({ state: 'visible', timeout: 10_000 });
      await quickOpen(page, 'taxi-tuned.pipeline.yaml');
      await page.locator('.tab', { hasText: 'taxi-tuned.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
      await runCommand(page, 'Tributary: Open Canvas');
      const tuned = await findFrame(page, '.react-flow__node[data-id="tuner"]', 30_000);
      await page.waitForTimeout(1500); // measured, so the layout gets the real node sizes
      // Nothing selected: the properties column folds away and the canvas has the editor's width.
      await tuned.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await until(async () => (await readCanvas(tuned)).propertiesFolded, 'the properties column to fold', 10_000);
      const spots = () => tuned.locator('.react-flow__node').evaluateAll((els) => els.map((e) => (e as HTMLElement).style.transform).join(';'));
      const start = await spots();
      await tuned.locator('vscode-button[title^="Auto layout"]').click();
      // The layout lands in the document (unsaved). The sample is stored as Auto layout draws it in
      // this pane (scripts/layout-samples.ts), so the nodes may stay where they are.
      await until(async () => (await spots()) !== start, 'the nodes to move', 10_000).catch(() => undefined);
      await page.waitForTimeout(800);
      await tuned.locator('vscode-button[title^="Zoom to fit"]').click();
      const seen = await settledCanvas(tuned);
      const extent = await drawnExtent(tuned);
      const tangle = await countCrossings(tuned, tunedFile);
      const smallest = Math.min(...seen.titles.map((t) => t.px));
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(1000);
      writeFileSync(join(RESULTS, 'taxi-tuned-auto-layout.yaml'), readFileSync(tunedFile, 'utf8'));
      if (!(await page.locator('.part.sidebar').first().isVisible())) throw new Error('the Explorer is not open');
      if (smallest < 11) throw new Error(`smallest title ${smallest.toFixed(1)} px at zoom ${seen.zoom.toFixed(2)}`);
      if (extent.height < HEIGHT_USED) throw new Error(`the drawing spans ${(100 * extent.height).toFixed(0)} % of the canvas height`);
      if (tangle.crossings > CROSSINGS.tuned) throw new Error(`${tangle.crossings} edge crossings: ${tangle.pairs.join('; ')}`);
      if (tangle.behind.length > BEHIND.tuned) throw new Error(`${tangle.behind.length} edges drawn behind nodes: ${tangle.behind.join('; ')}`);
      return `pane ${seen.pane}, zoom ${seen.zoom.toFixed(2)}, smallest title ${smallest.toFixed(1)} px, the drawing spans ${(100 * extent.width).toFixed(0)} % × ${(100 * extent.height).toFixed(0)} % of the canvas, ${tangle.routed} edge(s) routed between rows, ${tangle.crossings} edge crossing(s) ${tangle.pairs.join('; ')}; ${tangle.behind.length} edge(s) behind a node ${tangle.behind.join('; ')}`;
    });
    writeFileSync(tunedFile, tunedBefore);
    await runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));

    // Before the model pipeline runs: a run of the taxi sample, whose root two other pipelines share.
    const historyContext = { page, workspace, results: RESULTS, step, findFrame, quickOpen, runCommand, pickRow };
    await sharedRootSteps(historyContext);

    // The model pipeline (taxi through Trainer, Evaluator and BulkInferrer): the viewers need its artifacts.
    let model: Frame | undefined;
    await step('open the model pipeline in the canvas', async () => {
      await quickOpen(page, 'model.pipeline.yaml');
      await page.locator('.tab', { hasText: 'model.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
      await runCommand(page, 'Tributary: Open Canvas');
      // bulk_inferrer is this pipeline's own (the taxi canvas has an evaluator too).
      model = await findFrame(page, MODEL_CANVAS, 30_000);
      return `${await model.locator('.react-flow__node').count()} nodes`;
    });

    // The first run, watched live from the Trainer's inspector selected before it starts.
    await liveRunSteps({ page, step, runCommand, modelCanvas: async () => model ?? (await findFrame(page, MODEL_CANVAS)) });

    await step('node inspector: last execution, output links to their viewers, log; context menu', async (capture) => {
      const frame = model ?? (await findFrame(page, MODEL_CANVAS));
      await frame.locator('.react-flow__node[data-id="trainer"]').click();
      await frame.locator('.inspector .execution').waitFor({ timeout: 15_000 });
      const state = (await frame.locator('.inspector .exec-state').innerText()).trim();
      const outputs = await frame.locator('.inspector .artifact-link').allInnerTexts();
      if (!outputs.some((o) => /Model #\d+/.test(o))) throw new Error(`no Model link: ${outputs.join(', ')}`);
      const log = (await frame.locator('.inspector .log-tail').innerText().catch(() => '')).trim();
      if (!log) throw new Error('no log in the inspector');
      await capture();
      await frame.locator('.react-flow__node[data-id="trainer"]').click({ button: 'right' });
      const items = await frame.locator('.node-menu [role="menuitem"]').allInnerTexts();
      const wanted = ['Run node', 'Run from here', 'Open log', 'Open outputs', 'Show lineage'];
      if (wanted.some((w) => !items.some((i) => i.includes(w)))) throw new Error(`context menu: ${items.join(', ')}`);
      await page.screenshot({ path: join(RESULTS, 'node-context-menu.png') });
      await page.keyboard.press('Escape');
      await frame.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
      await frame.locator('.react-flow__node[data-id="trainer"]').click();
      await frame.locator('.inspector .artifact-link', { hasText: 'Model #' }).first().click();
      await findFrame(page, '.viewer.model', 30_000);
      await page.screenshot({ path: join(RESULTS, 'node-inspector-model-link-opened.png') });
      return `trainer: ${state}; links ${outputs.join(', ')}; log ${log.split('\n').length} lines; menu ${items.length} items; Model link opened the model viewer`;
    });

    await viewerSteps({ page, workspace, results: RESULTS, step, findFrame, runCommand, pickRow, pickArtifactWith, awaitPicker });

    await step('lineage of the evaluation on React Flow: readable at fit (titles 11 px), zoom, data and code, path highlight, open viewer and log', async (capture) => {
      const label = await pickArtifactWith(page, 'Tributary: Show Lineage', 'model.pipeline.yaml', 'ModelEvaluation');
      const frame = await findFrame(page, '.viewer.lineage .react-flow__node', 30_000);
      await page.waitForTimeout(800); // fitted once the nodes are measured
      const read = () =>
        frame.evaluate(() => {
          const m = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport') as HTMLElement).transform);
          const titles = Array.from(document.querySelectorAll('.lineage-title')).map((el) => parseFloat(getComputedStyle(el).fontSize) * m.a);
          return { zoom: m.a, smallest: Math.min(...titles), nodes: titles.length, sources: document.querySelectorAll('.lineage-node.source').length, dim: document.querySelectorAll('.lineage-node.dim').length, onPath: document.querySelectorAll('.react-flow__edge.on-path').length };
        });
      const opened = await read();
      if (opened.nodes < 9) throw new Error(`only ${opened.nodes} lineage nodes`);
      if (opened.sources < 3) throw new Error(`${opened.sources} data/code sources (want the CSV and both modules)`);
      // Opens readable (the whole graph if it fits at that size, else around the evaluation)...
      if (opened.smallest < 11) throw new Error(`titles ${opened.smallest.toFixed(1)} px as the viewer opens`);
      const root = await frame.locator('.lineage-node.root').boundingBox();
      const pane = await frame.locator('.lineage-flow').boundingBox();
      if (!root || !pane || root.x < pane.x || root.x + root.width > pane.x + pane.width || root.y < pane.y || root.y + root.height > pane.y + pane.height) throw new Error('the evaluation is not in view as the viewer opens');
      await page.screenshot({ path: join(RESULTS, 'lineage-opened.png') });
      // ...fit shows everything, and the zoom controls zoom in from there.
      await frame.locator('.react-flow__controls-fitview').click();
      await page.waitForTimeout(600);
      const fit = await read();
      // Readable at fit too: zoomed out, nodes draw compact with large titles (lineage-layout.ts).
      if (fit.smallest < 11) throw new Error(`titles ${fit.smallest.toFixed(1)} px at fit view (zoom ${fit.zoom.toFixed(2)})`);
      await frame.locator('.react-flow__controls-zoomin').click();
      await frame.locator('.react-flow__controls-zoomin').click();
      await page.waitForTimeout(600);
      const zoomed = await read();
      if (!(zoomed.zoom > fit.zoom * 1.3)) throw new Error(`zoom ${fit.zoom.toFixed(2)} → ${zoomed.zoom.toFixed(2)} after two zoom-ins`);
      await frame.locator('.react-flow__controls-fitview').click();
      await page.waitForTimeout(600);
      // Select statistics_gen: its path runs up to the CSV and down to the evaluation; the code
      // modules feed later steps only, so they are dimmed.
      // The first click may only move the focus into the webview: a few tries.
      for (let attempt = 1; attempt <= 3 && !(await frame.locator('.lineage-node.selected', { hasText: 'statistics_gen' }).count()); attempt++) {
        await frame.locator('.lineage-node.execution', { hasText: 'statistics_gen' }).first().click();
        await page.waitForTimeout(400);
      }
      const selected = await read();
      const dimmed = await frame.locator('.lineage-node.dim').allInnerTexts();
      if (!dimmed.some((t) => /taxi_trainer\.ts/.test(t))) throw new Error(`trainer code not dimmed (dimmed: ${dimmed.join(' | ')})`);
      if (await frame.locator('.lineage-node.dim', { hasText: 'taxi.csv' }).count()) throw new Error('the CSV is dimmed, but statistics were computed from it');
      if (await frame.locator('.lineage-node.root.dim').count()) throw new Error('the evaluation is dimmed, but it was made from these statistics');
      await capture();
      // Open an execution's log, then an artifact's viewer, from their buttons.
      await frame.locator('.lineage-node.execution', { hasText: 'trainer' }).first().locator('.lineage-open').click();
      await page.locator('.tab', { hasText: 'trainer.log' }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(RESULTS, 'lineage-opened-trainer-log.png') });
      await page.locator('.tab', { hasText: 'Lineage:' }).first().click();
      const again = await findFrame(page, '.viewer.lineage .react-flow__node', 30_000);
      await again.locator('.lineage-node.artifact', { hasText: 'Model #' }).first().locator('.lineage-open').click();
      await findFrame(page, '.viewer.model', 30_000);
      await page.screenshot({ path: join(RESULTS, 'lineage-opened-model-viewer.png') });
      return `${label}; ${opened.nodes} nodes (${opened.sources} data/code); opened at zoom ${opened.zoom.toFixed(2)} (titles ${opened.smallest.toFixed(1)} px), fit ${fit.zoom.toFixed(2)} (${fit.smallest.toFixed(1)} px), zoomed in to ${zoomed.zoom.toFixed(2)} (${zoomed.smallest.toFixed(1)} px); statistics_gen selected: ${selected.dim} dimmed, ${selected.onPath} edges on its path; trainer.log and the Model viewer opened`;
    });

    await cachedRerunSteps({
      ...historyContext,
      modelCanvas: async () => {
        await quickOpen(page, 'model.pipeline.yaml');
        await runCommand(page, 'Tributary: Open Canvas');
        return findFrame(page, MODEL_CANVAS, 30_000);
      },
    });
    await outsideRunStep({
      page,
      workspace,
      step,
      runCommand,
      modelCanvas: async () => {
        await quickOpen(page, 'model.pipeline.yaml');
        await runCommand(page, 'Tributary: Open Canvas');
        return findFrame(page, MODEL_CANVAS, 30_000);
      },
    });

    await productionSteps({ page, workspace, step, findFrame, quickOpen, runCommand, pickRow });
    await themeSteps({ page, workspace, step, findFrame, quickOpen, runCommand });

    /** New Pipeline from the palette: template, name, then code-server's save dialog (a quick input holding the path). */
    const newPipeline = async (template: string, proposed: string, name: string): Promise<Frame> => {
      // A viewer that has just opened takes the focus as its webview loads, which closes a picker
      // opened meanwhile, the template picker or the name box after it: the whole sequence up to
      // the name box gets another try then (as pickArtifactWith does).
      for (let attempt = 1; ; attempt++) {
        try {
          await runCommand(page, 'Tributary: New Pipeline');
          await awaitPicker(page, { until: /start from a template/i, row: template, timeout: 20_000 });
          await pickRow(page, template, 5000, /start from a template/i, { exact: true });
          // The name box (no placeholder) replaces the template picker.
          await until(async () => (await page.locator(QUICK_INPUT).count()) > 0 && !/start from a template/i.test(await openPlaceholder(page)), 'the name box', 15_000);
          break;
        } catch (error) {
          if (attempt === 3) throw error;
          process.stdout.write(`    (New Pipeline: ${(error as Error).message.split('\n')[0]}; retrying)\n`);
          await page.keyboard.press('Escape');
          await waitForNoPicker(page, 3000);
        }
      }
      const field = quickInputField(page);
      const offered = await field.inputValue({ timeout: 1000 }).catch(() => '');
      if (offered && offered !== proposed) throw new Error(`the name box proposes "${offered}", not "${proposed}"`);
      await field.fill(name, { timeout: 5000 });
      await page.keyboard.press('Enter');
      // The save dialog proposes <workspace>/<name>.pipeline.yaml: accept it.
      await until(async () => (await field.inputValue({ timeout: 1000 })).endsWith(`${name}.pipeline.yaml`), 'the save dialog with the file name', 15_000);
      await page.keyboard.press('Enter');
      return findFrame(page, `.pipeline-name:text-is("${name}")`, 30_000);
    };

    await step('New Pipeline templates: the blank one warns that its data path is missing; Chicago taxi holds what its row says, Transform included, with its modules and data', async (capture) => {
      const blank = await newPipeline('Blank', 'my-pipeline', 'blank-demo');
      const input = blank.locator('.properties [data-field="input"] .problem');
      await until(
        async () => {
          if (await input.count()) return true;
          await blank.locator('.react-flow__node[data-id="example_gen"]').click();
          return (await input.count()) > 0;
        },
        "the example_gen's input warning",
        30_000,
      );
      const warning = (await input.first().innerText()).replace(/\s+/g, ' ').trim();
      if (!/data\/input\.csv" does not exist/.test(warning)) throw new Error(`the input field says "${warning}"`);
      await capture();
      // Chicago taxi: its row promises the TFX chain through Transform to Pusher; the canvas has exactly those, and the
      // modules and data it needs were written beside it.
      await runCommand(page, 'Tributary: New Pipeline');
      await awaitPicker(page, { until: /start from a template/i, row: 'Chicago taxi', timeout: 20_000 });
      const row = (await quickRows(page).filter({ hasText: 'Chicago taxi' }).first().innerText()).replace(/\s+/g, ' ').trim();
      await page.keyboard.press('Escape');
      const taxi = await newPipeline('Chicago taxi', 'taxi', 'taxi-demo');
      await taxi.locator('.react-flow__node[data-id="transform"]').waitFor({ timeout: 15_000 });
      const components = await taxi.locator('.react-flow__node').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-id') ?? ''))].filter(Boolean));
      const text = readFileSync(join(workspace, 'taxi-demo.pipeline.yaml'), 'utf8');
      const kinds = [...text.matchAll(/component: (\w+)/g)].map((m) => m[1]);
      if (!/Transform/.test(row)) throw new Error(`the row says "${row}"`);
      for (const kind of ['CsvExampleGen', 'StatisticsGen', 'SchemaGen', 'ExampleValidator', 'Transform', 'Trainer', 'Evaluator', 'Pusher']) if (!kinds.includes(kind)) throw new Error(`no ${kind}: ${kinds.join(', ')}`);
      for (const id of ['transform', 'trainer', 'evaluator', 'pusher']) if (!components.includes(id)) throw new Error(`no ${id} node on the canvas: ${components.join(', ')}`);
      for (const file of ['taxi-demo_transform.ts', 'taxi-demo_trainer.ts', 'data/taxi.csv']) if (!existsSync(join(workspace, file))) throw new Error(`${file} was not written beside the pipeline`);
      await page.screenshot({ path: join(RESULTS, 'new-pipeline-chicago-taxi.png') });
      return `blank-demo: "${warning}"; Chicago taxi row "${row}": nodes ${components.join(', ')} (${kinds.join(', ')})`;
    });

    await step('a "Did you mean" problem has a quick fix on the canvas: one click fixes the YAML', async (capture) => {
      // A pipeline of its own with a misspelt parameter (last: no other step lists it).
      const file = join(workspace, 'taxi/typo.pipeline.yaml');
      writeFileSync(file, 'name: typo-demo\nroot: .tributary/typo\nnodes:\n  typo_gen:\n    component: CsvExampleGen\n    params:\n      input: data/taxi.csv\n      formt: csv\n');
      await quickOpen(page, 'typo.pipeline.yaml');
      await runCommand(page, 'Tributary: Open Canvas');
      const frame = await findFrame(page, '.react-flow__node[data-id="typo_gen"]', 30_000);
      const fix = frame.locator('.properties .quick-fix');
      // Selected, its problems listed (the diagnostics come from the language server a moment later).
      await until(
        async () => {
          if (await fix.count()) return true;
          await frame.locator('.react-flow__node[data-id="typo_gen"]').click();
          return (await fix.count()) > 0;
        },
        'the quick fix on the selected node',
        30_000,
      );
      const problem = (await frame.locator('.properties li.problem', { has: frame.locator('.quick-fix') }).first().innerText({ timeout: 5000 })).replace(/\s+/g, ' ').trim();
      if (!/did you mean "format"/i.test(problem) || !/Change to "format"/.test(problem)) throw new Error(`the problem says "${problem}"`);
      await capture();
      await fix.click();
      await until(async () => (await fix.count()) === 0, 'the problem to go', 15_000);
      await page.keyboard.press('Control+S');
      let text = '';
      await until(async () => /^ {6}format: csv$/m.test((text = readFileSync(file, 'utf8'))), 'the fixed YAML on disk', 15_000).catch(() => undefined);
      if (!/^ {6}format: csv$/m.test(text) || /formt/.test(text)) throw new Error(`the file after the fix: ${JSON.stringify(text)}`);
      await page.screenshot({ path: join(RESULTS, 'canvas-quick-fix-applied.png') });
      return `"${problem}" → clicked → the problem is gone and the file reads "format: csv"`;
    });

    await step('Check Environment from the palette: a report of each runtime and its backends', async () => {
      await runCommand(page, 'Tributary: Check Environment');
      await page.locator('.tab.active', { hasText: 'Tributary Environment' }).waitFor({ timeout: 150_000 });
      const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
      await lines.filter({ hasText: 'Tributary environment' }).waitFor({ timeout: 15_000 });
      const text = (await lines.innerText()).replace(/\u00a0/g, ' ');
      for (const want of [/VS Code's runtime|Node v\d+/, /backends, in the order the Trainer tries them/, /cpu\s+loads/]) {
        if (!want.test(text)) throw new Error(`the report lacks ${want}: ${text.slice(0, 300)}`);
      }
      return text.split('\n').filter((l) => /^#|auto picks/.test(l.trim())).join(' | ').slice(0, 300);
    });
  } finally {
    writeFileSync(join(RESULTS, 'results.json'), JSON.stringify(results, null, 2));
    await browser.close().catch(() => undefined);
    await server.stop();
    if (!process.env.TRIBUTARY_KEEP_WORKSPACE) rmSync(workspace, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`end to end: ${results.length - failed.length}/${results.length} steps passed; screenshots in ${RESULTS}\n`);
  return failed.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv.indexOf('--only');
  runEndToEnd({ only: only > 0 ? new RegExp(process.argv[only + 1], 'i') : undefined }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
