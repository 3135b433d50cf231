import '@vscode/codicons/dist/codicon.css';
import './viewers.css';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { HostToViewer, ViewerToHost } from '../../../protocol/messages.ts';
import { vscodeApi } from '../shared/vscode-api.ts';
import { ViewerApp } from './App.tsx';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';

const vscode = vscodeApi<ViewerToHost>();
const post = (message: ViewerToHost) => vscode.postMessage(message);

function Root() {
  // Restored from the webview state when VS Code re-creates a hidden panel.
  const [payload, setPayload] = useState<ViewerPayload | undefined>(() => (vscode.getState() as { payload?: ViewerPayload } | undefined)?.payload);
  const [pinned, setPinned] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    const handler = (event: MessageEvent) => {
      const message = event.data as HostToViewer;
      if (message?.type === 'show') {
        setPayload(message.payload);
        vscode.setState({ payload: message.payload });
      } else if (message?.type === 'pinned') setPinned(message.pinned);
    };
    window.addEventListener('message', handler);
    post({ type: 'ready' });
    return () => window.removeEventListener('message', handler);
  }, []);
  return <ViewerApp payload={payload} post={post} pinned={pinned} />;
}

createRoot(document.getElementById('root')!).render(<Root />);
