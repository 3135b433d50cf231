import assert from 'node:assert/strict';
import { isAlias, visit } from 'yaml';
import { MAX_EXPANDED_NODES } from '../../runtime/src/pipeline/aliases.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';

/** Issue #17 item 7: YAML anchors and aliases in pipeline files. */
describe('pipeline files: YAML aliases', () => {
  it('an alias reads as a copy of its anchor', () => {
    const text = `name: aliases
nodes:
  a:
    component: CsvExampleGen
    params: &gen { input: data/a.csv, splits: &splits { train: 3, eval: 1 } }
  b:
    component: CsvExampleGen
    params: *gen
  c:
    component: CsvExampleGen
    params: { input: data/c.csv, splits: *splits }
`;
    const parsed = parsePipeline(text, 'a.pipeline.yaml');
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.spec.nodes.b.params, { input: 'data/a.csv', splits: { train: 3, eval: 1 } });
    assert.deepEqual(parsed.spec.nodes.c.params.splits, { train: 3, eval: 1 });
    // The document edits work on keeps the file's own aliases.
    let aliases = 0;
    visit(parsed.document, { Alias: () => void aliases++ });
    assert.equal(aliases, 2);
    assert.ok(isAlias(parsed.document.getIn(['nodes', 'b', 'params'], true)));
  });

  it('a YAML bomb stops at the bound with an error at the alias, quickly', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const text = `name: bomb\nnodes:\n  n:\n    component: CsvExampleGen\n    params:\n${levels.map((l) => `      ${l}`).join('\n')}\n`;
    const started = Date.now();
    const parsed = parsePipeline(text, 'bomb.pipeline.yaml');
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    const bomb = parsed.diagnostics.filter((d) => d.code === 'yaml-alias');
    assert.equal(bomb.length, 1);
    assert.match(bomb[0].message, new RegExp(`more than ${MAX_EXPANDED_NODES} values`));
    assert.ok(bomb[0].range.start.line >= 6, JSON.stringify(bomb[0].range)); // on one of the alias lines
    assert.equal(bomb[0].file, 'bomb.pipeline.yaml');
  });
});
