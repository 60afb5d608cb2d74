// A small, strict DER reader for the parts of X.509 certificates and CRLs the identity layer needs. It is synchronous,
// allocation-light and loads nothing (no ASN.1 framework, no gRPC), so chaincode-facing code can use it per
// transaction. Anything it does not understand is rejected with INVALID_ARGUMENT rather than guessed at.
import { DomainError } from '@medledger/core';

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  numericString: 0x12,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  visibleString: 0x1a,
  generalString: 0x1b,
  universalString: 0x1c,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
  /** [0] EXPLICIT, constructed. */
  context0: 0xa0,
  /** [3] EXPLICIT, constructed. */
  context3: 0xa3,
} as const;

/** One DER TLV. `content` and `encoded` are views into the parsed buffer. */
export interface DerElement {
  /** The identifier octet (single-octet tags only). */
  readonly tag: number;
  readonly content: Buffer;
  /** The whole TLV, as it appeared in the input (what signatures cover). */
  readonly encoded: Buffer;
}

const MAX_LENGTH_OCTETS = 4;

function malformed(what: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', `malformed DER: ${what}`);
}

function readLongLength(buffer: Buffer, offset: number, first: number): { length: number; headerLength: number } {
  const octets = first & 0x7f;
  if (octets === 0) throw malformed('indefinite length is not DER');
  if (octets > MAX_LENGTH_OCTETS) throw malformed('length too large');
  let length = 0;
  for (let i = 0; i < octets; i += 1) {
    const octet = buffer[offset + 2 + i];
    if (octet === undefined) throw malformed('truncated length');
    length = length * 256 + octet;
  }
  if (length < 0x80 || (octets > 1 && length < 256 ** (octets - 1))) throw malformed('non-minimal length');
  return { length, headerLength: 2 + octets };
}

/** Reads the TLV at `offset`; returns it and the offset just after it. */
export function readElement(buffer: Buffer, offset: number): { element: DerElement; next: number } {
  const tag = buffer[offset];
  if (tag === undefined) throw malformed('unexpected end of data');
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-octet tags are not supported');
  const first = buffer[offset + 1];
  if (first === undefined) throw malformed('missing length');
  const { length, headerLength } =
    first < 0x80 ? { length: first, headerLength: 2 } : readLongLength(buffer, offset, first);
  const start = offset + headerLength;
  const end = start + length;
  if (end > buffer.length) throw malformed('truncated value');
  return {
    element: { tag, content: buffer.subarray(start, end), encoded: buffer.subarray(offset, end) },
    next: end,
  };
}

/** Parses `buffer` as exactly one TLV (no trailing bytes). */
export function readSingle(buffer: Buffer, expectedTag?: number): DerElement {
  const { element, next } = readElement(buffer, 0);
  if (next !== buffer.length) throw malformed('trailing data');
  if (expectedTag !== undefined) expectTag(element, expectedTag);
  return element;
}

/** The children of a constructed element. */
export function children(element: DerElement): DerElement[] {
  if ((element.tag & 0x20) === 0) throw malformed(`tag 0x${element.tag.toString(16)} is not constructed`);
  const result: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const { element: child, next } = readElement(element.content, offset);
    result.push(child);
    offset = next;
  }
  return result;
}

export function expectTag(element: DerElement | undefined, tag: number): DerElement {
  if (element === undefined) throw malformed(`missing element with tag 0x${tag.toString(16)}`);
  if (element.tag !== tag) {
    throw malformed(`expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

export function decodeOid(element: DerElement): string {
  expectTag(element, TAG.oid);
  const bytes = element.content;
  if (bytes.length === 0) throw malformed('empty OID');
  const arcs: string[] = [];
  let value = 0n;
  let first = true;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] ?? 0;
    if (value === 0n && byte === 0x80) throw malformed('non-minimal OID arc');
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (first) {
        const head = value < 80n ? value / 40n : 2n;
        arcs.push(head.toString(), (value - head * 40n).toString());
        first = false;
      } else {
        arcs.push(value.toString());
      }
      value = 0n;
    } else if (i === bytes.length - 1) {
      throw malformed('truncated OID');
    }
  }
  return arcs.join('.');
}

/** INTEGER content as unsigned magnitude bytes (leading zero octets removed). */
export function integerMagnitude(element: DerElement): Buffer {
  expectTag(element, TAG.integer);
  if (element.content.length === 0) throw malformed('empty INTEGER');
  let start = 0;
  while (start < element.content.length - 1 && element.content[start] === 0) start += 1;
  return element.content.subarray(start);
}

/**
 * The canonical form of a certificate serial number used throughout this layer: lower-case hex without leading
 * zeros ("0" for zero). Accepts any hex spelling, e.g. OpenSSL's upper case or a zero-padded form.
 */
export function normalizeSerialHex(serialHex: string): string {
  const trimmed = serialHex.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,128}$/.test(trimmed)) {
    throw new DomainError('INVALID_ARGUMENT', 'serial number must be hexadecimal');
  }
  const stripped = trimmed.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

function serialFromInteger(element: DerElement): string {
  return normalizeSerialHex(integerMagnitude(element).toString('hex'));
}

/** DER INTEGER encoding of a non-negative integer given as big-endian magnitude bytes. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  let body = Buffer.from(magnitude.subarray(start));
  if (body.length === 0) body = Buffer.from([0]);
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([TAG.integer]), encodeLength(body.length), body]);
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

function digits(text: string, from: number, count: number): number {
  const slice = text.slice(from, from + count);
  if (!new RegExp(`^\\d{${count}}$`).test(slice)) throw malformed('invalid time');
  return Number(slice);
}

/** The year and where month digits start, for UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z). */
function timeYear(element: DerElement, text: string): { year: number; rest: number } {
  if (element.tag === TAG.utcTime) {
    if (!/^\d{12}Z$/.test(text)) throw malformed('UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(text, 0, 2);
    return { year: yy >= 50 ? 1900 + yy : 2000 + yy, rest: 2 };
  }
  if (element.tag === TAG.generalizedTime) {
    if (!/^\d{14}(\.\d{1,9})?Z$/.test(text)) throw malformed('GeneralizedTime must be YYYYMMDDHHMMSS[.f]Z');
    return { year: digits(text, 0, 4), rest: 4 };
  }
  throw malformed('expected a time');
}

/** UTCTime or GeneralizedTime (Zulu, as DER requires) as epoch milliseconds. */
export function decodeTime(element: DerElement): number {
  const text = element.content.toString('latin1');
  const { year, rest } = timeYear(element, text);
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((at) => digits(text, rest + at, 2)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = /\.(\d+)Z$/.exec(text)?.[1];
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const value = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(value);
  const calendarOk = check.getUTCMonth() === month - 1 && check.getUTCDate() === day;
  if (!calendarOk || hour > 23 || minute > 59 || second > 59) throw malformed('invalid calendar time');
  return value;
}

/** One attribute of a distinguished name, in certificate order (multi-valued RDNs flattened). */
export interface DnAttribute {
  readonly oid: string;
  /** The string type's tag. */
  readonly tag: number;
  readonly raw: Buffer;
}

export function decodeName(element: DerElement): DnAttribute[] {
  expectTag(element, TAG.sequence);
  const attributes: DnAttribute[] = [];
  for (const rdn of children(element)) {
    expectTag(rdn, TAG.set);
    const values = children(rdn);
    if (values.length === 0) throw malformed('empty RDN');
    for (const atv of values) {
      expectTag(atv, TAG.sequence);
      const [type, value, extra] = children(atv);
      if (type === undefined || value === undefined || extra !== undefined) throw malformed('AttributeTypeAndValue');
      attributes.push({ oid: decodeOid(type), tag: value.tag, raw: value.content });
    }
  }
  return attributes;
}

// String types whose bytes are read as UTF-8 (a superset of their repertoires).
const BYTE_STRING_TAGS: ReadonlySet<number> = new Set([
  TAG.utf8String,
  TAG.printableString,
  TAG.ia5String,
  TAG.numericString,
  TAG.visibleString,
  TAG.t61String,
  TAG.generalString,
]);

function bmpString(raw: Buffer): string | undefined {
  if (raw.length % 2 !== 0) return undefined;
  const swapped = Buffer.from(raw);
  swapped.swap16();
  return swapped.toString('utf16le');
}

function universalString(raw: Buffer): string | undefined {
  if (raw.length % 4 !== 0) return undefined;
  let text = '';
  for (let i = 0; i < raw.length; i += 4) {
    const codePoint = raw.readUInt32BE(i);
    if (codePoint > 0x10ffff) return undefined;
    text += String.fromCodePoint(codePoint);
  }
  return text;
}

/** Decodes a directory string properly (UTF-8, Latin-1 families, BMP, Universal); undefined for non-strings. */
export function directoryString(attribute: DnAttribute): string | undefined {
  if (BYTE_STRING_TAGS.has(attribute.tag)) return attribute.raw.toString('utf8');
  if (attribute.tag === TAG.bmpString) return bmpString(attribute.raw);
  if (attribute.tag === TAG.universalString) return universalString(attribute.raw);
  return undefined;
}

export interface DerExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's content. */
  readonly value: Buffer;
}

function decodeExtensions(element: DerElement): DerExtension[] {
  expectTag(element, TAG.sequence);
  return children(element).map((extension) => {
    expectTag(extension, TAG.sequence);
    const parts = children(extension);
    const oid = decodeOid(expectTag(parts[0], TAG.oid));
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === TAG.boolean) {
      critical = parts[1].content.length === 1 && parts[1].content[0] !== 0;
      valueIndex = 2;
    }
    const value = expectTag(parts[valueIndex], TAG.octetString).content;
    if (parts.length !== valueIndex + 1) throw malformed('extension has trailing fields');
    return { oid, critical, value };
  });
}

export interface ParsedCertificate {
  readonly der: Buffer;
  /** DER of tbsCertificate: what the issuer signed. */
  readonly tbs: Buffer;
  readonly serialHex: string;
  readonly signatureAlgorithmOid: string;
  readonly issuerDer: Buffer;
  readonly issuer: readonly DnAttribute[];
  readonly subjectDer: Buffer;
  readonly subject: readonly DnAttribute[];
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly publicKeyAlgorithmOid: string;
  readonly spkiDer: Buffer;
  readonly extensions: readonly DerExtension[];
  /** The signature value (BIT STRING content without the unused-bits octet). */
  readonly signature: Buffer;
}

function bitStringBytes(element: DerElement | undefined): Buffer {
  const bits = expectTag(element, TAG.bitString);
  if (bits.content.length === 0 || bits.content[0] !== 0) throw malformed('BIT STRING with unused bits');
  return bits.content.subarray(1);
}

function algorithmOid(element: DerElement | undefined): string {
  const sequence = expectTag(element, TAG.sequence);
  return decodeOid(expectTag(children(sequence)[0], TAG.oid));
}

/** Parses an X.509 v1/v3 certificate from DER. */
export function parseCertificateDer(der: Buffer): ParsedCertificate {
  const certificate = readSingle(der, TAG.sequence);
  const [tbs, signatureAlgorithm, signatureValue, extra] = children(certificate);
  if (tbs === undefined || extra !== undefined) throw malformed('certificate structure');
  const fields = children(expectTag(tbs, TAG.sequence));
  let index = fields[0]?.tag === TAG.context0 ? 1 : 0;
  const take = (): DerElement | undefined => fields[index++];
  const serial = expectTag(take(), TAG.integer);
  const innerAlgorithm = algorithmOid(take());
  const issuer = expectTag(take(), TAG.sequence);
  const validity = children(expectTag(take(), TAG.sequence));
  const subject = expectTag(take(), TAG.sequence);
  const spki = expectTag(take(), TAG.sequence);
  let extensions: DerExtension[] = [];
  for (let field = take(); field !== undefined; field = take()) {
    if (field.tag === TAG.context3) extensions = decodeExtensions(expectTag(children(field)[0], TAG.sequence));
  }
  const outerAlgorithm = algorithmOid(signatureAlgorithm);
  if (outerAlgorithm !== innerAlgorithm) throw malformed('signature algorithm mismatch');
  const [notBefore, notAfter] = validity;
  if (notBefore === undefined || notAfter === undefined || validity.length !== 2) throw malformed('validity');
  return {
    der,
    tbs: tbs.encoded,
    serialHex: serialFromInteger(serial),
    signatureAlgorithmOid: outerAlgorithm,
    issuerDer: issuer.encoded,
    issuer: decodeName(issuer),
    subjectDer: subject.encoded,
    subject: decodeName(subject),
    notBeforeMs: decodeTime(notBefore),
    notAfterMs: decodeTime(notAfter),
    publicKeyAlgorithmOid: algorithmOid(children(spki)[0]),
    spkiDer: spki.encoded,
    extensions,
    signature: bitStringBytes(signatureValue),
  };
}

export interface ParsedCrl {
  readonly tbs: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly issuerDer: Buffer;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number | undefined;
  readonly revokedSerials: readonly string[];
  readonly signature: Buffer;
}

function revokedSerialsOf(element: DerElement | undefined): string[] {
  if (element?.tag !== TAG.sequence) return [];
  return children(element).map((entry) =>
    serialFromInteger(expectTag(children(expectTag(entry, TAG.sequence))[0], TAG.integer)),
  );
}

function isTime(element: DerElement | undefined): element is DerElement {
  return element?.tag === TAG.utcTime || element?.tag === TAG.generalizedTime;
}

/** Parses an X.509 v2 CRL from DER. */
export function parseCrlDer(der: Buffer): ParsedCrl {
  const list = readSingle(der, TAG.sequence);
  const [tbs, signatureAlgorithm, signatureValue, extra] = children(list);
  if (tbs === undefined || extra !== undefined) throw malformed('CRL structure');
  const fields = children(expectTag(tbs, TAG.sequence));
  let index = fields[0]?.tag === TAG.integer ? 1 : 0;
  const innerAlgorithm = algorithmOid(fields[index++]);
  const issuer = expectTag(fields[index++], TAG.sequence);
  const thisUpdate = fields[index++];
  if (!isTime(thisUpdate)) throw malformed('CRL thisUpdate');
  const maybeNext = fields[index];
  const nextUpdateMs = isTime(maybeNext) ? decodeTime(maybeNext) : undefined;
  if (nextUpdateMs !== undefined) index += 1;
  const outerAlgorithm = algorithmOid(signatureAlgorithm);
  if (outerAlgorithm !== innerAlgorithm) throw malformed('signature algorithm mismatch');
  return {
    tbs: tbs.encoded,
    signatureAlgorithmOid: outerAlgorithm,
    issuerDer: issuer.encoded,
    thisUpdateMs: decodeTime(thisUpdate),
    nextUpdateMs,
    revokedSerials: revokedSerialsOf(fields[index]),
    signature: bitStringBytes(signatureValue),
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The DER inside the first PEM block, which must carry `label` or one of `aliases` (e.g. CERTIFICATE, X509 CRL). */
export function pemToDer(pem: string, label: string, ...aliases: string[]): Buffer {
  if (typeof pem !== 'string') throw new DomainError('INVALID_ARGUMENT', `${label} PEM must be a string`);
  const match = PEM_BLOCK.exec(pem);
  const found = match?.[1];
  if (match === null || found === undefined || (found !== label && !aliases.includes(found))) {
    throw new DomainError('INVALID_ARGUMENT', `expected a PEM ${label}`);
  }
  const body = (match[2] ?? '').replace(/[\r\n\t ]/g, '');
  if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new DomainError('INVALID_ARGUMENT', `PEM ${label} has invalid base64`);
  }
  return Buffer.from(body, 'base64');
}

/** PEM text for DER bytes (64-character lines, trailing newline). */
export function derToPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Parses the first CERTIFICATE block of a PEM text. */
export function parseCertificatePem(pem: string): ParsedCertificate {
  return parseCertificateDer(pemToDer(pem, 'CERTIFICATE'));
}

export const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  postalCode: '2.5.4.17',
  emailAddress: '1.2.840.113549.1.9.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
} as const;

/** Whether the BasicConstraints extension marks the certificate as a CA. */
export function isCaCertificate(certificate: ParsedCertificate): boolean {
  const extension = certificate.extensions.find((candidate) => candidate.oid === OID.basicConstraints);
  if (extension === undefined) return false;
  const [flag] = children(readSingle(extension.value, TAG.sequence));
  return flag?.tag === TAG.boolean && flag.content[0] !== 0;
}

/** Values of one DN attribute type, decoded, in certificate order. */
export function nameValues(attributes: readonly DnAttribute[], oid: string): string[] {
  const values: string[] = [];
  for (const attribute of attributes) {
    if (attribute.oid !== oid) continue;
    const value = directoryString(attribute);
    if (value !== undefined) values.push(value);
  }
  return values;
}
