import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import type { Diagnostic as PipelineDiagnostic } from '../../runtime/src/pipeline/diagnostics.ts';
import { builtinRegistry } from '../../runtime/src/registry/builtins.ts';
import { findWorkspaceRoot } from '../../runtime/src/util/paths.ts';

/**
 * The editor side, first slice: live diagnostics for `*.pipeline.yaml` from the runtime's own
 * validator (the same one `tributary validate` uses), and a "Validate Pipeline" command.
 * Pipelines are never run in this process: running goes through the CLI, out of process.
 */
export function activate(context: vscode.ExtensionContext): void {
  const collection = vscode.languages.createDiagnosticCollection('tributary');
  context.subscriptions.push(collection);

  const check = (doc: vscode.TextDocument) => {
    if (!doc.fileName.endsWith('.pipeline.yaml')) return;
    collection.set(doc.uri, validateText(doc.getText(), doc.fileName).map(toVsDiagnostic));
  };

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
    vscode.commands.registerCommand('tributary.validate', async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target) return void vscode.window.showWarningMessage('Open a *.pipeline.yaml file to validate it.');
      const text = readFileSync(target.fsPath, 'utf8');
      const problems = validateText(text, target.fsPath);
      collection.set(target, problems.map(toVsDiagnostic));
      const errors = problems.filter((p) => p.severity === 'error').length;
      void vscode.window.showInformationMessage(errors ? `Pipeline has ${errors} error(s).` : 'Pipeline is valid.');
    }),
  );
  vscode.workspace.textDocuments.forEach(check);
}

export function deactivate(): void {}

function validateText(text: string, file: string): PipelineDiagnostic[] {
  const parsed = parsePipeline(text, file);
  return validatePipeline(parsed, builtinRegistry(), { file, workspaceRoot: findWorkspaceRoot(dirname(file)) });
}

function toVsDiagnostic(d: PipelineDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column);
  const diagnostic = new vscode.Diagnostic(
    range,
    d.message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.code = d.code;
  diagnostic.source = 'tributary';
  return diagnostic;
}
