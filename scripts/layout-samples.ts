/**
 * Lays the shipped taxi samples out the way the canvas's "Auto layout" does for the reference pane
 * (the flow pane of a 1600×1000 code-server window with the Explorer open and nothing selected, as
 * the end-to-end test measures it) and writes their `layout` sections: the samples open drawn as
 * Auto layout would draw them. Only `layout` lines change (the same edit as the canvas makes).
 *   node --import tsx scripts/layout-samples.ts [--check]
 * --check: write nothing, exit 1 when a sample's layout differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinRegistry } from '../runtime/src/components/index.ts';
import { applyEdits } from '../runtime/src/pipeline/edit.ts';
import { parsePipeline } from '../runtime/src/pipeline/parse.ts';
import { canvasNodes } from '../extension/src/canvas/document-model.ts';
import { editsForIntent } from '../extension/src/canvas/intents.ts';
import { specMap, toComponentInfo } from '../extension/src/canvas/specs.ts';
import { autoLayout, compactNodeSize } from '../webview/src/canvas/layout.ts';

export const REFERENCE_PANE = { width: 1062, height: 849 };
export const SAMPLES = ['samples/taxi/taxi.pipeline.yaml', 'samples/taxi/taxi-tuned.pipeline.yaml'];

/** The sample's text with its layout section as Auto layout draws it in the reference pane. */
export function laidOut(file: string, text: string): string {
  const specs = specMap(builtinRegistry().list().map((d) => toComponentInfo(d.spec)));
  const parsed = parsePipeline(text, file);
  const nodes = canvasNodes(parsed);
  const ports = Object.fromEntries(nodes.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)?.inputs ?? {}), outputs: Object.keys(specs.get(n.component)?.outputs ?? {}) }]));
  const sizes = Object.fromEntries(nodes.map((n) => [n.id, compactNodeSize(n.id)]));
  const positions = autoLayout(nodes, { sizes, viewport: REFERENCE_PANE, ports, untangle: true, zoomedOut: true });
  return applyEdits(text, editsForIntent(parsed, { type: 'moveNodes', positions }, specs));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let differs = 0;
  for (const file of SAMPLES) {
    const text = readFileSync(file, 'utf8');
    const next = laidOut(file, text);
    if (next === text) continue;
    differs++;
    if (check) {
      console.error(`${file}: its layout is not what Auto layout draws in a ${REFERENCE_PANE.width}×${REFERENCE_PANE.height} pane`);
    } else {
      writeFileSync(file, next);
      console.log(`${file}: laid out`);
    }
  }
  process.exitCode = check && differs ? 1 : 0;
}
