import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type Node,
  type OnDelete,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CanvasModel, CanvasNode, CanvasToHost, ComponentInfo, HostToCanvas, NodeAction, NodeInspection, NodeRunInfo, PastedNode, Problem } from '../../../protocol/messages.ts';
import { Button, Codicon } from '../shared/toolkit.tsx';
import { decodeClipboard, encodeClipboard } from './clipboard.ts';
import { checkConnection } from './connection.ts';
import { portOfHandle, toFlow, type PipelineNodeData } from './graph.ts';
import { autoLayout, EDGE_LABEL_ZOOM, fillMissingPositions, FIT_PADDING } from './layout.ts';
import { COMPONENT_MIME, Palette } from './Palette.tsx';
import { PipelineNode } from './PipelineNode.tsx';
import { PropertiesPanel } from './PropertiesPanel.tsx';
import { Inspector, NodeMenu } from './Inspector.tsx';

type FlowNode = Node<PipelineNodeData, 'pipeline'>;
type FlowEdge = Edge<{ input: string; problem?: string }>;

const nodeTypes = { pipeline: PipelineNode };

/** What the canvas keeps across tab switches (VS Code recreates a hidden webview from this). */
export interface CanvasViewState {
  viewport?: Viewport;
  selected?: string[];
}

export interface CanvasAppProps {
  post(message: CanvasToHost): void;
  /** Subscribes to host messages; returns the unsubscribe. */
  subscribe(listener: (message: HostToCanvas) => void): () => void;
  /** The webview's saved state (vscode.getState / setState); absent in tests. */
  viewState?: { load(): CanvasViewState | undefined; save(state: CanvasViewState): void };
}

const FIT = { padding: FIT_PADDING } as const;

interface Toast {
  kind: 'error' | 'info';
  text: string;
}

export function CanvasApp({ post, subscribe, viewState }: CanvasAppProps) {
  // Read once: a recreated webview (tab switched back) starts where the user left it.
  const [restored] = useState(() => viewState?.load());
  const saved = useRef<CanvasViewState>({ ...restored });
  const save = useCallback(
    (patch: CanvasViewState) => {
      saved.current = { ...saved.current, ...patch };
      viewState?.save(saved.current);
    },
    [viewState],
  );
  const [hoveredEdge, setHoveredEdge] = useState<string>();
  const [inspections, setInspections] = useState<Record<string, NodeInspection>>({});
  const [menu, setMenu] = useState<{ node: string; x: number; y: number }>();
  const zoomedIn = useStore((s) => s.transform[2] >= EDGE_LABEL_ZOOM);
  const [model, setModel] = useState<CanvasModel>();
  const [specs, setSpecs] = useState<ComponentInfo[]>([]);
  const [readOnlyReason, setReadOnlyReason] = useState<string>();
  const [run, setRun] = useState<Record<string, NodeRunInfo>>({});
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);
  const [toast, setToast] = useState<Toast>();
  /** The host refused a parameter value: shown at its field, which keeps the typed text. */
  const [refusal, setRefusal] = useState<Problem>();
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
          case 'inspection':
            setInspections((all) => ({ ...all, [message.inspection.nodeId]: message.inspection }));
            break;
          case 'refused':
            if (message.nodeId && message.field?.startsWith('params.')) setRefusal({ severity: 'error', message: message.reason, nodeId: message.nodeId, field: message.field, line: -1 });
            else setToast({ kind: 'error', text: message.reason });
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
      if (hasSize && !hadSize && !restored?.viewport) void flow.fitView(FIT);
      hadSize = hasSize;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [flow, hasModel, restored]);

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
  const selectedKey = selectedNodes.map((n) => n.id).join('\n');
  useEffect(() => {
    if (nodes.length > 0) save({ selected: selectedKey ? selectedKey.split('\n') : [] });
  }, [selectedKey, nodes.length, save]);

  // The inspector asks for the selected node's last execution when it is selected, when its run
  // state changes, and every 1.5 s while it runs (the log and artifacts grow).
  const selectedId = selected?.id;
  const selectedRunState = selectedId ? run[selectedId]?.state : undefined;
  useEffect(() => {
    if (!selectedId) return;
    post({ type: 'inspect', node: selectedId });
    if (selectedRunState !== 'running') return;
    const timer = setInterval(() => post({ type: 'inspect', node: selectedId }), 1500);
    return () => clearInterval(timer);
  }, [selectedId, selectedRunState, post]);
  const nodeAction = useCallback((node: string, action: NodeAction) => post({ type: 'nodeAction', node, action }), [post]);

  // Edge labels (the artifact type) only where they say something without crowding the ports:
  // on hover, on a selected edge or one touching a selected node, or zoomed in.
  const shownEdges = useMemo(() => {
    const around = new Set(selectedKey.split('\n'));
    return edges.map((e) => (zoomedIn || e.selected || e.id === hoveredEdge || around.has(e.source) || around.has(e.target) ? e : { ...e, label: undefined }));
  }, [edges, zoomedIn, hoveredEdge, selectedKey]);

  const layoutAll = useCallback(() => {
    if (!model || model.nodes.length === 0) return;
    // Measured sizes (what is drawn now) and the pane's shape pick the layout's spacing and direction.
    const sizes = Object.fromEntries(flow.getNodes().flatMap((n) => (n.measured?.width && n.measured.height ? [[n.id, { width: n.measured.width, height: n.measured.height }]] : [])));
    const box = wrapper.current?.getBoundingClientRect();
    const viewport = box && box.width > 0 && box.height > 0 ? { width: box.width, height: box.height } : undefined;
    // Handles in the order drawn: the layout counts crossings of the curves between them.
    const ports = Object.fromEntries(flow.getNodes().map((n) => [n.id, { inputs: n.data.inputs.map((p) => p.name), outputs: n.data.outputs.map((p) => p.name) }]));
    post({ type: 'moveNodes', positions: autoLayout(model.nodes, { sizes, viewport, ports, untangle: true }) });
    setTimeout(() => flow.fitView({ ...FIT, duration: 200 }), 100);
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
        flow.fitView({ ...FIT, duration: 200 });
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
    <div className={`canvas-app${selectedNodes.length === 0 ? ' no-properties' : ''}`}>
      <Palette specs={specs} disabled={locked} onAdd={(type) => addAt(type)} />
      <main className="canvas-main">
        <div className="toolbar nokey" role="toolbar" aria-label="Canvas">
          <span className="pipeline-name">{model.name || 'pipeline'}</span>
          <Button appearance="icon" title="Auto layout (Shift+L)" disabled={locked} onClick={layoutAll}>
            <Codicon name="type-hierarchy-sub" />
          </Button>
          <Button appearance="icon" title="Zoom to fit (Shift+1)" onClick={() => flow.fitView({ ...FIT, duration: 200 })}>
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
            edges={shownEdges}
            onEdgeMouseEnter={(_e, edge) => setHoveredEdge(edge.id)}
            onEdgeMouseLeave={() => setHoveredEdge(undefined)}
            onMoveEnd={(_e, viewport) => save({ viewport })}
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
            onNodeContextMenu={(e, node) => {
              e.preventDefault();
              setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === node.id })));
              setMenu({ node: node.id, x: e.clientX, y: e.clientY });
            }}
            onPaneClick={() => setMenu(undefined)}
            nodesDraggable={!locked}
            nodesConnectable={!locked}
            edgesReconnectable={false}
            deleteKeyCode={locked ? null : ['Delete', 'Backspace']}
            multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
            selectionKeyCode="Shift"
            snapToGrid
            snapGrid={[20, 20]}
            {...(restored?.viewport ? { defaultViewport: restored.viewport } : { fitView: true, fitViewOptions: FIT })}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <MiniMap pannable zoomable ariaLabel="Minimap" nodeClassName={(n) => ((n as FlowNode).data.problems.some((p) => p.severity === 'error') ? 'minimap-error' : '')} />
            <Controls showInteractive={false} />
          </ReactFlow>
          {menu ? <NodeMenu x={menu.x} y={menu.y} canRun={readOnlyReason === undefined} onAction={(action) => nodeAction(menu.node, action)} onClose={() => setMenu(undefined)} /> : null}
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
      {selectedNodes.length === 0 ? null : selectedNodes.length > 1 ? (
        <aside className="properties nokey">
          <p>{selectedNodes.length} nodes selected. Delete, cut, copy or drag them together.</p>
        </aside>
      ) : (
        <PropertiesPanel
          node={selected}
          spec={selected ? specMap.get(selected.component) : undefined}
          problems={selected ? [...(refusal?.nodeId === selected.id ? [refusal] : []), ...model.problems.filter((p) => p.nodeId === selected.id)] : []}
          disabled={locked}
          onRename={(to) => selected && post({ type: 'renameNode', from: selected.id, to })}
          onSetParam={(name, value) => {
            if (!selected) return;
            setRefusal(undefined);
            post({ type: 'setParam', node: selected.id, name, value });
          }}
          onRemoveParam={(name) => {
            if (!selected) return;
            setRefusal(undefined);
            post({ type: 'removeParam', node: selected.id, name });
          }}
          onDisconnect={(input) => selected && post({ type: 'disconnect', node: selected.id, input })}
          onFix={(problem) => problem.fix && post({ type: 'applyFix', line: problem.line, fix: problem.fix })}
          onShowText={(line) => selected && post({ type: 'showText', ...(line === undefined ? { node: selected.id } : { line }) })}
          inspector={
            selected ? (
              <Inspector
                inspection={inspections[selected.id]}
                run={run[selected.id]}
                canRun={readOnlyReason === undefined}
                onAction={(action) => nodeAction(selected.id, action)}
                onOpenArtifact={(artifactId) => post({ type: 'openArtifact', artifactId })}
              />
            ) : undefined
          }
        />
      )}
    </div>
  );
}
