/** What the user does on the canvas turned into messages to the host: connect, delete, add, clipboard, keys. */
import { useReactFlow, type Connection, type FinalConnectionState, type OnDelete } from '@xyflow/react';
import { useCallback, useEffect, type Dispatch, type KeyboardEvent, type RefObject, type SetStateAction } from 'react';
import type { CanvasModel, CanvasNode, CanvasToHost, ComponentInfo, PastedNode } from '../../../protocol/messages.ts';
import { decodeClipboard, encodeClipboard } from './clipboard.ts';
import { checkConnection } from './connection.ts';
import { portOfHandle } from './graph.ts';
import { FIT, type FlowEdge, type FlowNode } from './use-flow-elements.ts';
import type { Toast } from './use-host-state.ts';

type Post = (message: CanvasToHost) => void;

/** Which connections React Flow may draw, and what a connection (or a refused drop) does. */
export function useConnections(model: CanvasModel | undefined, specMap: Map<string, ComponentInfo>, locked: boolean, readOnlyReason: string | undefined, post: Post, showToast: (toast: Toast) => void) {
  const connectionCheck = useCallback(
    (c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null }) =>
      checkConnection({ source: c.source, output: portOfHandle(c.sourceHandle), target: c.target, input: portOfHandle(c.targetHandle) }, model?.nodes ?? [], specMap),
    [model, specMap],
  );

  const isValidConnection = useCallback((c: Connection | FlowEdge) => !locked && connectionCheck(c).ok, [locked, connectionCheck]);

  const onConnect = useCallback(
    (c: Connection) => {
      const check = connectionCheck(c);
      if (!check.ok) return showToast({ kind: 'error', text: check.reason });
      post({ type: 'connect', node: c.target, input: portOfHandle(c.targetHandle), source: { node: c.source, output: portOfHandle(c.sourceHandle) } });
    },
    [connectionCheck, post, showToast],
  );

  /** A drop on a port that isValidConnection refused: say why. */
  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (!state.fromHandle || !state.toHandle || state.isValid) return;
      if (locked) return showToast({ kind: 'error', text: readOnlyReason ?? 'Fix the YAML syntax error before editing on the canvas.' });
      const [from, to] = state.fromHandle.type === 'source' ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const check = connectionCheck({ source: from.nodeId, sourceHandle: from.id, target: to.nodeId, targetHandle: to.id });
      if (!check.ok) showToast({ kind: 'error', text: check.reason });
      else if (from.type === to.type) showToast({ kind: 'error', text: `Connect an output (right side) to an input (left side).` });
    },
    [connectionCheck, locked, readOnlyReason, showToast],
  );

  return { isValidConnection, onConnect, onConnectEnd };
}

/** Deleted nodes, and deleted edges between nodes that stay. */
export function useOnDelete(post: Post): OnDelete<FlowNode, FlowEdge> {
  return useCallback(
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
}

/** Adds a component where it was dropped, or in the middle of the pane. */
export function useAddAt(post: Post, wrapper: RefObject<HTMLDivElement | null>) {
  const flow = useReactFlow<FlowNode, FlowEdge>();
  return useCallback(
    (component: string, screen?: { x: number; y: number }) => {
      const box = wrapper.current?.getBoundingClientRect();
      const point = screen ?? { x: (box?.left ?? 0) + (box?.width ?? 400) / 2, y: (box?.top ?? 0) + (box?.height ?? 300) / 2 };
      const position = flow.screenToFlowPosition(point);
      post({ type: 'addNode', component, position: { x: Math.round(position.x), y: Math.round(position.y) } });
    },
    [flow, post, wrapper],
  );
}

/** Clipboard: VS Code runs copy/cut/paste in the webview as DOM clipboard events. */
export function useClipboard(nodes: FlowNode[], locked: boolean, post: Post) {
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
}

/** Ctrl/Cmd+A selects all, Shift+1 fits, Shift+L lays out, Enter shows the node's text. */
export function useCanvasKeys(options: {
  setNodes: Dispatch<SetStateAction<FlowNode[]>>;
  layoutAll: () => void;
  locked: boolean;
  post: Post;
  selected: CanvasNode | undefined;
}) {
  const { setNodes, layoutAll, locked, post, selected } = options;
  const flow = useReactFlow<FlowNode, FlowEdge>();
  return useCallback(
    (e: KeyboardEvent) => {
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
    [flow, layoutAll, locked, post, selected, setNodes],
  );
}
