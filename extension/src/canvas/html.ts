import { makeNonce, webviewHtml, type WebviewHtmlOptions } from '../webview-html.ts';

export { makeNonce };

export type CanvasHtmlOptions = Omit<WebviewHtmlOptions, 'role'>;

/** The canvas page: the shared strict-CSP webview page with an application root. */
export function canvasHtml(o: CanvasHtmlOptions): string {
  return webviewHtml({ ...o, role: 'application' });
}
