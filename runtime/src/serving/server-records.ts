/**
 * Which servers are serving a registry right now, wherever they were started (a terminal, a
 * service manager, another VS Code window): `tributary serve` leaves a record in
 * `<registry>/.servers/<pid>.json` while it runs, so the Models view can find and poll it. The
 * record is removed on a clean stop; one left by a killed server is recognised by its dead process
 * and removed by the next reader. Each record names its machine: a pid means nothing on another.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Not a model name (those start with a letter or digit), so registry listings skip it. */
export const SERVERS_DIR = '.servers';

export interface ServerRecord {
  pid: number;
  /** Machine that wrote the record: a pid means nothing elsewhere (a registry on a shared disk). */
  machine: string;
  host: string;
  port: number;
  /** ISO time the server started listening. */
  startedAt: string;
}

const recordFile = (registry: string, pid: number) => join(registry, SERVERS_DIR, `${pid}.json`);

/**
 * Writes this process's record (atomically: a reader never sees half of it) and returns the
 * function that removes it. A registry that cannot be written to only loses the record.
 */
export function writeServerRecord(registry: string, record: Omit<ServerRecord, 'pid' | 'machine' | 'startedAt'>, warn: (line: string) => void = () => undefined): () => void {
  const full: ServerRecord = { pid: process.pid, machine: hostname(), startedAt: new Date().toISOString(), ...record };
  const file = recordFile(registry, full.pid);
  try {
    mkdirSync(join(registry, SERVERS_DIR), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(full)}\n`);
    renameSync(`${file}.tmp`, file);
  } catch (e) {
    warn(`could not record this server in ${join(registry, SERVERS_DIR)} (other windows will not see it): ${(e as Error).message}`);
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}

/** A reader without write access to the registry leaves the stale record to someone who has. */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // read-only registry
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function parseRecord(text: string): ServerRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<ServerRecord>;
    if (Number.isSafeInteger(r.pid) && typeof r.machine === 'string' && typeof r.host === 'string' && Number.isSafeInteger(r.port) && typeof r.startedAt === 'string') {
      return r as ServerRecord;
    }
  } catch {
    // a record being renamed into place is never half-read; anything else is not ours
  }
  return undefined;
}

/**
 * Records of this machine's servers whose process is still running, oldest first; dead servers'
 * records are removed. Other machines' records (a registry on a shared disk) are left alone.
 */
export function liveServerRecords(registry: string): ServerRecord[] {
  const dir = join(registry, SERVERS_DIR);
  if (!existsSync(dir)) return [];
  const records: ServerRecord[] = [];
  const machine = hostname();
  for (const name of readdirSync(dir)) {
    if (!/^[0-9]+\.json$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue; // removed meanwhile
    }
    const record = parseRecord(text);
    if (!record || record.pid !== Number(name.slice(0, -5)) || record.machine !== machine) continue;
    if (alive(record.pid)) records.push(record);
    else removeQuietly(join(dir, name));
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
