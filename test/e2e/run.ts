/**
 * End to end, as a user: Debian Chromium (playwright-core) drives code-server with the extension
 * under development. Each step is recorded pass/fail with its reason and a screenshot under
 * test-results/e2e/, and the run continues where later steps can still say something (a feature
 * another engineer has not finished fails its own steps, not the whole report).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { parse } from 'yaml';
import { launchChromium, REPO, startCodeServer, waitForWorkbench } from '../../scripts/editor-test/code-server.ts';
import { makeWorkspace } from '../../scripts/editor-test/workspace.ts';

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

export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

export async function quickOpen(page: Page, file: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(file);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: file }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Picks the first row of an open quick pick that contains `text`. */
async function pickRow(page: Page, text: string): Promise<string> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 20_000 });
  const label = (await row.innerText()).replace(/\s+/g, ' ').trim();
  await row.click();
  return label;
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

const handle = (node: string, kind: 'in' | 'out', port: string) => `.react-flow__node[data-id="${node}"] .react-flow__handle[data-handleid="${kind}:${port}"]`;

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
  const step = async (name: string, body: () => Promise<string | void>): Promise<boolean> => {
    if (options.only && !options.only.test(name)) return false;
    const started = Date.now();
    let ok = true;
    let detail = '';
    try {
      detail = (await body()) ?? '';
    } catch (error) {
      ok = false;
      detail = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    }
    const screenshot = join(RESULTS, `${String(++shot).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    await page.screenshot({ path: screenshot }).catch(() => undefined);
    results.push({ name, ok, ms: Date.now() - started, detail, screenshot });
    process.stdout.write(`  ${ok ? '✔' : '✖'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}\n`);
    return ok;
  };

  let canvas: Frame | undefined;
  let added: string | undefined;
  try {
    await step('workbench opens with the extension', async () => {
      await page.goto(server.url(workspace, [['extensionDevelopmentPath', server.remote(REPO)], ['skipWelcome', 'true']]));
      await waitForWorkbench(page);
      await page.locator('.activitybar [aria-label*="Tributary"]').first().waitFor({ timeout: 30_000 });
      return 'Tributary view container in the activity bar';
    });

    await step('open the taxi pipeline in the canvas', async () => {
      await quickOpen(page, 'taxi.pipeline.yaml');
      await page.locator('.tab', { hasText: 'taxi.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
      const started = Date.now();
      await runCommand(page, 'Tributary: Open Canvas');
      canvas = await findFrame(page, '.react-flow__node[data-id="example_validator"]', 30_000);
      const nodes = await canvas.locator('.react-flow__node').count();
      const expected = Object.keys(parse(readFileSync(taxiFile, 'utf8')).nodes).length;
      if (nodes !== expected) throw new Error(`${nodes} nodes drawn, the file has ${expected}`);
      return `${nodes} nodes drawn ${Date.now() - started} ms after the command`;
    });

    await step('drag Transform from the palette onto the canvas', async () => {
      if (!canvas) throw new Error('no canvas');
      const before = new Set(await canvas.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))));
      const item = canvas.locator('.palette-item[data-component="Transform"]');
      await item.dragTo(canvas.locator('.react-flow__pane'), { targetPosition: { x: 420, y: 380 } });
      await canvas.locator('.react-flow__node', { hasText: 'Transform' }).first().waitFor({ timeout: 15_000 });
      const after = await canvas.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      added = after.find((id) => id && !before.has(id)) ?? undefined;
      if (!added) throw new Error('no new node id');
      return `added node "${added}"`;
    });

    await step('connect example_gen.examples to the new node', async () => {
      if (!canvas || !added) throw new Error('no added node');
      await dragHandle(page, canvas, handle('example_gen', 'out', 'examples'), handle(added, 'in', 'examples'));
      await canvas.locator(`.react-flow__edge[data-id*="${added}"], .react-flow__edge[aria-label*="${added}"]`).first().waitFor({ timeout: 10_000 }).catch(async () => {
        // Edge ids are EXT-B's choice: fall back to counting edges that end at the node.
        const ends = await canvas!.locator('.react-flow__edge').count();
        if (ends < 4) throw new Error(`no new edge (${ends} edges)`);
      });
      return 'edge drawn';
    });

    await step('refuse an incompatible connection with a reason', async () => {
      if (!canvas || !added) throw new Error('no added node');
      const edges = await canvas.locator('.react-flow__edge').count();
      await dragHandle(page, canvas, handle('statistics_gen', 'out', 'statistics'), handle(added, 'in', 'schema'));
      const toast = canvas.locator('.toast.error, [role="alert"]').first();
      await toast.waitFor({ timeout: 10_000 });
      const text = (await toast.innerText()).trim();
      if (!/ExampleStatistics|Schema|type/i.test(text)) throw new Error(`refusal does not give the types: "${text}"`);
      if ((await canvas.locator('.react-flow__edge').count()) !== edges) throw new Error('an edge was drawn anyway');
      return `"${text.replace(/\s+/g, ' ').slice(0, 140)}"`;
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
      if (node?.component !== 'Transform') throw new Error(`saved file has no Transform node "${added}"`);
      if (node.inputs?.examples !== 'example_gen.examples') throw new Error(`inputs.examples is ${JSON.stringify(node.inputs?.examples)}`);
      if (node.inputs?.schema) throw new Error(`the refused connection was written: schema = ${node.inputs.schema}`);
      if (!text.includes('# Reads the CSV and writes it as Examples split into train/eval.')) throw new Error('a comment was lost');
      return `nodes.${added}: component Transform, inputs.examples example_gen.examples`;
    });

    await step('delete the new node (Delete key) and save', async () => {
      if (!canvas || !added) throw new Error('no added node');
      await canvas.locator(`.react-flow__node[data-id="${added}"]`).click();
      await page.keyboard.press('Delete');
      await canvas.locator(`.react-flow__node[data-id="${added}"]`).waitFor({ state: 'detached', timeout: 10_000 });
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(1000);
      const doc = parse(readFileSync(taxiFile, 'utf8'));
      if (doc.nodes[added]) throw new Error('still in the file');
      return 'removed from the file';
    });

    // The model pipeline (taxi through Trainer and Evaluator): the viewers need its artifacts.
    let model: Frame | undefined;
    await step('open the model pipeline in the canvas', async () => {
      await quickOpen(page, 'model.pipeline.yaml');
      await page.locator('.tab', { hasText: 'model.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
      await runCommand(page, 'Tributary: Open Canvas');
      model = await findFrame(page, '.react-flow__node[data-id="evaluator"]', 30_000);
      return `${await model.locator('.react-flow__node').count()} nodes`;
    });

    await step('run the pipeline from the palette: every node succeeds', async () => {
      await runCommand(page, 'Tributary: Run Pipeline');
      const frame = model ?? (await findFrame(page, '.react-flow__node[data-id="evaluator"]'));
      const total = await frame.locator('.react-flow__node').count();
      const deadline = Date.now() + 5 * 60_000;
      let states: string[] = [];
      while (Date.now() < deadline) {
        states = await frame.locator('.run-badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''));
        if (states.length === total && states.every((s) => s === 'succeeded' || s === 'cached')) break;
        if (states.some((s) => s === 'failed' || s === 'canceled')) throw new Error(`states: ${states.join(', ')}`);
        await page.waitForTimeout(500);
      }
      if (!(states.length === total && states.every((s) => s === 'succeeded' || s === 'cached'))) throw new Error(`after 5 min: ${states.join(', ') || 'no run states on the nodes'}`);
      return `${total} nodes: ${states.join(', ')}`;
    });

    await step('statistics viewer', async () => {
      await runCommand(page, 'Tributary: Open Artifact');
      const label = await pickRow(page, 'ExampleStatistics');
      const frame = await findFrame(page, '.viewer.statistics', 30_000);
      await frame.locator('[data-feature="trip_miles"]').first().waitFor({ timeout: 10_000 });
      const legend = await frame.locator('.legend').innerText();
      if (!/train/.test(legend) || !/eval/.test(legend)) throw new Error(`splits missing from the legend: ${legend}`);
      const histograms = await frame.locator('svg.histogram').count();
      if (histograms === 0) throw new Error('no histograms');
      return `${label}; ${histograms} histograms; ${legend.replace(/\s+/g, ' ')}`;
    });

    await step('evaluation viewer', async () => {
      await quickOpen(page, 'model.pipeline.yaml');
      await runCommand(page, 'Tributary: Open Artifact');
      const label = await pickRow(page, 'ModelEvaluation');
      const frame = await findFrame(page, '.viewer.evaluation', 30_000);
      await frame.locator('.metrics-table tbody tr').first().waitFor({ timeout: 10_000 });
      const rows = await frame.locator('.metrics-table tbody tr').count();
      const verdict = (await frame.locator('.blessing h2').innerText()).trim();
      const first = (await frame.locator('.metrics-table tbody tr').first().innerText()).split('\t')[0];
      if (first.trim() !== 'Overall') throw new Error(`first slice is "${first}", not Overall`);
      return `${label}; ${rows} slices; ${verdict}`;
    });

    await step('model viewer with training curves', async () => {
      await runCommand(page, 'Tributary: Open Artifact');
      const label = await pickRow(page, 'Model #');
      const frame = await findFrame(page, '.viewer.model', 30_000);
      await frame.locator('.curve canvas').first().waitFor({ timeout: 10_000 });
      return `${label}; ${await frame.locator('.curve').count()} curves`;
    });

    await step('lineage graph of the evaluation', async () => {
      await runCommand(page, 'Tributary: Show Lineage');
      const label = await pickRow(page, 'ModelEvaluation');
      const frame = await findFrame(page, '.viewer.lineage', 30_000);
      const nodes = await frame.locator('.lineage-node').count();
      if (nodes < 5) throw new Error(`only ${nodes} lineage nodes`);
      return `${label}; ${nodes} nodes`;
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
