import { readFileSync } from 'node:fs';
import { UserError } from '../../registry/types.ts';

/** Parse a JSON file, turning a missing file or a syntax error into a UserError with file and line. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new UserError(`Cannot read ${what} ${path}: ${why}`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const where = jsonErrorLocation(text, message);
    const at = where ? `:${where.line}:${where.column}` : '';
    throw new UserError(`${what} ${path}${at} is not valid JSON: ${message}`, { file: path, ...where });
  }
}

/** V8 reports "... at position N" (sometimes with line/column already); map it to line and column. */
function jsonErrorLocation(text: string, message: string): { line: number; column: number } | undefined {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  const pos = /position (\d+)/.exec(message);
  if (pos) {
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    return { line, column: before.length - before.lastIndexOf('\n') };
  }
  if (/Unexpected end of JSON input/.test(message)) {
    const line = text.split('\n').length;
    return { line, column: text.length - text.lastIndexOf('\n') };
  }
  return undefined;
}
