import { createHash } from 'node:crypto';
import 'reflect-metadata';

import type { KeyObject } from 'node:crypto';
import { createPrivateKey, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

/** Fabric CA's attribute extension: raw UTF-8 JSON `{"attrs":{...}}` that fabric-shim's ClientIdentity parses. */
export const FABRIC_ATTRIBUTE_OID = '1.2.3.4.5.6.7.8.1';

export const TEST_NETWORK_MSP_IDS = [
  'HospitalAMSP',
  'HospitalBMSP',
  'InsurerMSP',
  'HealthAuthorityMSP',
  'ResearchMSP',
] as const;

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
// Fixed validity so certificates are reproducible and valid at the harness's default clock (2025-03-01).
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2035-01-01T00:00:00Z');

export interface TestIdentity {
  readonly mspId: string;
  readonly uid: string;
  readonly role: string;
  readonly certPem: string;
  readonly certificate: x509.X509Certificate;
  readonly privateKey: KeyObject;
  readonly privateKeyPem: string;
}

export interface IssueRequest {
  readonly uid: string;
  readonly role: string;
  /** Further CA attributes, merged over the defaults. */
  readonly extraAttrs?: Readonly<Record<string, string>>;
}

export interface TestCa {
  readonly mspId: string;
  /** Organisation name used in DNs: the MSP id without its `MSP` suffix, lower-cased. */
  readonly org: string;
  readonly certPem: string;
  readonly certificate: x509.X509Certificate;
  /** Issues a leaf shaped like a Fabric CA enrollment certificate for a client identity. */
  readonly issue: (request: IssueRequest) => Promise<TestIdentity>;
}

// Function-valued properties, so tests can destructure `{ identity }`.
export interface TestNetwork {
  readonly mspIds: readonly string[];
  readonly ca: (mspId: string) => TestCa;
  /** Issues once per (mspId, role, uid) and returns the cached identity afterwards. */
  readonly identity: (mspId: string, role: string, uid: string) => Promise<TestIdentity>;
}

export async function createTestCa(mspId: string): Promise<TestCa> {
  const org = mspId.replace(/MSP$/, '').toLowerCase();
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: [{ CN: [`ca.${org}`] }, { O: [org] }],
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey);
  let serial = 1;

  const issue = async (request: IssueRequest): Promise<TestIdentity> => {
    serial += 1;
    const leafKeys = await generateKeyPair();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString(16).padStart(4, '0'),
      subject: [{ OU: ['client'] }, { OU: [org] }, { CN: [request.uid] }],
      issuer: certificate.subjectName,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        authorityKeyId,
        new x509.Extension(FABRIC_ATTRIBUTE_OID, false, Buffer.from(attributeJson(request), 'utf8')),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    return {
      mspId,
      uid: request.uid,
      role: request.role,
      certPem: leaf.toString('pem'),
      certificate: leaf,
      privateKey,
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  };

  return { mspId, org, certPem: certificate.toString('pem'), certificate, issue };
}

/**
 * Patient certificates carry a pseudonymous uid (`pu-` + 32 hex digits); tests name patients by a readable label and
 * this derives the uid, so the same label is always the same patient.
 */
export function testPatientUid(label: string): string {
  return /^pu-[0-9a-f]{32}$/.test(label)
    ? label
    : `pu-${createHash('sha256').update(label).digest('hex').slice(0, 32)}`;
}

export async function createTestNetwork(): Promise<TestNetwork> {
  const cas = new Map<string, TestCa>();
  for (const ca of await Promise.all(TEST_NETWORK_MSP_IDS.map((mspId) => createTestCa(mspId)))) {
    cas.set(ca.mspId, ca);
  }
  const identities = new Map<string, Promise<TestIdentity>>();

  const ca = (mspId: string): TestCa => {
    const found = cas.get(mspId);
    if (found === undefined) {
      throw new Error(`no test CA for ${mspId}; known: ${[...cas.keys()].join(', ')}`);
    }
    return found;
  };

  const identity = (mspId: string, role: string, label: string): Promise<TestIdentity> => {
    const uid = role === 'patient' ? testPatientUid(label) : label;
    const cacheKey = JSON.stringify([mspId, role, uid]);
    let issued = identities.get(cacheKey);
    if (issued === undefined) {
      issued = ca(mspId).issue({ uid, role });
      identities.set(cacheKey, issued);
    }
    return issued;
  };

  return { mspIds: [...cas.keys()], ca, identity };
}

/** The extension value Fabric CA writes: its Go encoder sorts map keys, so this does too. */
function attributeJson(request: IssueRequest): string {
  const attrs: Record<string, string> = {
    'hf.Affiliation': '',
    'hf.EnrollmentID': request.uid,
    'hf.Type': 'client',
    role: request.role,
    uid: request.uid,
    ...request.extraAttrs,
  };
  const sorted = Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ attrs: sorted });
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}
