/**
 * End to end, what the store's history looks like in the editor (#13 items 1 and 9):
 * - two pipelines on one `root:` (the taxi sample's taxi.pipeline.yaml and taxi-tuned.pipeline.yaml
 *   share .tributary): after a run of one, the Runs view lists it under that pipeline only, and the
 *   Artifacts view counts its artifacts once (not once per pipeline on the root);
 * - a second run with nothing changed: every node cached, the BulkInferrer too (it once re-ran
 *   every time), as the store, the Runs view and the node inspector say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { parse } from 'yaml';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { cli } from './cli.ts';
import { startRun, type StepContext } from './production-steps.ts';

export interface HistoryStepContext extends StepContext {
  results: string;
}

interface TreeRow {
  level: number;
  label: string;
  description: string;
}

/** The rendered rows of a side bar view (its pane titled `view`), with their depth in the tree. */
async function viewRows(page: Page, view: string): Promise<TreeRow[]> {
  const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header .title', { hasText: new RegExp(`^${view}$`, 'i') }) });
  return pane.locator('.pane-body .monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => ({
      level: Number(r.getAttribute('aria-level')),
      label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
      description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
    })),
  );
}

/** The rows under the first top-level row labelled `parent` (up to the next top-level row). */
function childrenOf(rows: TreeRow[], parent: string): TreeRow[] | undefined {
  const at = rows.findIndex((r) => r.level === 1 && r.label === parent);
  if (at < 0) return undefined;
  const end = rows.findIndex((r, i) => i > at && r.level === 1);
  return rows.slice(at + 1, end < 0 ? undefined : end);
}

const show = (rows: TreeRow[]) => rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label}${r.description ? ` (${r.description})` : ''}`).join(' | ');

async function until<T>(page: Page, what: string, timeoutMs: number, probe: () => Promise<T | undefined>, last: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await page.waitForTimeout(300);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s; seen ${last()}`);
}

/** Before any other run in the workspace: the data half of taxi.pipeline.yaml, from a terminal. */
export async function sharedRootSteps(ctx: HistoryStepContext): Promise<void> {
  const { page, step } = ctx;
  await step('two pipelines on one root: a run of taxi is listed under taxi only, its artifacts counted once', async (capture) => {
    try {
      return await sharedRootCheck(ctx, capture);
    } catch (error) {
      await page.screenshot({ path: join(ctx.results, 'shared-root-failed.png') }).catch(() => undefined);
      throw error;
    } finally {
      // Room for the canvas again (the views opened the side bar).
      await ctx.runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));
    }
  });
}

async function sharedRootCheck(ctx: HistoryStepContext, capture: () => Promise<void>): Promise<string> {
  const { page, workspace } = ctx;
  const taxi = join(workspace, 'taxi');
  // Setup through the CLI, as a teammate's run would be: three nodes of taxi.pipeline.yaml.
  await cli(taxi, ['run', 'taxi.pipeline.yaml', '--only', 'example_gen', 'statistics_gen', 'schema_gen']);
  const tunedRuns = JSON.parse(await cli(taxi, ['runs', 'taxi-tuned.pipeline.yaml', '--json'])) as unknown[];
  if (tunedRuns.length) throw new Error(`tributary runs taxi-tuned.pipeline.yaml lists ${tunedRuns.length} run(s) of taxi`);
  await ctx.runCommand(page, 'Tributary: Focus on Runs View');
  let rows: TreeRow[] = [];
  const runs = await until(
    page,
    'the taxi run under chicago-taxi in the Runs view',
    30_000,
    async () => {
      rows = await viewRows(page, 'Runs');
      const under = childrenOf(rows, 'chicago-taxi')?.filter((r) => r.level === 2);
      return under?.length && !/^No runs yet/.test(under[0].label) ? under : undefined;
    },
    () => show(rows),
  );
  if (runs.length !== 1) throw new Error(`chicago-taxi lists ${runs.length} runs: ${show(rows)}`);
  // The other pipelines on the same root: no runs of their own.
  for (const other of ['chicago-taxi-tuned', 'chicago-taxi-compressed']) {
    const under = childrenOf(rows, other);
    if (!under) throw new Error(`no ${other} in the Runs view: ${show(rows)}`);
    const listed = under.filter((r) => r.level === 2);
    if (listed.length !== 1 || !/^No runs yet/.test(listed[0].label)) throw new Error(`${other} lists ${show(listed)}`);
  }
  await ctx.runCommand(page, 'Tributary: Focus on Artifacts View');
  let artifacts: TreeRow[] = [];
  const types = await until(
    page,
    'the Artifacts view',
    30_000,
    async () => {
      artifacts = await viewRows(page, 'Artifacts');
      const top = artifacts.filter((r) => r.level === 1);
      return top.some((r) => r.label === 'Schema') ? top : undefined;
    },
    () => show(artifacts),
  );
  const counts = types.map((t) => `${t.label} ${t.description}`);
  if (types.some((t) => t.description !== '1')) throw new Error(`artifact counts (one of each was made): ${counts.join(', ')}`);
  await capture();
  return `Runs: ${show(rows.filter((r) => r.level <= 2))}; Artifacts: ${counts.join(', ')}; tributary runs taxi-tuned.pipeline.yaml: none`;
}

/** After the model pipeline (with a BulkInferrer) has run: once more from the palette, unchanged. */
export async function cachedRerunSteps(ctx: HistoryStepContext & { modelCanvas(): Promise<Frame> }): Promise<void> {
  const { page, step, workspace } = ctx;
  const store = join(workspace, 'taxi/.tributary/model/metadata');
  const read = (): StoreData | undefined => {
    try {
      return readStoreView(store);
    } catch {
      return undefined;
    }
  };
  await step('a second run with nothing changed: every node cached, BulkInferrer too (store, Runs view, inspector)', async (capture) => {
    const nodes = Object.keys((parse(readFileSync(join(workspace, 'taxi/model.pipeline.yaml'), 'utf8')) as { nodes: object }).nodes).length;
    const before = new Set((read()?.executions ?? []).map((e) => e.runId));
    await startRun(ctx, 'model.pipeline.yaml');
    let states = '';
    const executions = await until(
      page,
      'a new run of the model pipeline, every node done',
      180_000,
      async () => {
        const data = read();
        const mine = (data?.executions ?? []).filter((e) => !before.has(e.runId));
        states = mine.map((e) => `${e.nodeId} ${e.state}`).join(', ');
        return mine.length >= nodes && mine.every((e) => e.state !== 'RUNNING' && e.state !== 'NEW') ? mine : undefined;
      },
      () => states,
    );
    const ran = executions.filter((e) => e.state !== 'CACHED');
    if (!executions.some((e) => e.nodeId === 'bulk_inferrer')) throw new Error(`no bulk_inferrer in the run: ${states}`);
    if (ran.length) throw new Error(`not cached: ${ran.map((e) => `${e.nodeId} ${e.state}`).join(', ')}`);
    const runId = executions[0].runId;
    // The canvas inspector of the BulkInferrer: its last execution is the cached one.
    await ctx.runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));
    const canvas = await ctx.modelCanvas();
    // Nothing selected first: the properties column folds and a fit shows every node, the
    // BulkInferrer too (the first click may only move the focus into the webview).
    await canvas.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await canvas.locator('.canvas-app.no-properties').waitFor({ timeout: 10_000 });
    await canvas.locator('vscode-button[title^="Zoom to fit"]').click();
    const selected = canvas.locator('.react-flow__node.selected[data-id="bulk_inferrer"]');
    for (let attempt = 1; attempt <= 3 && !(await selected.count()); attempt++) {
      await canvas.locator('.react-flow__node[data-id="bulk_inferrer"]').click();
      await page.waitForTimeout(300);
    }
    const heading = (await canvas.locator('.properties header h2').innerText({ timeout: 10_000 })).trim();
    if (heading !== 'BulkInferrer') throw new Error(`the properties show ${heading}, not the BulkInferrer`);
    await canvas.locator('.inspector .execution[data-state="CACHED"]').waitFor({ timeout: 15_000 });
    const state = (await canvas.locator('.inspector .exec-state').innerText()).replace(/\s+/g, ' ').trim();
    const badges = await canvas.locator('.run-badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''));
    // The Runs view beside the canvas: the run says how many were cached, and the BulkInferrer's row says "cache hit".
    await ctx.runCommand(page, 'Tributary: Focus on Runs View');
    let rows: TreeRow[] = [];
    const bulk = await until(
      page,
      `run ${runId} with bulk_inferrer's cache hit in the Runs view`,
      30_000,
      async () => {
        rows = await viewRows(page, 'Runs');
        const under = childrenOf(rows, 'chicago-taxi-model') ?? [];
        const run = under.findIndex((r) => r.level === 2 && r.description.includes(runId));
        if (run < 0 || !new RegExp(`\\b${executions.length} cached\\b`).test(under[run].description)) return undefined;
        return under.slice(run + 1).find((r) => r.level === 3 && r.label === 'bulk_inferrer' && /cache hit/.test(r.description));
      },
      () => show(rows.filter((r) => r.level <= 3).slice(0, 14)),
    );
    // One picture of all three: the Runs view's "N cached" run, the canvas's cached badges, the
    // BulkInferrer's inspector. The side bar dragged wider, so the run's description is not cut
    // off, and the canvas fitted to what is left.
    const bar = await page.locator('.part.sidebar').first().boundingBox();
    if (bar) {
      await page.mouse.move(bar.x + bar.width, bar.y + bar.height / 2);
      await page.mouse.down();
      await page.mouse.move(bar.x + bar.width + 200, bar.y + bar.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await canvas.locator('vscode-button[title^="Zoom to fit"]').click();
    await canvas.waitForFunction(() => {
      const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
      const node = document.querySelector('.react-flow__node[data-id="bulk_inferrer"]')?.getBoundingClientRect();
      return pane && node && node.left >= pane.left && node.right <= pane.right;
    });
    if (!(await canvas.locator('.inspector .execution[data-state="CACHED"]').isVisible())) throw new Error('the inspector went away when the Runs view opened');
    await capture();
    await ctx.runCommand(page, 'View: Close Primary Side Bar').catch(() => page.keyboard.press('Escape'));
    // Leave a viewer active, as the lineage step did: the next steps' commands ask which pipeline.
    await page.locator('.tab', { hasText: 'Lineage:' }).first().click();
    await ctx.findFrame(page, '.viewer.lineage .react-flow__node', 30_000);
    return `run ${runId}: ${executions.length} executions, all CACHED; Runs view: bulk_inferrer (${bulk.description}); inspector: "${state}"; canvas badges: ${badges.join(', ')}`;
  });
}
