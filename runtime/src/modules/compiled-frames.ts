/**
 * Maps stack frames of a compiled user module (compile-module.ts) back to the user's source with
 * the inline source map compiled into it, independently of how the module was loaded.
 *
 * Node's own mapping (process.setSourceMapsEnabled) only sees the source map of the code a loader
 * hook finally returned. tsx's ESM hook, present whenever the runtime runs from source, rewrites
 * every ES module that contains a dynamic `import(` and replaces the module's source map with one
 * that points at the .mjs itself, so the user's .ts lines were lost exactly for modules that use
 * `await import(...)`. Reading the map from the file we wrote gives the same frames under tsx, under
 * the bundled CLI and with source maps disabled.
 */
import { readFileSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

interface CompiledMap {
  map: SourceMap;
  /** The folder sources resolve against: the payload's sourceRoot, relative to the file. */
  root: URL;
}

const maps = new Map<string, CompiledMap | null>();

function compiledMap(file: string): CompiledMap | null {
  let key: string;
  try {
    const { size, mtimeMs } = statSync(file);
    key = `${file}\0${size}\0${mtimeMs}`; // a module file recompiled in place is read again
  } catch {
    return null;
  }
  let entry = maps.get(key);
  if (entry !== undefined) return entry;
  entry = null;
  try {
    const match = INLINE_MAP.exec(readFileSync(file, 'utf8'));
    if (match) {
      const payload = JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapPayload;
      entry = { map: new SourceMap(payload), root: new URL(payload.sourceRoot || './', pathToFileURL(file)) };
    }
  } catch {
    entry = null; // not a file we can read or map: the frame stays as it is
  }
  maps.set(key, entry);
  return entry;
}

/** `… (/abs/module.mjs:50:9)` or `… file:///abs/module.mjs:50:9`: only compiled modules (.mjs) are looked at. */
const FRAME_LOCATION = /((?:file:\/\/)?\/[^\s()]*\.mjs):(\d+):(\d+)/;

/** One stack frame line, its location mapped to the user's source when it points into a compiled module. */
export function mapCompiledFrame(frame: string): string {
  const m = FRAME_LOCATION.exec(frame);
  if (!m) return frame;
  const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
  const compiled = compiledMap(file);
  if (!compiled) return frame;
  const line = Number(m[2]) - 1;
  const entry = compiled.map.findEntry(line, Number(m[3]) - 1) as Partial<{ generatedLine: number; originalSource: string; originalLine: number; originalColumn: number }>;
  if (entry.generatedLine !== line || entry.originalSource === undefined || entry.originalLine === undefined) return frame;
  const source = fileURLToPath(new URL(entry.originalSource, compiled.root));
  return frame.replace(m[0], `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`);
}
