import 'reflect-metadata';

import assert from 'node:assert/strict';
import { createPublicKey, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import * as x509 from '@peculiar/x509';

import { isDomainError } from '@medledger/core';

import { EmbeddedCa } from './embedded-ca.js';
import type { EmbeddedCaOptions } from './embedded-ca.js';
import { FABRIC_ATTRIBUTE_OID, decodeFabricAttributes } from './fabric-attributes.js';
import { MembershipService } from './msp.js';

x509.cryptoProvider.set(webcrypto);

const KEY = { rawKey: Buffer.alloc(32, 3) };

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => isDomainError(error) && error.code === code;
}

describe('EmbeddedCa', () => {
  let root: string;
  let options: EmbeddedCaOptions;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'medledger-ca-'));
    options = { directory: join(root, 'hospital-a-ca'), mspId: 'HospitalAMSP', key: KEY };
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('creates a self-signed P-256 root CN=ca.<domain>, O=<org> with CA constraints and SKI', async () => {
    const ca = await EmbeddedCa.open(options);
    const certificate = new x509.X509Certificate(ca.certPem);
    assert.equal(certificate.subject, 'CN=ca.hospitala.medledger.local, O=HospitalA');
    assert.equal(certificate.issuer, certificate.subject);
    assert.equal(await certificate.verify({ signatureOnly: true }), true);
    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.equal(
      certificate.getExtension(x509.KeyUsagesExtension)?.usages,
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(createPublicKey(ca.certPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('keeps its files owner-only (directory 0700, files 0600) and the CA key encrypted', async () => {
    const ca = await EmbeddedCa.open(options);
    await ca.register({ uid: 'alice', role: 'patient' });
    assert.equal(statSync(options.directory).mode & 0o777, 0o700);
    for (const name of readdirSync(options.directory)) {
      assert.equal(statSync(join(options.directory, name)).mode & 0o777, 0o600, name);
    }
    const keyFile = readFileSync(join(options.directory, 'ca-key.json'), 'utf8');
    assert.doesNotMatch(keyFile, /PRIVATE KEY/);
    assert.equal((JSON.parse(keyFile) as { alg: string }).alg, 'A256GCM');
  });

  it('persists across reopen: same root, registrations, certificates and revocations', async () => {
    const first = await EmbeddedCa.open(options);
    await first.register({ uid: 'alice', role: 'patient', attrs: { ward: 'B' } });
    const alice = await first.enroll('alice');
    const serial = new MembershipService().serialOf(alice.certPem)!;
    await first.revoke(serial, 'keyCompromise');

    const reopened = await EmbeddedCa.open(options);
    assert.equal(reopened.certPem, first.certPem);
    assert.deepEqual(reopened.registration('alice'), first.registration('alice'));
    assert.deepEqual(reopened.issuedCertificates(), first.issuedCertificates());
    assert.deepEqual([...reopened.revokedSerials()], [serial]);
    assert.deepEqual(
      reopened.revocations().map((entry) => [entry.serial, entry.reason]),
      [[serial, 'keyCompromise']],
    );
    // The reopened CA signs with the same key: its new certificates chain to the same root.
    const msp = new MembershipService();
    msp.addOrganization({ mspId: 'HospitalAMSP', caCertPem: first.certPem });
    assert.equal(
      msp.validateCertificate('HospitalAMSP', (await reopened.enroll('alice')).certPem, Date.now()),
      'VALID',
    );
  });

  it('refuses to reopen with a wrong key', async () => {
    await EmbeddedCa.open(options);
    await assert.rejects(
      EmbeddedCa.open({ ...options, key: { rawKey: Buffer.alloc(32, 4) } }),
      rejectsWith('UNAUTHENTICATED'),
    );
  });

  it('refuses a registry modified outside the CA (e.g. a revocation removed)', async () => {
    const ca = await EmbeddedCa.open(options);
    await ca.register({ uid: 'alice', role: 'patient' });
    await ca.revoke(new MembershipService().serialOf((await ca.enroll('alice')).certPem)!);
    const path = join(options.directory, 'registry.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as { body: { revocations: unknown[] } };
    file.body.revocations = [];
    writeFileSync(path, JSON.stringify(file));
    await assert.rejects(EmbeddedCa.open(options), rejectsWith('UNAUTHENTICATED'));
  });

  it('refuses to reopen as another MSP', async () => {
    await EmbeddedCa.open(options);
    await assert.rejects(EmbeddedCa.open({ ...options, mspId: 'HospitalBMSP' }), rejectsWith('INVALID_ARGUMENT'));
    await assert.rejects(EmbeddedCa.open({ ...options, domain: 'other.example' }), rejectsWith('INVALID_ARGUMENT'));
  });

  it('opens with a passphrase (scrypt) as well as with a raw key', async () => {
    const withPassphrase = { ...options, key: { passphrase: 'correct horse battery staple' }, unsafeScryptLogN: 10 };
    const ca = await EmbeddedCa.open(withPassphrase);
    assert.equal((await EmbeddedCa.open(withPassphrase)).certPem, ca.certPem);
    await assert.rejects(
      EmbeddedCa.open({ ...withPassphrase, key: { passphrase: 'wrong' } }),
      rejectsWith('UNAUTHENTICATED'),
    );
  });

  it('validates registrations: uid pattern, role, reserved and malformed attributes, unique uid', async () => {
    const ca = await EmbeddedCa.open(options);
    const record = await ca.register({ uid: 'dr.grey@hospital-a', role: 'clinician', attrs: { ward: 'ICU' } });
    assert.equal(record.uid, 'dr.grey@hospital-a');
    assert.deepEqual(record.attrs, { ward: 'ICU' });
    const invalid = rejectsWith('INVALID_ARGUMENT');
    await assert.rejects(ca.register({ uid: '../etc', role: 'patient' }), invalid);
    await assert.rejects(ca.register({ uid: '', role: 'patient' }), invalid);
    await assert.rejects(ca.register({ uid: 'a'.repeat(65), role: 'patient' }), invalid);
    await assert.rejects(ca.register({ uid: 'bob', role: 'surgeon' as never }), invalid);
    await assert.rejects(ca.register({ uid: 'bob', role: 'patient', attrs: { role: 'admin' } }), invalid);
    await assert.rejects(ca.register({ uid: 'bob', role: 'patient', attrs: { 'hf.Type': 'peer' } }), invalid);
    await assert.rejects(ca.register({ uid: 'bob', role: 'patient', attrs: { x: 1 as never } }), invalid);
    await assert.rejects(ca.register({ uid: 'DR.GREY@hospital-a', role: 'patient' }), rejectsWith('ALREADY_EXISTS'));
    assert.deepEqual(
      ca.registrations().map((entry) => entry.uid),
      ['dr.grey@hospital-a'],
    );
  });

  it('enrolls a Fabric-CA-shaped client certificate', async () => {
    const now = Date.UTC(2025, 2, 1);
    const ca = await EmbeddedCa.open({ ...options, clock: () => now });
    await ca.register({ uid: 'dr.grey', role: 'clinician', attrs: { ward: 'ICU' } });
    const identity = await ca.enroll('dr.grey');
    assert.equal(identity.mspId, 'HospitalAMSP');
    assert.equal(identity.privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const certificate = new x509.X509Certificate(identity.certPem);
    const root = new x509.X509Certificate(ca.certPem);
    assert.equal(certificate.subject, 'OU=client+OU=hospitala, CN=dr.grey');
    assert.equal(certificate.issuer, root.subject);
    assert.equal(await certificate.verify({ publicKey: root, signatureOnly: true }), true);
    assert.match(certificate.serialNumber, /^[0-7][0-9a-f]{39}$/);
    assert.equal(certificate.notBefore.getTime(), now - 5 * 60 * 1000);
    assert.equal(certificate.notAfter.getTime(), now + 365 * 24 * 60 * 60 * 1000);
    assert.equal(certificate.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(
      certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
      root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    const extension = certificate.getExtension(FABRIC_ATTRIBUTE_OID);
    assert.ok(extension);
    assert.equal(extension.critical, false);
    assert.deepEqual(
      { ...decodeFabricAttributes(new Uint8Array(extension.value)) },
      {
        'hf.Affiliation': 'hospitala',
        'hf.EnrollmentID': 'dr.grey',
        'hf.Type': 'client',
        role: 'clinician',
        uid: 'dr.grey',
        ward: 'ICU',
      },
    );
  });

  it('issues a new certificate and key on each enrollment', async () => {
    const ca = await EmbeddedCa.open(options);
    await ca.register({ uid: 'alice', role: 'patient' });
    const first = await ca.enroll('alice');
    const second = await ca.enroll('alice');
    assert.notEqual(first.certPem, second.certPem);
    assert.equal(ca.issuedCertificates().length, 2);
  });

  it('refuses to enroll an unregistered uid', async () => {
    const ca = await EmbeddedCa.open(options);
    await assert.rejects(ca.enroll('nobody'), rejectsWith('NOT_FOUND'));
  });

  it('honours an explicit validity and refuses an empty or longer-than-CA one', async () => {
    const ca = await EmbeddedCa.open(options);
    await ca.register({ uid: 'alice', role: 'patient' });
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2020-01-02T00:00:00Z');
    const certificate = new x509.X509Certificate((await ca.enroll('alice', { notBefore, notAfter })).certPem);
    assert.equal(certificate.notBefore.getTime(), notBefore.getTime());
    assert.equal(certificate.notAfter.getTime(), notAfter.getTime());
    await assert.rejects(
      ca.enroll('alice', { notBefore: notAfter, notAfter: notBefore }),
      rejectsWith('INVALID_ARGUMENT'),
    );
    await assert.rejects(ca.enroll('alice', { notAfter: new Date('2200-01-01') }), rejectsWith('INVALID_ARGUMENT'));
  });

  it('enrolls peer and orderer identities with their NodeOU and no role', async () => {
    const ca = await EmbeddedCa.open(options);
    const peer = await ca.enrollNode('peer0', 'peer');
    const orderer = await ca.enrollNode('orderer0', 'orderer');
    const peerCertificate = new x509.X509Certificate(peer.certPem);
    assert.equal(peerCertificate.subject, 'OU=peer+OU=hospitala, CN=peer0.hospitala.medledger.local');
    assert.equal(
      new x509.X509Certificate(orderer.certPem).subject,
      'OU=orderer+OU=hospitala, CN=orderer0.hospitala.medledger.local',
    );
    const attrs = decodeFabricAttributes(new Uint8Array(peerCertificate.getExtension(FABRIC_ATTRIBUTE_OID)!.value));
    assert.equal(attrs['hf.Type'], 'peer');
    assert.equal(Object.hasOwn(attrs, 'role'), false);
    const msp = new MembershipService();
    assert.equal(msp.nodeOu(peer.certPem), 'peer');
    assert.equal(msp.nodeOu(orderer.certPem), 'orderer');
    await assert.rejects(ca.enrollNode('Peer_0', 'peer'), rejectsWith('INVALID_ARGUMENT'));
    await assert.rejects(ca.enrollNode('peer1', 'client' as never), rejectsWith('INVALID_ARGUMENT'));
  });

  it('orders a multi-valued OU RDN as DER (and Go) require', async () => {
    const ca = await EmbeddedCa.open({ ...options, mspId: 'ResearchMSP' });
    const peer = await ca.enrollNode('peer0', 'peer');
    // "peer" (4 bytes) encodes shorter than "research" (8 bytes), so it sorts first.
    assert.match(new x509.X509Certificate(peer.certPem).subject, /^OU=peer\+OU=research, /);
    const org = await EmbeddedCa.open({ directory: join(root, 'ins'), mspId: 'InsMSP', key: KEY });
    assert.match(
      new x509.X509Certificate((await org.enrollNode('o1', 'orderer')).certPem).subject,
      /^OU=ins\+OU=orderer, /,
    );
  });

  it('revokes a certificate and lists it in a CRL signed by the root', async () => {
    let now = Date.UTC(2025, 5, 1);
    const ca = await EmbeddedCa.open({ ...options, clock: () => now });
    await ca.register({ uid: 'alice', role: 'patient' });
    await ca.register({ uid: 'bob', role: 'patient' });
    const alice = await ca.enroll('alice');
    const bob = await ca.enroll('bob');
    const serial = new x509.X509Certificate(alice.certPem).serialNumber;
    const revocation = await ca.revoke(serial.toUpperCase(), 'keyCompromise');
    assert.equal(revocation.serial, serial.replace(/^0+/, ''));

    const crl = await ca.crl();
    assert.deepEqual([...crl.revokedSerials], [revocation.serial]);
    assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/);
    const parsed = new x509.X509Crl(crl.pem);
    assert.equal(await parsed.verify({ publicKey: new x509.X509Certificate(ca.certPem) }), true);
    assert.equal(parsed.issuer, new x509.X509Certificate(ca.certPem).subject);
    assert.equal(parsed.findRevoked(serial)?.reason, x509.X509CrlReason.keyCompromise);
    assert.equal(parsed.findRevoked(new x509.X509Certificate(bob.certPem).serialNumber), null);
    assert.equal(parsed.thisUpdate.getTime(), now);
    assert.equal(parsed.nextUpdate?.getTime(), now + 7 * 24 * 60 * 60 * 1000);
    // The CRL number extension (2.5.29.20) holds the DER INTEGER of the CRL number.
    const crlNumber = parsed.getExtension('2.5.29.20')?.value ?? new ArrayBuffer(0);
    assert.deepEqual(Buffer.from(new Uint8Array(crlNumber)), Buffer.from([0x02, 0x01, crl.crlNumber]));

    // Cached until something changes; a new revocation (or half the validity) gives a new CRL number.
    assert.equal((await ca.crl()).crlNumber, crl.crlNumber);
    now += 4 * 24 * 60 * 60 * 1000;
    const later = await ca.crl();
    assert.equal(later.crlNumber, crl.crlNumber + 1);
    await ca.revoke(new x509.X509Certificate(bob.certPem).serialNumber);
    const third = await ca.crl();
    assert.equal(third.crlNumber, crl.crlNumber + 2);
    assert.equal(third.revokedSerials.size, 2);
  });

  it('treats a repeated revocation as done and an unknown serial as not found', async () => {
    const ca = await EmbeddedCa.open(options);
    await ca.register({ uid: 'alice', role: 'patient' });
    const serial = new x509.X509Certificate((await ca.enroll('alice')).certPem).serialNumber;
    const first = await ca.revoke(serial, 'superseded');
    assert.deepEqual(await ca.revoke(serial), first);
    await assert.rejects(ca.revoke('abcdef'), rejectsWith('NOT_FOUND'));
    await assert.rejects(ca.revoke('xyz'), rejectsWith('INVALID_ARGUMENT'));
    await assert.rejects(ca.revoke(serial, 'certificateHold' as never), rejectsWith('INVALID_ARGUMENT'));
  });

  it('serialises concurrent operations without losing registry writes', async () => {
    const ca = await EmbeddedCa.open(options);
    await Promise.all(Array.from({ length: 8 }, (_, index) => ca.register({ uid: `user${index}`, role: 'patient' })));
    await Promise.all(Array.from({ length: 8 }, (_, index) => ca.enroll(`user${index}`)));
    const reopened = await EmbeddedCa.open(options);
    assert.equal(reopened.registrations().length, 8);
    assert.equal(reopened.issuedCertificates().length, 8);
  });
});
