import type { CanvasNode, PastedNode } from '../../../protocol/messages.ts';

/**
 * Copied nodes travel through the system clipboard as marked JSON, so they paste into another
 * pipeline's canvas too. The host validates a paste like any other intent.
 */
const MARKER = 'tributary-canvas-nodes/1\n';

export function encodeClipboard(nodes: readonly CanvasNode[]): string {
  const payload = nodes.map((n) => ({ id: n.id, component: n.component, params: n.params, inputs: n.inputs, position: n.position ?? { x: 0, y: 0 } }));
  return MARKER + JSON.stringify(payload, null, 2);
}

/** The nodes in a clipboard text (shifted by `offset` so a paste does not hide its original), or undefined. */
export function decodeClipboard(text: string, offset: number): PastedNode[] | undefined {
  if (!text.startsWith(MARKER)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(text.slice(MARKER.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(payload) || payload.length === 0) return undefined;
  const nodes: PastedNode[] = [];
  for (const item of payload) {
    if (!item || typeof item !== 'object') return undefined;
    const { id, component, params, inputs, position } = item as Record<string, unknown>;
    if (typeof id !== 'string' || typeof component !== 'string') return undefined;
    const p = position as { x?: unknown; y?: unknown } | undefined;
    const x = typeof p?.x === 'number' ? p.x : 0;
    const y = typeof p?.y === 'number' ? p.y : 0;
    nodes.push({
      id,
      component,
      params: (params && typeof params === 'object' ? params : {}) as PastedNode['params'],
      inputs: (inputs && typeof inputs === 'object' ? inputs : {}) as PastedNode['inputs'],
      position: { x: x + offset, y: y + offset },
    });
  }
  return nodes;
}
