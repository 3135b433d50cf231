import assert from 'node:assert/strict';
import { gridSearch, MedianStopping, randomSearch, searchSpaceBuilder as hp, validateSpace } from '../../runtime/src/components/tuner/search.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';

describe('Tuner search strategies', () => {
  const space = { lr: hp.float(1e-4, 1e-2, { log: true }), units: hp.int(8, 32, { step: 8 }), act: hp.choice(['relu', 'elu']) };

  it('grid: every combination, floats at grid_points (log-spaced), capped', () => {
    const grid = gridSearch(space, 3, 1000);
    assert.equal(grid.length, 3 * 4 * 2);
    const lrs = [...new Set(grid.map((g) => g.lr as number))];
    assert.equal(lrs.length, 3);
    assert.ok(Math.abs(lrs[0] - 1e-4) < 1e-12 && Math.abs(lrs[1] - 1e-3) < 1e-12 && Math.abs(lrs[2] - 1e-2) < 1e-12);
    assert.deepEqual([...new Set(grid.map((g) => g.units))], [8, 16, 24, 32]);
    assert.equal(new Set(grid.map((g) => JSON.stringify(g))).size, grid.length);
    assert.equal(gridSearch(space, 3, 5).length, 5);
  });

  it('random: seeded, in range, on the step, no repeats', () => {
    const a = randomSearch(space, 20, 1);
    assert.deepEqual(randomSearch(space, 20, 1), a);
    assert.notDeepEqual(randomSearch(space, 20, 2), a);
    assert.equal(new Set(a.map((g) => JSON.stringify(g))).size, 20);
    for (const g of a) {
      assert.ok((g.lr as number) >= 1e-4 && (g.lr as number) <= 1e-2);
      assert.ok([8, 16, 24, 32].includes(g.units as number));
      assert.ok(['relu', 'elu'].includes(g.act as string));
    }
    // log-uniform: about half the samples below the geometric middle 1e-3
    const below = randomSearch({ lr: space.lr }, 400, 3).filter((g) => (g.lr as number) < 1e-3).length;
    assert.ok(below > 160 && below < 240, `${below}`);
    // a small space yields at most its size
    assert.equal(randomSearch({ act: space.act }, 10, 1).length, 2);
  });

  it('rejects malformed spaces', () => {
    assert.throws(() => validateSpace({}), (e: unknown) => isUserError(e));
    assert.throws(() => validateSpace({ x: hp.float(1, 0) }), (e: unknown) => isUserError(e) && /search_space\.x/.test((e as Error).message));
    assert.throws(() => validateSpace({ x: hp.float(0, 1, { log: true }) }), (e: unknown) => isUserError(e));
  });

  it('median stopping: stops a trial worse than the median of the others at the same epoch', () => {
    const m = new MedianStopping('max', 1);
    assert.equal(m.report(0, 0, 0.9), 'continue'); // no others yet
    assert.equal(m.report(1, 0, 0.8), 'continue'); // one other only
    assert.equal(m.report(2, 0, 0.5), 'stop'); // median of 0.9, 0.8 = 0.85 > 0.5
    assert.equal(m.report(3, 0, 0.86), 'continue'); // others 0.9, 0.8, 0.5 → median 0.8 < 0.86
    const min = new MedianStopping('min', 2);
    min.report(0, 0, 1);
    min.report(1, 0, 2);
    assert.equal(min.report(2, 0, 9), 'continue', 'before min_epochs nothing stops');
    min.report(0, 1, 0.5);
    min.report(1, 1, 0.7);
    assert.equal(min.report(2, 1, 3), 'stop');
    assert.equal(min.report(3, 1, 0.4), 'continue');
    assert.equal(new MedianStopping('max', 1).report(0, 0, NaN), 'stop', 'a diverged trial stops');
  });
});
