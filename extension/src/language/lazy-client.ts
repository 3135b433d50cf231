import type * as vscode from 'vscode';
import type { PipelineLanguageClient } from './client.ts';
import type { GenerateTypesResult, PipelineInfo, SpecsResult, ValidateResult } from './protocol.ts';

/** What the rest of the host asks the language server for. */
export interface LanguageApi extends vscode.Disposable {
  ready(): Promise<void>;
  specs(): Promise<SpecsResult>;
  validate(uri: vscode.Uri): Promise<ValidateResult>;
  pipelineInfo(uri: vscode.Uri): Promise<PipelineInfo>;
  generateTypes(uri: vscode.Uri): Promise<GenerateTypesResult>;
}

/**
 * The language client, created (its ~400 KB bundle loaded and the server process started) on the
 * first request or when `start()` is called, not during activation: VS Code counts loading the
 * main bundle as activation, and a server starting at once competes with the first canvas paint.
 */
export class LazyLanguageClient implements LanguageApi {
  private client: PipelineLanguageClient | undefined;
  private disposed = false;

  constructor(private readonly create: () => PipelineLanguageClient) {}

  start(): PipelineLanguageClient {
    if (this.disposed) throw new Error('The Tributary language client was disposed');
    return (this.client ??= this.create());
  }

  get started(): boolean {
    return this.client !== undefined;
  }

  ready(): Promise<void> {
    return this.start().ready();
  }

  specs(): Promise<SpecsResult> {
    return this.start().specs();
  }

  validate(uri: vscode.Uri): Promise<ValidateResult> {
    return this.start().validate(uri);
  }

  pipelineInfo(uri: vscode.Uri): Promise<PipelineInfo> {
    return this.start().pipelineInfo(uri);
  }

  generateTypes(uri: vscode.Uri): Promise<GenerateTypesResult> {
    return this.start().generateTypes(uri);
  }

  dispose(): void {
    this.disposed = true;
    this.client?.dispose();
  }
}
