import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { csvExampleGen } from '../../runtime/src/components/csv-example-gen/index.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { ExamplesProperties } from '../../runtime/src/formats/examples.ts';

export function tempDir(prefix = 'eg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunResult {
  uri: string;
  props: ExamplesProperties;
  logs: string[];
  progress: number[];
}

/** Runs the real executor with a hand-built context. */
export async function runExampleGen(
  pool: WorkerPool,
  dir: string,
  params: Record<string, unknown>,
  component: { loadExecutor(): Promise<(ctx: any) => Promise<void>> } = csvExampleGen,
): Promise<RunResult> {
  const uri = tempDir('eg-out-');
  const logs: string[] = [];
  const progress: number[] = [];
  const ctx: any = {
    nodeId: 'gen',
    params: { format: 'auto', splits: { train: 2, eval: 1 }, skip_bad_rows: false, delimiter: ',', shard_size_mb: 16, ...params },
    inputs: {},
    outputs: { examples: { type: 'Examples', uri, properties: {} } },
    pipelineDir: dir,
    resolvePath: (p: string) => resolve(dir, p),
    pool,
    log: { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) },
    progress: (p: { done: number }) => progress.push(p.done),
    signal: new AbortController().signal,
  };
  const execute = await component.loadExecutor();
  await execute(ctx);
  return { uri, props: ctx.outputs.examples.properties as ExamplesProperties, logs, progress };
}

export type Cell = string | number | null;

/** Rows of one split read back with apache-arrow, shards in order, plus column type info. */
export function readSplit(uri: string, split: string): { rows: Record<string, Cell>[]; fields: { name: string; type: string; meta?: string }[] } {
  const dir = join(uri, `Split-${split}`);
  const rows: Record<string, Cell>[] = [];
  let fields: { name: string; type: string; meta?: string }[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.arrow')).sort()) {
    const table = tableFromIPC(readFileSync(join(dir, f)));
    fields = table.schema.fields.map((fl) => ({ name: fl.name, type: String(fl.type), meta: fl.metadata.get('tributary.type') }));
    for (let i = 0; i < table.numRows; i++) {
      const row: Record<string, Cell> = {};
      for (const fl of table.schema.fields) row[fl.name] = table.getChild(fl.name)!.get(i) as Cell;
      rows.push(row);
    }
  }
  return { rows, fields };
}

/** An independent, deliberately simple RFC 4180 reader (string based) to check the real one. */
export function referenceCsv(text: string, delim = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else field += c;
    } else if (c === '"') inQuotes = true;
    else if (c === delim) {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Expected cell value for a column of the given Examples type. */
export function expectedCell(text: string, type: string): Cell {
  if (text === '') return null;
  return type === 'STRING' ? text : Number(text);
}
