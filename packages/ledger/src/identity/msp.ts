import type { KeyObject, X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import { createHash, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';

import { DomainError } from '@medledger/core';

import type { ValidationCode } from '../ledger-client.js';
import type { ParsedCertificate } from './certificates.js';
import { OID, nodeCertificate, parseCertificateDer, parseCrlPem, pemToDer, x509 } from './certificates.js';
import { normalizeSerialHex } from './serial.js';

/** The outcomes of certificate validation (a subset of the ledger's validation codes). */
export type CertificateValidation = Extract<
  ValidationCode,
  'VALID' | 'CERTIFICATE_UNKNOWN' | 'CERTIFICATE_REVOKED' | 'CERTIFICATE_EXPIRED'
>;

/** Fabric's NodeOU classification of an identity, read from its OUs. */
export type NodeOu = 'client' | 'peer' | 'orderer' | 'admin';

/** What an MSP trusts for one organisation. */
export interface OrganizationTrust {
  readonly mspId: string;
  /** The organisation's self-signed root CA certificate (PEM). */
  readonly caCertPem: string;
  /** Serials revoked so far (any hex spelling). */
  readonly revokedSerials?: Iterable<string>;
}

export interface MembershipServiceOptions {
  /** How many certificates to keep parsed and verified; default 10 000. */
  readonly cacheSize?: number;
  /**
   * Fabric's NodeOUs: an identity must carry exactly one of the OUs client, peer, orderer, admin to be valid.
   * Default true (as in Fabric networks built with Fabric CA).
   */
  readonly requireNodeOu?: boolean;
}

interface Organization {
  readonly mspId: string;
  readonly caCertPem: string;
  /** The CA's subject (see `ParsedCertificate.subjectKey`): what a certificate it issued names as issuer. */
  readonly subject: string;
  readonly caPublicKey: KeyObject;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly revoked: Set<string>;
}

/** What validation reads from a certificate (@peculiar/x509's parse), decoded once per certificate. */
interface CertDetails {
  readonly certificate: ParsedCertificate;
  readonly issuer: string;
  readonly isCa: boolean;
  readonly nodeOu: NodeOu | undefined;
}

interface Chain {
  readonly ok: boolean;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/**
 * One certificate, as the MSP caches it. node:crypto's parse (key, signature checks) is made at once: it is all that
 * signature verification needs. The structural parse (@peculiar/x509) is made when validation first asks for it.
 */
class CertEntry {
  /** mspId → the issuing chain verified, with the window in which the chain (leaf and CA) is valid. */
  readonly chains = new Map<string, Chain>();
  /** node:crypto's view; undefined when OpenSSL cannot read the certificate. */
  readonly node: NodeX509Certificate | undefined;
  /** The certificate's P-256 public key; undefined when it has none (or the certificate is unreadable). */
  readonly publicKey: KeyObject | undefined;
  readonly #der: Buffer | undefined;
  #details: CertDetails | null | undefined;

  constructor(der: Buffer | undefined) {
    const node = der === undefined ? undefined : readable(() => nodeCertificate(der));
    this.#der = der;
    this.node = node;
    this.publicKey = node === undefined ? undefined : readable(() => p256PublicKey(node));
  }

  /** undefined when the certificate is unreadable. */
  get details(): CertDetails | undefined {
    if (this.#details === undefined) this.#details = readDetails(this.#der) ?? null;
    return this.#details ?? undefined;
  }
}

const NODE_OUS: readonly NodeOu[] = ['client', 'peer', 'orderer', 'admin'];
const HASHES: ReadonlyMap<string, string> = new Map([
  [OID.ecdsaWithSha256, 'sha256'],
  [OID.ecdsaWithSha384, 'sha384'],
  [OID.ecdsaWithSha512, 'sha512'],
]);
// The order of P-256 and half of it: Fabric accepts only low-S signatures (s <= n/2), which removes malleability.
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_HALF_N = P256_N >> 1n;
const P256: webcrypto.EcKeyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNATURE_FORMATTER = new x509.AsnEcSignatureFormatter();
const MAX_SIGNATURE_BASE64 = 128;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function pemKey(certPem: string): string {
  return createHash('sha256').update(certPem).digest('base64');
}

function classifyNodeOu(certificate: ParsedCertificate): NodeOu | undefined {
  const units = certificate
    .subjectAttributes()
    .filter((attribute) => attribute.oid === OID.organizationalUnitName)
    .map((attribute) => attribute.text);
  const found = NODE_OUS.filter((ou) => units.includes(ou));
  return found.length === 1 ? found[0] : undefined;
}

function p256PublicKey(certificate: NodeX509Certificate): KeyObject | undefined {
  const key = certificate.publicKey;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
}

/**
 * r and s of a P-256 signature in canonical DER, SEQUENCE { INTEGER r, INTEGER s } with one-octet lengths. Only for
 * signatures OpenSSL made or accepted: it signs in canonical DER and refuses any other encoding when it verifies.
 */
function canonicalParts(signature: Buffer): { r: Buffer; s: bigint } {
  const rEnd = 4 + (signature[3] ?? 0);
  return { r: signature.subarray(4, rEnd), s: BigInt(`0x${signature.subarray(rEnd + 2).toString('hex')}`) };
}

/** The signature bytes of a well-formed base64 text of plausible size; undefined otherwise. */
function signatureBytes(signatureBase64: unknown): Buffer | undefined {
  if (typeof signatureBase64 !== 'string' || signatureBase64.length > MAX_SIGNATURE_BASE64) return undefined;
  if (signatureBase64.length % 4 !== 0 || !BASE64.test(signatureBase64)) return undefined;
  return Buffer.from(signatureBase64, 'base64');
}

/** A P-256 scalar as 32 big-endian bytes. */
function fixedWidth(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/**
 * Signs `data` (SHA-256, ECDSA P-256) and returns the base64 DER signature, normalised to low-S as Fabric requires.
 * @throws DomainError INVALID_ARGUMENT when the key is not a P-256 private key
 */
export function signData(privateKey: KeyObject, data: Uint8Array): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new DomainError('INVALID_ARGUMENT', 'signing needs an ECDSA P-256 private key');
  }
  const signature = cryptoSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
  const { r, s } = canonicalParts(signature);
  if (s <= P256_HALF_N) return signature.toString('base64');
  // The low-S twin (r, n - s), encoded from the fixed-width form by @peculiar/x509.
  const twin = SIGNATURE_FORMATTER.toAsnSignature(
    P256,
    Buffer.concat([fixedWidth(BigInt(`0x${r.toString('hex')}`)), fixedWidth(P256_N - s)]),
  );
  if (twin === null) throw new DomainError('INTERNAL', 'could not encode a signature');
  return Buffer.from(twin).toString('base64');
}

/**
 * The embedded ledger's MSP: knows each organisation's root CA and revoked serials, and validates certificates and
 * signatures as Fabric's MSP does — issuer must be the organisation's CA with a verifying signature, the identity
 * must not be a CA, must carry exactly one NodeOU (client, peer, orderer, admin), must not be revoked and must be
 * within its validity (and its CA's).
 *
 * The expensive part (parsing, the CA signature check) is done once per certificate and cached by the SHA-256 of its
 * PEM; after that validation is a Map lookup plus the revocation and expiry checks. Only self-signed roots are
 * supported (no intermediate CAs).
 */
export class MembershipService {
  readonly #organizations = new Map<string, Organization>();
  readonly #cache = new Map<string, CertEntry>();
  readonly #cacheSize: number;
  readonly #requireNodeOu: boolean;

  constructor(options: MembershipServiceOptions = {}) {
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
      throw new DomainError('INVALID_ARGUMENT', 'cacheSize must be a positive integer');
    }
    this.#cacheSize = cacheSize;
    this.#requireNodeOu = options.requireNodeOu ?? true;
  }

  /**
   * Trusts (or re-trusts, replacing the CA) an organisation's root CA.
   * @throws DomainError INVALID_ARGUMENT when the certificate is not a self-signed CA certificate
   */
  addOrganization(trust: OrganizationTrust): void {
    if (typeof trust.mspId !== 'string' || trust.mspId.length === 0) {
      throw new DomainError('INVALID_ARGUMENT', 'MSP id must be a non-empty string');
    }
    const der = pemToDer(trust.caCertPem, 'CERTIFICATE');
    const ca = parseCertificateDer(der);
    if (!ca.isCa()) throw new DomainError('INVALID_ARGUMENT', 'MSP root is not a CA certificate');
    const caNode = nodeCertificate(der);
    const subject = ca.subjectKey();
    if (ca.issuerKey() !== subject || !issuedBy(ca, caNode, caNode.publicKey)) {
      throw new DomainError('INVALID_ARGUMENT', 'MSP root must be a self-signed certificate');
    }
    const revoked = new Set<string>(this.#organizations.get(trust.mspId)?.revoked);
    for (const serial of trust.revokedSerials ?? []) revoked.add(normalizeSerialHex(serial));
    this.#organizations.set(trust.mspId, {
      mspId: trust.mspId,
      caCertPem: trust.caCertPem,
      subject,
      caPublicKey: caNode.publicKey,
      notBeforeMs: ca.notBeforeMs,
      notAfterMs: ca.notAfterMs,
      revoked,
    });
    for (const entry of this.#cache.values()) entry.chains.delete(trust.mspId);
  }

  /** The trusted MSP ids. */
  mspIds(): string[] {
    return [...this.#organizations.keys()];
  }

  /** The root CA certificate trusted for `mspId`. */
  caCertPem(mspId: string): string | undefined {
    return this.#organizations.get(mspId)?.caCertPem;
  }

  /**
   * Marks a serial of `mspId`'s CA as revoked (revocation is permanent).
   * @throws DomainError NOT_FOUND for an unknown MSP; INVALID_ARGUMENT for a serial that is not hex
   */
  revoke(mspId: string, serialHex: string): void {
    this.#organization(mspId).revoked.add(normalizeSerialHex(serialHex));
  }

  /**
   * Adds the serials listed in a CRL, after checking it was issued and signed by `mspId`'s CA. Revocations are never
   * undone by a later CRL.
   * @returns how many serials were newly revoked
   * @throws DomainError INVALID_ARGUMENT when the CRL is malformed, from another issuer or badly signed
   */
  applyCrl(mspId: string, crlPem: string): number {
    const organization = this.#organization(mspId);
    const crl = parseCrlPem(crlPem);
    const hash = HASHES.get(crl.signatureAlgorithmOid);
    if (crl.issuerKey() !== organization.subject || hash === undefined || !crl.algorithmsAgree) {
      throw new DomainError('INVALID_ARGUMENT', `CRL was not issued by ${mspId}'s CA`);
    }
    const signature = new Uint8Array(crl.signature);
    if (!cryptoVerify(hash, crl.signedBytes, { key: organization.caPublicKey, dsaEncoding: 'der' }, signature)) {
      throw new DomainError('INVALID_ARGUMENT', 'CRL signature does not verify');
    }
    const before = organization.revoked.size;
    for (const serial of crl.revokedSerials) organization.revoked.add(serial);
    return organization.revoked.size - before;
  }

  /** The canonical revoked serials of `mspId` (empty for an unknown MSP). */
  revokedSerials(mspId: string): ReadonlySet<string> {
    return new Set(this.#organizations.get(mspId)?.revoked);
  }

  /**
   * Validates `certPem` as an identity of `mspId` at time `atMs` (epoch ms). Precedence: unknown (wrong issuer, bad
   * signature, unreadable, a CA, no single NodeOU) before revoked before expired (or not yet valid).
   */
  validateCertificate(mspId: string, certPem: string, atMs: number): CertificateValidation {
    const organization = this.#organizations.get(mspId);
    if (organization === undefined || typeof certPem !== 'string') return 'CERTIFICATE_UNKNOWN';
    const entry = this.#entry(certPem);
    let chain = entry.chains.get(mspId);
    if (chain === undefined) {
      chain = this.#verifyChain(entry, organization);
      entry.chains.set(mspId, chain);
    }
    const details = entry.details;
    if (!chain.ok || details === undefined) return 'CERTIFICATE_UNKNOWN';
    if (organization.revoked.has(details.certificate.serialHex)) return 'CERTIFICATE_REVOKED';
    if (!(atMs >= chain.notBeforeMs && atMs <= chain.notAfterMs)) return 'CERTIFICATE_EXPIRED';
    return 'VALID';
  }

  /**
   * Verifies a base64 DER ECDSA P-256 / SHA-256 signature by the certificate's key. False (never an exception) for an
   * unreadable certificate, a non-P-256 key, a malformed or high-S signature, or a signature that does not verify.
   */
  verifySignature(certPem: string, data: Uint8Array, signatureBase64: string): boolean {
    if (typeof certPem !== 'string') return false;
    const signature = signatureBytes(signatureBase64);
    if (signature === undefined) return false;
    const publicKey = this.#entry(certPem).publicKey;
    if (publicKey === undefined) return false;
    try {
      // OpenSSL accepts only canonical DER, so once it has verified, s can be read for Fabric's low-S rule.
      const verified = cryptoVerify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
      return verified && canonicalParts(signature).s <= P256_HALF_N;
    } catch {
      return false;
    }
  }

  /** Signs like `signData` (base64 DER, low-S). */
  sign(privateKey: KeyObject, data: Uint8Array): string {
    return signData(privateKey, data);
  }

  /** The identity's NodeOU (client, peer, orderer, admin), or null when it has none or several. */
  nodeOu(certPem: string): NodeOu | null {
    return this.#entry(certPem).details?.nodeOu ?? null;
  }

  /** The certificate's canonical serial (lower-case hex), or null when it cannot be read. */
  serialOf(certPem: string): string | null {
    return this.#entry(certPem).details?.certificate.serialHex ?? null;
  }

  #organization(mspId: string): Organization {
    const organization = this.#organizations.get(mspId);
    if (organization === undefined) throw new DomainError('NOT_FOUND', `unknown MSP ${mspId}`);
    return organization;
  }

  #entry(certPem: string): CertEntry {
    const key = pemKey(certPem);
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const entry = readEntry(certPem);
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, entry);
    return entry;
  }

  #verifyChain(entry: CertEntry, organization: Organization): Chain {
    const details = entry.details;
    const rejected = { ok: false, notBeforeMs: 0, notAfterMs: 0 };
    if (details === undefined || entry.node === undefined) return rejected;
    const { certificate } = details;
    if (details.issuer !== organization.subject) return rejected;
    if (details.isCa) return rejected;
    if (this.#requireNodeOu && details.nodeOu === undefined) return rejected;
    if (!issuedBy(certificate, entry.node, organization.caPublicKey)) return rejected;
    return {
      ok: true,
      notBeforeMs: Math.max(certificate.notBeforeMs, organization.notBeforeMs),
      notAfterMs: Math.min(certificate.notAfterMs, organization.notAfterMs),
    };
  }
}

/** What `read` returns, or undefined when it throws (an unreadable certificate is an answer, not an error). */
function readable<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function readEntry(certPem: string): CertEntry {
  return new CertEntry(readable(() => pemToDer(certPem, 'CERTIFICATE')));
}

function readDetails(der: Buffer | undefined): CertDetails | undefined {
  if (der === undefined) return undefined;
  return readable(() => {
    const certificate = parseCertificateDer(der);
    return {
      certificate,
      issuer: certificate.issuerKey(),
      isCa: certificate.isCa(),
      nodeOu: classifyNodeOu(certificate),
    };
  });
}

/** Whether `issuerKey` signed the certificate, with one of the ECDSA algorithms Fabric uses. */
function issuedBy(certificate: ParsedCertificate, node: NodeX509Certificate, issuerKey: KeyObject): boolean {
  if (!HASHES.has(certificate.signatureAlgorithmOid)) return false;
  try {
    return node.verify(issuerKey);
  } catch {
    return false;
  }
}
