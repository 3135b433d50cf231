import '@xyflow/react/dist/style.css';
import '@vscode/codicons/dist/codicon.css';
import '../shared/flow-theme.css';
import './canvas.css';
import { ReactFlowProvider } from '@xyflow/react';
import { createRoot } from 'react-dom/client';
import type { CanvasToHost, HostToCanvas } from '../../../protocol/messages.ts';
import { registerToolkit } from '../shared/register-toolkit.ts';
import { vscodeApi } from '../shared/vscode-api.ts';
import { CanvasApp, type CanvasViewState } from './App.tsx';

registerToolkit();
const vscode = vscodeApi<CanvasToHost>();
const post = (message: CanvasToHost) => vscode.postMessage(message);
const subscribe = (listener: (message: HostToCanvas) => void) => {
  const handler = (event: MessageEvent) => listener(event.data as HostToCanvas);
  window.addEventListener('message', handler);
  return () => window.removeEventListener('message', handler);
};

const viewState = {
  load: () => (vscode.getState() as CanvasViewState | undefined) ?? undefined,
  save: (state: CanvasViewState) => vscode.setState(state),
};

createRoot(document.getElementById('root')!).render(
  <ReactFlowProvider>
    <CanvasApp post={post} subscribe={subscribe} viewState={viewState} />
  </ReactFlowProvider>,
);
