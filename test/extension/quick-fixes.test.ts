import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { builtinRegistry, parsePipeline, validatePipeline } from '../../runtime/src/host-api.ts';
import { toLspRange } from '../../extension/src/language/features.ts';
import { quickFixes } from '../../extension/src/language/quick-fixes.ts';

const FILE = resolve('samples/taxi/taxi.pipeline.yaml');
const URI = `file://${FILE}`;

function diagnostics(text: string) {
  return validatePipeline(parsePipeline(text, FILE), builtinRegistry(), { file: FILE, workspaceRoot: process.cwd() }).map((d) => ({
    range: toLspRange(d.range),
    message: d.message,
    code: d.code,
    source: 'tributary',
  }));
}

describe('quick fixes for "Did you mean" diagnostics', () => {
  it('each misspelt name (component, parameter, referenced node and output) is one fix away from a clean file', () => {
    const clean = readFileSync(FILE, 'utf8');
    const typos = clean
      .replace('component: StatisticsGen', 'component: StatisticGen')
      .replace('      epochs: 8', '      epoch: 8')
      .replace('examples: transform.transformed_examples', 'examples: transfrom.transformed_examples')
      .replace('model_blessing: evaluator.blessing', 'model_blessing: evaluator.blesing');
    const found = diagnostics(typos);
    const fixes = quickFixes(URI, found);
    assert.deepEqual(fixes.map((f) => f.title).sort(), ['Change to "StatisticsGen"', 'Change to "blessing"', 'Change to "epochs"', 'Change to "transform"']);
    for (const fix of fixes) assert.equal(fix.isPreferred, true);
    const edits = fixes.flatMap((f) => f.edit!.changes![URI]);
    const fixed = TextDocument.applyEdits(TextDocument.create(URI, 'tributary-pipeline', 1, typos), edits);
    assert.equal(fixed, clean);
    assert.deepEqual(quickFixes(URI, diagnostics(clean)), []);
  });
});
