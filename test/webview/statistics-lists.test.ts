import assert from 'node:assert/strict';
import { createElement as h } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { DatasetFeatureStatisticsList, FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import { featureSummary } from '../../runtime/src/formats/statistics.ts';
import { StatisticsView } from '../../webview/src/viewers/StatisticsView.tsx';

const common = { numNonMissing: 10, numMissing: 0, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: 10 };
const listFeature: FeatureNameStatistics = {
  name: 'ids',
  type: 'INT',
  numStats: {
    commonStats: {
      ...common,
      minNumValues: 0,
      maxNumValues: 4,
      avgNumValues: 2.5,
      totNumValues: 25,
      numValuesHistogram: { type: 'QUANTILES', buckets: [{ lowValue: 0, highValue: 2, sampleCount: 5 }, { lowValue: 2, highValue: 4, sampleCount: 5 }] },
    },
    mean: 3,
    stdDev: 1,
    numZeros: 0,
    min: 1,
    median: 3,
    max: 5,
    histograms: [{ type: 'STANDARD', buckets: [{ lowValue: 1, highValue: 5, sampleCount: 25 }] }],
  },
};
const scalar: FeatureNameStatistics = { ...listFeature, name: 'hour', numStats: { ...listFeature.numStats!, commonStats: common } };

describe('statistics viewer: list features', () => {
  it('summarizes values per example of a list feature, and nothing of the kind for scalars', () => {
    assert.deepEqual(featureSummary(listFeature, 10).valueCounts, { min: 0, max: 4, avg: 2.5, total: 25, histogram: listFeature.numStats!.commonStats.numValuesHistogram!.buckets });
    assert.equal(featureSummary(scalar, 10).valueCounts, undefined);
  });

  it('shows the value-count range and histogram under a list feature', () => {
    const statistics: DatasetFeatureStatisticsList = { datasets: [{ name: 'train', numExamples: 10, features: [listFeature, scalar] }] };
    const html = renderToStaticMarkup(h(StatisticsView, { payload: { kind: 'statistics', artifact: { id: 7 }, statistics } as any }));
    const row = (name: string) => {
      const start = html.indexOf(`data-feature="${name}"`);
      const next = html.indexOf('data-feature=', start + 1);
      return html.slice(start, next < 0 ? undefined : next);
    };
    const ids = row('ids');
    assert.match(ids, /list: 0–4 values, avg 2\.5/);
    assert.equal((ids.match(/class="histogram"/g) ?? []).length, 2, 'the value histogram and the value-count histogram');
    assert.doesNotMatch(row('hour'), /list:/);
  });
});
