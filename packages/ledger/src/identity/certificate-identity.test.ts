import 'reflect-metadata';

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as x509 from '@peculiar/x509';
import { ClientIdentity } from 'fabric-shim';

import { isDomainError } from '@medledger/core';

import { CertificateIdentity, certificateAttributes } from './certificate-identity.js';
import { EmbeddedCa } from './embedded-ca.js';
import { FABRIC_ATTRIBUTE_OID } from './fabric-attributes.js';

x509.cryptoProvider.set(webcrypto);

const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

interface Sample {
  readonly name: string;
  readonly mspId: string;
  readonly certPem: string;
}

function fabricShimIdentity(mspId: string, certPem: string): ClientIdentity {
  const stub = {
    getChannelID: () => 'medledger',
    getTxID: () => 'tx1',
    getCreator: () => ({ mspid: mspId, idBytes: new TextEncoder().encode(certPem) }),
  };
  return new ClientIdentity(stub as never);
}

async function craft(
  subject: x509.JsonName,
  issuerName: x509.JsonName,
  attrsJson: string | undefined,
): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (attrsJson !== undefined) extensions.push(new x509.Extension(FABRIC_ATTRIBUTE_OID, false, Buffer.from(attrsJson)));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '00ab12',
    subject,
    issuer: issuerName,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      ...extensions,
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'peer0.example.org' },
        { type: 'ip', value: '10.0.0.1' },
        { type: 'ip', value: '2001:db8::1' },
      ]),
    ],
  });
  return certificate.toString('pem');
}

describe('CertificateIdentity', () => {
  let directory: string;
  const samples: Sample[] = [];

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'medledger-cid-'));
    const ca = await EmbeddedCa.open({
      directory: join(directory, 'ca'),
      mspId: 'HospitalAMSP',
      key: { rawKey: Buffer.alloc(32, 7) },
    });
    await ca.register({ uid: 'dr.grey@hospital-a', role: 'clinician', attrs: { ward: 'icu/north/2' } });
    await ca.register({ uid: 'P-000123', role: 'patient' });
    samples.push({
      name: 'embedded CA clinician',
      mspId: ca.mspId,
      certPem: (await ca.enroll('dr.grey@hospital-a')).certPem,
    });
    samples.push({ name: 'embedded CA patient', mspId: ca.mspId, certPem: (await ca.enroll('P-000123')).certPem });
    samples.push({
      name: 'embedded CA peer',
      mspId: ca.mspId,
      certPem: (await ca.enrollNode('peer0', 'peer')).certPem,
    });
    samples.push({ name: 'embedded CA root', mspId: ca.mspId, certPem: ca.certPem });
    samples.push({
      name: 'no attribute extension, several OUs, O/C/ST/L/E and slashes',
      mspId: 'InsurerMSP',
      certPem: await craft(
        [
          { C: ['US'] },
          { ST: ['California'] },
          { L: ['San Francisco'] },
          { O: ['insurer.example.com'] },
          { OU: ['client'] },
          { OU: ['insurer/claims/west'] },
          { OU: ['department1'] },
          { CN: ['adjuster/1'] },
          { E: ['adjuster@insurer.example.com'] },
        ],
        [{ C: ['US'] }, { O: ['insurer.example.com'] }, { CN: ['ca.insurer.example.com'] }],
        undefined,
      ),
    });
    samples.push({
      name: 'multi-valued OU RDN, serialNumber attribute, UTF-8 CN and attributes with empty values',
      mspId: 'ResearchMSP',
      certPem: await craft(
        [{ OU: ['client', 'research', 'dept.genomics'] }, { CN: ['Zoë Müller'] }, { '2.5.4.5': ['SN-42'] }],
        [{ CN: ['ca.research'] }, { O: ['research'] }],
        JSON.stringify({
          attrs: { role: 'researcher', uid: 'zoe', 'hf.Affiliation': '', 'hf.Type': 'client', study: 'S/1' },
        }),
      ),
    });
    samples.push({
      name: 'T61String, NumericString and GeneralString values',
      mspId: 'LabMSP',
      certPem: await craft(
        [{ OU: ['client'] }, { O: ['#14036c6162'] }, { '2.5.4.5': ['#1203343231'] }, { CN: ['#1b07612f622f632f64'] }],
        [{ CN: ['ca.lab'] }],
        JSON.stringify({ attrs: { role: 'researcher' } }),
      ),
    });
  });

  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it("answers exactly as fabric-shim's ClientIdentity", () => {
    const names = ['role', 'uid', 'hf.EnrollmentID', 'hf.Type', 'hf.Affiliation', 'ward', 'study', 'missing'];
    for (const sample of samples) {
      const real = fabricShimIdentity(sample.mspId, sample.certPem);
      const ours = new CertificateIdentity(sample.mspId, sample.certPem);
      assert.equal(ours.getID(), real.getID(), sample.name);
      assert.equal(ours.getMSPID(), real.getMSPID(), sample.name);
      assert.deepEqual(Buffer.from(ours.getIDBytes()), Buffer.from(real.getIDBytes()), sample.name);
      for (const name of names) {
        const expected = real.getAttributeValue(name);
        assert.equal(ours.getAttributeValue(name), expected, `${sample.name}: ${name}`);
        assert.equal(
          ours.assertAttributeValue(name, expected ?? 'x'),
          real.assertAttributeValue(name, expected ?? 'x'),
        );
        assert.equal(ours.assertAttributeValue(name, 'other'), real.assertAttributeValue(name, 'other'));
      }
    }
  });

  it('renders the ID the way fabric-shim does, quirks included', () => {
    const sample = samples.find((candidate) => candidate.name.startsWith('no attribute extension'))!;
    assert.equal(
      new CertificateIdentity(sample.mspId, sample.certPem).getID(),
      'x509::/C=US/ST=California/L=San Francisco/O=insurer.example.com/OU=client/OU=insurer\\/claims/west' +
        '/OU=department1/CN=adjuster\\/1/E=adjuster@insurer.example.com::/C=US/O=insurer.example.com/CN=ca.insurer.example.com',
    );
  });

  it('gives role and uid of an embedded CA enrollment certificate', () => {
    const sample = samples[0]!;
    const identity = new CertificateIdentity(sample.mspId, sample.certPem);
    assert.equal(identity.getAttributeValue('role'), 'clinician');
    assert.equal(identity.getAttributeValue('uid'), 'dr.grey@hospital-a');
    assert.equal(identity.getAttributeValue('hf.Type'), 'client');
    assert.equal(identity.getAttributeValue('ward'), 'icu/north/2');
    assert.equal(identity.getAttributeValue('constructor'), null);
    assert.deepEqual(
      { ...certificateAttributes(sample.certPem) },
      {
        'hf.Affiliation': 'hospitala',
        'hf.EnrollmentID': 'dr.grey@hospital-a',
        'hf.Type': 'client',
        role: 'clinician',
        uid: 'dr.grey@hospital-a',
        ward: 'icu/north/2',
      },
    );
  });

  it('returns a copy of the ID bytes', () => {
    const sample = samples[0]!;
    const identity = new CertificateIdentity(sample.mspId, sample.certPem);
    identity.getIDBytes().fill(0);
    assert.equal(new TextDecoder().decode(identity.getIDBytes()), sample.certPem);
  });

  it('describes the certificate in the shape fabric-shim 1.4 documented', () => {
    const sample = samples.find((candidate) => candidate.name.startsWith('no attribute extension'))!;
    const info = new CertificateIdentity(sample.mspId, sample.certPem).getX509Certificate();
    const node = new NodeX509Certificate(sample.certPem);
    assert.equal(info.serial, node.serialNumber);
    assert.equal(info.fingerPrint, node.fingerprint);
    assert.equal(new Date(info.notBefore).getTime(), new Date(node.validFrom).getTime());
    assert.equal(new Date(info.notAfter).getTime(), new Date(node.validTo).getTime());
    assert.equal(info.signatureAlgorithm, 'ecdsa-with-SHA256');
    assert.deepEqual(info.publicKey, { algorithm: 'id-ecPublicKey' });
    assert.deepEqual(info.altNames, ['peer0.example.org', '10.0.0.1', '2001:db8:0:0:0:0:0:1']);
    assert.equal(info.subject.commonName, 'adjuster/1');
    assert.equal(info.subject.organizationName, 'insurer.example.com');
    assert.equal(info.subject.countryName, 'US');
    assert.equal(info.subject.stateOrProvinceName, 'California');
    assert.equal(info.subject.localityName, 'San Francisco');
    assert.equal(info.subject.postalCode, '');
    assert.deepEqual(info.subject.organizationalUnitNames, ['client', 'insurer/claims/west', 'department1']);
    assert.equal(info.issuer.commonName, 'ca.insurer.example.com');
  });

  it('rejects what is not a certificate', () => {
    const invalid = (error: unknown): boolean => isDomainError(error) && error.code === 'INVALID_ARGUMENT';
    assert.throws(() => new CertificateIdentity('HospitalAMSP', 'not a pem'), invalid);
    assert.throws(
      () => new CertificateIdentity('HospitalAMSP', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
      invalid,
    );
    assert.throws(() => new CertificateIdentity('', samples[0]!.certPem), invalid);
  });

  it('refuses, as fabric-shim does, a name in a string type fabric-shim cannot read', async () => {
    const certPem = await craft([{ OU: ['client'] }, { CN: ['#1e04005a00eb'] }], [{ CN: ['ca.lab'] }], undefined);
    assert.throws(() => fabricShimIdentity('LabMSP', certPem));
    assert.throws(
      () => new CertificateIdentity('LabMSP', certPem),
      (error: unknown) => isDomainError(error) && error.code === 'INVALID_ARGUMENT',
    );
  });

  it('loads neither fabric-shim nor gRPC', () => {
    const script =
      "require('./packages/ledger/src/identity/index.ts');" +
      'const loaded = Object.keys(require.cache).filter((p) => /fabric-shim|@grpc|grpc-js/.test(p));' +
      'process.stdout.write(JSON.stringify(loaded));';
    const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '../../../..'),
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), []);
  });
});
