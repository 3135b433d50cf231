/**
 * End to end, the artifact viewers at TFDV/TFMA depth (#13 item 8), on the model pipeline's
 * artifacts: statistics sorted by drift with a histogram's hover, the evaluation's ROC, PR and
 * calibration plots, the model's hyperparameters; then a second run (4 epochs) whose evaluation
 * compares with the first model, the two runs compared with deltas and a chart, and one viewer tab
 * per kind that a pin keeps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { cli } from './cli.ts';
import { QUICK_INPUT } from './quick-input.ts';

export interface ViewerStepContext {
  page: Page;
  workspace: string;
  results: string;
  /** `capture()` takes the step's numbered screenshot now (before follow-up clicks change the view). */
  step(name: string, body: (capture: () => Promise<void>) => Promise<string | void>): Promise<boolean>;
  findFrame(page: Page, selector: string, timeout?: number): Promise<Frame>;
  runCommand(page: Page, title: string): Promise<void>;
  pickRow(page: Page, text: string, timeout?: number): Promise<string>;
  /** Runs a command that asks "Which pipeline?" and then for an artifact; picks the first row with `row`. */
  pickArtifactWith(page: Page, command: string, pipeline: string, row: string): Promise<string>;
  /** Waits for the picker on screen whose placeholder matches `until`, answering "Which pipeline?" with `pipeline`. */
  awaitPicker(page: Page, options: { until: RegExp; pipeline?: string; row?: string; timeout?: number }): Promise<void>;
}

/** The viewer tabs' labels, as titleOf names them. */
async function viewerTabs(page: Page): Promise<string[]> {
  const labels = await page.locator('.tabs-container .tab').allInnerTexts();
  return labels.map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => /^(ExampleStatistics|Evaluation|Model|Compare|Lineage|Schema|ExampleAnomalies) /.test(l));
}

/** A newly revealed viewer: the frame whose page shows `selector` and `text` (an old frame of the same kind may linger). */
async function frameWith(ctx: ViewerStepContext, selector: string, text: RegExp, timeout = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of ctx.page.frames()) {
      const found = await frame
        .locator(selector)
        .first()
        .innerText({ timeout: 200 })
        .catch(() => '');
      if (text.test(found)) return frame;
    }
    await ctx.page.waitForTimeout(300);
  }
  throw new Error(`no viewer with ${selector} saying ${text} within ${timeout} ms`);
}

export async function viewerSteps(ctx: ViewerStepContext): Promise<void> {
  const { page, step, workspace } = ctx;
  const pipeline = 'model.pipeline.yaml';
  const store = join(workspace, 'taxi/.tributary/model/metadata');

  await step('statistics viewer: ranked by drift, a histogram tells its buckets on hover, each split has its own top values', async () => {
    const label = await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, 'ExampleStatistics');
    const frame = await ctx.findFrame(page, '.viewer.statistics', 30_000);
    await frame.locator('[data-feature="trip_miles"]').first().waitFor({ timeout: 10_000 });
    const legend = await frame.locator('.legend').innerText();
    if (!/train/.test(legend) || !/eval/.test(legend)) throw new Error(`splits missing from the legend: ${legend}`);
    // Rank by drift: the eval rows' drift column descends.
    await frame.locator('select.sort-column').selectOption('drift');
    await page.waitForTimeout(300);
    const numeric = frame.locator('.stats-table.numeric');
    const drift = (await numeric.locator('tr[data-split="eval"] td.drift').allInnerTexts()).map((t) => Number.parseFloat(t.replace('≥', '')));
    if (drift.length < 3 || drift.some(Number.isNaN)) throw new Error(`drift column: ${drift.join(', ')}`);
    if (drift.some((d, i) => i > 0 && d > drift[i - 1])) throw new Error(`not ranked by drift: ${drift.join(', ')}`);
    const ranked = await numeric.locator('tr[data-split="train"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature')));
    // Sort by a column header: missing %, eval's numbers.
    await frame.locator('select.sort-split').selectOption('eval');
    await numeric.locator('th[data-column="missing"]').click();
    await page.waitForTimeout(300);
    const missingSorted = await numeric.locator('th[data-column="missing"]').getAttribute('aria-sort');
    // Each split's top values in its own row (eval's were once drawn on the train row).
    const categorical = frame.locator('.stats-table.categorical');
    const feature = await categorical.locator('tr[data-split="eval"]').first().getAttribute('data-feature');
    const trainTop = (await categorical.locator(`tr[data-feature="${feature}"][data-split="train"] .top-value`).allInnerTexts()).length;
    const evalTop = (await categorical.locator(`tr[data-feature="${feature}"][data-split="eval"] .top-value`).allInnerTexts()).length;
    if (!trainTop || !evalTop) throw new Error(`${feature}: ${trainTop} top values on the train row, ${evalTop} on the eval row`);
    await categorical.locator(`tr[data-feature="${feature}"][data-split="eval"]`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ctx.results, 'statistics-top-values-per-split.png') });
    // Hover the first numeric histogram: for each split, the bucket under the pointer.
    const canvas = numeric.locator('.histogram canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no histogram drawn');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.6, { steps: 3 });
    const tip = frame.locator('.histogram-tip');
    await tip.waitFor({ timeout: 5000 });
    const tipText = (await tip.innerText()).replace(/\s+/g, ' ').trim();
    if (!/train: .+ to .+: [\d,]+ \([\d.]+ %\)/.test(tipText)) throw new Error(`hover says "${tipText}"`);
    await page.screenshot({ path: join(ctx.results, 'statistics-histogram-hover.png') });
    return `${label}; by drift: ${ranked.slice(0, 4).join(', ')} (${drift.slice(0, 4).join(', ')}); missing % sorted ${missingSorted}; ${feature}: ${trainTop} train / ${evalTop} eval top values in their rows; hover: "${tipText}"`;
  });

  await step('evaluation viewer: ROC, PR and calibration plots, 95 % intervals per slice', async (capture) => {
    const label = await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, 'ModelEvaluation');
    const frame = await ctx.findFrame(page, '.viewer.evaluation', 30_000);
    await frame.locator('.metrics-table tbody tr').first().waitFor({ timeout: 10_000 });
    const first = (await frame.locator('.metrics-table tbody tr').first().innerText()).split('\t')[0];
    if (first.trim() !== 'Overall') throw new Error(`first slice is "${first}", not Overall`);
    const plots = await frame.locator('.plots .plot canvas').count();
    const titles = await frame.locator('.plots .plot h3').allInnerTexts();
    if (plots !== 3) throw new Error(`${plots} plots: ${titles.join(' | ')}`);
    const intervals = await frame.locator('.metrics-table .ci').count();
    if (!intervals) throw new Error('no intervals in the metrics table');
    // Intervals drawn too: error bars on the calibration points and on the per-slice bars.
    const calibration = frame.locator('.plot-calibration .chart');
    const calibrationSeries = (await calibration.getAttribute('data-series')) ?? '';
    if (!calibrationSeries.includes('perfectly calibrated')) throw new Error(`calibration series: ${calibrationSeries}`);
    const calibrationBars = Number(await calibration.getAttribute('data-error-bars'));
    const sliceBars = Number(await frame.locator('section .chart').last().getAttribute('data-error-bars'));
    if (!(calibrationBars > 0 && sliceBars > 0)) throw new Error(`error bars: ${calibrationBars} on the calibration plot, ${sliceBars} on the slice chart`);
    await capture();
    await calibration.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ctx.results, 'evaluation-calibration-error-bars.png') });
    await frame.locator('section .chart').last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ctx.results, 'evaluation-slice-chart-error-bars.png') });
    const verdict = (await frame.locator('.blessing h2').innerText()).trim();
    // Another slice's plots.
    await frame.locator('select.focus-slice').selectOption({ index: 2 });
    await page.waitForTimeout(500);
    const sliceTitle = (await frame.locator('.plots .plot h3').first().innerText()).trim();
    await frame.locator('.plots').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ctx.results, 'evaluation-slice-2-plots.png') });
    return `${label}; ${verdict}; plots: ${titles.join(' | ')}; ${intervals} intervals; error bars: ${calibrationBars} calibration, ${sliceBars} slice bars; slice 2: ${sliceTitle}`;
  });

  await step('model viewer: hyperparameters, trainer settings and training curves', async () => {
    const label = await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, 'Model #');
    const frame = await ctx.findFrame(page, '.viewer.model', 30_000);
    await frame.locator('.curve canvas').first().waitFor({ timeout: 10_000 });
    const hp = (await frame.locator('.hyperparameter-table tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    if (!hp.some((r) => /^num_dnn_layers 2 trainer params$/.test(r))) throw new Error(`hyperparameters: ${hp.join(' | ') || 'none'}`);
    const settings = (await frame.locator('.training-params').innerText()).replace(/\s+/g, ' ');
    if (!/epochs 3/.test(settings)) throw new Error(`trainer settings: ${settings}`);
    return `${label}; hyperparameters ${hp.join(', ')}; settings ${settings.trim()}; ${await frame.locator('.curve').count()} curves`;
  });

  await step('Open Artifact Viewer from the palette: recent artifacts, newest first, with pipeline, node and type', async (capture) => {
    await ctx.runCommand(page, 'Tributary: Open Artifact Viewer');
    await ctx.awaitPicker(page, { until: /newest first/i, row: 'ModelEvaluation' });
    const rows = (await page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`).allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    const ids = rows.map((r) => Number(/#(\d+)/.exec(r)?.[1]));
    if (rows.length < 3 || ids.some(Number.isNaN)) throw new Error(`rows: ${rows.slice(0, 4).join(' | ')}`);
    // Newest first: by the time each row shows, and by id within one pipeline's store (ids of two
    // stores, the model's and the taxi sample's, interleave).
    const times = rows.map((r) => Date.parse(/(\d+\/\d+\/\d+, \d+:\d+:\d+ [AP]M)/.exec(r)?.[1] ?? ''));
    if (times.some(Number.isNaN)) throw new Error(`rows without a time: ${rows.slice(0, 3).join(' | ')}`);
    if (times.some((t, i) => i > 0 && t > times[i - 1])) throw new Error(`not newest first: ${rows.map((r, i) => `#${ids[i]} ${new Date(times[i]).toISOString()}`).join(', ')}`);
    const pipelineOf = (r: string) => /#\d+\s*(\S+) ·/.exec(r)?.[1] ?? '';
    const model = ids.filter((_, i) => pipelineOf(rows[i]) === 'chicago-taxi-model');
    if (model.some((id, i) => i > 0 && id > model[i - 1])) throw new Error(`the model pipeline's artifacts not newest first: ${model.join(', ')}`);
    const evaluation = rows.find((r) => r.startsWith('ModelEvaluation'))!;
    if (!/chicago-taxi-model · evaluator/.test(evaluation)) throw new Error(`the row does not name its pipeline and node: ${evaluation}`);
    await capture();
    await ctx.pickRow(page, 'ModelEvaluation', 5000);
    await ctx.findFrame(page, '.viewer.evaluation', 30_000);
    return `${rows.length} rows, ids ${ids.slice(0, 5).join(', ')}…; "${evaluation}" opened its viewer`;
  });

  let models: number[] = [];
  await step('a second run (4 epochs): its evaluation compares with the first model, with deltas and both curves', async () => {
    // Setup through the CLI, as a teammate's run would be; the viewer is what is tested here.
    const file = join(workspace, 'taxi', pipeline);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/epochs: 3\b/, 'epochs: 4'));
    await cli(join(workspace, 'taxi'), ['run', pipeline]);
    const data = readStoreView(store);
    models = (data?.artifacts ?? []).filter((a) => a.type === 'Model').map((a) => a.id).sort((a, b) => a - b);
    if (models.length < 2) throw new Error(`${models.length} models in the store`);
    await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, 'ModelEvaluation');
    const frame = await frameWith(ctx, '.viewer.evaluation header', /baseline model #\d+/);
    const rows = (await frame.locator('.baseline-table tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    const auc = rows.find((r) => r.startsWith('auc '));
    if (!auc || !/[+−]\d|\b0\b/.test(auc)) throw new Error(`baseline rows: ${rows.join(' | ')}`);
    const heading = (await frame.locator('.focus h3').first().innerText()).trim();
    // The baseline model's calibration beside the candidate's, against the diagonal.
    const calibration = frame.locator('.plot-calibration .chart');
    const series = ((await calibration.getAttribute('data-series')) ?? '').split('|');
    if (!['candidate', 'baseline', 'perfectly calibrated'].every((s) => series.includes(s))) throw new Error(`calibration series: ${series.join(', ')}`);
    await calibration.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ctx.results, 'evaluation-calibration-with-baseline.png') });
    return `${heading}: ${rows.slice(0, 4).join(' | ')}; calibration: ${series.join(', ')}`;
  });

  await step('compare runs: deltas against the first run and a metric chart', async () => {
    await ctx.runCommand(page, 'Tributary: Compare Runs');
    // "Which pipeline?" first (a viewer is active), then the runs, several at once. The command
    // reads the store first: wait for its picker on screen, not for a fixed time.
    await ctx.awaitPicker(page, { until: /two or more runs/i, pipeline, row: 'chicago-taxi-model' });
    const rows = page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`);
    for (const deadline = Date.now() + 10_000; (await rows.count()) < 2 && Date.now() < deadline; ) await page.waitForTimeout(200);
    const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    if (labels.length < 2) throw new Error(`runs to compare: ${labels.join(' | ') || 'none'}`);
    // Each run has a human label: pipeline, time and what changed since the previous run.
    if (!labels.some((l) => /trainer\.epochs 3→4/.test(l))) throw new Error(`no run labelled with its change (trainer.epochs 3→4): ${labels.join(' | ')}`);
    // Tick every run (a click on a row toggles it in a many-pick list); each click is seen in the count.
    const counter = page.locator(`${QUICK_INPUT} .quick-input-count`);
    for (let i = 0; i < labels.length; i++) {
      await rows.nth(i).click();
      const deadline = Date.now() + 10_000;
      let shown = '';
      while (!(shown = (await counter.innerText({ timeout: 1000 }).catch(() => '')).trim()).startsWith(String(i + 1))) {
        if (Date.now() > deadline) throw new Error(`after ticking ${i + 1} of ${labels.length} runs the picker says "${shown || 'nothing'}"`);
        await page.waitForTimeout(200);
      }
    }
    await page.keyboard.press('Enter');
    const frame = await ctx.findFrame(page, '.viewer.compare', 30_000);
    const epochs = (await frame.locator('.compare-table.parameters tr[data-key="trainer.epochs"]').innerText({ timeout: 10_000 })).replace(/\s+/g, ' ').trim();
    if (!/3 4 \+1|4 3 −1/.test(epochs)) throw new Error(`trainer.epochs row: ${epochs}`);
    const metrics = (await frame.locator('.compare-table.metrics tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    await frame.locator('.run-chart canvas').waitFor({ timeout: 5000 });
    const charted = await frame.locator('select.chart-metric').inputValue();
    return `epochs: ${epochs}; metrics: ${metrics.slice(0, 3).join(' | ')}; chart of ${charted}`;
  });

  await step('viewers reuse one tab per kind; a pinned tab keeps its artifact', async () => {
    const [older, newer] = [models[0], models[models.length - 1]];
    await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, `Model #${newer}`);
    let frame = await frameWith(ctx, '.viewer.model h1', new RegExp(`Model #${newer}\\b`));
    const before = await viewerTabs(page);
    if (before.filter((t) => t.startsWith('Model ')).length !== 1) throw new Error(`model tabs: ${before.join(', ')}`);
    await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, `Model #${older}`);
    frame = await frameWith(ctx, '.viewer.model h1', new RegExp(`Model #${older}\\b`));
    const reused = await viewerTabs(page);
    if (reused.length !== before.length || !reused.includes(`Model #${older}`)) throw new Error(`after opening model #${older}: ${reused.join(', ')} (before: ${before.join(', ')})`);
    await frame.locator('.pin-button').click();
    await frame.locator('.pin-button.pinned').waitFor({ timeout: 5000 });
    await ctx.pickArtifactWith(page, 'Tributary: Open Artifact', pipeline, `Model #${newer}`);
    await frameWith(ctx, '.viewer.model h1', new RegExp(`Model #${newer}\\b`));
    const after = await viewerTabs(page);
    if (!after.includes(`Model #${older}`) || !after.includes(`Model #${newer}`) || after.length !== before.length + 1) throw new Error(`after pinning: ${after.join(', ')}`);
    return `tabs ${before.join(', ')} → ${reused.join(', ')} (reused) → pinned Model #${older} → ${after.join(', ')}`;
  });
}
