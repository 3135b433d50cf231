/**
 * The Models view and Set Traffic Split, declared at activation and loaded on first use: the tree
 * provider and the commands here only forward to the models bundle (models-view.ts), which VS Code
 * asks for children only once the view is shown.
 */
import * as vscode from 'vscode';
import type * as ModelsModule from './models-view.ts';
import type { ModelsController, ModelsDeps, ModelsNode } from './models-view.ts';
import type { RegistryView } from './registry-tree.ts';

/** What tests get from the extension's API: the registries the view shows, read now. */
export interface ModelsViewApi {
  registries(): Promise<RegistryView[]>;
}

export function registerModelsView(deps: ModelsDeps, load: () => typeof ModelsModule): ModelsViewApi {
  const changed = new vscode.EventEmitter<ModelsNode | undefined>();
  let controller: ModelsController | undefined;
  const real = (): ModelsController => (controller ??= new (load().ModelsController)(deps, changed, view));
  const view: vscode.TreeView<ModelsNode> = vscode.window.createTreeView<ModelsNode>('tributary.models', {
    treeDataProvider: {
      onDidChangeTreeData: changed.event,
      getChildren: (node) => real().getChildren(node),
      getTreeItem: (node) => real().getTreeItem(node),
    },
  });
  deps.context.subscriptions.push(
    view,
    changed,
    { dispose: () => controller?.dispose() },
    vscode.commands.registerCommand('tributary.setTrafficSplit', (target?: unknown) => real().setTrafficSplit(target)),
    vscode.commands.registerCommand('tributary.refreshModels', () => changed.fire(undefined)),
  );
  return { registries: () => real().refresh() };
}
