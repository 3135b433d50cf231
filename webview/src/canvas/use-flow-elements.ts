/** React Flow's nodes and edges, derived from the document's model, and what moves the view. */
import { useReactFlow, useStore, type Edge, type Node } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState, type RefObject } from 'react';
import type { CanvasModel, CanvasToHost, ComponentInfo, NodeRunInfo } from '../../../protocol/messages.ts';
import { toFlow, type PipelineNodeData } from './graph.ts';
import { autoLayout, COMPACT_ZOOM, EDGE_LABEL_ZOOM, fillMissingPositions, FIT_PADDING } from './layout.ts';
import type { CanvasViewState } from './use-host-state.ts';

export type FlowNode = Node<PipelineNodeData, 'pipeline'>;
export type FlowEdge = Edge<{ input: string; problem?: string }>;

export const FIT = { padding: FIT_PADDING } as const;

/**
 * Nodes and edges are derived from the document; selection and measured sizes survive a redraw.
 * Without `measured` React Flow drops a node's handle bounds and measures it again: every edit
 * re-measured every node, and a node not re-measured (the webview busy or being laid out) stayed
 * hidden with its edges undrawn.
 */
export function useFlowElements(model: CanvasModel | undefined, specMap: Map<string, ComponentInfo>, run: Record<string, NodeRunInfo>, restored: CanvasViewState | undefined) {
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);
  useEffect(() => {
    if (!model) return;
    const derived = toFlow(model, specMap, run, fillMissingPositions(model.nodes));
    setNodes((previous) => {
      const before = new Map(previous.map((n) => [n.id, n]));
      // The first drawing restores the selection a recreated webview had.
      const initial = previous.length === 0 ? new Set(restored?.selected ?? []) : undefined;
      return derived.nodes.map((n) => {
        const old = before.get(n.id);
        return { ...n, selected: old?.selected ?? initial?.has(n.id) ?? false, ...(old?.measured ? { measured: old.measured } : {}) };
      });
    });
    setEdges((previous) => {
      const selected = new Set(previous.filter((e) => e.selected).map((e) => e.id));
      return derived.edges.map((e) => ({ ...e, selected: selected.has(e.id) }));
    });
  }, [model, specMap, run, restored]);
  return { nodes, setNodes, edges, setEdges };
}

/**
 * Edge labels (the artifact type) only where they say something without crowding the ports:
 * on hover, on a selected edge or one touching a selected node, or zoomed in.
 */
export function useShownEdges(edges: FlowEdge[], selectedKey: string) {
  const [hoveredEdge, setHoveredEdge] = useState<string>();
  const zoomedIn = useStore((s) => s.transform[2] >= EDGE_LABEL_ZOOM);
  const shownEdges = useMemo(() => {
    const around = new Set(selectedKey.split('\n'));
    return edges.map((e) => (zoomedIn || e.selected || e.id === hoveredEdge || around.has(e.source) || around.has(e.target) ? e : { ...e, label: undefined }));
  }, [edges, zoomedIn, hoveredEdge, selectedKey]);
  return { shownEdges, setHoveredEdge };
}

/**
 * A canvas whose editor is revealed while VS Code is still laying it out can have no size when
 * React Flow fits the view on first load (nothing then shows): fit again once it has a size.
 */
export function useFitWhenSized(wrapper: RefObject<HTMLDivElement | null>, hasModel: boolean, restored: CanvasViewState | undefined) {
  const flow = useReactFlow<FlowNode, FlowEdge>();
  useEffect(() => {
    const el = wrapper.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let hadSize = el.clientWidth > 0 && el.clientHeight > 0;
    const observer = new ResizeObserver(() => {
      const hasSize = el.clientWidth > 0 && el.clientHeight > 0;
      if (hasSize && !hadSize && !restored?.viewport) void flow.fitView(FIT);
      hadSize = hasSize;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [flow, hasModel, restored, wrapper]);
}

/** Lays every node out anew (measured sizes and the pane's shape pick spacing and direction), then fits the view. */
export function useLayoutAll(model: CanvasModel | undefined, post: (message: CanvasToHost) => void, wrapper: RefObject<HTMLDivElement | null>) {
  const flow = useReactFlow<FlowNode, FlowEdge>();
  return useCallback(() => {
    if (!model || model.nodes.length === 0) return;
    const sizes = Object.fromEntries(flow.getNodes().flatMap((n) => (n.measured?.width && n.measured.height ? [[n.id, { width: n.measured.width, height: n.measured.height }]] : [])));
    const box = wrapper.current?.getBoundingClientRect();
    const viewport = box && box.width > 0 && box.height > 0 ? { width: box.width, height: box.height } : undefined;
    // Handles in the order drawn: the layout counts crossings of the curves between them.
    const ports = Object.fromEntries(flow.getNodes().map((n) => [n.id, { inputs: n.data.inputs.map((p) => p.name), outputs: n.data.outputs.map((p) => p.name) }]));
    // Measured on compact nodes (zoomed out), a drawing fitted closer is laid out for full nodes.
    const zoomedOut = flow.getViewport().zoom < COMPACT_ZOOM;
    post({ type: 'moveNodes', positions: autoLayout(model.nodes, { sizes, viewport, ports, untangle: true, zoomedOut }) });
    setTimeout(() => flow.fitView({ ...FIT, duration: 200 }), 100);
  }, [model, post, flow, wrapper]);
}
