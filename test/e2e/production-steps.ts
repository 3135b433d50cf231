/**
 * End to end in the editor: a ManualApproval between the Evaluator and the Pusher pauses a
 * run started from the palette, a notification asks for the decision, the evaluation viewer's
 * approval bar records it (with a comment) and the run goes on to push, which a `notification`
 * alert reports; then data over time: three spans (the third with a shifted fare) and the
 * "Show Data Trends" viewer charting them with the drift marked. Last, a run started from a
 * terminal outside VS Code: its approval request still becomes a notification (found in the
 * store), and Reject on it records the decision that ends that run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO } from '../../scripts/editor-test/code-server.ts';
import { generateTaxiRows, taxiCsvLine, TAXI_COLUMNS, type TaxiRow } from '../../samples/taxi/generate.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { spansPipeline } from '../helpers/pipelines.ts';
import { QUICK_INPUT } from './quick-input.ts';

export interface StepContext {
  page: Page;
  workspace: string;
  /** `capture()` takes the step's numbered screenshot now (before follow-up clicks change the view). */
  step(name: string, body: (capture: () => Promise<void>) => Promise<string | void>): Promise<boolean>;
  findFrame(page: Page, selector: string, timeout?: number): Promise<import('playwright-core').Frame>;
  quickOpen(page: Page, file: string): Promise<void>;
  runCommand(page: Page, title: string): Promise<void>;
  pickRow(page: Page, text: string, timeout?: number): Promise<string>;
}

const GATE = `
  approval:
    component: ManualApproval
    params: { timeout_s: 3600 }
    inputs: { model: trainer.model, evaluation: evaluator.evaluation, blessing: evaluator.blessing }
  pusher:
    component: Pusher
    params: { registry: registry, model_name: taxi, labels: [canary] }
    inputs: { model: trainer.model, model_blessing: approval.blessing }

alerts:
  - on: pushed
    to: [{ notification: true }]
`;

/** Data over time: ExampleGen ingests the latest span of data/span-{SPAN}/. */
const SPANS_PIPELINE = spansPipeline('taxi-spans', '.tributary/spans');

function readStore(file: string): StoreData | undefined {
  try {
    return readStoreView(file);
  } catch {
    return undefined; // not written yet
  }
}

async function poll<T>(page: Page, what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await page.waitForTimeout(300);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/**
 * The notification with `text`, from the notification centre: it lists every notification, while
 * toasts here are hidden behind others (the run's progress) or time out before they are looked at.
 */
async function notification(ctx: StepContext, text: RegExp, timeoutMs: number) {
  const { page } = ctx;
  const item = page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
  if (!(await page.locator('.notifications-center').isVisible().catch(() => false))) await ctx.runCommand(page, 'Notifications: Show Notifications');
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return item;
}

/**
 * Runs a pipeline from the palette while a viewer is active, answering "Which pipeline?". A viewer
 * that has just loaded can take the focus and close the question: then it tries again, unless the
 * run has started meanwhile (the status bar counts its nodes).
 */
export async function startRun(ctx: StepContext, file: string): Promise<void> {
  const { page } = ctx;
  const started = async () => /Tributary \d+\/\d+/.test((await page.locator('.statusbar').innerText().catch(() => '')) ?? '');
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.runCommand(page, 'Tributary: Run Pipeline');
      await poll(page, 'the "Which pipeline?" question', 10_000, async () =>
        /which pipeline/i.test((await page.locator(`${QUICK_INPUT} input`).first().getAttribute('placeholder', { timeout: 1000 }).catch(() => null)) ?? '') ? true : undefined,
      );
      await ctx.pickRow(page, file, 5000);
      return;
    } catch (error) {
      if (await started()) return;
      if (attempt === 3) throw error;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

export async function productionSteps(ctx: StepContext): Promise<void> {
  const { page, workspace, step } = ctx;
  const modelFile = join(workspace, 'taxi/model.pipeline.yaml');
  const modelStore = join(workspace, 'taxi/.tributary/model/metadata');
  let runId: string | undefined;

  await step('ManualApproval pauses the run and a notification asks for a decision', async () => {
    appendFileSync(modelFile, GATE);
    await page.waitForTimeout(1000); // the open editors pick up the changed file
    // From the lineage viewer (not a pipeline), so the command asks which pipeline; revealing the
    // canvas instead would reload its webview, which takes the focus while the palette is in use.
    await startRun(ctx, 'model.pipeline.yaml');
    const toast = await notification(ctx, /approval in run .* waits for your approval/, 180_000);
    const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
    const buttons = await toast.locator('.monaco-button').allInnerTexts();
    for (const b of ['Approve', 'Reject', 'Open Evaluation']) if (!buttons.some((t) => t.includes(b))) throw new Error(`no ${b} button: ${buttons.join(', ')}`);
    const waiting = await poll(page, 'the WAITING approval in the store', 10_000, () =>
      readStore(modelStore)?.executions.find((e) => e.nodeId === 'approval' && e.state === 'WAITING'),
    );
    runId = waiting.runId;
    return `"${text}" [${buttons.join(' | ')}]; store: approval WAITING in run ${runId}`;
  });

  await step('approve from the evaluation viewer: the run pushes and an alert says so', async () => {
    if (!runId) throw new Error('no waiting run');
    const toast = await notification(ctx, /approval in run .* waits for your approval/, 5000);
    await toast.locator('.monaco-button', { hasText: 'Open Evaluation' }).click({ timeout: 5000 });
    const frame = await ctx.findFrame(page, '.approval-bar', 30_000);
    const bar = (await frame.locator('.approval').first().innerText()).replace(/\s+/g, ' ').trim();
    if (!bar.includes(runId)) throw new Error(`the approval bar names another run: ${bar}`);
    await frame.locator('.approval button.approve').first().click({ timeout: 5000 });
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('AUC fine on every slice');
    await page.keyboard.press('Enter');
    const decided = await poll(page, 'the decision and the push in the store', 120_000, () => {
      const data = readStore(modelStore);
      const approval = data?.executions.find((e) => e.runId === runId && e.nodeId === 'approval');
      const pusher = data?.executions.find((e) => e.runId === runId && e.nodeId === 'pusher' && e.state === 'COMPLETE');
      return approval && pusher ? { approval: approval.properties.approval as { decision?: string; by?: string; comment?: string }, approvalState: approval.state } : undefined;
    });
    if (decided.approval.decision !== 'APPROVED' || decided.approval.comment !== 'AUC fine on every slice') throw new Error(`recorded ${JSON.stringify(decided.approval)}`);
    const pushed = await notification(ctx, /pushed/i, 30_000);
    const pushedText = (await pushed.locator('.notification-list-item-message').innerText()).trim();
    // The viewer reloads after the decision: nothing waits any more.
    await poll(page, 'the approval bar to go away', 15_000, async () => ((await frame.locator('.approval-bar').count()) === 0 ? true : undefined));
    const registry = join(workspace, 'taxi/registry/taxi');
    if (!existsSync(registry)) throw new Error(`nothing pushed to ${registry}`);
    return `bar "${bar}"; ${decided.approval.decision} by ${decided.approval.by} ("${decided.approval.comment}"), approval ${decided.approvalState}; pusher COMPLETE; notification "${pushedText}"`;
  });

  await step('Models view: the pushed version with its label', async () => {
    await ctx.runCommand(page, 'Tributary: Focus on Models View');
    // The Models tree's rows (the side bar's other trees have no registry rows).
    const tree = page.locator('.part.sidebar .monaco-list-row');
    let seen: string[] = [];
    const rows = await poll(page, 'a version row labelled canary', 30_000, async () => {
      const all = (await tree.allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim());
      seen = all;
      const texts = all.slice(all.findIndex((t) => /registry/.test(t)));
      // A row's text is its label then its description, with no space between.
      return texts.some((t) => /^v1\s*canary\b/.test(t)) ? texts : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; side bar rows: ${seen.join(' | ')}`);
    });
    if (!rows.some((t) => /^taxi\s*1 version/.test(t))) throw new Error(`no taxi model row: ${rows.join(' | ')}`);
    return rows.join(' | ');
  });

  await step('Serve Registry: live requests and latency per version in the Models view', async () => {
    const registry = join(workspace, 'taxi/registry');
    await ctx.runCommand(page, 'Tributary: Serve Registry');
    // code-server's folder picker is a quick input with the path typed in: type the registry's.
    const widget = page.locator('.quick-input-widget');
    // The picker lists the folder first (file system calls to code-server): slow on a loaded machine.
    await widget.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.quick-input-widget input').first().fill(`${registry}/`);
    // The picker reads the typed folder before it can accept it: an Enter pressed meanwhile was
    // once swallowed and left it open. Let it settle, and press again while it stays open.
    await page.waitForTimeout(1000);
    for (let attempt = 1; await widget.isVisible(); attempt++) {
      if (attempt > 3) throw new Error('the folder picker stays open');
      await page.keyboard.press('Enter');
      await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    }
    const tree = page.locator('.part.sidebar .monaco-list-row');
    const rowText = async (re: RegExp) => (await tree.allInnerTexts().catch(() => [] as string[])).map((t) => t.replace(/\s+/g, ' ').trim()).find((t) => re.test(t));
    await ctx.runCommand(page, 'Tributary: Focus on Models View');
    const serving = await poll(page, 'the registry row saying it is served', 60_000, () => rowText(/^taxi\/registry\s*serving at/));
    const port = Number(/serving at [\d.]+:(\d+)/.exec(serving)?.[1]);
    if (!port) throw new Error(`no port in "${serving}"`);
    // Real predicts from taxi rows (the label left out), as a client would send them.
    const rows = [...generateTaxiRows(6, 77)].map(({ tips: _label, ...features }) => features);
    for (const row of rows) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/models/taxi:predict`, { method: 'POST', body: JSON.stringify({ instances: [row] }) });
      if (!response.ok) throw new Error(`predict: HTTP ${response.status} ${await response.text()}`);
    }
    const version = await poll(page, 'the version row to count the requests', 30_000, () => rowText(/^v1\s*canary.*\b6 req\b/));
    if (!/\b0 err\b/.test(version) || !/p50 [\d.]+ ms/.test(version)) throw new Error(`version row: ${version}`);
    return `${serving}; ${version}`;
  });

  // A server started by a plain process, not from this window: the Models view finds its record.
  // The taxi sample's own registry (its Pusher has not run here) is the one it serves.
  const outsideRegistry = join(workspace, 'taxi/.tributary/registry');
  mkdirSync(outsideRegistry, { recursive: true });
  const outside = spawn(process.execPath, [join(REPO, 'dist/runtime/cli.js'), 'serve', outsideRegistry, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let outsideOut = '';
  outside.stdout.setEncoding('utf8').on('data', (chunk: string) => (outsideOut += chunk));
  const modelsRow = async (re: RegExp) =>
    (await page.locator('.part.sidebar .monaco-list-row').allInnerTexts().catch(() => [] as string[])).map((t) => t.replace(/\s+/g, ' ').trim()).find((t) => re.test(t));
  try {
    await step('a server started outside VS Code shows in the Models view', async () => {
      const port = await poll(page, 'the outside server to listen', 30_000, () => Number(/at http:\/\/127\.0\.0\.1:(\d+)\//.exec(outsideOut)?.[1]) || undefined);
      await ctx.runCommand(page, 'Tributary: Focus on Models View');
      const row = await poll(page, 'its registry row saying it is served', 30_000, () => modelsRow(new RegExp(`^taxi/\\.tributary/registry\\s*serving at 127\\.0\\.0\\.1:${port}$`)));
      return `${row} (process ${outside.pid}, no terminal of this window)`;
    });
    await step('the outside server stops: its registry row says so', async () => {
      outside.kill('SIGTERM');
      return poll(page, 'the registry row saying it is no longer served', 30_000, () => modelsRow(/^taxi\/\.tributary\/registry\s*not served$/));
    });
  } finally {
    outside.kill('SIGKILL');
  }

  await step('data trends over three spans: the shifted fare is marked', async () => {
    const dir = join(workspace, 'taxi');
    writeFileSync(join(dir, 'spans.pipeline.yaml'), SPANS_PIPELINE);
    const addSpan = (span: number, rows: Iterable<TaxiRow>) => {
      mkdirSync(join(dir, `data/span-${span}`), { recursive: true });
      writeFileSync(join(dir, `data/span-${span}/trips.csv`), TAXI_COLUMNS.join(',') + '\n' + [...rows].map(taxiCsvLine).join(''));
      // Setup through the CLI (each run ingests the latest span); the viewer is what is tested here.
      const run = spawnSync(process.execPath, [join(REPO, 'dist/runtime/cli.js'), 'run', 'spans.pipeline.yaml'], { cwd: dir, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`run for span ${span} failed: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ')}`);
    };
    addSpan(1, generateTaxiRows(3000, 101));
    addSpan(2, generateTaxiRows(3000, 202));
    addSpan(3, [...generateTaxiRows(3000, 303)].map((r) => ({ ...r, fare: typeof r.fare === 'number' ? r.fare * 1.6 + 8 : r.fare })));
    await ctx.quickOpen(page, 'spans.pipeline.yaml');
    await page.locator('.tab', { hasText: 'spans.pipeline.yaml' }).first().waitFor({ timeout: 15_000 });
    await ctx.runCommand(page, 'Tributary: Show Data Trends');
    await poll(page, 'the feature picker', 30_000, async () =>
      /feature to chart over 3 span/i.test((await page.locator('.quick-input-widget input').getAttribute('placeholder').catch(() => null)) ?? '') ? true : undefined,
    );
    await page.locator('.quick-input-widget input').fill('fare');
    await ctx.pickRow(page, 'fare', 10_000);
    const frame = await ctx.findFrame(page, '.viewer.trends', 30_000);
    await frame.locator('.trends-table tbody tr').first().waitFor({ timeout: 10_000 });
    await frame.locator('canvas').first().waitFor({ timeout: 10_000 });
    const rows = await frame.locator('.trends-table tbody tr').allInnerTexts();
    const marked = await frame.locator('.trends-table tbody tr.anomalous').allInnerTexts();
    const notes = await frame.locator('.anomaly-note').allInnerTexts();
    if (!marked.some((t) => /^\s*3\b/.test(t))) throw new Error(`span 3 is not marked: ${marked.join(' / ') || 'no anomalous rows'}`);
    if (marked.some((t) => /^\s*[12]\b/.test(t))) throw new Error(`an unshifted span is marked: ${marked.join(' / ')}`);
    return `${rows.length} span rows; marked: ${marked.map((t) => t.split('\t')[0]).join(', ')}; "${notes[0]?.trim().slice(0, 120) ?? ''}"`;
  });

  await step('a run started outside VS Code: its approval request is a notification too; Reject from it', async () => {
    // A clean notification centre: the open one of the earlier steps does not list what comes later.
    await ctx.runCommand(page, 'Notifications: Clear All Notifications');
    // `--from approval --no-cache`: a fresh request for the model trained above (a cached
    // ManualApproval would reuse the earlier decision).
    const child = spawn(process.execPath, [join(REPO, 'dist/runtime/cli.js'), 'run', 'model.pipeline.yaml', '--from', 'approval', '--no-cache', '--events'], {
      cwd: join(workspace, 'taxi'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      const request = await poll(page, 'the approval request of the terminal run', 60_000, () =>
        stdout
          .split('\n')
          .map((line) => {
            try {
              return JSON.parse(line) as { type?: string; state?: string; runId?: string };
            } catch {
              return undefined;
            }
          })
          .find((e) => e?.type === 'approval' && e.state === 'WAITING'),
      );
      const otherRun = request.runId!;
      const toast = await notification(ctx, new RegExp(`approval in run ${otherRun} waits for your approval`), 30_000).catch(async (e) => {
        const centre = await page.locator('.notifications-center .notification-list-item').allInnerTexts();
        const toasts = await page.locator('.notification-toast').allInnerTexts();
        const short = (texts: string[]) => texts.map((t) => t.replace(/\s+/g, ' ').slice(0, 90)).join(' || ');
        throw new Error(`centre: ${short(centre)}; toasts: ${short(toasts)}; ${String(e).split('\n')[0]}`);
      });
      const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
      await toast.locator('.monaco-button', { hasText: 'Reject' }).click({ timeout: 5000 });
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('not this one');
      await page.keyboard.press('Enter');
      const decided = await poll(page, 'the rejection in the store', 30_000, () => {
        const approval = readStore(modelStore)?.executions.find((e) => e.runId === otherRun && e.nodeId === 'approval');
        const record = approval?.properties.approval as { decision?: string; by?: string; comment?: string } | undefined;
        return record?.decision ? { ...record, state: approval!.state } : undefined;
      });
      if (decided.decision !== 'REJECTED' || decided.comment !== 'not this one') throw new Error(`recorded ${JSON.stringify(decided)}`);
      // The decision is reported once, as what it is (a successful approve was once shown as an error).
      const reported = await notification(ctx, new RegExp(`approval in run ${otherRun}: rejected by`), 15_000);
      const reportedText = (await reported.locator('.notification-list-item-message').innerText()).trim();
      const failures = await page.locator('.notifications-center .notification-list-item', { hasText: /tributary approve failed/ }).count();
      if (failures) throw new Error(`${failures} "tributary approve failed" notification(s) after successful decisions`);
      const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000))]);
      if (code === 'running') throw new Error('the terminal run did not end after the rejection');
      return `"${text}"; ${decided.decision} by ${decided.by} ("${decided.comment}"), approval ${decided.state}; "${reportedText}"; the terminal run exited ${code}`;
    } finally {
      child.kill();
    }
  });
}
