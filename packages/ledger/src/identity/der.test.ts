import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDomainError } from '@medledger/core';

import {
  TAG,
  decodeOid,
  decodeTime,
  derToPem,
  directoryString,
  encodeUnsignedInteger,
  normalizeSerialHex,
  pemToDer,
  readSingle,
} from './der.js';

const invalid = (error: unknown): boolean => isDomainError(error) && error.code === 'INVALID_ARGUMENT';

function tlv(tag: number, content: Buffer | string): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}

describe('DER reader', () => {
  it('decodes OIDs, including large arcs', () => {
    assert.equal(decodeOid(readSingle(Buffer.from('06082a8648ce3d040302', 'hex'))), '1.2.840.10045.4.3.2');
    assert.equal(decodeOid(readSingle(Buffer.from('0603883703', 'hex'))), '2.999.3');
  });

  it('decodes UTCTime (with the 1950 pivot) and GeneralizedTime', () => {
    assert.equal(decodeTime(readSingle(tlv(TAG.utcTime, '250301120000Z'))), Date.UTC(2025, 2, 1, 12));
    assert.equal(decodeTime(readSingle(tlv(TAG.utcTime, '991231235959Z'))), Date.UTC(1999, 11, 31, 23, 59, 59));
    assert.equal(decodeTime(readSingle(tlv(TAG.generalizedTime, '20550101000000Z'))), Date.UTC(2055, 0, 1));
    assert.equal(
      decodeTime(readSingle(tlv(TAG.generalizedTime, '20250101000000.5Z'))),
      Date.UTC(2025, 0, 1, 0, 0, 0, 500),
    );
    for (const bad of ['250230120000Z', '2503011200Z', '250301120000+0100']) {
      assert.throws(() => decodeTime(readSingle(tlv(TAG.utcTime, bad))), invalid, bad);
    }
  });

  it('rejects indefinite, non-minimal and truncated lengths and trailing data', () => {
    assert.throws(() => readSingle(Buffer.from('3080', 'hex')), invalid);
    assert.throws(() => readSingle(Buffer.from('048105', 'hex')), invalid);
    assert.throws(() => readSingle(Buffer.from('0405aabb', 'hex')), invalid);
    assert.throws(() => readSingle(Buffer.from('0401aabb', 'hex')), invalid);
    assert.throws(() => readSingle(Buffer.from('1f0100', 'hex')), invalid);
  });

  it('decodes BMP and UTF-8 directory strings', () => {
    const bmp = Buffer.from('005a00eb', 'hex');
    assert.equal(directoryString({ oid: '2.5.4.3', tag: TAG.bmpString, raw: bmp }), 'Zë');
    assert.equal(directoryString({ oid: '2.5.4.3', tag: TAG.utf8String, raw: Buffer.from('Zoë') }), 'Zoë');
    assert.equal(directoryString({ oid: '2.5.4.3', tag: TAG.octetString, raw: Buffer.from('x') }), undefined);
  });

  it('spells serials canonically and encodes unsigned integers', () => {
    assert.equal(normalizeSerialHex('00AB:cd'), 'abcd');
    assert.equal(normalizeSerialHex('0x0000'), '0');
    assert.throws(() => normalizeSerialHex('xyz'), invalid);
    assert.deepEqual(encodeUnsignedInteger(Buffer.from([0x80])), Buffer.from('02020080', 'hex'));
    assert.deepEqual(encodeUnsignedInteger(Buffer.from([0, 0, 5])), Buffer.from('020105', 'hex'));
  });

  it('round-trips PEM and insists on the label', () => {
    const der = Buffer.from('300300010a', 'hex');
    const pem = derToPem(der, 'X509 CRL');
    assert.deepEqual(pemToDer(pem, 'X509 CRL'), der);
    assert.deepEqual(pemToDer(pem.replaceAll('X509 CRL', 'CRL'), 'X509 CRL', 'CRL'), der);
    assert.throws(() => pemToDer(pem, 'CERTIFICATE'), invalid);
    assert.throws(
      () => pemToDer('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----', 'CERTIFICATE'),
      invalid,
    );
  });
});
