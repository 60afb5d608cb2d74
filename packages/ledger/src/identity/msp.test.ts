import 'reflect-metadata';

import assert from 'node:assert/strict';
import {
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
} from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as x509 from '@peculiar/x509';

import { isDomainError } from '@medledger/core';

import { EmbeddedCa } from './embedded-ca.js';
import { MembershipService, signData } from './msp.js';
import type { X509Identity } from './x509-identity.js';

x509.cryptoProvider.set(webcrypto);

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const NOW = Date.UTC(2025, 5, 1);
const DAY = 24 * 60 * 60 * 1000;

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => isDomainError(error) && error.code === code;
}

/** Splits a DER ECDSA signature into r and s (test helper; both short-form lengths for P-256). */
function components(signature: Buffer): { r: bigint; s: bigint } {
  const rLength = signature[3]!;
  const r = signature.subarray(4, 4 + rLength);
  const s = signature.subarray(4 + rLength + 2);
  return { r: BigInt(`0x${r.toString('hex')}`), s: BigInt(`0x${s.toString('hex')}`) };
}

function integer(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('MembershipService', () => {
  let root: string;
  let hospitalA: EmbeddedCa;
  let hospitalB: EmbeddedCa;
  let alice: X509Identity;
  let msp: MembershipService;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'medledger-msp-'));
    const open = (mspId: string): Promise<EmbeddedCa> =>
      EmbeddedCa.open({ directory: join(root, mspId), mspId, key: { rawKey: Buffer.alloc(32, 9) }, clock: () => NOW });
    hospitalA = await open('HospitalAMSP');
    hospitalB = await open('HospitalBMSP');
    await hospitalA.register({ uid: 'alice', role: 'clinician' });
    await hospitalB.register({ uid: 'bob', role: 'clinician' });
    alice = await hospitalA.enroll('alice');
  });

  before(() => {
    msp = new MembershipService();
    msp.addOrganization({ mspId: hospitalA.mspId, caCertPem: hospitalA.certPem });
    msp.addOrganization({ mspId: hospitalB.mspId, caCertPem: hospitalB.certPem });
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('validates an enrolled certificate as VALID for its own MSP', () => {
    assert.equal(msp.validateCertificate('HospitalAMSP', alice.certPem, NOW), 'VALID');
    assert.equal(msp.validateCertificate('HospitalAMSP', alice.certPem, NOW + 30 * DAY), 'VALID');
    assert.deepEqual(msp.mspIds(), ['HospitalAMSP', 'HospitalBMSP']);
    assert.equal(msp.caCertPem('HospitalAMSP'), hospitalA.certPem);
  });

  it("answers CERTIFICATE_UNKNOWN for another org's certificate, an unknown MSP or an unreadable PEM", async () => {
    const bob = await hospitalB.enroll('bob');
    assert.equal(msp.validateCertificate('HospitalAMSP', bob.certPem, NOW), 'CERTIFICATE_UNKNOWN');
    assert.equal(msp.validateCertificate('HospitalBMSP', bob.certPem, NOW), 'VALID');
    assert.equal(msp.validateCertificate('InsurerMSP', alice.certPem, NOW), 'CERTIFICATE_UNKNOWN');
    assert.equal(msp.validateCertificate('HospitalAMSP', 'garbage', NOW), 'CERTIFICATE_UNKNOWN');
    assert.equal(msp.validateCertificate('HospitalAMSP', '', NOW), 'CERTIFICATE_UNKNOWN');
  });

  it('answers CERTIFICATE_UNKNOWN for a look-alike CA (same name, other key)', async () => {
    const impostor = await EmbeddedCa.open({
      directory: join(root, 'impostor'),
      mspId: 'HospitalAMSP',
      key: { rawKey: Buffer.alloc(32, 1) },
      clock: () => NOW,
    });
    await impostor.register({ uid: 'alice', role: 'admin' });
    const forged = await impostor.enroll('alice');
    assert.equal(msp.validateCertificate('HospitalAMSP', forged.certPem, NOW), 'CERTIFICATE_UNKNOWN');
  });

  it('answers CERTIFICATE_UNKNOWN for a CA certificate or a certificate without a NodeOU', async () => {
    assert.equal(msp.validateCertificate('HospitalAMSP', hospitalA.certPem, NOW), 'CERTIFICATE_UNKNOWN');
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const other = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=ca.lab',
      keys,
      notBefore: new Date(NOW - DAY),
      notAfter: new Date(NOW + DAY),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const noOu = await x509.X509CertificateGenerator.create({
      subject: 'CN=someone',
      issuer: caCert.subjectName,
      publicKey: other.publicKey,
      signingKey: keys.privateKey,
      notBefore: new Date(NOW - DAY),
      notAfter: new Date(NOW + DAY),
    });
    const lab = new MembershipService();
    lab.addOrganization({ mspId: 'LabMSP', caCertPem: caCert.toString('pem') });
    assert.equal(lab.validateCertificate('LabMSP', noOu.toString('pem'), NOW), 'CERTIFICATE_UNKNOWN');
    const lenient = new MembershipService({ requireNodeOu: false });
    lenient.addOrganization({ mspId: 'LabMSP', caCertPem: caCert.toString('pem') });
    assert.equal(lenient.validateCertificate('LabMSP', noOu.toString('pem'), NOW), 'VALID');
  });

  it('applies a CRL of a CA other than the embedded one, and refuses a CRL without nextUpdate', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const leafKeys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const signing = { signingKey: keys.privateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } };
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=ca.lab2, O=Lab2',
      keys,
      notBefore: new Date(NOW - DAY),
      notAfter: new Date(NOW + DAY),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: '00a1',
      subject: 'OU=client, CN=someone',
      issuer: caCert.subjectName,
      publicKey: leafKeys.publicKey,
      notBefore: new Date(NOW - DAY),
      notAfter: new Date(NOW + DAY),
      ...signing,
    });
    const lab = new MembershipService();
    lab.addOrganization({ mspId: 'LabMSP', caCertPem: caCert.toString('pem') });
    assert.equal(lab.serialOf(leaf.toString('pem')), 'a1');
    assert.equal(lab.validateCertificate('LabMSP', leaf.toString('pem'), NOW), 'VALID');
    const crl = (nextUpdate: Date | undefined): Promise<x509.X509Crl> =>
      x509.X509CrlGenerator.create({
        issuer: caCert.subjectName,
        thisUpdate: new Date(NOW),
        nextUpdate,
        entries: [{ serialNumber: 'a1', revocationDate: new Date(NOW) }],
        ...signing,
      });
    // Such a CRL is refused outright: it must never be taken as listing nothing.
    const withoutNextUpdate = (await crl(undefined)).toString('pem');
    assert.throws(() => lab.applyCrl('LabMSP', withoutNextUpdate), rejectsWith('INVALID_ARGUMENT'));
    assert.equal(lab.validateCertificate('LabMSP', leaf.toString('pem'), NOW), 'VALID');
    assert.equal(lab.applyCrl('LabMSP', (await crl(new Date(NOW + DAY))).toString('pem')), 1);
    assert.equal(lab.validateCertificate('LabMSP', leaf.toString('pem'), NOW), 'CERTIFICATE_REVOKED');
    assert.deepEqual([...lab.revokedSerials('LabMSP')], ['a1']);
  });

  it('answers CERTIFICATE_EXPIRED outside the validity window (a certificate issued with a past validity)', async () => {
    const expired = await hospitalA.enroll('alice', {
      notBefore: new Date(NOW - 10 * DAY),
      notAfter: new Date(NOW - DAY),
    });
    assert.equal(msp.validateCertificate('HospitalAMSP', expired.certPem, NOW), 'CERTIFICATE_EXPIRED');
    assert.equal(msp.validateCertificate('HospitalAMSP', alice.certPem, NOW - DAY), 'CERTIFICATE_EXPIRED');
    assert.equal(msp.validateCertificate('HospitalAMSP', alice.certPem, NOW + 400 * DAY), 'CERTIFICATE_EXPIRED');
  });

  it('answers CERTIFICATE_REVOKED after revocation, through the CA CRL or directly', async () => {
    await hospitalA.register({ uid: 'mallory', role: 'clinician' });
    const mallory = await hospitalA.enroll('mallory');
    const serial = msp.serialOf(mallory.certPem)!;
    const fresh = new MembershipService();
    fresh.addOrganization({ mspId: 'HospitalAMSP', caCertPem: hospitalA.certPem });
    assert.equal(fresh.validateCertificate('HospitalAMSP', mallory.certPem, NOW), 'VALID');

    await hospitalA.revoke(serial, 'privilegeWithdrawn');
    const crl = await hospitalA.crl();
    assert.ok(crl.revokedSerials.has(serial));
    assert.equal(fresh.applyCrl('HospitalAMSP', crl.pem), 1);
    assert.equal(fresh.applyCrl('HospitalAMSP', crl.pem), 0);
    assert.equal(fresh.validateCertificate('HospitalAMSP', mallory.certPem, NOW), 'CERTIFICATE_REVOKED');
    assert.equal(fresh.validateCertificate('HospitalAMSP', alice.certPem, NOW), 'VALID');
    assert.ok(fresh.revokedSerials('HospitalAMSP').has(serial));

    msp.revoke('HospitalAMSP', serial.toUpperCase());
    assert.equal(msp.validateCertificate('HospitalAMSP', mallory.certPem, NOW), 'CERTIFICATE_REVOKED');
    const seeded = new MembershipService();
    seeded.addOrganization({ mspId: 'HospitalAMSP', caCertPem: hospitalA.certPem, revokedSerials: [serial] });
    assert.equal(seeded.validateCertificate('HospitalAMSP', mallory.certPem, NOW), 'CERTIFICATE_REVOKED');
  });

  it("refuses a CRL signed by another org's CA and revocations for an unknown MSP", async () => {
    const crlB = await hospitalB.crl();
    assert.throws(() => msp.applyCrl('HospitalAMSP', crlB.pem), rejectsWith('INVALID_ARGUMENT'));
    assert.throws(() => msp.applyCrl('HospitalAMSP', 'garbage'), rejectsWith('INVALID_ARGUMENT'));
    assert.throws(() => {
      msp.revoke('NoSuchMSP', 'ab');
    }, rejectsWith('NOT_FOUND'));
  });

  it('refuses a root that is not a self-signed CA', () => {
    const fresh = new MembershipService();
    assert.throws(() => {
      fresh.addOrganization({ mspId: 'HospitalAMSP', caCertPem: alice.certPem });
    }, rejectsWith('INVALID_ARGUMENT'));
    assert.throws(() => {
      fresh.addOrganization({ mspId: '', caCertPem: hospitalA.certPem });
    }, rejectsWith('INVALID_ARGUMENT'));
  });

  it('verifies signatures: true for the signed data, false for tampered data, another key or garbage', () => {
    const data = Buffer.from('{"txId":"abc","fcn":"AuthorizeAccess"}');
    const signature = msp.sign(alice.privateKey, data);
    assert.equal(msp.verifySignature(alice.certPem, data, signature), true);
    const tampered = Buffer.from(data);
    tampered[5] = tampered[5]! ^ 0x01;
    assert.equal(msp.verifySignature(alice.certPem, tampered, signature), false);
    assert.equal(msp.verifySignature(hospitalA.certPem, data, signature), false);
    assert.equal(msp.verifySignature(alice.certPem, data, 'not base64!'), false);
    assert.equal(msp.verifySignature(alice.certPem, data, ''), false);
    assert.equal(msp.verifySignature(alice.certPem, data, Buffer.from('junk').toString('base64')), false);
    assert.equal(msp.verifySignature('garbage', data, signature), false);
  });

  it('signs low-S only and rejects the high-S twin of a valid signature (Fabric malleability rule)', () => {
    const data = Buffer.from('payload');
    for (let i = 0; i < 16; i += 1) {
      const { s } = components(Buffer.from(signData(alice.privateKey, data), 'base64'));
      assert.ok(s <= P256_N >> 1n);
    }
    const raw = cryptoSign('sha256', data, { key: alice.privateKey, dsaEncoding: 'der' });
    const { r, s } = components(raw);
    const low = s <= P256_N >> 1n ? s : P256_N - s;
    assert.equal(msp.verifySignature(alice.certPem, data, derSignature(r, low).toString('base64')), true);
    const high = derSignature(r, P256_N - low);
    // The twin is a mathematically valid ECDSA signature; only Fabric's low-S rule refuses it.
    assert.equal(cryptoVerify('sha256', data, { key: createPublicKey(alice.certPem), dsaEncoding: 'der' }, high), true);
    assert.equal(msp.verifySignature(alice.certPem, data, high.toString('base64')), false);
  });

  it('refuses to sign with a key that is not P-256', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    assert.throws(() => signData(privateKey, Buffer.from('x')), rejectsWith('INVALID_ARGUMENT'));
  });

  it('classifies NodeOUs', async () => {
    assert.equal(msp.nodeOu(alice.certPem), 'client');
    assert.equal(msp.nodeOu((await hospitalA.enrollNode('peer0', 'peer')).certPem), 'peer');
    assert.equal(msp.nodeOu(hospitalA.certPem), null);
    assert.equal(msp.nodeOu('garbage'), null);
  });
});
