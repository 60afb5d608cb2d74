import assert from 'node:assert/strict';
import { verify as cryptoVerify, webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';

import { isDomainError } from '@medledger/core';

import {
  STRING_TAG,
  derToPem,
  nodeCertificate,
  parseCertificateDer,
  parseCertificatePem,
  parseCrlPem,
  pemToDer,
  x509,
} from './certificates.js';

const invalid = (error: unknown): boolean => isDomainError(error) && error.code === 'INVALID_ARGUMENT';
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

describe('certificates', () => {
  let keys: webcrypto.CryptoKeyPair;
  let ca: x509.X509Certificate;

  before(async () => {
    keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '00ff01',
      name: 'CN=ca.lab, O=Lab',
      keys,
      signingAlgorithm: SIGNING,
      notBefore: new Date('1999-12-31T23:59:59Z'),
      notAfter: new Date('2055-06-01T12:00:00Z'),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
  });

  it('round-trips PEM and insists on the label', () => {
    const der = Buffer.from('300300010a', 'hex');
    const pem = derToPem(der, 'X509 CRL');
    assert.match(pem, /^-----BEGIN X509 CRL-----\nMAMAAQo=\n-----END X509 CRL-----\n$/);
    assert.deepEqual(pemToDer(pem, 'X509 CRL'), der);
    assert.deepEqual(pemToDer(pem.replaceAll('X509 CRL', 'CRL'), 'X509 CRL', 'CRL'), der);
    assert.throws(() => pemToDer(pem, 'CERTIFICATE'), invalid);
    assert.throws(
      () => pemToDer('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----', 'CERTIFICATE'),
      invalid,
    );
    assert.throws(() => pemToDer(42, 'CERTIFICATE'), invalid);
  });

  it('reads serial, validity (UTCTime and GeneralizedTime), algorithms and BasicConstraints', () => {
    const certificate = parseCertificatePem(ca.toString('pem'));
    assert.equal(certificate.serialHex, 'ff01');
    assert.equal(certificate.notBeforeMs, Date.UTC(1999, 11, 31, 23, 59, 59));
    assert.equal(certificate.notAfterMs, Date.UTC(2055, 5, 1, 12));
    assert.equal(certificate.signatureAlgorithmOid, '1.2.840.10045.4.3.2');
    assert.equal(certificate.publicKeyAlgorithmOid, '1.2.840.10045.2.1');
    assert.equal(certificate.isCa(), true);
    assert.equal(certificate.subjectKey(), certificate.issuerKey());
    assert.equal(nodeCertificate(ca.toString('pem')).verify(nodeCertificate(Buffer.from(ca.rawData)).publicKey), true);
  });

  it('reads every directory string type of a name, bytes of 8-bit types as UTF-8', async () => {
    const long = 'a'.repeat(130);
    const subject: x509.JsonName = [
      { CN: ['#0c045a6fc3ab'] },
      { O: ['#130548656c6c6f'] },
      { OU: ['#1403c3a961'] },
      { E: ['#1603614062'] },
      { '2.5.4.5': ['#1203313233'] },
      { L: [`#1a8182${Buffer.from(long).toString('hex')}`] },
      { ST: ['#1b03616263'] },
      { '2.5.4.12': ['#1e04005a00eb'] },
      { '2.5.4.4': ['#1c080000005a000000eb'] },
      { C: ['#0403616263'] },
    ];
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: '01',
      subject,
      issuer: ca.subjectName,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: SIGNING,
    });
    const parsed = parseCertificateDer(new Uint8Array(certificate.rawData));
    assert.deepEqual(
      parsed.subjectAttributes().map(({ oid, tag, text }) => [oid, tag, text]),
      [
        ['2.5.4.3', STRING_TAG.utf8, 'Zoë'],
        ['2.5.4.10', STRING_TAG.printable, 'Hello'],
        ['2.5.4.11', STRING_TAG.teletex, 'éa'],
        ['1.2.840.113549.1.9.1', STRING_TAG.ia5, 'a@b'],
        ['2.5.4.5', STRING_TAG.numeric, '123'],
        ['2.5.4.7', STRING_TAG.visible, long],
        ['2.5.4.8', STRING_TAG.general, 'abc'],
        ['2.5.4.12', STRING_TAG.bmp, 'Zë'],
        ['2.5.4.4', STRING_TAG.universal, 'Zë'],
        ['2.5.4.6', 0x04, undefined],
      ],
    );
    assert.deepEqual(
      parsed.issuerAttributes().map(({ oid, text }) => [oid, text]),
      [
        ['2.5.4.3', 'ca.lab'],
        ['2.5.4.10', 'Lab'],
      ],
    );
  });

  it('tells names apart as their encodings would: values, string types, order and RDN grouping all count', async () => {
    const subjectKey = async (name: x509.JsonName): Promise<string> => {
      const certificate = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name, keys });
      return parseCertificateDer(new Uint8Array(certificate.rawData)).subjectKey();
    };
    const key = await subjectKey([{ CN: ['ca'] }, { O: ['Lab'] }]);
    assert.equal(await subjectKey([{ CN: ['ca'] }, { O: ['Lab'] }]), key);
    assert.notEqual(await subjectKey([{ CN: ['ca'] }, { O: ['lab'] }]), key);
    assert.notEqual(await subjectKey([{ CN: ['#0c026361'] }, { O: ['Lab'] }]), key);
    assert.notEqual(await subjectKey([{ O: ['Lab'] }, { CN: ['ca'] }]), key);
    assert.notEqual(await subjectKey([{ CN: ['ca'], O: ['Lab'] }]), key);
  });

  it('rejects what is not a certificate with INVALID_ARGUMENT', () => {
    const der = Buffer.from(ca.rawData);
    assert.throws(() => parseCertificateDer(der.subarray(0, der.length - 10)), invalid);
    assert.throws(() => parseCertificateDer(Buffer.from('3003020101', 'hex')), invalid);
    assert.throws(() => parseCertificatePem(derToPem(Buffer.from('3003020101', 'hex'), 'CERTIFICATE')), invalid);
    assert.throws(() => nodeCertificate(der.subarray(0, der.length - 10)), invalid);
    assert.throws(() => nodeCertificate('garbage'), invalid);
  });

  it('reads a CRL: revoked serials in canonical form and the exact bytes that were signed', async () => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.subjectName,
      thisUpdate: new Date('2025-01-01T00:00:00Z'),
      nextUpdate: new Date('2025-01-08T00:00:00Z'),
      signingKey: keys.privateKey,
      signingAlgorithm: SIGNING,
      entries: [
        { serialNumber: '00ff', revocationDate: new Date('2025-01-01T00:00:00Z') },
        { serialNumber: '7f', revocationDate: new Date('2025-01-01T00:00:00Z') },
      ],
    });
    const parsed = parseCrlPem(derToPem(new Uint8Array(crl.rawData), 'X509 CRL'));
    assert.deepEqual(parsed.revokedSerials, ['ff', '7f']);
    assert.equal(parsed.algorithmsAgree, true);
    assert.equal(parsed.signatureAlgorithmOid, '1.2.840.10045.4.3.2');
    assert.equal(parsed.issuerKey(), parseCertificateDer(new Uint8Array(ca.rawData)).subjectKey());
    const caKey = nodeCertificate(Buffer.from(ca.rawData)).publicKey;
    const signature = new Uint8Array(parsed.signature);
    assert.equal(cryptoVerify('sha256', parsed.signedBytes, { key: caKey, dsaEncoding: 'der' }, signature), true);
    assert.throws(() => parseCrlPem(ca.toString('pem')), invalid);
    assert.throws(() => parseCrlPem(derToPem(Buffer.from('3003020101', 'hex'), 'X509 CRL')), invalid);
  });

  it('refuses a CRL without nextUpdate rather than lose its entries', async () => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.subjectName,
      thisUpdate: new Date('2025-01-01T00:00:00Z'),
      signingKey: keys.privateKey,
      signingAlgorithm: SIGNING,
      entries: [{ serialNumber: '7f', revocationDate: new Date('2025-01-01T00:00:00Z') }],
    });
    assert.throws(() => parseCrlPem(derToPem(new Uint8Array(crl.rawData), 'X509 CRL')), invalid);
  });
});
