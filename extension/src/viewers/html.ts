import { randomBytes } from 'node:crypto';

/** A fresh nonce per render: only our own script tag may run. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/**
 * The viewer page. Strict CSP: nothing by default; our script only by this render's nonce (no
 * inline handlers, no eval); styles and the codicon font only from the extension's dist/webview
 * (`cspSource`); chart.js draws on canvases, so no image or network source is needed beyond data:.
 */
export function viewerHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
    // React and chart.js set styles through the CSSOM (element.style), which CSP does not block.
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
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
  <div id="root"></div>
  <script nonce="${o.nonce}" src="${escapeAttribute(o.scriptUri)}"></script>
</body>
</html>`;
}
