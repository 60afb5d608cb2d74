import type { KeyObject } from 'node:crypto';
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';

import { DomainError } from '@medledger/core';

import type { ValidationCode } from '../ledger-client.js';
import type { ParsedCertificate } from './der.js';
import {
  OID,
  TAG,
  children,
  encodeUnsignedInteger,
  encodeLength,
  integerMagnitude,
  isCaCertificate,
  nameValues,
  normalizeSerialHex,
  parseCertificatePem,
  parseCrlDer,
  pemToDer,
  readSingle,
} from './der.js';

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
  readonly ca: ParsedCertificate;
  readonly caPublicKey: KeyObject;
  readonly revoked: Set<string>;
}

interface CertEntry {
  readonly parsed: ParsedCertificate | undefined;
  /** The certificate's P-256 public key; undefined when it has none (or the certificate is unreadable). */
  readonly publicKey: KeyObject | undefined;
  readonly nodeOu: NodeOu | undefined;
  /** mspId → the issuing chain verified, with the window in which the chain (leaf and CA) is valid. */
  readonly chains: Map<string, { readonly ok: boolean; readonly notBeforeMs: number; readonly notAfterMs: number }>;
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
const MAX_SIGNATURE_BASE64 = 128;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function pemKey(certPem: string): string {
  return createHash('sha256').update(certPem).digest('base64');
}

function classifyNodeOu(parsed: ParsedCertificate): NodeOu | undefined {
  const units = nameValues(parsed.subject, OID.organizationalUnitName);
  const found = NODE_OUS.filter((ou) => units.includes(ou));
  return found.length === 1 ? found[0] : undefined;
}

function p256PublicKey(parsed: ParsedCertificate): KeyObject | undefined {
  if (parsed.publicKeyAlgorithmOid !== OID.ecPublicKey) return undefined;
  const key = createPublicKey({ key: parsed.spkiDer, format: 'der', type: 'spki' });
  return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
}

function bigIntOf(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function bytesOf(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

/** r and s of a strict DER ECDSA signature, or undefined when it is not one. */
function ecdsaComponents(signature: Buffer): { r: bigint; s: bigint } | undefined {
  try {
    const parts = children(readSingle(signature, TAG.sequence));
    if (parts.length !== 2) return undefined;
    const [rElement, sElement] = parts;
    if (rElement === undefined || sElement === undefined) return undefined;
    for (const element of [rElement, sElement]) {
      const content = element.content;
      // Positive and minimally encoded, as DER requires.
      if ((content[0] ?? 0) & 0x80) return undefined;
      if (content.length > 1 && content[0] === 0 && ((content[1] ?? 0) & 0x80) === 0) return undefined;
    }
    return { r: bigIntOf(integerMagnitude(rElement)), s: bigIntOf(integerMagnitude(sElement)) };
  } catch {
    return undefined;
  }
}

/** The DER bytes of a base64 P-256 signature that is well formed and low-S; undefined otherwise. */
function lowSSignature(signatureBase64: unknown): Buffer | undefined {
  if (typeof signatureBase64 !== 'string' || signatureBase64.length > MAX_SIGNATURE_BASE64) return undefined;
  if (signatureBase64.length % 4 !== 0 || !BASE64.test(signatureBase64)) return undefined;
  const signature = Buffer.from(signatureBase64, 'base64');
  const components = ecdsaComponents(signature);
  if (components === undefined) return undefined;
  const { r, s } = components;
  return r >= 1n && r < P256_N && s >= 1n && s <= P256_HALF_N ? signature : undefined;
}

function encodeEcdsa(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([encodeUnsignedInteger(bytesOf(r)), encodeUnsignedInteger(bytesOf(s))]);
  return Buffer.concat([Buffer.from([TAG.sequence]), encodeLength(body.length), body]);
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
  const components = ecdsaComponents(signature);
  if (components === undefined) throw new DomainError('INTERNAL', 'crypto produced an unreadable signature');
  if (components.s <= P256_HALF_N) return signature.toString('base64');
  return encodeEcdsa(components.r, P256_N - components.s).toString('base64');
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
    const ca = parseCertificatePem(trust.caCertPem);
    if (!isCaCertificate(ca)) throw new DomainError('INVALID_ARGUMENT', 'MSP root is not a CA certificate');
    const caPublicKey = createPublicKey({ key: ca.spkiDer, format: 'der', type: 'spki' });
    if (!ca.issuerDer.equals(ca.subjectDer) || !verifyIssued(ca, caPublicKey)) {
      throw new DomainError('INVALID_ARGUMENT', 'MSP root must be a self-signed certificate');
    }
    const revoked = new Set<string>(this.#organizations.get(trust.mspId)?.revoked);
    for (const serial of trust.revokedSerials ?? []) revoked.add(normalizeSerialHex(serial));
    this.#organizations.set(trust.mspId, { mspId: trust.mspId, caCertPem: trust.caCertPem, ca, caPublicKey, revoked });
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
    const crl = parseCrlDer(pemToDer(crlPem, 'X509 CRL', 'CRL'));
    const hash = HASHES.get(crl.signatureAlgorithmOid);
    if (!crl.issuerDer.equals(organization.ca.subjectDer) || hash === undefined) {
      throw new DomainError('INVALID_ARGUMENT', `CRL was not issued by ${mspId}'s CA`);
    }
    if (!cryptoVerify(hash, crl.tbs, { key: organization.caPublicKey, dsaEncoding: 'der' }, crl.signature)) {
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
    if (!chain.ok || entry.parsed === undefined) return 'CERTIFICATE_UNKNOWN';
    if (organization.revoked.has(entry.parsed.serialHex)) return 'CERTIFICATE_REVOKED';
    if (!(atMs >= chain.notBeforeMs && atMs <= chain.notAfterMs)) return 'CERTIFICATE_EXPIRED';
    return 'VALID';
  }

  /**
   * Verifies a base64 DER ECDSA P-256 / SHA-256 signature by the certificate's key. False (never an exception) for an
   * unreadable certificate, a non-P-256 key, a malformed or high-S signature, or a signature that does not verify.
   */
  verifySignature(certPem: string, data: Uint8Array, signatureBase64: string): boolean {
    if (typeof certPem !== 'string') return false;
    const signature = lowSSignature(signatureBase64);
    if (signature === undefined) return false;
    const publicKey = this.#entry(certPem).publicKey;
    if (publicKey === undefined) return false;
    try {
      return cryptoVerify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
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
    return this.#entry(certPem).nodeOu ?? null;
  }

  /** The certificate's canonical serial (lower-case hex), or null when it cannot be read. */
  serialOf(certPem: string): string | null {
    return this.#entry(certPem).parsed?.serialHex ?? null;
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

  #verifyChain(
    entry: CertEntry,
    organization: Organization,
  ): { readonly ok: boolean; readonly notBeforeMs: number; readonly notAfterMs: number } {
    const parsed = entry.parsed;
    const rejected = { ok: false, notBeforeMs: 0, notAfterMs: 0 };
    if (parsed === undefined) return rejected;
    if (!parsed.issuerDer.equals(organization.ca.subjectDer)) return rejected;
    if (isCaCertificate(parsed)) return rejected;
    if (this.#requireNodeOu && entry.nodeOu === undefined) return rejected;
    if (!verifyIssued(parsed, organization.caPublicKey)) return rejected;
    return {
      ok: true,
      notBeforeMs: Math.max(parsed.notBeforeMs, organization.ca.notBeforeMs),
      notAfterMs: Math.min(parsed.notAfterMs, organization.ca.notAfterMs),
    };
  }
}

function readEntry(certPem: string): CertEntry {
  let parsed: ParsedCertificate | undefined;
  let publicKey: KeyObject | undefined;
  try {
    parsed = parseCertificatePem(certPem);
    publicKey = p256PublicKey(parsed);
  } catch {
    parsed = undefined;
  }
  return {
    parsed,
    publicKey,
    nodeOu: parsed === undefined ? undefined : classifyNodeOu(parsed),
    chains: new Map(),
  };
}

function verifyIssued(certificate: ParsedCertificate, issuerKey: KeyObject): boolean {
  const hash = HASHES.get(certificate.signatureAlgorithmOid);
  if (hash === undefined) return false;
  try {
    return cryptoVerify(hash, certificate.tbs, { key: issuerKey, dsaEncoding: 'der' }, certificate.signature);
  } catch {
    return false;
  }
}
