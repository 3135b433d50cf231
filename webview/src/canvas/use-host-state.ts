/** The canvas's state that comes from the host: the document's model, specs, run state, inspections and refusals. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CanvasModel, CanvasToHost, ComponentInfo, HostToCanvas, NodeInspection, NodeRunInfo, Problem } from '../../../protocol/messages.ts';
import type { Viewport } from '@xyflow/react';

/** What the canvas keeps across tab switches (VS Code recreates a hidden webview from this). */
export interface CanvasViewState {
  viewport?: Viewport;
  selected?: string[];
}

export interface Toast {
  kind: 'error' | 'info';
  text: string;
}

/** A message at the bottom of the canvas that goes away by itself after 8 s. */
export function useToast() {
  const [toast, setToast] = useState<Toast>();
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(undefined), 8000);
    return () => clearTimeout(timer);
  }, [toast]);
  return [toast, setToast] as const;
}

/** What the webview keeps across tab switches: read once, saved patch by patch. */
export function useViewState(viewState: { load(): CanvasViewState | undefined; save(state: CanvasViewState): void } | undefined) {
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
  return { restored, save };
}

/** Listens to the host from mount on and tells it the canvas is ready. */
export function useHostState(post: (message: CanvasToHost) => void, subscribe: (listener: (message: HostToCanvas) => void) => () => void, showToast: (toast: Toast) => void) {
  const [model, setModel] = useState<CanvasModel>();
  const [specs, setSpecs] = useState<ComponentInfo[]>([]);
  const [readOnlyReason, setReadOnlyReason] = useState<string>();
  const [run, setRun] = useState<Record<string, NodeRunInfo>>({});
  const [inspections, setInspections] = useState<Record<string, NodeInspection>>({});
  /** The host refused a parameter value: shown at its field, which keeps the typed text. */
  const [refusal, setRefusal] = useState<Problem>();

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
            else showToast({ kind: 'error', text: message.reason });
            break;
        }
      }),
    [subscribe, showToast],
  );

  useEffect(() => post({ type: 'ready' }), [post]);

  return { model, specs, readOnlyReason, run, inspections, refusal, setRefusal };
}

/**
 * The inspector asks for the selected node's last execution when it is selected and when its run
 * state changes; the host then follows it (store changes from any run, and its log while it runs:
 * extension/src/canvas/inspection-follower.ts).
 */
export function useInspection(post: (message: CanvasToHost) => void, selectedId: string | undefined, selectedRunState: string | undefined) {
  useEffect(() => {
    if (selectedId) post({ type: 'inspect', node: selectedId });
  }, [selectedId, selectedRunState, post]);
}
