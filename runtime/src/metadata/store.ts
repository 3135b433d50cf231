import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import lockfile from 'proper-lockfile';
import { emptyStore, type StoreData } from '../core/metadata-types.ts';

/**
 * The metadata store: one lowdb JSON file per pipeline root.
 *
 * Atomicity: lowdb (steno) writes a temp file and renames it over the store, so a kill -9 at any
 * moment leaves either the old or the new file, never a torn one. Concurrency: every change is a
 * transaction that takes an inter-process lock, re-reads the file, applies the change and writes,
 * so two runs against one root never lose each other's records. Readers take no lock.
 */
export class MetadataStore {
  private readonly db: Low<StoreData>;

  private constructor(readonly file: string) {
    this.db = new Low<StoreData>(new JSONFile<StoreData>(file), emptyStore());
  }

  static async open(file: string): Promise<MetadataStore> {
    mkdirSync(dirname(file), { recursive: true });
    // The lock needs the file to exist; creating it is racy-safe because 'wx' fails if present.
    if (!existsSync(file)) {
      try {
        writeFileSync(file, JSON.stringify(emptyStore()), { flag: 'wx' });
      } catch (e: any) {
        if (e.code !== 'EEXIST') throw e;
      }
    }
    const store = new MetadataStore(file);
    await store.read();
    return store;
  }

  /** A fresh snapshot of the store (no lock). */
  async read(): Promise<StoreData> {
    try {
      await this.db.read();
    } catch (e) {
      throw new Error(`Metadata store ${this.file} cannot be read: ${(e as Error).message}`);
    }
    this.db.data ??= emptyStore();
    return this.db.data;
  }

  /** Apply `change` atomically with respect to other processes and return its result. */
  async transaction<T>(change: (data: StoreData) => T): Promise<T> {
    const release = await lockfile.lock(this.file, {
      realpath: false,
      // A lock older than this is taken over: its holder was killed (kill -9 leaves the lock dir).
      stale: 5_000,
      retries: { retries: 200, minTimeout: 10, maxTimeout: 100, factor: 1.3 },
    });
    try {
      const data = await this.read();
      const result = change(data);
      await this.db.write();
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }
}

export function now(): string {
  return new Date().toISOString();
}
