import { randomBytes } from 'node:crypto';

/** A fresh nonce per render: only our own script tag may run. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  /** ARIA role of the app's root element (the canvas is an application). */
  role?: string;
}

/**
 * The page every Tributary webview uses. Strict CSP: nothing loads by default; scripts only with
 * this render's nonce (no inline handlers, no eval); styles and fonts (codicons) only from the
 * extension's own dist/webview; images from there or data: URIs. No network. React and chart.js
 * set styles through the CSSOM (element.style), which CSP does not block.
 */
export function webviewHtml(o: WebviewHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  const root = o.role ? `<div id="root" role="${escapeAttribute(o.role)}" aria-label="${escapeAttribute(o.title)}"></div>` : '<div id="root"></div>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeAttribute(o.styleUri)}" nonce="${o.nonce}">
  <title>${escapeText(o.title)}</title>
</head>
<body>
  ${root}
  <script nonce="${o.nonce}" src="${escapeAttribute(o.scriptUri)}"></script>
</body>
</html>`;
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}
