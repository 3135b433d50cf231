// The import rules `npm run check:imports` enforces (part of `npm test`); README.md "How it works"
// draws the same picture. Type-only imports count: a type cycle is a design cycle too.
//
// Runtime folders are layered: a folder imports only folders of lower layers (never one of its own
// layer, never one above). A new folder under runtime/src/ must be placed in a layer here.
const RUNTIME_LAYERS = [
  ['core'], // the run model and the component contract: imports nothing of ours
  ['util'],
  ['formats', 'sketches', 'alerts', 'modules'],
  ['metadata', 'ml'],
  ['serving'],
  ['components'],
  ['pipeline'],
  ['engine'],
  ['targets'],
  ['cli'],
];
const placed = RUNTIME_LAYERS.flat();

const layerRules = RUNTIME_LAYERS.flatMap((layer, i) =>
  layer.map((folder) => {
    const notBelow = RUNTIME_LAYERS.slice(i).flat().filter((f) => f !== folder);
    return {
      name: `layer-${folder}`,
      comment: `runtime/src/${folder}/ may import only folders of lower layers (${RUNTIME_LAYERS.slice(0, i).flat().join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `^runtime/src/${folder}/` },
      to: { path: [`^runtime/src/(${notBelow.join('|')})/`, '^runtime/src/[^/]+\\.ts$'] },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, between files or folders.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'runtime-folder-not-layered',
      comment: 'Every folder under runtime/src/ has a place in RUNTIME_LAYERS (.dependency-cruiser.cjs).',
      severity: 'error',
      from: { path: '^runtime/src/[^/]+/', pathNot: `^runtime/src/(${placed.join('|')})/` },
      to: {},
    },
    ...layerRules,
    {
      name: 'runtime-is-headless',
      comment: 'The runtime never imports the extension or the webviews.',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^(extension|webview)/' },
    },
    {
      name: 'extension-through-host-api',
      comment: 'The extension imports the runtime only through runtime/src/host-api.ts (eslint says so too).',
      severity: 'error',
      from: { path: '^extension/' },
      to: { path: '^runtime/', pathNot: '^runtime/src/host-api\\.ts$' },
    },
    {
      name: 'protocol-is-shared',
      comment: 'protocol/ is the host<->webview message contract: it imports neither side.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(extension|webview)/' },
    },
    {
      name: 'webview-not-host',
      comment: 'Webview code runs in the browser: it never imports the extension host.',
      severity: 'error',
      from: { path: '^webview/' },
      to: { path: '^extension/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
  },
};
