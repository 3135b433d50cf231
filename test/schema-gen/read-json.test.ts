import assert from 'node:assert/strict';
import { findJsonSyntaxError } from '../../runtime/src/components/schema-gen/read-json.ts';

describe('JSON syntax error location', () => {
  const texts = [
    '{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\"y"]} ', '"s"', '0', '{"a":{"b":[]}}',
    '{"a": 1,}', '[1, 2', '{"a" 1}', "{'a': 1}", '[01]', '{"a": tru}', '{} x', '', '"unterminated', '[1,,2]', '{"a":\n"b\nc"}',
  ];
  for (const text of texts) {
    it(`agrees with JSON.parse on ${JSON.stringify(text)}`, () => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const error = findJsonSyntaxError(text);
      assert.equal(error === undefined, valid, error?.message);
    });
  }

  it('points at the offending character', () => {
    assert.deepEqual(findJsonSyntaxError('{"a": 1,\n}'), { offset: 9, message: "expected a string but found '}'" });
    assert.equal(findJsonSyntaxError('[1, 2')?.message, "expected ',' or ']' but found end of file");
  });
});
