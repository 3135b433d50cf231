import assert from 'node:assert/strict';
import { checkCanvasMessage } from '../../extension/src/canvas/messages.ts';

describe('canvas messages (host-side validation)', () => {
  const good: unknown[] = [
    { type: 'ready' },
    { type: 'addNode', component: 'StatisticsGen', position: { x: 10, y: -20.5 } },
    { type: 'addNode', component: 'SchemaGen', position: { x: 0, y: 0 }, id: 'schema_2' },
    { type: 'removeNodes', ids: ['a', 'b-2'] },
    { type: 'connect', node: 'stats', input: 'examples', source: { node: 'gen', output: 'examples' } },
    { type: 'disconnect', node: 'stats', input: 'examples' },
    { type: 'setParam', node: 'gen', name: 'splits', value: { train: 3, eval: 1 } },
    { type: 'setParam', node: 'gen', name: 'input', value: 'data/x.csv' },
    { type: 'removeParam', node: 'gen', name: 'format' },
    { type: 'renameNode', from: 'gen', to: 'gen_2' },
    { type: 'moveNodes', positions: { gen: { x: 1, y: 2 } } },
    { type: 'pasteNodes', nodes: [{ id: 'gen', component: 'CsvExampleGen', params: {}, inputs: {}, position: { x: 0, y: 0 } }] },
    { type: 'showText', node: 'gen' },
    { type: 'inspect', node: 'trainer' },
    { type: 'nodeAction', node: 'trainer', action: 'runFrom' },
    { type: 'openArtifact', artifactId: 12 },
    { type: 'applyFix', line: 3, fix: 'epochs' },
  ];
  for (const message of good) {
    it(`accepts ${JSON.stringify(message)}`, () => {
      const check = checkCanvasMessage(message);
      assert.equal(check.ok, true, check.ok ? '' : check.reason);
    });
  }

  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    ['addNode', /not an object/],
    [[{ type: 'ready' }], /not an object/],
    [{}, /no string "type"/],
    [{ type: 'eval', code: 'process.exit()' }, /unknown message type "eval"/],
    [{ type: 'toString' }, /unknown message type/],
    [{ type: 'ready', extra: 1 }, /unexpected property "extra"/],
    [{ type: 'addNode', component: 'StatisticsGen' }, /position/],
    [{ type: 'addNode', component: 'Stat\nisticsGen', position: { x: 0, y: 0 } }, /component/],
    [{ type: 'addNode', component: 'StatisticsGen', position: { x: 1e9, y: 0 } }, /position\/x/],
    [{ type: 'addNode', component: 'StatisticsGen', position: { x: 'NaN', y: 0 } }, /position\/x/],
    [{ type: 'removeNodes', ids: [] }, /ids/],
    [{ type: 'removeNodes', ids: ['a.b'] }, /ids\/0/],
    [{ type: 'connect', node: 'stats', input: 'examples', source: 'gen.examples' }, /source/],
    [{ type: 'renameNode', from: 'gen', to: '1gen' }, /\/to/],
    [{ type: 'moveNodes', positions: {} }, /positions/],
    [{ type: 'moveNodes', positions: { 'bad id': { x: 0, y: 0 } } }, /positions/],
    [{ type: 'showText', line: -1 }, /line/],
    [{ type: 'nodeAction', node: 'trainer', action: 'deleteStore' }, /action/],
    [{ type: 'openArtifact', artifactId: '../etc/passwd' }, /artifactId/],
    [{ type: 'inspect', node: 'a.b' }, /node/],
    [{ type: 'pasteNodes', nodes: [{ id: 'a', component: 'X', params: { 'bad name': 1 }, inputs: {}, position: { x: 0, y: 0 } }] }, /params/],
  ];
  for (const [message, reason] of bad) {
    it(`refuses ${JSON.stringify(message)}`, () => {
      const check = checkCanvasMessage(message);
      assert.equal(check.ok, false);
      if (!check.ok) assert.match(check.reason, reason);
    });
  }
});
