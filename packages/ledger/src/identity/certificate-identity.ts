import { createHash } from 'node:crypto';
import type { ClientIdentity } from 'fabric-shim-api';

import { DomainError } from '@medledger/core';

import type { DnAttribute, ParsedCertificate } from './certificates.js';
import { OID, STRING_TAG, parseCertificatePem } from './certificates.js';
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
  STRING_TAG.utf8,
  STRING_TAG.printable,
  STRING_TAG.teletex,
  STRING_TAG.ia5,
  STRING_TAG.numeric,
  STRING_TAG.general,
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
      if (!FIDM_STRING_TAGS.has(attribute.tag) || attribute.text === undefined) {
        throw new DomainError('INVALID_ARGUMENT', 'certificate name uses a string type fabric-shim cannot read');
      }
      // Byte for byte what fabric-shim does: `String.replace` with a string pattern escapes only the first '/'.
      const value = attribute.text.replace('/', '\\/');
      return `/${SHORT_NAMES.get(attribute.oid) ?? ''}=${value}`;
    })
    .join('');
}

function nameInfo(attributes: readonly DnAttribute[]): X509NameInfo {
  const fields = new Map<string, string>();
  const units: string[] = [];
  for (const attribute of attributes) {
    const value = attribute.text;
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

/** IPv6 in full (eight groups, no `::`), as this class has always printed it; the library prints RFC 5952 short form. */
function fullIpv6(text: string): string {
  const [head = '', tail] = text.split('::');
  if (tail === undefined) return text;
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].join(':');
}

function altNames(certificate: ParsedCertificate): string[] {
  const names: string[] = [];
  for (const name of certificate.subjectAltNames()) {
    if (name.type === 'email' || name.type === 'dns' || name.type === 'url') names.push(name.value);
    else if (name.type === 'ip') names.push(name.value.includes(':') ? fullIpv6(name.value) : name.value);
  }
  return names;
}

function x509Info(certificate: ParsedCertificate): X509CertificateInfo {
  const fingerprint = createHash('sha1').update(new Uint8Array(certificate.rawData)).digest('hex').toUpperCase();
  const serialHex = certificate.serialHex;
  return Object.freeze({
    subject: nameInfo(certificate.subjectAttributes()),
    issuer: nameInfo(certificate.issuerAttributes()),
    serial: (serialHex.length % 2 === 0 ? serialHex : `0${serialHex}`).toUpperCase(),
    notBefore: new Date(certificate.notBeforeMs).toISOString(),
    notAfter: new Date(certificate.notAfterMs).toISOString(),
    altNames: Object.freeze(altNames(certificate)),
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
  const extension = certificate.extensionValue(FABRIC_ATTRIBUTE_OID);
  return {
    id: `x509::${fabricShimDn(certificate.subjectAttributes())}::${fabricShimDn(certificate.issuerAttributes())}`,
    attrs: extension === undefined ? Object.freeze({}) : decodeFabricAttributes(extension),
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
 * inherited object properties are never attribute values, and a UTF8String name value that is not valid UTF-8 reads
 * as its bytes in Latin-1 where fabric-shim shows U+FFFD (Go's x509 and OpenSSL refuse such certificates, so neither
 * Fabric's MSP nor the embedded one lets their holder run chaincode).
 *
 * Certificates are read with @peculiar/x509 (see `certificates.ts`); the parsed fields are cached per PEM string.
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
