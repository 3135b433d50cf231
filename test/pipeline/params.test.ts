import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { trainerParams } from '../../runtime/src/components/trainer/spec.ts';
import { checkParams } from '../../runtime/src/pipeline/params.ts';

describe('pipeline/params: problems in words', () => {
  it('says what a parameter of several kinds takes (it said "must match a schema in anyOf")', () => {
    for (const workers of [0, 2.5, 'many']) {
      assert.deepEqual(checkParams(trainerParams, { module_file: 'trainer.ts', workers }), [{ kind: 'invalid', path: ['workers'], message: 'must be a whole number ≥ 1 or "auto"' }], String(workers));
    }
    assert.deepEqual(checkParams(trainerParams, { module_file: 'trainer.ts', workers: 'auto' }), []);
    const mixed = Type.Object({ x: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.String(), Type.Boolean()]) });
    assert.deepEqual(checkParams(mixed, { x: [] }), [{ kind: 'invalid', path: ['x'], message: 'must be a number ≥ 0 and ≤ 1 or a string or true or false' }]);
    // Constants only: the list of values, as before.
    const mode = Type.Object({ mode: Type.Union([Type.Literal('hash'), Type.Literal('random')]) });
    assert.deepEqual(checkParams(mode, { mode: 'x' }), [{ kind: 'invalid', path: ['mode'], message: 'must be one of "hash", "random"' }]);
  });
});
