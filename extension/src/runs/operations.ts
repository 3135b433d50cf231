/**
 * Operating pipelines from the editor, registered from extension.ts in one call: alert
 * and approval notifications, Approve / Reject commands (approvals.ts), Show Data Trends
 * (trends-command.ts).
 */
import * as vscode from 'vscode';
import type { StoreSource } from '../views/store-source.ts';
import type { PipelineIndex } from '../views/trees.ts';
import { registerApprovals } from './approvals.ts';
import type { PipelineRunner } from './runner.ts';
import { registerTrendsCommand } from './trends-command.ts';

export interface ProductionDeps {
  context: vscode.ExtensionContext;
  runner: PipelineRunner;
  index: PipelineIndex;
  /** The language server: it knows each pipeline's metadata store. */
  language: { pipelineInfo(uri: vscode.Uri): Promise<StoreSource> };
  output: vscode.OutputChannel;
  activePipeline(): vscode.Uri | undefined;
}

export function registerProductionViews(deps: ProductionDeps): void {
  const pickPipeline = async (target?: unknown): Promise<vscode.Uri | undefined> => {
    const given = target instanceof vscode.Uri ? target : (target as { pipeline?: { uri?: vscode.Uri } } | undefined)?.pipeline?.uri;
    const active = given ?? deps.activePipeline();
    if (active) return active;
    const known = deps.index.list();
    if (known.length === 1) return known[0].uri;
    if (known.length === 0) {
      void vscode.window.showWarningMessage('Open a *.pipeline.yaml file first.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      known.map((p) => ({ label: p.info.name, description: vscode.workspace.asRelativePath(p.uri), uri: p.uri })),
      { placeHolder: 'Which pipeline?' },
    );
    return pick?.uri;
  };
  const sourceOf = async (uri: vscode.Uri) => deps.index.find(uri)?.info ?? (await deps.language.pipelineInfo(uri));
  registerApprovals({ context: deps.context, runner: deps.runner, index: deps.index, sourceOf, pickPipeline, showRunLog: () => deps.output.show(true) });
  registerTrendsCommand({ context: deps.context, runner: deps.runner, pickPipeline });
}
