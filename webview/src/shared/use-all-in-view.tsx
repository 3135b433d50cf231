import { MiniMap, useStore, type MiniMapProps, type ReactFlowState } from '@xyflow/react';

/**
 * Whether every node is wholly inside the pane. A minimap only helps when part of the graph is out
 * of view; at fit view it adds nothing and covers the nodes drawn in its corner.
 */
export function allNodesInView(s: Pick<ReactFlowState, 'transform' | 'width' | 'height' | 'nodeLookup'>): boolean {
  const [tx, ty, zoom] = s.transform;
  if (!s.width || !s.height) return true;
  for (const n of s.nodeLookup.values()) {
    if (n.hidden) continue;
    const { x, y } = n.internals.positionAbsolute;
    const left = x * zoom + tx;
    const top = y * zoom + ty;
    const right = left + (n.measured.width ?? 0) * zoom;
    const bottom = top + (n.measured.height ?? 0) * zoom;
    // Half a pixel of slack: fit view lands on fractional positions.
    if (left < -0.5 || top < -0.5 || right > s.width + 0.5 || bottom > s.height + 0.5) return false;
  }
  return true;
}

export const useAllNodesInView = (): boolean => useStore(allNodesInView);

/** React Flow's minimap, drawn only while part of the graph is out of view (a child of ReactFlow). */
export function MiniMapWhenNeeded(props: MiniMapProps) {
  return useAllNodesInView() ? null : <MiniMap {...props} />;
}
