/**
 * The language server for `*.pipeline.yaml` (its own Node process, started by the extension over
 * IPC). It owns everything that needs the component registry — validation, completion, hover,
 * definition, rename, outline and the custom requests the canvas needs — so the extension host
 * never loads the registry or an executor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic as LspDiagnostic,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parsePipeline, validatePipeline, writeFeatureTypes, metadataFile, builtinRegistry, ARTIFACT_DESCRIPTIONS, findWorkspaceRoot, type Diagnostic } from '../../../runtime/src/host-api.ts';
import { catalogFromRegistry, type Catalog } from './catalog.ts';
import { quickFixes } from './quick-fixes.ts';
import { complete, definition, hover, nodeIdAt, outline, RenameError, renameEdits, toLspRange } from './features.ts';
import {
  GENERATE_TYPES_REQUEST,
  PIPELINE_INFO_REQUEST,
  SPECS_REQUEST,
  VALIDATE_REQUEST,
  type DocumentParams,
  type GenerateTypesResult,
  type PipelineInfo,
  type ValidateResult,
} from './protocol.ts';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let catalog: Catalog | undefined;
const specs = () => (catalog ??= catalogFromRegistry(builtinRegistry(), ARTIFACT_DESCRIPTIONS));

function pathOf(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

/** The open document's text, else the file on disk. */
function textOf(uri: string): string {
  const open = documents.get(uri);
  if (open) return open.getText();
  return readFileSync(pathOf(uri), 'utf8');
}

export function validateText(text: string, file: string): Diagnostic[] {
  const parsed = parsePipeline(text, file);
  return validatePipeline(parsed, builtinRegistry(), { file, workspaceRoot: findWorkspaceRoot(dirname(file)) });
}

function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  return {
    range: toLspRange(d.range),
    message: d.message,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'tributary',
  };
}

function publish(uri: string, text: string): Diagnostic[] {
  const diagnostics = validateText(text, pathOf(uri));
  void connection.sendDiagnostics({ uri, diagnostics: diagnostics.map(toLspDiagnostic) });
  return diagnostics;
}

// Validation runs a moment after typing stops, not on every keystroke.
const pending = new Map<string, ReturnType<typeof setTimeout>>();
function schedule(doc: TextDocument): void {
  clearTimeout(pending.get(doc.uri));
  pending.set(
    doc.uri,
    setTimeout(() => {
      pending.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current) publish(current.uri, current.getText());
    }, 120),
  );
}

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    completionProvider: { triggerCharacters: [' ', ':', '.'] },
    hoverProvider: true,
    definitionProvider: true,
    renameProvider: { prepareProvider: true },
    documentSymbolProvider: true,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
}));

documents.onDidOpen((e) => publish(e.document.uri, e.document.getText()));
documents.onDidChangeContent((e) => schedule(e.document));
documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

function withDocument<T>(uri: string, fallback: T, run: (text: string, file: string) => T): T {
  const doc = documents.get(uri);
  return doc ? run(doc.getText(), pathOf(uri)) : fallback;
}

connection.onCompletion((p) => withDocument(p.textDocument.uri, [], (text, file) => complete(text, file, p.position, specs())));
connection.onHover((p) => withDocument(p.textDocument.uri, null, (text, file) => hover(text, file, p.position, specs()) ?? null));
connection.onDefinition((p) =>
  withDocument(p.textDocument.uri, null, (text, file) => {
    const read = (path: string) => {
      const open = documents.get(pathToFileURL(path).href);
      if (open) return open.getText();
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    };
    const target = definition(text, file, p.position, specs(), read);
    return target ? { uri: target.uri === file ? p.textDocument.uri : pathToFileURL(target.uri).href, range: target.range } : null;
  }),
);
connection.onPrepareRename((p) =>
  withDocument(p.textDocument.uri, null, (text, file) => {
    const target = nodeIdAt(text, file, p.position);
    return target ? { range: target.range, placeholder: target.id } : null;
  }),
);
connection.onRenameRequest((p) =>
  withDocument(p.textDocument.uri, null, (text, file) => {
    try {
      return { changes: { [p.textDocument.uri]: renameEdits(text, file, p.position, p.newName) } };
    } catch (e) {
      if (e instanceof RenameError) throw new ResponseError(ErrorCodes.InvalidRequest, e.message);
      throw e;
    }
  }),
);
connection.onCodeAction((p) => quickFixes(p.textDocument.uri, p.context.diagnostics));
connection.onDocumentSymbol((p) => withDocument(p.textDocument.uri, [], (text, file) => outline(text, file)));

connection.onRequest(SPECS_REQUEST, (): Catalog => specs());
connection.onRequest(VALIDATE_REQUEST, (p: DocumentParams): ValidateResult => ({ diagnostics: publish(p.uri, textOf(p.uri)) }));
connection.onRequest(PIPELINE_INFO_REQUEST, (p: DocumentParams): PipelineInfo => {
  const file = pathOf(p.uri);
  const parsed = parsePipeline(textOf(p.uri), file);
  const root = resolve(dirname(file), parsed.spec.root);
  return {
    name: parsed.spec.name,
    file,
    root,
    metadataFile: metadataFile(root),
    ...(parsed.spec.metadata?.url_env ? { metadataUrlEnv: parsed.spec.metadata.url_env } : {}),
    nodes: Object.entries(parsed.spec.nodes).map(([id, n]) => ({ id, component: n.component })),
  };
});
function generateTypes(uri: string): GenerateTypesResult {
  try {
    const written = writeFeatureTypes(pathOf(uri));
    return { ok: true, ...written };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
connection.onRequest<GenerateTypesResult, void>(GENERATE_TYPES_REQUEST, (p: DocumentParams) => generateTypes(p.uri));

documents.listen(connection);
connection.listen();
