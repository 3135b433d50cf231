import { isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { nodeOffsets, type ParsedPipeline } from '../../../runtime/src/host-api.ts';

/**
 * Which node and field of a pipeline file a source offset falls in. The canvas gets diagnostics
 * from VS Code (the language server's, which carry a range and a code but not the runtime's
 * nodeId/field), so it maps each range start back onto the document's structure:
 * `nodes.<id>.params.a.b` → { nodeId: id, field: 'params.a.b' }, `layout.<id>` → field 'layout'.
 */
export interface Location {
  nodeId?: string;
  field?: string;
}

export function locate(parsed: ParsedPipeline, offset: number): Location {
  const root = parsed.document.contents;
  if (!isMap(root)) return {};
  const top = pairContaining(root, offset);
  if (!top) return {};
  const section = keyOf(top);
  if (section !== 'nodes' && section !== 'layout') return section ? { field: section } : {};
  const entry = isMap(top.value) ? pairContaining(top.value, offset) : undefined;
  const nodeId = entry ? keyOf(entry) : undefined;
  if (!entry || nodeId === undefined) return {};
  if (section === 'layout') return { nodeId, field: 'layout' };
  const path: string[] = [];
  let pair: Pair<Node, Node | null> | undefined = entry;
  while (pair && isMap(pair.value)) {
    pair = pairContaining(pair.value, offset);
    const key = pair ? keyOf(pair) : undefined;
    if (key === undefined) break;
    path.push(key);
  }
  return path.length > 0 ? { nodeId, field: path.join('.') } : { nodeId };
}

function pairContaining(map: YAMLMap, offset: number): Pair<Node, Node | null> | undefined {
  for (const item of map.items) {
    const span = nodeOffsets(item as Pair);
    if (span && offset >= span[0] && offset <= span[1]) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

function keyOf(pair: Pair<Node, Node | null>): string | undefined {
  return isScalar(pair.key) && pair.key.value !== null ? String(pair.key.value) : undefined;
}
