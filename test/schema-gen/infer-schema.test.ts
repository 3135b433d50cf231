import assert from 'node:assert/strict';
import { inferSchema, type InferOptions } from '../../runtime/src/components/schema-gen/infer-schema.ts';
import type { SchemaFeature } from '../../runtime/src/formats/schema.ts';
import { dataset, numFeature, repeat, strFeature } from './stats-fixtures.ts';

const defaults: InferOptions = { inferFeatureShape: true, maxDomainSize: 100, inferRanges: true };

// Train: 10 examples. age INT with 1 missing, fare FLOAT always present, color 3 values,
// id 10 distinct strings, tip FLOAT present in 2 of 3 of a 3-example split (see below).
const ages = [31, 45, null, 22, 60, 38, 27, 51, 19, 44];
const fares = [2.5, 13.25, 7, 48.1, 0.5, 9.75, 22, 5.5, 31.2, 11];
const colors = repeat({ red: 5, green: 3, blue: 2 });
const ids = ages.map((_, i) => `id-${i}`);
const train = dataset('train', 10, [
  numFeature('age', 'INT', ages),
  numFeature('fare', 'FLOAT', fares),
  strFeature('color', colors),
  strFeature('id', ids),
]);

function feature(features: SchemaFeature[], name: string): SchemaFeature {
  const f = features.find((x) => x.name === name);
  assert.ok(f, `feature ${name} in schema`);
  return f;
}

describe('SchemaGen inference', () => {
  it('infers type, presence, shape, domains and ranges of each feature', () => {
    const { schema } = inferSchema([train], { ...defaults, maxDomainSize: 5 });
    assert.deepEqual(
      schema.feature.map((f) => [f.name, f.type]),
      [['age', 'INT'], ['fare', 'FLOAT'], ['color', 'BYTES'], ['id', 'BYTES']],
    );
    const presentAges = ages.filter((a) => a !== null) as number[];
    const age = feature(schema.feature, 'age');
    // 9 of 10 present: 0.9 less a percentage point, rounded down to a tenth.
    assert.deepEqual(age.presence, { minFraction: Math.floor((presentAges.length / ages.length - 0.01) * 10) / 10, minCount: 1 });
    assert.equal(age.presence?.minFraction, 0.8);
    assert.deepEqual(age.valueCount, { min: 1, max: 1 });
    assert.deepEqual(age.intDomain, { min: Math.min(...presentAges), max: Math.max(...presentAges) });
    assert.equal(age.floatDomain, undefined);

    const fare = feature(schema.feature, 'fare');
    assert.deepEqual(fare.presence, { minFraction: 1, minCount: 1 });
    assert.deepEqual(fare.floatDomain, { min: Math.min(...fares), max: Math.max(...fares) });

    const color = feature(schema.feature, 'color');
    assert.equal(color.domain, 'color');
    assert.deepEqual(schema.stringDomain, [{ name: 'color', value: [...new Set(colors)].sort() }]);
    // 10 distinct ids > max_domain_size 5: free text, no domain.
    assert.equal(feature(schema.feature, 'id').domain, undefined);
  });

  it('gives a string domain up to exactly max_domain_size values', () => {
    assert.equal(feature(inferSchema([train], { ...defaults, maxDomainSize: 10 }).schema.feature, 'id').domain, 'id');
    assert.equal(feature(inferSchema([train], { ...defaults, maxDomainSize: 9 }).schema.feature, 'id').domain, undefined);
  });

  it('lowers a presence fraction by a point and rounds it down to a tenth', () => {
    const presence = (present: number, total: number) => {
      const values = [...new Array<number>(present).fill(1), ...new Array<null>(total - present).fill(null)];
      return inferSchema([dataset('train', total, [numFeature('x', 'INT', values)])], defaults).schema.feature[0].presence;
    };
    assert.deepEqual(presence(2, 3), { minFraction: 0.6, minCount: 1 }); // 0.666 - 0.01 -> 0.6
    assert.deepEqual(presence(71, 100), { minFraction: 0.7, minCount: 1 }); // 0.70 exactly stays 0.7
    assert.deepEqual(presence(70, 100), { minFraction: 0.6, minCount: 1 }); // 0.69 -> 0.6
    assert.deepEqual(presence(978, 1000), { minFraction: 0.9, minCount: 1 });
    assert.deepEqual(presence(999, 1000), { minFraction: 0.9, minCount: 1 });
    assert.deepEqual(presence(5, 1000), { minCount: 1 }); // rounds to 0: no fraction required
    assert.deepEqual(presence(10, 10), { minFraction: 1, minCount: 1 });
  });

  it('omits shape and ranges when told to', () => {
    const { schema } = inferSchema([train], { inferFeatureShape: false, maxDomainSize: 100, inferRanges: false });
    for (const f of schema.feature) {
      assert.equal(f.valueCount, undefined, f.name);
      assert.equal(f.intDomain, undefined, f.name);
      assert.equal(f.floatDomain, undefined, f.name);
    }
    // String domains are governed by max_domain_size alone.
    assert.equal(feature(schema.feature, 'color').domain, 'color');
  });

  it('records only a lower value count for multi-valued features', () => {
    const tags = strFeature('tags', ['a', 'b', 'c']);
    Object.assign(tags.stringStats!.commonStats, { minNumValues: 2, maxNumValues: 5 });
    const { schema } = inferSchema([dataset('train', 3, [tags])], defaults);
    assert.deepEqual(schema.feature[0].valueCount, { min: 2 });
  });

  it('covers the union of splits: widest type, lowest presence, all values, overall range', () => {
    const evalSplit = dataset('eval', 4, [
      numFeature('age', 'INT', [70, 18, 30, 40]),
      numFeature('fare', 'INT', [100, 1, 2, 3]),
      strFeature('color', ['red', 'black', null, null]),
      // id is absent from eval altogether.
    ]);
    const { schema } = inferSchema([train, evalSplit], defaults);
    const age = feature(schema.feature, 'age');
    assert.deepEqual(age.intDomain, { min: 18, max: 70 });
    assert.equal(age.presence?.minFraction, 0.8);
    const fare = feature(schema.feature, 'fare');
    assert.equal(fare.type, 'FLOAT');
    assert.deepEqual(fare.floatDomain, { min: 0.5, max: 100 });
    const color = feature(schema.feature, 'color');
    assert.deepEqual(color.presence, { minFraction: 0.4, minCount: 1 }); // 2 of 4 in eval
    assert.deepEqual(schema.stringDomain?.find((d) => d.name === 'color')?.value, ['black', 'blue', 'green', 'red']);
    // Missing from a whole split: not required.
    assert.deepEqual(feature(schema.feature, 'id').presence, { minCount: 0 });
  });

  it('gives no domain when the distinct values are only estimated or not all listed', () => {
    const estimated = strFeature('a', ['x', 'y']);
    estimated.customStats = [{ name: 'unique_is_estimate', num: 1 }];
    const truncated = strFeature('b', ['x', 'y', 'z']);
    truncated.stringStats!.rankHistogram!.buckets.pop();
    truncated.stringStats!.topValues.pop();
    const { schema } = inferSchema([dataset('train', 3, [estimated, truncated])], defaults);
    assert.equal(schema.stringDomain, undefined);
    assert.ok(schema.feature.every((f) => f.domain === undefined));
  });

  it('leaves out STRUCT features with a note', () => {
    const { schema, notes } = inferSchema([dataset('train', 1, [{ name: 's', type: 'STRUCT' }, numFeature('x', 'FLOAT', [1])])], defaults);
    assert.deepEqual(schema.feature.map((f) => f.name), ['x']);
    assert.match(notes.join('\n'), /"s".*STRUCT/);
  });

  it('gives no range for an all-missing numeric feature', () => {
    const { schema } = inferSchema([dataset('train', 2, [numFeature('x', 'FLOAT', [null, null])])], defaults);
    assert.equal(schema.feature[0].floatDomain, undefined);
    assert.equal(schema.feature[0].valueCount, undefined);
    assert.deepEqual(schema.feature[0].presence, { minCount: 0 });
  });
});
