import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type Node,
  type OnDelete,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CanvasModel, CanvasNode, CanvasToHost, ComponentInfo, HostToCanvas, NodeRunInfo, PastedNode } from '../../../protocol/messages.ts';
import { Button, Codicon } from '../shared/toolkit.tsx';
import { decodeClipboard, encodeClipboard } from './clipboard.ts';
import { checkConnection } from './connection.ts';
import { portOfHandle, toFlow, type PipelineNodeData } from './graph.ts';
import { autoLayout, fillMissingPositions } from './layout.ts';
import { COMPONENT_MIME, Palette } from './Palette.tsx';
import { PipelineNode } from './PipelineNode.tsx';
import { PropertiesPanel } from './PropertiesPanel.tsx';

type FlowNode = Node<PipelineNodeData, 'pipeline'>;
type FlowEdge = Edge<{ input: string; problem?: string }>;

const nodeTypes = { pipeline: PipelineNode };

export interface CanvasAppProps {
  post(message: CanvasToHost): void;
  /** Subscribes to host messages; returns the unsubscribe. */
  subscribe(listener: (message: HostToCanvas) => void): () => void;
}

interface Toast {
  kind: 'error' | 'info';
  text: string;
}

export function CanvasApp({ post, subscribe }: CanvasAppProps) {
  const [model, setModel] = useState<CanvasModel>();
  const [specs, setSpecs] = useState<ComponentInfo[]>([]);
  const [readOnlyReason, setReadOnlyReason] = useState<string>();
  const [run, setRun] = useState<Record<string, NodeRunInfo>>({});
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);
  const [toast, setToast] = useState<Toast>();
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const wrapper = useRef<HTMLDivElement>(null);

  const specMap = useMemo(() => new Map(specs.map((s) => [s.type, s])), [specs]);
  const locked = readOnlyReason !== undefined || (model !== undefined && !model.editable);

  useEffect(
    () =>
      subscribe((message) => {
        switch (message.type) {
          case 'init':
            setModel(message.model);
            setSpecs(message.specs);
            setReadOnlyReason(message.readOnly ? (message.readOnlyReason ?? 'The canvas is read-only.') : undefined);
            break;
          case 'document':
            setModel(message.model);
            break;
          case 'specs':
            setSpecs(message.specs);
            break;
          case 'runState':
            setRun(message.runId === null ? {} : message.nodes);
            break;
          case 'refused':
            setToast({ kind: 'error', text: message.reason });
            break;
        }
      }),
    [subscribe],
  );

  useEffect(() => post({ type: 'ready' }), [post]);

  const hasModel = model !== undefined; // the flow's wrapper exists from the first model on
  // A canvas whose editor is revealed while VS Code is still laying it out can have no size when
  // React Flow fits the view on first load (nothing then shows): fit again once it has a size.
  useEffect(() => {
    const el = wrapper.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let hadSize = el.clientWidth > 0 && el.clientHeight > 0;
    const observer = new ResizeObserver(() => {
      const hasSize = el.clientWidth > 0 && el.clientHeight > 0;
      if (hasSize && !hadSize) void flow.fitView({ padding: 0.15 });
      hadSize = hasSize;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [flow, hasModel]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(undefined), 8000);
    return () => clearTimeout(timer);
  }, [toast]);

  // Nodes and edges are derived from the document; selection and measured sizes survive a redraw.
  // Without `measured` React Flow drops a node's handle bounds and measures it again: every edit
  // re-measured every node, and a node not re-measured (the webview busy or being laid out)
  // stayed hidden with its edges undrawn.
  useEffect(() => {
    if (!model) return;
    const derived = toFlow(model, specMap, run, fillMissingPositions(model.nodes));
    setNodes((previous) => {
      const before = new Map(previous.map((n) => [n.id, n]));
      return derived.nodes.map((n) => {
        const old = before.get(n.id);
        return { ...n, selected: old?.selected ?? false, ...(old?.measured ? { measured: old.measured } : {}) };
      });
    });
    setEdges((previous) => {
      const selected = new Set(previous.filter((e) => e.selected).map((e) => e.id));
      return derived.edges.map((e) => ({ ...e, selected: selected.has(e.id) }));
    });
  }, [model, specMap, run]);

  const connectionCheck = useCallback(
    (c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null }) =>
      checkConnection({ source: c.source, output: portOfHandle(c.sourceHandle), target: c.target, input: portOfHandle(c.targetHandle) }, model?.nodes ?? [], specMap),
    [model, specMap],
  );

  const isValidConnection = useCallback((c: Connection | FlowEdge) => !locked && connectionCheck(c).ok, [locked, connectionCheck]);

  const onConnect = useCallback(
    (c: Connection) => {
      const check = connectionCheck(c);
      if (!check.ok) return setToast({ kind: 'error', text: check.reason });
      post({ type: 'connect', node: c.target, input: portOfHandle(c.targetHandle), source: { node: c.source, output: portOfHandle(c.sourceHandle) } });
    },
    [connectionCheck, post],
  );

  /** A drop on a port that isValidConnection refused: say why. */
  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (!state.fromHandle || !state.toHandle || state.isValid) return;
      if (locked) return setToast({ kind: 'error', text: readOnlyReason ?? 'Fix the YAML syntax error before editing on the canvas.' });
      const [from, to] = state.fromHandle.type === 'source' ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const check = connectionCheck({ source: from.nodeId, sourceHandle: from.id, target: to.nodeId, targetHandle: to.id });
      if (!check.ok) setToast({ kind: 'error', text: check.reason });
      else if (from.type === to.type) setToast({ kind: 'error', text: `Connect an output (right side) to an input (left side).` });
    },
    [connectionCheck, locked, readOnlyReason],
  );

  const onDelete: OnDelete<FlowNode, FlowEdge> = useCallback(
    ({ nodes: removedNodes, edges: removedEdges }) => {
      const ids = removedNodes.map((n) => n.id);
      if (ids.length > 0) post({ type: 'removeNodes', ids });
      // Edges of removed nodes go with them (removeNode drops the inputs that read a removed node).
      for (const edge of removedEdges) {
        if (!ids.includes(edge.source) && !ids.includes(edge.target)) post({ type: 'disconnect', node: edge.target, input: portOfHandle(edge.targetHandle) });
      }
    },
    [post],
  );

  const addAt = useCallback(
    (component: string, screen?: { x: number; y: number }) => {
      const box = wrapper.current?.getBoundingClientRect();
      const point = screen ?? { x: (box?.left ?? 0) + (box?.width ?? 400) / 2, y: (box?.top ?? 0) + (box?.height ?? 300) / 2 };
      const position = flow.screenToFlowPosition(point);
      post({ type: 'addNode', component, position: { x: Math.round(position.x), y: Math.round(position.y) } });
    },
    [flow, post],
  );

  const selectedNodes = nodes.filter((n) => n.selected);
  const selected = selectedNodes.length === 1 ? selectedNodes[0].data.node : undefined;

  const layoutAll = useCallback(() => {
    if (!model || model.nodes.length === 0) return;
    post({ type: 'moveNodes', positions: autoLayout(model.nodes) });
    setTimeout(() => flow.fitView({ padding: 0.15, duration: 200 }), 100);
  }, [model, post, flow]);

  // Clipboard: VS Code runs copy/cut/paste in the webview as DOM clipboard events.
  useEffect(() => {
    const inForm = (e: Event) => (e.target instanceof Element && e.target.closest('.nokey, input, textarea, vscode-text-field')) !== null;
    const selection = (): CanvasNode[] =>
      nodes.filter((n) => n.selected).map((n) => ({ ...n.data.node, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } }));
    const onCopy = (e: ClipboardEvent) => {
      if (inForm(e) || selection().length === 0) return;
      e.clipboardData?.setData('text/plain', encodeClipboard(selection()));
      e.preventDefault();
      if (e.type === 'cut' && !locked) post({ type: 'removeNodes', ids: selection().map((n) => n.id) });
    };
    const onPaste = (e: ClipboardEvent) => {
      if (inForm(e) || locked) return;
      const pasted: PastedNode[] | undefined = decodeClipboard(e.clipboardData?.getData('text/plain') ?? '', 40);
      if (!pasted) return;
      e.preventDefault();
      post({ type: 'pasteNodes', nodes: pasted });
    };
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [nodes, locked, post]);

  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      if ((e.target as Element).closest?.('.nokey')) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        setNodes((ns) => ns.map((n) => ({ ...n, selected: true })));
      } else if (e.shiftKey && e.key === '!') {
        flow.fitView({ padding: 0.15, duration: 200 });
      } else if (e.shiftKey && e.key.toLowerCase() === 'l' && !locked) {
        layoutAll();
      } else if (e.key === 'Enter' && selected) {
        post({ type: 'showText', node: selected.id });
      }
    },
    [flow, layoutAll, locked, post, selected],
  );

  if (!model) return <div className="loading">Loading pipeline…</div>;

  const banner = readOnlyReason ?? (!model.editable ? 'The YAML has a syntax error: the canvas shows what it can read and is read-only until the text parses again.' : undefined);
  const pipelineProblems = model.problems.filter((p) => !p.nodeId);
  return (
    <div className="canvas-app">
      <Palette specs={specs} disabled={locked} onAdd={(type) => addAt(type)} />
      <main className="canvas-main">
        <div className="toolbar nokey" role="toolbar" aria-label="Canvas">
          <span className="pipeline-name">{model.name || 'pipeline'}</span>
          <Button appearance="icon" title="Auto layout (Shift+L)" disabled={locked} onClick={layoutAll}>
            <Codicon name="type-hierarchy-sub" />
          </Button>
          <Button appearance="icon" title="Zoom to fit (Shift+1)" onClick={() => flow.fitView({ padding: 0.15, duration: 200 })}>
            <Codicon name="screen-full" />
          </Button>
          <Button appearance="icon" title="Open as text" onClick={() => post({ type: 'showText' })}>
            <Codicon name="go-to-file" />
          </Button>
          {pipelineProblems.length > 0 ? (
            <button type="button" className="link pipeline-problems" title={pipelineProblems.map((p) => p.message).join('\n')} onClick={() => post({ type: 'showText', line: pipelineProblems[0].line })}>
              <Codicon name="error" /> {pipelineProblems.length} problem(s) outside nodes
            </button>
          ) : null}
        </div>
        {banner ? (
          <div className="banner" role="status">
            <Codicon name="lock" /> {banner}
          </div>
        ) : null}
        <div
          className="flow-wrapper"
          ref={wrapper}
          onKeyDown={onKeyDown}
          onDragOver={(e) => {
            if (!locked && e.dataTransfer.types.includes(COMPONENT_MIME)) {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'copy';
            }
          }}
          onDrop={(e) => {
            const type = e.dataTransfer.getData(COMPONENT_MIME);
            if (!type || locked) return;
            e.preventDefault();
            addAt(type, { x: e.clientX, y: e.clientY });
          }}
        >
          <ReactFlow<FlowNode, FlowEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={(changes) => setNodes((ns) => applyNodeChanges(changes, ns))}
            onEdgesChange={(changes) => setEdges((es) => applyEdgeChanges(changes, es))}
            onConnect={onConnect}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            onDelete={onDelete}
            onNodeDragStop={(_e, _node, dragged) =>
              post({ type: 'moveNodes', positions: Object.fromEntries(dragged.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }])) })
            }
            onNodeDoubleClick={(_e, node) => post({ type: 'showText', node: node.id })}
            nodesDraggable={!locked}
            nodesConnectable={!locked}
            edgesReconnectable={false}
            deleteKeyCode={locked ? null : ['Delete', 'Backspace']}
            multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
            selectionKeyCode="Shift"
            snapToGrid
            snapGrid={[20, 20]}
            fitView
            fitViewOptions={{ padding: 0.15 }}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <MiniMap pannable zoomable ariaLabel="Minimap" nodeClassName={(n) => ((n as FlowNode).data.problems.some((p) => p.severity === 'error') ? 'minimap-error' : '')} />
            <Controls showInteractive={false} />
          </ReactFlow>
          {toast ? (
            <div className={`toast ${toast.kind}`} role="alert">
              <Codicon name={toast.kind === 'error' ? 'error' : 'info'} />
              <span>{toast.text}</span>
              <button type="button" className="link" title="Dismiss" onClick={() => setToast(undefined)}>
                <Codicon name="close" />
              </button>
            </div>
          ) : null}
        </div>
      </main>
      {selectedNodes.length > 1 ? (
        <aside className="properties nokey">
          <p>{selectedNodes.length} nodes selected. Delete, cut, copy or drag them together.</p>
        </aside>
      ) : (
        <PropertiesPanel
          node={selected}
          spec={selected ? specMap.get(selected.component) : undefined}
          problems={selected ? model.problems.filter((p) => p.nodeId === selected.id) : []}
          disabled={locked}
          onRename={(to) => selected && post({ type: 'renameNode', from: selected.id, to })}
          onSetParam={(name, value) => selected && post({ type: 'setParam', node: selected.id, name, value })}
          onRemoveParam={(name) => selected && post({ type: 'removeParam', node: selected.id, name })}
          onDisconnect={(input) => selected && post({ type: 'disconnect', node: selected.id, input })}
          onShowText={(line) => selected && post({ type: 'showText', ...(line === undefined ? { node: selected.id } : { line }) })}
        />
      )}
    </div>
  );
}
