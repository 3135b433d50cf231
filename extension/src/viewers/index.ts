/**
 * `tributary.viewers.open`: opens an artifact's viewer (statistics, schema, anomalies, evaluation,
 * model with training curves), an artifact's lineage graph, or a comparison of runs. Arguments, as
 * the Runs/Artifacts views and commands pass them:
 *   { kind?: 'artifact' | 'lineage', artifactId, uri?, pipelineUri? }   (kind defaults to artifact)
 *   { kind: 'compare', pipelineUri, runIds: string[] }
 *   { kind: 'trends', pipelineUri, feature, report }   (report: `tributary trends --json` output)
 *   an artifact id (number; the active pipeline's store), or an artifact folder (Uri or path).
 * Each reads only what it shows, from whichever store the pipeline uses (viewer-data.ts).
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { TrendsReport } from '../../../runtime/src/host-api.ts';
import { storeKey, type CliRunner, type StoreSource } from '../views/store-source.ts';
import { ViewerError } from './load.ts';
import { metadataFileAbove } from './locate.ts';
import { ViewerPanels } from './panel.ts';
import { featureTrends, TrendsDataError } from './trends.ts';
import { loadViewer, readForViewer, recentArtifactsOf, viewerQuery, type ViewerRequest } from './viewer-data.ts';

export const VIEWERS_COMMAND = 'tributary.viewers.open';

/** A pipeline's store and root, as the language server says. */
export type PipelineStore = StoreSource & { root: string };

export interface ViewerDeps {
  /** Where the pipeline's records are (the language server knows its root and its store). */
  sourceOf(pipeline: vscode.Uri): Promise<PipelineStore>;
  /** The CLI, out of process: how a pipeline whose store is on a Postgres server is read. */
  cli: CliRunner;
  /** The pipeline the user is looking at, if any. */
  activePipeline(): vscode.Uri | undefined;
  log(message: string): void;
}

export interface ViewerArgs {
  kind?: 'artifact' | 'lineage' | 'compare' | 'trends';
  artifactId?: number;
  uri?: string | vscode.Uri;
  pipelineUri?: string;
  runIds?: string[];
  feature?: string;
  report?: TrendsReport;
}

function pathOf(uri: ViewerArgs['uri']): string | undefined {
  return typeof uri === 'string' ? uri.replace(/^file:\/\//, '') : uri?.fsPath;
}

/** What to ask of the store: the folder only when the id is not known (it names the artifact's run). */
function requestOf(args: ViewerArgs): ViewerRequest {
  const kind = args.kind === 'lineage' || args.kind === 'compare' ? args.kind : 'artifact';
  const path = args.artifactId === undefined ? pathOf(args.uri) : undefined;
  return {
    kind,
    ...(args.artifactId !== undefined ? { artifactId: args.artifactId } : {}),
    ...(path !== undefined ? { artifactPath: path } : {}),
    ...(args.runIds?.length ? { runIds: args.runIds } : {}),
    ...(args.pipelineUri ? { pipelineLabel: vscode.workspace.asRelativePath(vscode.Uri.parse(args.pipelineUri)) } : {}),
  };
}

function normalize(arg: unknown): ViewerArgs {
  if (typeof arg === 'number') return { kind: 'artifact', artifactId: arg };
  if (typeof arg === 'string') return /^\d+$/.test(arg) ? { kind: 'artifact', artifactId: Number(arg) } : { kind: 'artifact', uri: arg };
  if (arg instanceof vscode.Uri) return { kind: 'artifact', uri: arg };
  if (arg && typeof arg === 'object') return arg as ViewerArgs;
  return {};
}

export function registerViewers(context: vscode.ExtensionContext, deps: ViewerDeps): void {
  const panels = new ViewerPanels(context.extensionUri);
  context.subscriptions.push(panels);

  const workspaceStores = async (): Promise<PipelineStore[]> => {
    const pipelines = await vscode.workspace.findFiles('**/*.pipeline.yaml', '**/node_modules/**', 100);
    const stores: PipelineStore[] = [];
    for (const uri of pipelines) {
      try {
        stores.push(await deps.sourceOf(uri));
      } catch (error) {
        deps.log(`no store for ${uri.fsPath}: ${(error as Error).message}`);
      }
    }
    return stores;
  };

  /**
   * The store to read: the pipeline named (or shown); for an artifact folder alone, the embedded
   * store above it, else the workspace pipeline whose root holds it (a store on a server).
   */
  const sourceFor = async (args: ViewerArgs): Promise<StoreSource> => {
    if (args.pipelineUri) return deps.sourceOf(vscode.Uri.parse(args.pipelineUri));
    const path = pathOf(args.uri);
    if (path) {
      const embedded = metadataFileAbove(path);
      if (embedded) return { file: '', metadataFile: embedded };
      const owner = (await workspaceStores()).find((s) => path.startsWith(`${s.root.replace(/\/$/, '')}/`));
      if (owner) return owner;
    }
    const pipeline = deps.activePipeline();
    if (!pipeline) throw new ViewerError('Which pipeline? Open a *.pipeline.yaml file, or pass the artifact\'s folder.');
    return deps.sourceOf(pipeline);
  };

  /** From the palette, with nothing to open yet: recent artifacts of every pipeline, newest first. */
  const pickRecent = async (): Promise<ViewerArgs | undefined> => {
    const rows = await recentArtifactsOf(await workspaceStores(), deps.cli);
    if (rows.length === 0) throw new ViewerError('No artifacts yet: run a pipeline first.');
    const pick = await vscode.window.showQuickPick(
      rows.map((r) => ({
        label: `${r.type} #${r.artifactId}`,
        description: [r.pipeline, r.nodeId].filter(Boolean).join(' · '),
        detail: `${new Date(r.createdAt).toLocaleString()} · ${vscode.workspace.asRelativePath(r.uri)}`,
        row: r,
      })),
      { placeHolder: 'Which artifact? (newest first)', matchOnDescription: true, matchOnDetail: true },
    );
    if (!pick) return undefined;
    return { kind: 'artifact', artifactId: pick.row.artifactId, uri: pick.row.uri, ...(pick.row.source.file ? { pipelineUri: vscode.Uri.file(pick.row.source.file).toString() } : {}) };
  };

  const open = async (raw: unknown): Promise<vscode.WebviewPanel | undefined> => {
    let args = normalize(raw);
    if (raw === undefined) {
      const picked = await pickRecent();
      if (!picked) return undefined;
      args = picked;
    }
    if (args.kind === 'trends') {
      // The CLI already read the store (extension/src/runs/trends-command.ts): nothing to load here.
      if (!args.report || !args.feature) throw new ViewerError('Trends need the report of `tributary trends --json` and a feature');
      let trends;
      try {
        trends = featureTrends(args.report, args.feature);
      } catch (error) {
        throw error instanceof TrendsDataError ? new ViewerError(error.message) : error;
      }
      return panels.show(`trends:${args.pipelineUri ?? args.report.pipeline}:${args.feature}`, { kind: 'trends', trends }, { openArtifact: () => undefined, log: deps.log });
    }
    const source = await sourceFor(args);
    const key = storeKey(source);
    const request = requestOf(args);
    const { payload, artifactId } = await loadViewer(source, request, deps.cli);
    if (request.kind === 'compare') return panels.show(`compare:${key}:${(args.runIds ?? []).join(',')}`, payload, handlersFor(source, args));
    return panels.show(`${request.kind}:${key}:${artifactId}`, payload, handlersFor(source, { ...args, artifactId }));
  };

  const handlersFor = (source: StoreSource, shown?: ViewerArgs) => ({
    // The same store: by its pipeline, or (an embedded store found above a folder) by its root.
    openArtifact: (artifactId: number) =>
      void run({ kind: 'artifact', artifactId, ...(source.file ? { pipelineUri: vscode.Uri.file(source.file).toString() } : { uri: dirname(source.metadataFile) }) }),
    openLog: (executionId: number) =>
      void (async () => {
        // The execution was in the view that drew it: the same query finds it again.
        const data = await readForViewer(source, viewerQuery(requestOf(shown ?? {})), deps.cli).catch(() => undefined);
        const execution = data?.executions.find((e) => e.id === executionId);
        await vscode.commands.executeCommand('tributary.openNodeLog', { logFile: execution?.logFile, nodeId: execution?.nodeId ?? `execution #${executionId}` });
      })(),
    // The approval commands ask for the comment and run `tributary approve` out of process; the
    // viewer then reloads, so its approval bar shows what is still waiting.
    decide: (runId: string, nodeId: string, reject: boolean) =>
      void (async () => {
        const pipelineUri = shown?.pipelineUri ?? (source.file ? vscode.Uri.file(source.file).toString() : deps.activePipeline()?.toString());
        await vscode.commands.executeCommand(reject ? 'tributary.rejectNode' : 'tributary.approveNode', { pipelineUri, runId, nodeId });
        if (shown) await run(shown);
      })(),
    log: deps.log,
  });

  // Errors become messages (a deleted artifact, a run still writing): never an unhandled rejection.
  const run = async (raw: unknown) => {
    try {
      return await open(raw);
    } catch (error) {
      const message = error instanceof ViewerError ? error.message : `Cannot open the viewer: ${(error as Error).message}`;
      void vscode.window.showErrorMessage(message);
      deps.log(message);
      return undefined;
    }
  };
  context.subscriptions.push(vscode.commands.registerCommand(VIEWERS_COMMAND, run));
}
