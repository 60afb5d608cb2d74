import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDomainError } from '@medledger/core';

import { FABRIC_ATTRIBUTE_OID, decodeFabricAttributes, encodeFabricAttributes } from './fabric-attributes.js';

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => isDomainError(error) && error.code === code;
}

describe('Fabric CA attribute extension', () => {
  it('uses the Fabric CA OID', () => {
    assert.equal(FABRIC_ATTRIBUTE_OID, '1.2.3.4.5.6.7.8.1');
  });

  it('round-trips attributes', () => {
    const attrs = { role: 'clinician', uid: 'dr.who@hospital-a', 'hf.Type': 'client', empty: '', note: 'a/b "c" ü 😀' };
    assert.deepEqual(decodeFabricAttributes(encodeFabricAttributes(attrs)), attrs);
  });

  it('writes {"attrs":{...}} with keys sorted as Go sorts map keys', () => {
    const encoded = encodeFabricAttributes({ uid: 'u1', role: 'patient', 'hf.Type': 'client', 'hf.Affiliation': '' });
    assert.equal(
      encoded.toString('utf8'),
      '{"attrs":{"hf.Affiliation":"","hf.Type":"client","role":"patient","uid":"u1"}}',
    );
  });

  it('orders keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const encoded = encodeFabricAttributes({ '😀': '1', Ａ: '2' }).toString('utf8');
    assert.equal(encoded, '{"attrs":{"Ａ":"2","😀":"1"}}');
  });

  it("escapes <, >, & and line separators as Go's encoder does", () => {
    const encoded = encodeFabricAttributes({ a: '<b>&\u2028' }).toString('utf8');
    assert.equal(encoded, '{"attrs":{"a":"\\u003cb\\u003e\\u0026\\u2028"}}');
    assert.deepEqual(decodeFabricAttributes(Buffer.from(encoded)), { a: '<b>&\u2028' });
  });

  it('rejects values that are not strings or not valid Unicode', () => {
    assert.throws(() => encodeFabricAttributes({ a: 1 as unknown as string }), rejectsWith('INVALID_ARGUMENT'));
    assert.throws(() => encodeFabricAttributes({ a: '\uD800' }), rejectsWith('INVALID_ARGUMENT'));
    assert.throws(() => encodeFabricAttributes({ '': 'x' }), rejectsWith('INVALID_ARGUMENT'));
  });

  it('rejects malformed extension values', () => {
    for (const bad of ['not json', '[]', '"x"', '{"attrs":[]}', '{"attrs":{"a":1}}', '{"attrs":"x"}']) {
      assert.throws(() => decodeFabricAttributes(Buffer.from(bad)), rejectsWith('INVALID_ARGUMENT'), bad);
    }
    assert.throws(() => decodeFabricAttributes(Buffer.from([0xff, 0xfe])), rejectsWith('INVALID_ARGUMENT'));
  });

  it('reads a value without attrs as no attributes and ignores other members', () => {
    assert.deepEqual(decodeFabricAttributes(Buffer.from('{}')), {});
    assert.deepEqual(decodeFabricAttributes(Buffer.from('{"attrs":{"a":"b"},"x":1}')), { a: 'b' });
  });

  it('keeps a "__proto__" attribute as plain data', () => {
    const decoded = decodeFabricAttributes(Buffer.from('{"attrs":{"__proto__":"x"}}'));
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value, 'x');
  });
});
