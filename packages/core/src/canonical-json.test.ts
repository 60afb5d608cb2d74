import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { canonicalJson } from './canonical-json.js';
import { DomainError } from './errors.js';

function assertInvalid(value: unknown): void {
  assert.throws(
    () => canonicalJson(value),
    (error: unknown) => error instanceof DomainError && error.code === 'INVALID_ARGUMENT',
  );
}

void describe('canonicalJson', () => {
  void it('sorts object keys', () => {
    assert.equal(canonicalJson({ b: 1, a: 2, c: 3 }), '{"a":2,"b":1,"c":3}');
  });

  void it('sorts keys at every depth, including objects inside arrays', () => {
    const value = { z: { y: 1, x: [{ b: true, a: null }] }, a: 'first' };
    assert.equal(canonicalJson(value), '{"a":"first","z":{"x":[{"a":null,"b":true}],"y":1}}');
  });

  void it('gives identical bytes whatever the insertion order', () => {
    const one = { patientId: 'p-1', status: 'active', provision: { type: 'deny', actor: [] }, version: 2 };
    const two = { version: 2, provision: { actor: [], type: 'deny' }, status: 'active', patientId: 'p-1' };
    assert.equal(canonicalJson(one), canonicalJson(two));
  });

  void it('orders keys by UTF-16 code unit', () => {
    const keys = ['b', '\uFFFF', 'a', '\u{1F600}', 'B', 'é', '10', '9'];
    const value = Object.fromEntries(keys.map((key) => [key, 0]));
    const order = Object.keys(JSON.parse(canonicalJson(value)) as Record<string, number>);
    // numeric-looking keys are re-ordered by JS objects themselves, so compare the non-numeric ones
    assert.deepEqual(
      order.filter((key) => !/^\d+$/.test(key)),
      ['B', 'a', 'b', 'é', '\u{1F600}', '\uFFFF'],
    );
    assert.equal(canonicalJson({ '9': 0, '10': 0 }), '{"10":0,"9":0}');
  });

  void it('keeps array order', () => {
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
  });

  void it('writes no whitespace', () => {
    assert.doesNotMatch(canonicalJson({ a: [1, { b: 2 }], c: 'x y' }).replace('x y', ''), /\s/);
  });

  void it('omits undefined members, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  });

  void it('writes undefined array items as null, as JSON.stringify does', () => {
    assert.equal(canonicalJson([1, undefined, 3]), '[1,null,3]');
  });

  void it('encodes primitives exactly as JSON.stringify does', () => {
    for (const value of [
      null,
      true,
      false,
      0,
      -0,
      1.5,
      -42,
      1e21,
      5e-324,
      '',
      'plain',
      'quote " and backslash \\',
      'line\nbreak\u2028',
      'é😀',
      '\u0000',
    ]) {
      assert.equal(canonicalJson(value), JSON.stringify(value), String(value));
    }
  });

  void it('produces JSON that parses back to an equal value', () => {
    const value = { id: 'c-1', n: [1, 2.5, -3], nested: { t: true, f: false, z: null, s: 'ü' }, empty: {}, list: [] };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  void it('is idempotent through a parse', () => {
    const text = canonicalJson({ b: [{ d: 1, c: 2 }], a: 'x' });
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });

  void it('rejects NaN and infinities with INVALID_ARGUMENT, also when nested', () => {
    for (const value of [NaN, Infinity, -Infinity, { a: NaN }, [1, Infinity], { deep: { list: [-Infinity] } }])
      assertInvalid(value);
  });

  void it('rejects values JSON cannot represent: bigint, functions, symbols, top-level undefined', () => {
    for (const value of [10n, { big: 1n }, () => 1, { f: () => 1 }, Symbol('s'), [Symbol('s')], undefined])
      assertInvalid(value);
  });
});
