import assert from 'node:assert/strict';
import { parseSchema } from '../../runtime/src/components/schema-gen/parse-schema.ts';
import { UserError } from '../../runtime/src/core/errors.ts';

function parseError(data: unknown): UserError {
  try {
    parseSchema(data, 'my/schema.json');
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the schema to be rejected');
}

describe('SchemaGen user schema checks', () => {
  it('accepts proto3 JSON with snake_case names and int64 written as strings', () => {
    const { schema, ignored } = parseSchema(
      {
        feature: [
          { name: 'age', type: 'INT', presence: { min_fraction: 0.5, min_count: '1' }, int_domain: { min: '0', max: '120' }, value_count: { min: '1', max: '1' } },
          { name: 'fare', type: 'FLOAT', float_domain: { min: 0, max: 'Infinity' }, drift_comparator: { jensen_shannon_divergence: { threshold: 0.05 } } },
          { name: 'color', type: 'BYTES', domain: 'colors', annotation: { tag: ['x'] } },
          { name: 'old', type: 'INT', lifecycle_stage: 'DEPRECATED' },
        ],
        string_domain: [{ name: 'colors', value: ['red', 'blue'] }],
      },
      'schema.json',
    );
    assert.deepEqual(schema, {
      feature: [
        { name: 'age', type: 'INT', presence: { minFraction: 0.5, minCount: 1 }, valueCount: { min: 1, max: 1 }, intDomain: { min: 0, max: 120 } },
        { name: 'fare', type: 'FLOAT', floatDomain: { min: 0, max: Infinity }, driftComparator: { jensenShannonDivergence: { threshold: 0.05 } } },
        { name: 'color', type: 'BYTES', domain: 'colors' },
        { name: 'old', type: 'INT', deprecated: true },
      ],
      stringDomain: [{ name: 'colors', value: ['red', 'blue'] }],
    });
    assert.deepEqual(ignored, ['feature[2].annotation']);
  });

  it('rejects a non-object and a missing feature list', () => {
    assert.match(parseError([1, 2]).message, /my\/schema\.json[\s\S]*JSON object with a "feature" array/);
    assert.match(parseError({ features: [] }).message, /"feature" must be an array/);
  });

  it('lists every problem with the feature it concerns', () => {
    const err = parseError({
      feature: [
        { name: 'a', type: 'STRING' },
        { name: 'b', type: 'INT', presence: { minFraction: 1.5 } },
        { name: 'c', type: 'BYTES', domain: 'nope' },
        { name: 'b', type: 'FLOAT' },
        { type: 'INT' },
        { name: 'd', type: 'INT', intDomain: { min: 5, max: 1 } },
        { name: 'e', type: 'FLOAT', intDomain: { min: 0 } },
        { name: 'f', type: 'INT', valueCount: { min: 1.5 } },
        { name: 'g', type: 'FLOAT', driftComparator: { infinityNorm: {} } },
      ],
      stringDomain: [{ value: ['x'] }],
    });
    assert.equal(err.location?.file, 'my/schema.json');
    const expected = [
      /feature\[0\] \("a"\): "type" must be INT, FLOAT or BYTES, got "STRING"/,
      /feature\[1\] \("b"\): presence\.minFraction must be a number between 0 and 1, got 1\.5/,
      /feature\[2\] \("c"\): "domain" refers to unknown string domain "nope"/,
      /feature\[3\]: feature "b" is defined twice/,
      /feature\[4\] needs a non-empty "name"/,
      /feature\[5\] \("d"\): intDomain: min 5 is greater than max 1/,
      /feature\[6\] \("e"\): "intDomain" needs type INT, not FLOAT/,
      /feature\[7\] \("f"\): valueCount\.min must be an integer >= 0, got 1\.5/,
      /feature\[8\] \("g"\): driftComparator\.infinityNorm needs a "threshold"/,
      /stringDomain\[0\]: a top-level string domain needs a "name"/,
    ];
    for (const pattern of expected) assert.match(err.message, pattern);
    assert.equal(err.message.split('\n').length, 1 + expected.length);
  });

  it('rejects a feature with two kinds of domain', () => {
    const err = parseError({ feature: [{ name: 'x', type: 'BYTES', stringDomain: { value: ['a'] }, domain: 'd' }], stringDomain: [{ name: 'd', value: [] }] });
    assert.match(err.message, /only one of domain, stringDomain may be set/);
  });
});
