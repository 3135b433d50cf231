import { applyEdgeChanges, applyNodeChanges, Background, Controls, MiniMap, ReactFlow, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CanvasToHost, HostToCanvas, NodeAction } from '../../../protocol/messages.ts';
import { Button, Codicon } from '../shared/toolkit.tsx';
import { COMPONENT_MIME, Palette } from './Palette.tsx';
import { PipelineNode } from './PipelineNode.tsx';
import { PipelineEdge, useWrapRoutes, WrapRoutes } from './PipelineEdge.tsx';
import { PropertiesPanel } from './PropertiesPanel.tsx';
import { Inspector, NodeMenu } from './Inspector.tsx';
import { useAddAt, useCanvasKeys, useClipboard, useConnections, useOnDelete } from './use-canvas-editing.ts';
import { FIT, useFitWhenSized, useFlowElements, useLayoutAll, useShownEdges, type FlowEdge, type FlowNode } from './use-flow-elements.ts';
import { useHostState, useInspection, useToast, useViewState, type CanvasViewState } from './use-host-state.ts';

export type { CanvasViewState } from './use-host-state.ts';

const nodeTypes = { pipeline: PipelineNode };
// Every edge: a bezier, or routed around the nodes between the rows of a wrapped drawing.
const edgeTypes = { default: PipelineEdge };

export interface CanvasAppProps {
  post(message: CanvasToHost): void;
  /** Subscribes to host messages; returns the unsubscribe. */
  subscribe(listener: (message: HostToCanvas) => void): () => void;
  /** The webview's saved state (vscode.getState / setState); absent in tests. */
  viewState?: { load(): CanvasViewState | undefined; save(state: CanvasViewState): void };
}

export function CanvasApp({ post, subscribe, viewState }: CanvasAppProps) {
  const { restored, save } = useViewState(viewState);
  const [toast, setToast] = useToast();
  const { model, specs, readOnlyReason, run, inspections, refusal, setRefusal } = useHostState(post, subscribe, setToast);
  const [menu, setMenu] = useState<{ node: string; x: number; y: number }>();
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const wrapper = useRef<HTMLDivElement>(null);

  const specMap = useMemo(() => new Map(specs.map((s) => [s.type, s])), [specs]);
  const locked = readOnlyReason !== undefined || (model !== undefined && !model.editable);

  useFitWhenSized(wrapper, model !== undefined, restored);
  const { nodes, setNodes, edges, setEdges } = useFlowElements(model, specMap, run, restored);
  const { isValidConnection, onConnect, onConnectEnd } = useConnections(model, specMap, locked, readOnlyReason, post, setToast);
  const onDelete = useOnDelete(post);
  const addAt = useAddAt(post, wrapper);

  const selectedNodes = nodes.filter((n) => n.selected);
  const selected = selectedNodes.length === 1 ? selectedNodes[0].data.node : undefined;
  const selectedKey = selectedNodes.map((n) => n.id).join('\n');
  useSavedSelection(selectedKey, nodes.length, save);
  useInspection(post, selected?.id, selected ? run[selected.id]?.state : undefined);
  const nodeAction = useCallback((node: string, action: NodeAction) => post({ type: 'nodeAction', node, action }), [post]);

  const { shownEdges, setHoveredEdge } = useShownEdges(edges, selectedKey);
  const routes = useWrapRoutes(nodes, edges);
  const layoutAll = useLayoutAll(model, post, wrapper);
  useClipboard(nodes, locked, post);
  const onKeyDown = useCanvasKeys({ setNodes, layoutAll, locked, post, selected });

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
          <WrapRoutes.Provider value={routes}>
            <ReactFlow<FlowNode, FlowEdge>
              nodes={nodes}
              edges={shownEdges}
              onEdgeMouseEnter={(_e, edge) => setHoveredEdge(edge.id)}
              onEdgeMouseLeave={() => setHoveredEdge(undefined)}
              onMoveEnd={(_e, viewport) => save({ viewport })}
              nodeTypes={nodeTypes}
              edgeTypes={edgeTypes}
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
          </WrapRoutes.Provider>
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

/** The selection, kept with the view state once there are nodes (a recreated webview restores it). */
function useSavedSelection(selectedKey: string, nodeCount: number, save: (patch: CanvasViewState) => void) {
  useEffect(() => {
    if (nodeCount > 0) save({ selected: selectedKey ? selectedKey.split('\n') : [] });
  }, [selectedKey, nodeCount, save]);
}
