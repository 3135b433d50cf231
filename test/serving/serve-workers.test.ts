import assert from 'node:assert/strict';
import { parseServeWorkers } from '../../runtime/src/serving/serve.ts';
import { autoServeWorkers } from '../../runtime/src/serving/serve-workers.ts';

describe('tributary serve --workers', () => {
  it('auto (the default) starts one server process per core but one, at least one', () => {
    assert.deepEqual([1, 2, 4, 8].map((cores) => autoServeWorkers(cores)), [1, 1, 3, 7]);
    assert.equal(parseServeWorkers('auto'), autoServeWorkers());
    assert.equal(parseServeWorkers(undefined), autoServeWorkers());
  });

  it('takes a whole number ≥ 1 as given and refuses anything else', () => {
    assert.equal(parseServeWorkers('3'), 3);
    for (const bad of ['0', '-1', '1.5', 'many']) assert.throws(() => parseServeWorkers(bad), /--workers must be a whole number/);
  });
});
