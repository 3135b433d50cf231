import assert from 'node:assert/strict';
import { checkSpanEvolution } from '../../runtime/src/components/example-validator/span-evolution.ts';
import { dataset, numFeature, strFeature } from '../schema-gen/stats-fixtures.ts';

const labels = { current: 'span 2', previous: 'span 1 (statistics #7)' };
const ints = (n: number, missing = 0) => Array.from({ length: n }, (_, i) => (i < missing ? null : i));

describe('schema evolution between spans', () => {
  it('flags dropped, added and retyped columns with severities, and nothing for an unchanged span', () => {
    const before = dataset('train', 10, [numFeature('a', 'INT', ints(10)), numFeature('b', 'INT', ints(10)), numFeature('c', 'INT', ints(10)), strFeature('d', Array(10).fill('x'))]);
    assert.deepEqual(checkSpanEvolution(before, before, labels, 0.05), []);
    const after = dataset('train', 10, [
      numFeature('b', 'FLOAT', ints(10)), // INT → FLOAT: a widening
      strFeature('c', Array(10).fill('7')), // INT → STRING
      strFeature('d', Array(10).fill('x')),
      numFeature('e', 'INT', ints(10)),
    ]);
    const found = checkSpanEvolution(before, after, labels, 0.05).map((f) => [f.feature, f.severity, f.reason.type]);
    assert.deepEqual(found, [
      ['a', 'ERROR', 'SPAN_FEATURE_REMOVED'],
      ['b', 'WARNING', 'SPAN_FEATURE_TYPE_CHANGED'],
      ['c', 'ERROR', 'SPAN_FEATURE_TYPE_CHANGED'],
      ['e', 'WARNING', 'SPAN_FEATURE_ADDED'],
    ]);
  });

  it('flags a missing-rate jump above the threshold only', () => {
    const before = dataset('train', 20, [numFeature('a', 'INT', ints(20, 1))]); // 5% missing
    const small = dataset('train', 20, [numFeature('a', 'INT', ints(20, 2))]); // 10%: +5 points
    const big = dataset('train', 20, [numFeature('a', 'INT', ints(20, 4))]); // 20%: +15 points
    assert.deepEqual(checkSpanEvolution(before, small, labels, 0.05), []);
    const [f] = checkSpanEvolution(before, big, labels, 0.05);
    assert.equal(f.reason.type, 'SPAN_MISSING_RATE_INCREASED');
    assert.match(f.reason.description, /missing in 20\.0% of the examples of span 2, up from 5\.0% in span 1 \(statistics #7\) \(\+15\.0 points, threshold 5\.0\)/);
  });
});
