import assert from 'node:assert/strict';
import { canvasHtml, makeNonce } from '../../extension/src/canvas/html.ts';

describe('canvas page', () => {
  const nonce = makeNonce();
  const html = canvasHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/canvas.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/canvas.css',
    title: 'Pipeline canvas: <taxi>.pipeline.yaml',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));

  it('has a strict CSP: nothing by default, scripts only by nonce, no eval or inline', () => {
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`]);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|\*/);
    assert.deepEqual(directives.get('font-src'), ['https://file+.vscode-resource.vscode-cdn.net']);
  });

  it('every script carries the nonce and the title is escaped', () => {
    const scripts = html.match(/<script[^>]*>/g)!;
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0].includes(`nonce="${nonce}"`));
    assert.ok(html.includes('&lt;taxi&gt;') && !html.includes('<taxi>'));
  });

  it('nonces are fresh and long enough', () => {
    const seen = new Set(Array.from({ length: 100 }, makeNonce));
    assert.equal(seen.size, 100);
    assert.ok(nonce.length >= 24 && /^[A-Za-z0-9_-]+$/.test(nonce));
  });
});
