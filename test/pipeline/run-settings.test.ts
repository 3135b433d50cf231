import assert from 'node:assert/strict';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';

const file = '/ws/p.pipeline.yaml';

function pipeline(run: string): string {
  return `name: p\nnodes:\n  a:\n    component: CsvExampleGen\n    params: { input: x.csv }\n    run:\n${run}`;
}

describe('pipeline format: per-node run settings', () => {
  it('reads retries, cpu, memory, gpu and fan_out', () => {
    const parsed = parsePipeline(pipeline('      retries: 3\n      cpu: 500m\n      memory: 4Gi\n      gpu: 1\n      fan_out: false\n'), file);
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.spec.nodes.a.run, { retries: 3, cpu: '500m', memory: '4Gi', gpu: 1, fan_out: false });
  });

  it('accepts numeric CPU and memory quantities as strings', () => {
    const parsed = parsePipeline(pipeline('      cpu: 2\n      memory: 1073741824\n'), file);
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.spec.nodes.a.run, { cpu: '2', memory: '1073741824' });
  });

  it('reports each bad value at its line with code invalid-run', () => {
    const text = pipeline('      retries: -1\n      cpu: lots\n      memory: 4GB\n      gpu: 1.5\n      fan_out: yes please\n');
    const parsed = parsePipeline(text, file);
    const lines = text.split('\n');
    const lineOf = (key: string) => lines.findIndex((l) => l.trim().startsWith(`${key}:`));
    assert.deepEqual(
      parsed.diagnostics.map((d) => [d.code, d.field, d.range?.start.line]),
      ['retries', 'cpu', 'memory', 'gpu', 'fan_out'].map((k) => ['invalid-run', `run.${k}`, lineOf(k)]),
    );
    assert.match(parsed.diagnostics[2].message, /memory quantity/);
    assert.equal(parsed.spec.nodes.a.run?.retries, undefined);
  });

  it('rejects unknown settings with a suggestion, and a run that is not a map', () => {
    const unknown = parsePipeline(pipeline('      memroy: 2Gi\n'), file);
    assert.equal(unknown.diagnostics.length, 1);
    assert.equal(unknown.diagnostics[0].code, 'unknown-key');
    assert.match(unknown.diagnostics[0].message, /did you mean "memory"/i);
    const scalar = parsePipeline('name: p\nnodes:\n  a:\n    component: CsvExampleGen\n    run: 3\n', file);
    assert.deepEqual(scalar.diagnostics.map((d) => d.code), ['invalid-type']);
  });
});
