/**
 * The lineage graph of an artifact on the editor's React Flow canvas: zoom, pan, fit and a minimap (while needed);
 * a layered layout (data and code first, consumers last; across or downwards, whichever the pane
 * shows larger). Zoomed out, nodes draw compact (their short label, large), so the graph reads at
 * "fit view"; zoomed in, full (label and detail, the port names along the path). Selecting a node highlights
 * everything it came from and everything made from it; opening an artifact shows its viewer, an
 * execution its log (the node's button, a double click, or Enter).
 */
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, ReactFlowProvider, useStore, type Edge, type Node, type NodeProps, type ReactFlowInstance } from '@xyflow/react';
import { MiniMapWhenNeeded } from '../shared/use-all-in-view.tsx';
import { useMemo, useState } from 'react';
import type { LineageGraph, LineageNode } from '../../../protocol/viewer-payload.ts';
import { Codicon } from '../shared/toolkit.tsx';
import { READABLE_TITLE } from '../canvas/layout.ts';
import { edgeId, LINEAGE_COMPACT_ZOOM, LINEAGE_FIT_PADDING, LINEAGE_MAX_ZOOM, layoutLineageFor, lineagePath, lineageTitlePixels, type LineageDirection } from './lineage-layout.ts';
import { Header } from './viewer-page.tsx';

export interface LineageActions {
  openArtifact(artifactId: number): void;
  openLog(executionId: number): void;
}

const FIT = { padding: LINEAGE_FIT_PADDING };

interface NodeData {
  node: LineageNode;
  direction: LineageDirection;
  root: boolean;
  dim: boolean;
  open?: () => void;
  [key: string]: unknown;
}

const ICONS = { artifact: 'package', execution: 'run', data: 'database', code: 'file-code' } as const;
const iconOf = (n: LineageNode) => (n.kind === 'source' ? (n.state === 'code' ? ICONS.code : ICONS.data) : ICONS[n.kind]);
const openTitle = (n: LineageNode) => (n.kind === 'artifact' ? 'Open its viewer' : 'Open its log');

/** Whether the view is zoomed out far enough for compact nodes (a boolean: nodes re-render only when it flips). */
const useCompact = () => useStore((s) => s.transform[2] < LINEAGE_COMPACT_ZOOM);

function LineageNodeView({ data, selected }: Pick<NodeProps, 'selected'> & { data: NodeData }) {
  const { node, direction, root, dim, open } = data;
  const compact = useCompact();
  const [into, out] = direction === 'LR' ? [Position.Left, Position.Right] : [Position.Top, Position.Bottom];
  const className = ['lineage-node', node.kind, `state-${node.state.toLowerCase()}`, compact && 'compact', root && 'root', dim && 'dim', selected && 'selected'].filter(Boolean).join(' ');
  return (
    <div className={className} data-key={node.key} title={`${node.label}\n${node.detail}`}>
      <Handle type="target" position={into} isConnectable={false} />
      <div className="lineage-title">
        <Codicon name={iconOf(node)} />
        <span className="lineage-label">{compact ? node.short : node.label}</span>
        {open ? (
          <button
            type="button"
            className="lineage-open"
            title={openTitle(node)}
            aria-label={openTitle(node)}
            onClick={(event) => {
              event.stopPropagation();
              open();
            }}
          >
            <Codicon name={node.kind === 'artifact' ? 'go-to-file' : 'output'} />
          </button>
        ) : null}
      </div>
      {compact ? null : <div className="lineage-detail">{node.detail}</div>}
      <Handle type="source" position={out} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { lineage: LineageNodeView };

/**
 * Fit the whole graph when that keeps titles readable (compact nodes: down to a zoom of 0.5); else,
 * a graph too large for that, open with full nodes on the artifact asked about (the fit button
 * still shows everything).
 */
async function openReadable(flow: ReactFlowInstance<Node<NodeData>, Edge>, root: { x: number; y: number; width: number; height: number } | undefined): Promise<void> {
  await flow.fitView(FIT);
  if (root && lineageTitlePixels(flow.getZoom()) < READABLE_TITLE) await flow.setCenter(root.x + root.width / 2, root.y + root.height / 2, { zoom: LINEAGE_COMPACT_ZOOM });
}

function opener(node: LineageNode, actions: LineageActions): (() => void) | undefined {
  if (node.kind === 'artifact') return () => actions.openArtifact(node.id);
  if (node.kind === 'execution') return () => actions.openLog(node.id);
  return undefined;
}

/** `pane`: about the flow's size (the window less the header); across or downwards, whichever shows the graph larger there. */
export function LineageView({ graph, actions, pane }: { graph: LineageGraph; actions: LineageActions; pane: { width: number; height: number } }) {
  const { direction, nodes: placed, zoom: fitZoom } = useMemo(() => layoutLineageFor(graph, pane), [graph, pane]);
  const [selected, setSelected] = useState(graph.root);
  // Port names only where they read: zoomed in as far as full nodes (they would be specks at fit).
  const [compact, setCompact] = useState(fitZoom < LINEAGE_COMPACT_ZOOM);
  const path = useMemo(() => lineagePath(graph, selected), [graph, selected]);
  const nodes = useMemo(
    (): Node<NodeData>[] =>
      placed.map((n) => ({
        id: n.key,
        type: 'lineage',
        position: { x: n.x, y: n.y },
        width: n.width,
        height: n.height,
        selected: n.key === selected,
        data: { node: n, direction, root: n.key === graph.root, dim: !path.nodes.has(n.key), open: opener(n, actions) },
      })),
    [placed, direction, selected, path, graph.root, actions],
  );
  const edges = useMemo(
    (): Edge[] =>
      graph.edges.map((e) => {
        const on = path.edges.has(edgeId(e));
        return {
          id: edgeId(e),
          source: e.from,
          target: e.to,
          // Port names only along the highlighted path: the rest of the graph stays quiet.
          ...(on && e.label && !compact ? { label: e.label } : {}),
          className: on ? 'on-path' : 'off-path',
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
          zIndex: on ? 1 : 0,
        };
      }),
    [graph.edges, path, compact],
  );
  const current = graph.nodes.find((n) => n.key === selected);
  const open = current && opener(current, actions);
  const rootLabel = graph.nodes.find((n) => n.key === graph.root)?.label ?? graph.root;
  return (
    <div className="viewer lineage">
      <Header
        title={`Lineage of ${rootLabel}`}
        subtitle={`Where it came from (back to the data and code it read) and what was made from it. Select a node to highlight its path; open an artifact's viewer or an execution's log with its button or a double click.${graph.truncated ? ' Later consumers were left out.' : ''}`}
      />
      {current ? (
        <div className="lineage-selection" aria-live="polite">
          <Codicon name={iconOf(current)} />
          <strong>{current.label}</strong>
          <span className="muted">{current.detail}</span>
          <span className="muted">
            · {path.nodes.size - 1} connected node{path.nodes.size === 2 ? '' : 's'}
          </span>
          {open ? (
            <button type="button" className="link" onClick={open}>
              {openTitle(current).replace(/^Open its/, 'Open')}
            </button>
          ) : null}
        </div>
      ) : null}
      <div className="lineage-flow">
        <ReactFlowProvider>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            fitViewOptions={FIT}
            onInit={(flow) => void openReadable(flow, placed.find((n) => n.key === graph.root))}
            minZoom={0.1}
            maxZoom={LINEAGE_MAX_ZOOM}
            onMove={(_, viewport) => setCompact(viewport.zoom < LINEAGE_COMPACT_ZOOM)}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable
            onNodeClick={(_, node) => setSelected(node.id)}
            onNodeDoubleClick={(_, node) => (node.data as NodeData).open?.()}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && open) open();
            }}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <MiniMapWhenNeeded pannable zoomable ariaLabel="Minimap" nodeClassName={(n) => ((n.data as NodeData).dim ? 'minimap-dim' : 'minimap-path')} />
            <Controls showInteractive={false} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </div>
  );
}
