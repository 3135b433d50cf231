/**
 * `tributary.viewers.open`: opens an artifact's viewer (statistics, schema, anomalies, evaluation,
 * model with training curves), an artifact's lineage graph, or a comparison of runs. Arguments, as
 * the Runs/Artifacts views and commands pass them:
 *   { kind?: 'artifact' | 'lineage', artifactId, uri?, pipelineUri? }   (kind defaults to artifact)
 *   { kind: 'compare', pipelineUri, runIds: string[] }
 *   { kind: 'trends', pipelineUri, feature, report }   (report: `tributary trends --json` output)
 *   an artifact id (number; the active pipeline's store), or an artifact folder (Uri or path).
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { readStoreView, type StoreData, type TrendsReport } from '../../../runtime/src/host-api.ts';
import { lineagePayload } from './lineage.ts';
import { artifactPayload, comparePayload, ViewerError } from './load.ts';
import { metadataFileAbove } from './locate.ts';
import { ViewerPanels } from './panel.ts';
import { recentArtifacts } from './recent.ts';
import { featureTrends, TrendsDataError } from './trends.ts';

export const VIEWERS_COMMAND = 'tributary.viewers.open';

export interface ViewerDeps {
  /** The pipeline's metadata file (from the language server, which knows the pipeline's root). */
  metadataFileOf(pipeline: vscode.Uri): Promise<string>;
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

/** The runs a viewer needs: those the args name (runs, an artifact and its lineage, a folder) and the newest ones. */
function readStore(file: string, args: ViewerArgs): StoreData {
  const uri = typeof args.uri === 'string' ? args.uri.replace(/^file:\/\//, '') : args.uri?.fsPath;
  let data: StoreData | undefined;
  try {
    data = readStoreView(file, { runIds: args.runIds, artifactId: args.artifactId, artifactUri: uri });
  } catch (error) {
    throw new ViewerError(`Cannot read the metadata store ${file}: ${(error as Error).message}`);
  }
  if (!data) throw new ViewerError(`No metadata store at ${file} yet: run the pipeline first`);
  return data;
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

  const storeFileFor = async (args: ViewerArgs): Promise<string> => {
    const path = typeof args.uri === 'string' ? args.uri.replace(/^file:\/\//, '') : args.uri?.fsPath;
    const fromArtifact = path ? metadataFileAbove(path) : undefined;
    if (fromArtifact) return fromArtifact;
    const pipeline = args.pipelineUri ? vscode.Uri.parse(args.pipelineUri) : deps.activePipeline();
    if (!pipeline) throw new ViewerError('Which pipeline? Open a *.pipeline.yaml file, or pass the artifact\'s folder.');
    return deps.metadataFileOf(pipeline);
  };

  /** From the palette, with nothing to open yet: recent artifacts of every pipeline, newest first. */
  const pickRecent = async (): Promise<ViewerArgs | undefined> => {
    const pipelines = await vscode.workspace.findFiles('**/*.pipeline.yaml', '**/node_modules/**', 100);
    const files = new Set<string>();
    for (const uri of pipelines) {
      try {
        files.add(await deps.metadataFileOf(uri));
      } catch (error) {
        deps.log(`no store for ${uri.fsPath}: ${(error as Error).message}`);
      }
    }
    const stores = [...files].flatMap((file) => {
      try {
        return [{ file, data: readStore(file, {}) }];
      } catch {
        return []; // a pipeline not run yet
      }
    });
    const rows = recentArtifacts(stores);
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
    return pick ? { kind: 'artifact', artifactId: pick.row.artifactId, uri: pick.row.uri } : undefined;
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
    const file = await storeFileFor(args);
    const data = readStore(file, args);
    if (args.kind === 'compare') {
      const runIds = args.runIds ?? [];
      if (runIds.length < 2) throw new ViewerError('Comparing needs two or more run ids');
      const pipeline = args.pipelineUri ? vscode.workspace.asRelativePath(vscode.Uri.parse(args.pipelineUri)) : file;
      return panels.show(`compare:${file}:${runIds.join(',')}`, comparePayload(data, pipeline, runIds), handlersFor(file));
    }
    let id = args.artifactId;
    if (id === undefined && args.uri) {
      const path = typeof args.uri === 'string' ? args.uri.replace(/^file:\/\//, '') : args.uri.fsPath;
      id = data.artifacts.find((a) => a.uri === path || a.uri === path.replace(/\/$/, ''))?.id;
    }
    if (id === undefined) throw new ViewerError('Which artifact? Pass an artifact id or its folder.');
    const payload = args.kind === 'lineage' ? lineagePayload(data, id) : artifactPayload(data, id);
    return panels.show(`${args.kind === 'lineage' ? 'lineage' : 'artifact'}:${file}:${id}`, payload, handlersFor(file, { ...args, artifactId: id }));
  };

  const handlersFor = (file: string, shown?: ViewerArgs) => ({
    openArtifact: (artifactId: number) => void run({ kind: 'artifact', artifactId, uri: dirname(file) }),
    openLog: (executionId: number) =>
      void (async () => {
        const execution = readStore(file, shown ?? {}).executions.find((e) => e.id === executionId);
        await vscode.commands.executeCommand('tributary.openNodeLog', { logFile: execution?.logFile, nodeId: execution?.nodeId ?? `execution #${executionId}` });
      })(),
    // The approval commands ask for the comment and run `tributary approve` out of process; the
    // viewer then reloads, so its approval bar shows what is still waiting.
    decide: (runId: string, nodeId: string, reject: boolean) =>
      void (async () => {
        const pipelineUri = shown?.pipelineUri ?? deps.activePipeline()?.toString();
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
