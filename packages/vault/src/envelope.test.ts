import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationFailure,
  WRAPPED_KEY_BYTES,
  dataKeyAad,
  deriveHmacKey,
  newDataKey,
  openBox,
  plaintextHmac,
  recordAad,
  sealBox,
  sealedSha256,
  unwrapKey,
  wrapKey,
} from './envelope.js';

const binding = { recordId: 'r-0123456789abcdef01234567', version: 1, custodian: 'HospitalAMSP' };

describe('envelope encryption', () => {
  it('seals with AES-256-GCM and opens only with the same associated data', () => {
    const key = newDataKey();
    const plaintext = Buffer.from('{"resourceType":"Patient"}');
    const box = sealBox(key, plaintext, recordAad(binding));
    assert.deepEqual(openBox(key, box, recordAad(binding)), plaintext);
    for (const other of [
      { ...binding, recordId: 'r-0123456789abcdef01234568' },
      { ...binding, version: 2 },
      { ...binding, custodian: 'HospitalBMSP' },
    ]) {
      assert.throws(() => openBox(key, box, recordAad(other)), AuthenticationFailure);
    }
    assert.throws(() => openBox(newDataKey(), box, recordAad(binding)), AuthenticationFailure);
  });

  it('uses a fresh IV for every seal', () => {
    const key = newDataKey();
    const plaintext = Buffer.from('same');
    assert.notEqual(
      sealedSha256(sealBox(key, plaintext, recordAad(binding))),
      sealedSha256(sealBox(key, plaintext, recordAad(binding))),
    );
  });

  it('wraps a data key bound to its record and KEK', () => {
    const kek = newDataKey();
    const dataKey = newDataKey();
    const wrapped = wrapKey(kek, dataKey, dataKeyAad(binding, 'kek-v1-aaaaaaaa'));
    assert.equal(wrapped.length, WRAPPED_KEY_BYTES);
    const unwrapped = unwrapKey(kek, wrapped, dataKeyAad(binding, 'kek-v1-aaaaaaaa'));
    assert.deepEqual(unwrapped.export(), dataKey.export());
    assert.throws(() => unwrapKey(kek, wrapped, dataKeyAad(binding, 'kek-v2-bbbbbbbb')), AuthenticationFailure);
    assert.throws(
      () => unwrapKey(kek, wrapped, dataKeyAad({ ...binding, version: 2 }, 'kek-v1-aaaaaaaa')),
      AuthenticationFailure,
    );
    assert.throws(
      () => unwrapKey(kek, wrapped.subarray(1), dataKeyAad(binding, 'kek-v1-aaaaaaaa')),
      AuthenticationFailure,
    );
  });

  it('derives one HMAC key per custodian from the KEK', () => {
    const kek = newDataKey();
    const plaintext = Buffer.from('{"a":1}');
    const a1 = plaintextHmac(deriveHmacKey(kek, 'HospitalAMSP'), plaintext);
    assert.equal(a1, plaintextHmac(deriveHmacKey(kek, 'HospitalAMSP'), plaintext));
    assert.notEqual(a1, plaintextHmac(deriveHmacKey(kek, 'HospitalBMSP'), plaintext));
    assert.notEqual(a1, plaintextHmac(deriveHmacKey(newDataKey(), 'HospitalAMSP'), plaintext));
    assert.match(a1, /^[0-9a-f]{64}$/);
  });
});
