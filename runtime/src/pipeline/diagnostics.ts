/** 0-based position, as editors count. */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** One problem in a pipeline file, structured so that both the CLI and the editor can show it. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable, kebab-case identifier of the kind of problem (see docs/pipeline-format.md). */
  code: string;
  message: string;
  file: string;
  range: Range;
  nodeId?: string;
  field?: string;
}

/** `file:line:column: error CODE: message`, with 1-based line and column like compilers print. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1}: ${d.severity} ${d.code}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics by position so that output reads top to bottom. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.column - b.range.start.column,
  );
}
