// Reading X.509 certificates and CRLs with well-kept libraries: @peculiar/x509 for structure (names, extensions, CRL
// entries) and node:crypto's X509Certificate for keys and signatures. This module configures @peculiar/x509 once (it
// needs reflect-metadata before it loads, and a WebCrypto provider) and turns library failures into INVALID_ARGUMENT.
import 'reflect-metadata';

import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

import { DomainError } from '@medledger/core';

import { normalizeSerialHex } from './serial.js';

x509.cryptoProvider.set(webcrypto);

/** @peculiar/x509, ready to use (reflect-metadata loaded, WebCrypto provider set). */
export { x509 };

export const OID = {
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  postalCode: '2.5.4.17',
  emailAddress: '1.2.840.113549.1.9.1',
  basicConstraints: '2.5.29.19',
  subjectAltName: '2.5.29.17',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
} as const;

/** ASN.1 universal tags of the directory string types. */
export const STRING_TAG = {
  utf8: 0x0c,
  numeric: 0x12,
  printable: 0x13,
  teletex: 0x14,
  ia5: 0x16,
  visible: 0x1a,
  general: 0x1b,
  universal: 0x1c,
  bmp: 0x1e,
} as const;

/** One attribute of a distinguished name, in certificate order (multi-valued RDNs flattened). */
export interface DnAttribute {
  readonly oid: string;
  /** The ASN.1 tag of the value (its string type). */
  readonly tag: number;
  /** The value as text; undefined when it is not a directory string. */
  readonly text: string | undefined;
}

// The shape of @peculiar/asn1-x509's decoded names (a CHOICE: exactly one member is set).
interface AsnAttributeValue {
  readonly utf8String?: string;
  readonly printableString?: string;
  readonly teletexString?: string;
  readonly ia5String?: string;
  readonly bmpString?: string;
  readonly universalString?: string;
  /** Any other type, as its whole encoding (tag, length, content). */
  readonly anyValue?: ArrayBuffer;
}
type AsnName = Iterable<Iterable<{ readonly type: string; readonly value: AsnAttributeValue }>>;
// The shape of @peculiar/asn1-x509's extensions: the value is the content of the extnValue OCTET STRING.
type AsnExtensions = Iterable<{
  readonly extnID: string;
  readonly critical: boolean;
  readonly extnValue: ArrayBufferView;
}>;

function invalid(message: string, cause?: unknown): DomainError {
  return new DomainError('INVALID_ARGUMENT', message, cause === undefined ? undefined : { cause });
}

// The library's members for string types, their tags, and whether it read them one character per byte (fabric-shim and
// Go read those bytes as UTF-8, and so does this).
const STRING_MEMBERS = [
  ['utf8String', STRING_TAG.utf8, false],
  ['printableString', STRING_TAG.printable, true],
  ['teletexString', STRING_TAG.teletex, true],
  ['ia5String', STRING_TAG.ia5, true],
  ['bmpString', STRING_TAG.bmp, false],
  ['universalString', STRING_TAG.universal, false],
] as const;

// Types the library leaves encoded but that are still strings (their bytes read as UTF-8).
const OTHER_STRING_TAGS: ReadonlySet<number> = new Set([STRING_TAG.numeric, STRING_TAG.visible, STRING_TAG.general]);

function otherValue(encoded: Uint8Array): { tag: number; text: string | undefined } {
  const tag = encoded[0] ?? 0;
  if (!OTHER_STRING_TAGS.has(tag)) return { tag, text: undefined };
  // The library has parsed this element already; its content follows the length octets.
  const lengthOctet = encoded[1] ?? 0;
  const content = encoded.subarray(lengthOctet < 0x80 ? 2 : 2 + (lengthOctet & 0x7f));
  return { tag, text: Buffer.from(content).toString('utf8') };
}

function attributeValue(value: AsnAttributeValue): { tag: number; text: string | undefined } {
  for (const [member, tag, oneCharPerByte] of STRING_MEMBERS) {
    const text = value[member];
    if (text !== undefined) return { tag, text: oneCharPerByte ? Buffer.from(text, 'latin1').toString('utf8') : text };
  }
  return otherValue(new Uint8Array(value.anyValue ?? new ArrayBuffer(0)));
}

/**
 * A string that is equal for two names exactly when they hold the same attributes in the same RDNs and order, with the
 * same string types and values: what comparing their DER would tell (without re-encoding, which is slow in asn1js).
 */
function nameKey(name: AsnName): string {
  const valueKey = (value: AsnAttributeValue): string =>
    value.anyValue === undefined ? JSON.stringify(value) : `#${Buffer.from(value.anyValue).toString('hex')}`;
  return JSON.stringify([...name].map((rdn) => [...rdn].map(({ type, value }) => [type, valueKey(value)])));
}

function decode<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    throw invalid(`malformed ${what}`, cause);
  }
}

function extensionIn(
  extensions: AsnExtensions | undefined,
  oid: string,
): { readonly critical: boolean; readonly value: Uint8Array } | undefined {
  for (const extension of extensions ?? []) {
    if (extension.extnID !== oid) continue;
    const { buffer, byteOffset, byteLength } = extension.extnValue;
    return { critical: extension.critical, value: new Uint8Array(buffer, byteOffset, byteLength) };
  }
  return undefined;
}

function attributesOf(name: AsnName): DnAttribute[] {
  const attributes: DnAttribute[] = [];
  for (const rdn of name) {
    for (const { type, value } of rdn) attributes.push({ oid: type, ...attributeValue(value) });
  }
  return attributes;
}

/**
 * A certificate parsed by @peculiar/x509, with the few fields its public API leaves in the ASN.1 structure. Validity
 * and serial are decoded at construction, so that a malformed certificate fails there. Extensions are decoded one at a
 * time, when asked for (the library's `extensions` decodes all of them, which costs more than the whole parse).
 */
export class ParsedCertificate extends x509.X509Certificate {
  readonly notBeforeMs = this.notBefore.getTime();
  readonly notAfterMs = this.notAfter.getTime();
  /** The serial number in canonical form (see `normalizeSerialHex`). */
  readonly serialHex = normalizeSerialHex(this.serialNumber);

  /** The subject's attributes with their string types, in certificate order. */
  subjectAttributes(): DnAttribute[] {
    return attributesOf(this.asn.tbsCertificate.subject);
  }

  /** The issuer's attributes with their string types, in certificate order. */
  issuerAttributes(): DnAttribute[] {
    return attributesOf(this.asn.tbsCertificate.issuer);
  }

  /** Equal for equal subjects (see `nameKey`). */
  subjectKey(): string {
    return nameKey(this.asn.tbsCertificate.subject);
  }

  /** Equal for equal issuers (see `nameKey`). */
  issuerKey(): string {
    return nameKey(this.asn.tbsCertificate.issuer);
  }

  get signatureAlgorithmOid(): string {
    return this.asn.signatureAlgorithm.algorithm;
  }

  get publicKeyAlgorithmOid(): string {
    return this.asn.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm;
  }

  /** The value (extnValue content) of the first extension with this OID. */
  extensionValue(oid: string): Uint8Array | undefined {
    return extensionIn(this.asn.tbsCertificate.extensions, oid)?.value;
  }

  /** Whether BasicConstraints marks the certificate as a CA. */
  isCa(): boolean {
    const extension = extensionIn(this.asn.tbsCertificate.extensions, OID.basicConstraints);
    if (extension === undefined) return false;
    const { critical, value } = extension;
    return decode('BasicConstraints', () => {
      const encoded = new x509.Extension(OID.basicConstraints, critical, value).rawData;
      return new x509.BasicConstraintsExtension(encoded).ca;
    });
  }

  /** The names of the SubjectAltName extension that the library can represent, in certificate order. */
  subjectAltNames(): readonly x509.GeneralName[] {
    const value = this.extensionValue(OID.subjectAltName);
    return value === undefined ? [] : decode('SubjectAltName', () => new x509.GeneralNames(value).items);
  }
}

/** A CRL parsed by @peculiar/x509, with what a synchronous signature check needs. Entries are decoded at construction. */
export class ParsedCrl extends x509.X509Crl {
  /** Canonical serials of the revoked certificates. */
  readonly revokedSerials = this.entries.map((entry) => normalizeSerialHex(entry.serialNumber));

  get signatureAlgorithmOid(): string {
    return this.asn.signatureAlgorithm.algorithm;
  }

  /** Equal for equal issuers (see `nameKey`); compare with `ParsedCertificate.subjectKey`. */
  issuerKey(): string {
    return nameKey(this.asn.tbsCertList.issuer);
  }

  /** Whether the outer signature algorithm is the one inside tbsCertList, as RFC 5280 requires. */
  get algorithmsAgree(): boolean {
    return this.asn.signatureAlgorithm.isEqual(this.asn.tbsCertList.signature);
  }

  /** tbsCertList exactly as it was signed. */
  get signedBytes(): Buffer {
    const raw = this.asn.tbsCertListRaw;
    if (raw === undefined) throw invalid('CRL was not parsed from its encoding');
    return Buffer.from(raw);
  }
}

/** The DER inside the first PEM block, which must carry one of `labels` (e.g. `X509 CRL`, `CRL`). */
export function pemToDer(pem: unknown, ...labels: readonly [string, ...string[]]): Buffer {
  const [label] = labels;
  if (typeof pem !== 'string') throw invalid(`${label} PEM must be a string`);
  let first: x509.PemStruct | undefined;
  try {
    [first] = x509.PemConverter.decodeWithHeaders(pem);
  } catch (cause) {
    throw invalid(`PEM ${label} has invalid base64`, cause);
  }
  if (first === undefined || !labels.includes(first.type)) throw invalid(`expected a PEM ${label}`);
  return Buffer.from(first.rawData);
}

/** PEM text for DER bytes (64-character lines, trailing newline). */
export function derToPem(der: Uint8Array, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

/** Parses DER (e.g. from `pemToDer`) as a certificate. */
export function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  return decode('certificate', () => new ParsedCertificate(der));
}

/** Parses the first CERTIFICATE block of a PEM text. */
export function parseCertificatePem(pem: unknown): ParsedCertificate {
  return parseCertificateDer(pemToDer(pem, 'CERTIFICATE'));
}

/** node:crypto's view of a certificate (DER or PEM; a PEM must hold a CERTIFICATE block). */
export function nodeCertificate(certificate: string | Uint8Array): NodeX509Certificate {
  const der = typeof certificate === 'string' ? pemToDer(certificate, 'CERTIFICATE') : certificate;
  return decode('certificate', () => new NodeX509Certificate(der));
}

/**
 * Parses the first `X509 CRL` (or `CRL`) block of a PEM text. A CRL without nextUpdate is refused: RFC 5280 requires
 * the field, and @peculiar/x509 2.2 drops the revoked certificates of a CRL that lacks it.
 */
export function parseCrlPem(pem: unknown): ParsedCrl {
  const der = pemToDer(pem, 'X509 CRL', 'CRL');
  const crl = decode('CRL', () => new ParsedCrl(der));
  if (crl.nextUpdate === undefined) throw invalid('CRL has no nextUpdate');
  return crl;
}
