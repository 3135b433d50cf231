/**
 * End to end, the first run of the model pipeline watched live (#13 items 3 and 4): the Trainer is
 * selected before the run starts, so its inspector has to follow it from "Not run yet." (no store
 * yet) through RUNNING, with its log growing, epoch progress and the loss sparkline (on the node
 * too), to COMPLETE with its output links, without being selected again.
 */
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { cli } from './cli.ts';

export interface LiveRunContext {
  page: Page;
  step(name: string, body: (capture: () => Promise<void>) => Promise<string | void>): Promise<boolean>;
  runCommand(page: Page, title: string): Promise<void>;
  /** The model pipeline's canvas frame. */
  modelCanvas(): Promise<Frame>;
}

/** What the page showed during the run, recorded on every DOM change (a poll from playwright misses a short node). */
interface Seen {
  /** "epoch N/M" on the Trainer's node, and in its inspector. */
  nodeEpochs: string[];
  inspectorEpochs: string[];
  /** The most sparkline points on the node and in the inspector. */
  nodePoints: number;
  inspectorPoints: number;
  /** The line counts of the inspector's "Log (live)", in the order seen. */
  logs: number[];
  /** The inspector's execution states, in the order seen ("running", "complete"). */
  states: string[];
  /** "node: 1,234 rows" seen on running data components. */
  rows: string[];
  /** Milliseconds from the Trainer's badge turning to running: to its inspector showing it running, and to each log count. */
  badgeAt?: number;
  inspectorAt?: number;
  logAt: number[];
}

declare global {
  interface Window {
    liveSeen?: Seen;
  }
}

/** Records what the canvas shows of a run, from now on, into `window.liveSeen`. */
async function record(frame: Frame): Promise<void> {
  await frame.evaluate(() => {
    const seen: Seen = { nodeEpochs: [], inspectorEpochs: [], nodePoints: 0, inspectorPoints: 0, logs: [], states: [], rows: [], logAt: [] };
    window.liveSeen = seen;
    // Inline, no named functions: tsx wraps those in __name(), unknown in the page.
    new MutationObserver(() => {
      const found: [string[], string | undefined][] = [];
      const badge = document.querySelector('.react-flow__node[data-id="trainer"] .run-badge[data-state="running"]');
      if (badge) {
        seen.badgeAt ??= performance.now();
        found.push([seen.nodeEpochs, /epoch (\d+\/\d+)/.exec(badge.textContent ?? '')?.[1]]);
        seen.nodePoints = Math.max(seen.nodePoints, Number(badge.querySelector('.sparkline')?.getAttribute('data-points') ?? 0));
      }
      for (const running of Array.from(document.querySelectorAll('.react-flow__node .run-badge[data-state="running"]'))) {
        const rows = /([\d,]+(?:\/[\d,]+)? rows)/.exec(running.textContent ?? '')?.[1];
        if (rows) found.push([seen.rows, `${running.closest('.react-flow__node')?.getAttribute('data-id')}: ${rows}`]);
      }
      const inspector = document.querySelector('.inspector');
      const live = inspector?.querySelector('.inspector-live');
      if (live) {
        found.push([seen.inspectorEpochs, /epoch (\d+\/\d+)/.exec(live.textContent ?? '')?.[1]]);
        seen.inspectorPoints = Math.max(seen.inspectorPoints, Number(live.querySelector('.sparkline')?.getAttribute('data-points') ?? 0));
      }
      for (const [list, value] of found) if (value && !list.includes(value)) list.push(value);
      if (!inspector) return;
      const state = inspector.querySelector('.exec-state')?.firstChild?.textContent?.trim();
      if (state && seen.states.at(-1) !== state) seen.states.push(state);
      if (state === 'running') seen.inspectorAt ??= performance.now();
      if (Array.from(inspector.querySelectorAll('h4')).some((h) => h.textContent === 'Log (live)')) {
        const lines = (inspector.querySelector('.log-tail')?.textContent ?? '').split('\n').filter((l) => l.trim()).length;
        if (lines && seen.logs.at(-1) !== lines) {
          seen.logs.push(lines);
          seen.logAt.push(performance.now());
        }
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

const seenIn = (frame: Frame) => frame.evaluate(() => window.liveSeen as Seen);

export async function liveRunSteps(ctx: LiveRunContext): Promise<void> {
  const { page, step } = ctx;
  const trainer = '.react-flow__node[data-id="trainer"]';

  await step('first run, the Trainer selected before it starts: its inspector says "Not run yet."', async () => {
    const frame = await ctx.modelCanvas();
    const selected = frame.locator(`${trainer}.selected`);
    // The first click may only move the focus into the webview.
    for (let attempt = 1; attempt <= 3 && !(await selected.count()); attempt++) {
      await frame.locator(trainer).click();
      await page.waitForTimeout(300);
    }
    // The whole pipeline in view beside the properties column.
    await frame.locator('vscode-button[title^="Zoom to fit"]').click();
    await frame.locator('.inspector p.muted', { hasText: 'Not run yet.' }).waitFor({ timeout: 15_000 });
    await record(frame);
    return 'the store does not exist yet: no execution';
  });

  await step("the run from the palette: the selected Trainer's inspector follows it live — RUNNING, log growing, epoch progress and loss sparkline (on the node too)", async (capture) => {
    const frame = await ctx.modelCanvas();
    // The status bar names the Trainer's backend while it trains (backend-status.ts): recorded the same way.
    await page.evaluate(() => {
      const seen = { backend: '' };
      (window as unknown as { backendSeen: typeof seen }).backendSeen = seen;
      const bar = document.querySelector('.statusbar') ?? document.body;
      new MutationObserver(() => {
        if (seen.backend) return;
        const item = Array.from(document.querySelectorAll('.statusbar-item')).map((e) => (e.textContent ?? '').trim()).find((t) => /trainer: (tfjs-node-gpu|tfjs-node|webgpu|wasm|cpu)/.test(t));
        if (item) seen.backend = item;
      }).observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await ctx.runCommand(page, 'Tributary: Run Pipeline');
    // The moment everything live is on screen at once: the picture is taken then, while the Trainer still runs.
    const live = await frame
      .waitForFunction(
        () => {
          const seen = window.liveSeen;
          const inspector = document.querySelector('.inspector');
          const points = Number(inspector?.querySelector('.inspector-live .sparkline')?.getAttribute('data-points') ?? 0);
          const logLive = Array.from(inspector?.querySelectorAll('h4') ?? []).some((h) => h.textContent === 'Log (live)');
          const nodeBadge = document.querySelector('.react-flow__node[data-id="trainer"] .run-badge[data-state="running"]');
          if (points >= 2 && logLive && (seen?.logs.length ?? 0) >= 2 && /epoch \d+\/\d+/.test(nodeBadge?.textContent ?? '')) return 'live';
          // Past the Trainer: stop waiting (the assertions below say what was missed).
          return document.querySelector('.react-flow__node[data-id="trainer"] .run-badge[data-state="succeeded"], .react-flow__node[data-id="trainer"] .run-badge[data-state="failed"]') ? 'finished' : undefined;
        },
        undefined,
        { timeout: 5 * 60_000, polling: 'raf' },
      )
      .then((h) => h.jsonValue()) === 'live';
    if (live) await capture();
    const stillRunning = (await frame.locator(`${trainer} .run-badge[data-state="running"]`).count()) > 0;
    const seen = await seenIn(frame);
    const backend = await page.evaluate(() => (window as unknown as { backendSeen: { backend: string } }).backendSeen.backend);
    const after = (t: number | undefined) => (t === undefined || seen.badgeAt === undefined ? '?' : `${((t - seen.badgeAt) / 1000).toFixed(1)} s`);
    const summary = `inspector: states ${seen.states.join(' → ')} (running ${after(seen.inspectorAt)} after the node's badge), log ${seen.logs.map((n, i) => `${n} lines at ${after(seen.logAt[i])}`).join(' → ')}, epochs ${seen.inspectorEpochs.join(', ')}, sparkline of ${seen.inspectorPoints} points; node: epochs ${seen.nodeEpochs.join(', ')}, sparkline of ${seen.nodePoints} points; rows while running: ${seen.rows.join(', ') || 'none caught'}; status bar: "${backend}"`;
    if (!seen.states.includes('running')) throw new Error(`the inspector never showed the Trainer RUNNING: ${summary}`);
    if (seen.logs.length < 2 || seen.logs.some((n, i) => i > 0 && n < seen.logs[i - 1])) throw new Error(`the inspector's live log did not grow: ${summary}`);
    if (seen.inspectorEpochs.length < 2 || seen.nodeEpochs.length < 2) throw new Error(`no live epoch progress: ${summary}`);
    if (seen.inspectorPoints < 2 || seen.nodePoints < 2) throw new Error(`no loss sparkline while training: ${summary}`);
    if (!backend) throw new Error(`no status bar item named the Trainer's backend while it trained: ${summary}`);
    if (!live) throw new Error(`the Trainer finished before its live state was all on screen at once: ${summary}`);
    return `${stillRunning ? 'pictured while the Trainer ran' : 'pictured as the Trainer finished'}; ${summary}`;
  });

  await step("the run ends: every node succeeds; the Trainer's inspector, still selected, shows COMPLETE with its output links", async () => {
    const frame = await ctx.modelCanvas();
    const total = await frame.locator('.react-flow__node').count();
    let states: string[] = [];
    const deadline = Date.now() + 5 * 60_000;
    while (Date.now() < deadline) {
      states = await frame.locator('.run-badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''));
      if (states.length === total && states.every((s) => s === 'succeeded' || s === 'cached')) break;
      if (states.some((s) => s === 'failed' || s === 'canceled')) throw new Error(`states: ${states.join(', ')}`);
      await page.waitForTimeout(500);
    }
    if (!(states.length === total && states.every((s) => s === 'succeeded' || s === 'cached'))) throw new Error(`after 5 min: ${states.join(', ') || 'no run states on the nodes'}`);
    if (!(await frame.locator(`${trainer}.selected`).count())) throw new Error('the Trainer is no longer selected');
    await frame.locator('.inspector .execution[data-state="COMPLETE"]').waitFor({ timeout: 15_000 });
    await frame.locator('.inspector .artifact-link', { hasText: /Model #\d+/ }).first().waitFor({ timeout: 15_000 });
    const outputs = await frame.locator('.inspector .artifact-link').allInnerTexts();
    const log = (await frame.locator('.inspector .log-tail').innerText()).trim();
    if (!/trained on/.test(log)) throw new Error(`the inspector's log lacks the end of training: ${log.split('\n').pop()}`);
    if (await page.locator('.statusbar-item', { hasText: /trainer: / }).count()) throw new Error('the backend status bar item stayed after the run');
    const seen = await seenIn(frame);
    if (seen.states.at(-1) !== 'complete') throw new Error(`the inspector's states: ${seen.states.join(' → ')}`);
    return `${total} nodes: ${states.join(', ')}; the inspector went ${seen.states.join(' → ')}; links ${outputs.map((o) => o.trim()).join(', ')}; log ${log.split('\n').length} lines`;
  });
}

/**
 * A run this window is not told about (the CLI in a terminal): only the store changes, and the
 * inspector of the selected node still follows it to the new run (it stayed on what it read first).
 */
export async function outsideRunStep(ctx: LiveRunContext & { workspace: string }): Promise<void> {
  const { page, step } = ctx;
  await step("a run started outside VS Code (the CLI in a terminal): the selected Trainer's inspector follows the store to the new run", async (capture) => {
    const frame = await ctx.modelCanvas();
    const trainer = frame.locator('.react-flow__node[data-id="trainer"]');
    for (let attempt = 1; attempt <= 3 && !(await frame.locator('.react-flow__node.selected[data-id="trainer"]').count()); attempt++) {
      await trainer.click();
      await page.waitForTimeout(300);
    }
    const runOf = () => frame.locator('.inspector .execution dd.muted').innerText({ timeout: 15_000 });
    await frame.locator('.inspector .execution').waitFor({ timeout: 15_000 });
    const before = (await runOf()).trim();
    const out = await cli(join(ctx.workspace, 'taxi'), ['run', 'model.pipeline.yaml']);
    const store = join(ctx.workspace, 'taxi/.tributary/model/metadata');
    const trainerRuns = (readStoreView(store, { pipeline: 'chicago-taxi-model', node: 'trainer', limit: 0 })?.executions ?? []).filter((e) => e.nodeId === 'trainer');
    const newest = trainerRuns.reduce((a, e) => (e.id > a.id ? e : a)).runId;
    if (newest === before) throw new Error(`the CLI made no new run: ${out.trim().split('\n').pop()}`);
    // No click, no run state in this window: only the store's change can bring the new run.
    await frame.locator('.inspector .execution dd.muted', { hasText: newest }).waitFor({ timeout: 20_000 });
    const state = (await frame.locator('.inspector .exec-state').innerText()).replace(/\s+/g, ' ').trim();
    await capture();
    // Leave a viewer active, as before: the next steps' commands ask which pipeline.
    const lineage = page.locator('.tab', { hasText: 'Lineage:' }).first();
    if (await lineage.count()) await lineage.click();
    return `inspector: run ${before} → ${newest} (${state}) without a click`;
  });
}
