/**
 * The language client: starts the server (dist/extension/server.cjs) in its own Node process over
 * IPC and offers the custom requests to the rest of the host (commands, views, the canvas).
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  GENERATE_TYPES_REQUEST,
  PIPELINE_INFO_REQUEST,
  SPECS_REQUEST,
  VALIDATE_REQUEST,
  type GenerateTypesResult,
  type PipelineInfo,
  type SpecsResult,
  type ValidateResult,
} from './protocol.ts';

export const PIPELINE_SELECTOR = [
  { language: 'tributary-pipeline' },
  { scheme: 'file', pattern: '**/*.pipeline.yaml' },
];

export class PipelineLanguageClient implements vscode.Disposable {
  private readonly client: LanguageClient;
  private readonly started: Promise<void>;
  private specsCache: Promise<SpecsResult> | undefined;

  constructor(context: vscode.ExtensionContext, output: vscode.LogOutputChannel) {
    const module = context.asAbsolutePath('dist/extension/server.cjs');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: PIPELINE_SELECTOR,
      outputChannel: output,
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.pipeline.yaml') },
    };
    this.client = new LanguageClient('tributary', 'Tributary Language Server', serverOptions, clientOptions);
    this.started = this.client.start();
  }

  async ready(): Promise<void> {
    await this.started;
  }

  /** Every component spec (inputs, outputs, params JSON schema, category, description); cached. */
  specs(): Promise<SpecsResult> {
    this.specsCache ??= this.started.then(() => this.client.sendRequest<SpecsResult>(SPECS_REQUEST));
    return this.specsCache;
  }

  async validate(uri: vscode.Uri): Promise<ValidateResult> {
    await this.started;
    return this.client.sendRequest<ValidateResult>(VALIDATE_REQUEST, { uri: uri.toString() });
  }

  async pipelineInfo(uri: vscode.Uri): Promise<PipelineInfo> {
    await this.started;
    return this.client.sendRequest<PipelineInfo>(PIPELINE_INFO_REQUEST, { uri: uri.toString() });
  }

  async generateTypes(uri: vscode.Uri): Promise<GenerateTypesResult> {
    await this.started;
    return this.client.sendRequest<GenerateTypesResult>(GENERATE_TYPES_REQUEST, { uri: uri.toString() });
  }

  dispose(): void {
    void this.client.stop();
  }
}
