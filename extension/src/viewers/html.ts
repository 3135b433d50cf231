import { makeNonce, webviewHtml, type WebviewHtmlOptions } from '../webview-html.ts';

export { makeNonce };

/** The viewer page: the shared strict-CSP webview page (see webview-html.ts). */
export function viewerHtml(o: Omit<WebviewHtmlOptions, 'role'>): string {
  return webviewHtml(o);
}
