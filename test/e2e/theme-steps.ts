/**
 * End to end, themes: the canvas of the model pipeline (with its run states) in a light, a dark
 * high-contrast and a light high-contrast theme. Everything is drawn with VS Code's theme variables,
 * so the check is that the page got the theme's class and that node borders, text and background
 * are the theme's own colours (in high contrast: the contrast border), with a screenshot of each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';

export interface ThemeContext {
  page: Page;
  workspace: string;
  /** `capture()` takes the step's numbered screenshot now (before follow-up clicks change the view). */
  step(name: string, body: (capture: () => Promise<void>) => Promise<string | void>): Promise<boolean>;
  findFrame(page: Page, selector: string, timeout?: number): Promise<Frame>;
  quickOpen(page: Page, file: string): Promise<void>;
  runCommand(page: Page, title: string): Promise<void>;
}

const THEMES = [
  // `id`: the setting's value (the picker shows the label).
  { label: 'Light Modern', id: 'Default Light Modern', bodyClass: 'vscode-light', highContrast: false },
  { label: 'Dark High Contrast', id: 'Default High Contrast', bodyClass: 'vscode-high-contrast', highContrast: true },
  { label: 'Light High Contrast', id: 'Default High Contrast Light', bodyClass: 'vscode-high-contrast-light', highContrast: true },
];

/** Computed colours in the canvas page, with the theme variables they should come from. */
const PROBE = `(() => {
  const node = document.querySelector('.react-flow__node .pipeline-node');
  const cs = node && getComputedStyle(node);
  const root = getComputedStyle(document.documentElement);
  const probe = document.createElement('div');
  document.body.appendChild(probe);
  const resolve = (v) => { probe.style.color = ''; probe.style.color = v; return getComputedStyle(probe).color; };
  const out = {
    bodyClass: document.body.className,
    edge: (() => { const path = document.querySelector('.react-flow__edge-path'); return path ? getComputedStyle(path).stroke : null; })(),
    border: cs ? cs.borderTopColor : null,
    borderWidth: cs ? cs.borderTopWidth : null,
    text: cs ? cs.color : null,
    background: cs ? cs.backgroundColor : null,
    contrastBorder: resolve(root.getPropertyValue('--vscode-contrastBorder').trim() || 'transparent'),
    widgetBorder: resolve(root.getPropertyValue('--vscode-editorWidget-border').trim() || 'transparent'),
    foreground: resolve(root.getPropertyValue('--vscode-editorWidget-foreground').trim() || root.getPropertyValue('--vscode-foreground').trim()),
  };
  probe.remove();
  return out;
})()`;

interface Probe {
  bodyClass: string;
  edge: string | null;
  border: string | null;
  borderWidth: string | null;
  text: string | null;
  background: string | null;
  contrastBorder: string;
  widgetBorder: string;
  foreground: string;
}

export async function themeSteps(ctx: ThemeContext): Promise<void> {
  const { page, step } = ctx;
  for (const theme of THEMES) {
    await step(`canvas in the ${theme.label} theme`, async () => {
      // The Color Theme picker here searches the (unreachable) marketplace: set the workspace's
      // setting instead, which the workbench applies live like a pick would.
      mkdirSync(join(ctx.workspace, '.vscode'), { recursive: true });
      writeFileSync(join(ctx.workspace, '.vscode/settings.json'), JSON.stringify({ 'workbench.colorTheme': theme.id }, null, 2));
      await ctx.quickOpen(page, 'model.pipeline.yaml');
      await ctx.runCommand(page, 'Tributary: Open Canvas');
      const deadline = Date.now() + 20_000;
      let probe: Probe | undefined;
      while (Date.now() < deadline) {
        const frame = await ctx.findFrame(page, '.react-flow__node[data-id="evaluator"]', 20_000);
        probe = (await frame.evaluate(PROBE).catch(() => undefined)) as Probe | undefined;
        if (probe?.bodyClass.split(/\s+/).includes(theme.bodyClass)) break;
        await page.waitForTimeout(300);
      }
      if (!probe?.bodyClass.split(/\s+/).includes(theme.bodyClass)) throw new Error(`the canvas page has body class "${probe?.bodyClass}", not ${theme.bodyClass}`);
      // A node's outline is the theme's widget border, or in high contrast the contrast border.
      const expected = theme.highContrast ? [probe.contrastBorder, probe.widgetBorder] : [probe.widgetBorder, probe.contrastBorder];
      if (!probe.border || !expected.includes(probe.border)) throw new Error(`node border ${probe.border}, expected one of ${expected.join(' / ')}`);
      if (theme.highContrast && (probe.border === 'rgba(0, 0, 0, 0)' || probe.borderWidth === '0px')) throw new Error('no visible node border in high contrast');
      if (probe.text !== probe.foreground) throw new Error(`node text ${probe.text}, theme foreground ${probe.foreground}`);
      // In high contrast, edges are drawn in the contrast border colour (the muted line colour is too faint).
      if (theme.highContrast && probe.edge !== probe.contrastBorder) throw new Error(`edge stroke ${probe.edge}, contrast border ${probe.contrastBorder}`);
      await page.waitForTimeout(500); // let the canvas repaint before the screenshot
      return `body ${theme.bodyClass}; node border ${probe.border} (${probe.borderWidth}), text ${probe.text}, background ${probe.background}, edges ${probe.edge}`;
    });
  }
}
