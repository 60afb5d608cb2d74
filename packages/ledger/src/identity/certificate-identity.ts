import { createHash } from 'node:crypto';
import type { ClientIdentity } from 'fabric-shim-api';

import { DomainError } from '@medledger/core';

import type { DerExtension, DnAttribute, ParsedCertificate } from './der.js';
import { OID, TAG, children, directoryString, parseCertificatePem, readSingle } from './der.js';
import type { FabricAttributes } from './fabric-attributes.js';
import { FABRIC_ATTRIBUTE_OID, decodeFabricAttributes } from './fabric-attributes.js';

/** A distinguished name in the shape fabric-shim 1.4's `getX509Certificate()` documented; '' for absent fields. */
export interface X509NameInfo {
  readonly countryName: string;
  readonly postalCode: string;
  readonly stateOrProvinceName: string;
  readonly localityName: string;
  readonly streetAddress: string;
  readonly organizationName: string;
  /** The last OU in certificate order (a single field, as the 1.4 parser gave); all of them in `organizationalUnitNames`. */
  readonly organizationalUnitName: string;
  readonly commonName: string;
  /** Every OU in certificate order (not in the 1.4 shape; Fabric certificates carry several). */
  readonly organizationalUnitNames: readonly string[];
}

/** The parsed certificate `getX509Certificate()` returns: fabric-shim 1.4's documented `X509.Certificate` fields. */
export interface X509CertificateInfo {
  readonly subject: X509NameInfo;
  readonly issuer: X509NameInfo;
  /** Upper-case hex, as OpenSSL prints it. */
  readonly serial: string;
  /** ISO-8601 instant. */
  readonly notBefore: string;
  /** ISO-8601 instant. */
  readonly notAfter: string;
  readonly altNames: readonly string[];
  /** OpenSSL's name, e.g. `ecdsa-with-SHA256`. */
  readonly signatureAlgorithm: string;
  /** SHA-1 of the DER, upper-case hex pairs joined by ':'. */
  readonly fingerPrint: string;
  readonly publicKey: { readonly algorithm: string };
}

interface ParsedIdentity {
  readonly id: string;
  readonly attrs: FabricAttributes;
  readonly x509: X509CertificateInfo;
}

// fabric-shim's @fidm/x509 knows short names for these attribute types only; every other type renders as "/=value".
const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  [OID.commonName, 'CN'],
  [OID.countryName, 'C'],
  [OID.localityName, 'L'],
  [OID.stateOrProvinceName, 'ST'],
  [OID.organizationName, 'O'],
  [OID.organizationalUnitName, 'OU'],
  [OID.emailAddress, 'E'],
]);

// String types @fidm/asn1 decodes (as UTF-8); for any other type fabric-shim's ClientIdentity throws.
const FIDM_STRING_TAGS: ReadonlySet<number> = new Set([
  TAG.utf8String,
  TAG.printableString,
  TAG.t61String,
  TAG.ia5String,
  TAG.numericString,
  TAG.generalString,
]);

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  [OID.ecdsaWithSha256, 'ecdsa-with-SHA256'],
  [OID.ecdsaWithSha384, 'ecdsa-with-SHA384'],
  [OID.ecdsaWithSha512, 'ecdsa-with-SHA512'],
  ['1.2.840.113549.1.1.11', 'sha256WithRSAEncryption'],
  ['1.2.840.113549.1.1.12', 'sha384WithRSAEncryption'],
  ['1.2.840.113549.1.1.13', 'sha512WithRSAEncryption'],
  ['1.3.101.112', 'ED25519'],
]);

const PUBLIC_KEY_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  [OID.ecPublicKey, 'id-ecPublicKey'],
  ['1.2.840.113549.1.1.1', 'rsaEncryption'],
  ['1.3.101.112', 'ED25519'],
]);

/** fabric-shim's `formatDN`: `/<short>=<value>` per attribute, in certificate order. */
function fabricShimDn(attributes: readonly DnAttribute[]): string {
  return attributes
    .map((attribute) => {
      if (!FIDM_STRING_TAGS.has(attribute.tag)) {
        throw new DomainError('INVALID_ARGUMENT', 'certificate name uses a string type fabric-shim cannot read');
      }
      // Byte for byte what fabric-shim does: `String.replace` with a string pattern escapes only the first '/'.
      const value = attribute.raw.toString('utf8').replace('/', '\\/');
      return `/${SHORT_NAMES.get(attribute.oid) ?? ''}=${value}`;
    })
    .join('');
}

function nameInfo(attributes: readonly DnAttribute[]): X509NameInfo {
  const fields = new Map<string, string>();
  const units: string[] = [];
  for (const attribute of attributes) {
    const value = directoryString(attribute);
    if (value === undefined) continue;
    fields.set(attribute.oid, value);
    if (attribute.oid === OID.organizationalUnitName) units.push(value);
  }
  const field = (oid: string): string => fields.get(oid) ?? '';
  return Object.freeze({
    countryName: field(OID.countryName),
    postalCode: field(OID.postalCode),
    stateOrProvinceName: field(OID.stateOrProvinceName),
    localityName: field(OID.localityName),
    streetAddress: field(OID.streetAddress),
    organizationName: field(OID.organizationName),
    organizationalUnitName: field(OID.organizationalUnitName),
    commonName: field(OID.commonName),
    organizationalUnitNames: Object.freeze(units),
  });
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function altNames(extensions: readonly DerExtension[]): string[] {
  const extension = extensions.find((candidate) => candidate.oid === OID.subjectAltName);
  if (extension === undefined) return [];
  const names: string[] = [];
  for (const name of children(readSingle(extension.value, TAG.sequence))) {
    // Context-specific primitive tags: [1] rfc822Name, [2] dNSName, [6] URI, [7] iPAddress.
    if (name.tag === 0x81 || name.tag === 0x82 || name.tag === 0x86) names.push(name.content.toString('latin1'));
    else if (name.tag === 0x87) names.push(formatIp(name.content));
  }
  return names;
}

function x509Info(certificate: ParsedCertificate): X509CertificateInfo {
  const fingerprint = createHash('sha1').update(certificate.der).digest('hex').toUpperCase();
  return Object.freeze({
    subject: nameInfo(certificate.subject),
    issuer: nameInfo(certificate.issuer),
    serial:
      certificate.serialHex.length % 2 === 0
        ? certificate.serialHex.toUpperCase()
        : `0${certificate.serialHex}`.toUpperCase(),
    notBefore: new Date(certificate.notBeforeMs).toISOString(),
    notAfter: new Date(certificate.notAfterMs).toISOString(),
    altNames: Object.freeze(altNames(certificate.extensions)),
    signatureAlgorithm:
      SIGNATURE_ALGORITHMS.get(certificate.signatureAlgorithmOid) ?? certificate.signatureAlgorithmOid,
    fingerPrint: (fingerprint.match(/../g) ?? []).join(':'),
    publicKey: Object.freeze({
      algorithm: PUBLIC_KEY_ALGORITHMS.get(certificate.publicKeyAlgorithmOid) ?? certificate.publicKeyAlgorithmOid,
    }),
  });
}

function parseIdentity(certPem: string): ParsedIdentity {
  const certificate = parseCertificatePem(certPem);
  const extension = certificate.extensions.find((candidate) => candidate.oid === FABRIC_ATTRIBUTE_OID);
  return {
    id: `x509::${fabricShimDn(certificate.subject)}::${fabricShimDn(certificate.issuer)}`,
    attrs: extension === undefined ? Object.freeze({}) : decodeFabricAttributes(extension.value),
    x509: x509Info(certificate),
  };
}

// Chaincode builds one identity per transaction, from a small set of certificates: keep the parses.
const CACHE_LIMIT = 1024;
const cache = new Map<string, ParsedIdentity>();

function cachedParse(certPem: string): ParsedIdentity {
  const hit = cache.get(certPem);
  if (hit !== undefined) return hit;
  const parsed = parseIdentity(certPem);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(certPem, parsed);
  return parsed;
}

/**
 * The caller identity chaincode sees in embedded mode: a drop-in for fabric-shim's `ClientIdentity` (same methods,
 * same answers), built from the creator's MSP id and PEM certificate without loading fabric-shim (which loads gRPC).
 *
 * Differences from fabric-shim, all for certificates Fabric CA never issues: a malformed attribute extension or an
 * attribute that is not a string is rejected at construction (fabric-shim would fail later or return the raw value),
 * and inherited object properties are never attribute values.
 */
export class CertificateIdentity implements ClientIdentity {
  readonly #mspId: string;
  readonly #idBytes: Uint8Array;
  readonly #parsed: ParsedIdentity;

  /**
   * @param mspId the creator's MSP id
   * @param certPem the creator's certificate, PEM (what Fabric carries as `SerializedIdentity.id_bytes`)
   * @throws DomainError INVALID_ARGUMENT when the certificate cannot be read as fabric-shim would read it
   */
  constructor(mspId: string, certPem: string) {
    if (typeof mspId !== 'string' || mspId.length === 0) {
      throw new DomainError('INVALID_ARGUMENT', 'MSP id must be a non-empty string');
    }
    this.#parsed = cachedParse(certPem);
    this.#mspId = mspId;
    this.#idBytes = new TextEncoder().encode(certPem);
  }

  /** `x509::<subject DN>::<issuer DN>`, rendered exactly as fabric-shim renders it (e.g. `/OU=client/CN=alice`). */
  getID(): string {
    return this.#parsed.id;
  }

  getMSPID(): string {
    return this.#mspId;
  }

  /** The attribute's value, or null when absent (or empty, as fabric-shim treats an empty value as absent). */
  getAttributeValue(attrName: string): string | null {
    const attrs = this.#parsed.attrs;
    if (!Object.hasOwn(attrs, attrName)) return null;
    const value = attrs[attrName];
    return value === undefined || value === '' ? null : value;
  }

  /** True when the attribute is present and equals `attrValue`. */
  assertAttributeValue(attrName: string, attrValue: string): boolean {
    const value = this.getAttributeValue(attrName);
    return value !== null && value === attrValue;
  }

  /** The certificate PEM bytes the identity was built from (a copy). */
  getIDBytes(): Uint8Array {
    return this.#idBytes.slice();
  }

  /**
   * The parsed certificate, in the shape fabric-shim 1.4 documented. Embedded-only: fabric-shim 2.x's
   * `ClientIdentity` no longer has this method, so chaincode that must also run on Fabric should not call it.
   */
  getX509Certificate(): X509CertificateInfo {
    return this.#parsed.x509;
  }
}

/** Reads the Fabric CA attributes of a certificate (empty when it has no attribute extension). */
export function certificateAttributes(certPem: string): FabricAttributes {
  return cachedParse(certPem).attrs;
}
