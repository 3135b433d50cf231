/**
 * "Tributary: Show Data Trends": `tributary trends FILE --json` out of process (the CLI owns the
 * store and artifact formats), pick a feature, show its per-span history in the viewers app.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { parseTrendsReport } from '../viewers/trends.ts';
import type { PipelineRunner } from './runner.ts';

export const SHOW_TRENDS_COMMAND = 'tributary.showTrends';

export interface TrendsDeps {
  context: vscode.ExtensionContext;
  runner: PipelineRunner;
  pickPipeline(target?: unknown): Promise<vscode.Uri | undefined>;
}

export function registerTrendsCommand(deps: TrendsDeps): void {
  deps.context.subscriptions.push(
    vscode.commands.registerCommand(SHOW_TRENDS_COMMAND, async (target?: unknown) => {
      const pipeline = await deps.pickPipeline(target);
      if (!pipeline) return;
      try {
        const result = await deps.runner.exec(['trends', pipeline.fsPath, '--json'], dirname(pipeline.fsPath));
        if (result.code !== 0) throw new Error((result.stderr.trim() || `exit code ${result.code}`).split('\n').slice(-2).join(' '));
        const report = parseTrendsReport(result.stdout);
        if (report.spans.length === 0) {
          void vscode.window.showInformationMessage(`No statistics with a span recorded for ${vscode.workspace.asRelativePath(pipeline)}: give ExampleGen an input pattern with {SPAN} and run it.`);
          return;
        }
        const feature = await vscode.window.showQuickPick(report.allFeatures, { placeHolder: `Feature to chart over ${report.spans.length} span(s)` });
        if (!feature) return;
        await vscode.commands.executeCommand('tributary.viewers.open', { kind: 'trends', pipelineUri: pipeline.toString(), feature, report });
      } catch (error) {
        void vscode.window.showErrorMessage(`Cannot show data trends: ${(error as Error).message}`);
      }
    }),
  );
}
