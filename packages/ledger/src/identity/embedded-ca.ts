import type { KeyObject } from 'node:crypto';
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  timingSafeEqual,
  webcrypto,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Role } from '@medledger/core';
import { DomainError, PATTERNS, ROLES, canonicalJson, isOneOf } from '@medledger/core';

import { ensurePrivateDirectory, exists, writeFileAtomic } from './atomic-file.js';
import { derToPem, nodeCertificate, x509 } from './certificates.js';
import { FABRIC_ATTRIBUTE_OID, encodeFabricAttributes } from './fabric-attributes.js';
import { normalizeSerialHex } from './serial.js';
import type { StorageKeyOptions, StorageKeySource } from './storage-key.js';
import { openStorageKey, seal, subkey, unseal } from './storage-key.js';
import { X509Identity } from './x509-identity.js';

const KEY_ALGORITHM: webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
/** Fabric CA (cfssl) backdates certificates so that small clock differences do not make them "not yet valid". */
const BACKDATE_MS = 5 * 60 * 1000;
const SERIAL_BYTES = 20;
const CRL_NUMBER_OID = '2.5.29.20';

const FILES = {
  storageKey: 'storage-key.json',
  caKey: 'ca-key.json',
  caCert: 'ca-cert.pem',
  registry: 'registry.json',
} as const;
const KEY_PURPOSE = 'embedded CA';

/** The node types of Fabric's NodeOUs that the embedded CA issues besides clients. */
export type NodeType = 'peer' | 'orderer';

/** RFC 5280 CRL reason codes the CA records (certificate hold is not supported: revocation is final). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'privilegeWithdrawn';

const REASONS: Readonly<Record<RevocationReason, x509.X509CrlReason>> = {
  unspecified: x509.X509CrlReason.unspecified,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  cACompromise: x509.X509CrlReason.cACompromise,
  affiliationChanged: x509.X509CrlReason.affiliationChanged,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
  privilegeWithdrawn: x509.X509CrlReason.privilegeWithdrawn,
};

export interface EmbeddedCaOptions extends StorageKeyOptions {
  /** A directory dedicated to this CA (created 0700; files 0600). */
  readonly directory: string;
  /** The organisation's MSP id, e.g. `HospitalAMSP`. */
  readonly mspId: string;
  /** Encrypts the CA private key at rest and authenticates the registry. */
  readonly key: StorageKeySource;
  /** The CA's `O=`; default: the MSP id without its `MSP` suffix (`HospitalA`). Fixed when the CA is created. */
  readonly organization?: string;
  /** The CA's `CN=ca.<domain>`; default `<organization lower case>.medledger.local`. Fixed when the CA is created. */
  readonly domain?: string;
  /** Validity of issued certificates; default one year. */
  readonly certificateValidityMs?: number;
  /** Validity of a new root; default ten years. */
  readonly caValidityMs?: number;
  /** How long a CRL is valid (its nextUpdate); default seven days. */
  readonly crlValidityMs?: number;
  /** Time source (epoch ms); default `Date.now`. */
  readonly clock?: () => number;
}

export interface RegistrationRequest {
  /** Matches `/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/`; unique per CA, compared case-insensitively. */
  readonly uid: string;
  readonly role: Role;
  /** Further CA attributes (names `^[A-Za-z][A-Za-z0-9._-]{0,63}$`; `role`, `uid` and `hf.*` are reserved). */
  readonly attrs?: Readonly<Record<string, string>>;
}

export interface RegisteredIdentity {
  readonly uid: string;
  readonly role: Role;
  readonly attrs: Readonly<Record<string, string>>;
  /** ISO-8601 instant. */
  readonly registeredAt: string;
}

export interface IssuedCertificate {
  /** Canonical serial: lower-case hex without leading zeros. */
  readonly serial: string;
  readonly commonName: string;
  readonly type: 'client' | NodeType;
  /** ISO-8601 instants. */
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
}

export interface Revocation {
  readonly serial: string;
  readonly reason: RevocationReason;
  /** ISO-8601 instant. */
  readonly revokedAt: string;
}

/** A signed CRL and what it lists. */
export interface CertificateRevocationList {
  readonly pem: string;
  /** Canonical serials (lower-case hex without leading zeros). */
  readonly revokedSerials: ReadonlySet<string>;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** Validity override for one certificate (e.g. to issue an already-expired certificate in a test). */
export interface ValidityOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

interface RegistryBody {
  readonly version: 1;
  readonly mspId: string;
  readonly organization: string;
  readonly domain: string;
  readonly identities: readonly RegisteredIdentity[];
  readonly certificates: readonly IssuedCertificate[];
  readonly revocations: readonly Revocation[];
  readonly crlNumber: number;
}

interface RegistryFile {
  readonly version: 1;
  /** HMAC-SHA256 (hex) over the canonical JSON of `body`, with a subkey of the storage key. */
  readonly mac: string;
  readonly body: RegistryBody;
}

interface CaMaterial {
  readonly certificate: x509.X509Certificate;
  readonly certPem: string;
  readonly signingKey: webcrypto.CryptoKey;
  readonly notAfterMs: number;
}

interface CachedCrl {
  readonly crl: CertificateRevocationList;
  readonly revocationCount: number;
}

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const NODE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,200}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ORGANIZATION = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const MAX_ATTRIBUTE_VALUE = 256;

function invalid(message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message);
}

function positiveDuration(value: number | undefined, fallback: number, what: string): number {
  const duration = value ?? fallback;
  if (!Number.isSafeInteger(duration) || duration < 1000) throw invalid(`${what} must be at least one second`);
  return duration;
}

function validateAttrs(attrs: unknown): Record<string, string> {
  if (attrs === undefined) return {};
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw invalid('attrs must be an object');
  const entries = Object.entries(attrs as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`invalid attribute name ${JSON.stringify(name)}`);
    if (name === 'role' || name === 'uid' || name.startsWith('hf.')) throw invalid(`attribute ${name} is reserved`);
    if (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_VALUE) {
      throw invalid(`attribute ${name} must be a string of at most ${MAX_ATTRIBUTE_VALUE} characters`);
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<string, string>;
}

/** 20 random bytes, positive (top bit clear) and of full length (first byte non-zero), as Fabric CA issues. */
function randomSerialHex(): string {
  const bytes = randomBytes(SERIAL_BYTES);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

function evenHex(serial: string): string {
  return serial.length % 2 === 0 ? serial : `0${serial}`;
}

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function generateP256(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'prime256v1' }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ publicKey, privateKey });
    });
  });
}

function resolveOptions(options: EmbeddedCaOptions): {
  organization: string;
  domain: string;
  clock: () => number;
  certificateValidityMs: number;
  caValidityMs: number;
  crlValidityMs: number;
} {
  if (!PATTERNS.mspId.test(options.mspId)) throw invalid('invalid MSP id');
  const organization = options.organization ?? options.mspId.replace(/MSP$/, '');
  if (!ORGANIZATION.test(organization)) throw invalid('invalid organization name');
  const domain = options.domain ?? `${organization.toLowerCase().replace(/[^a-z0-9-]/g, '')}.medledger.local`;
  if (!DOMAIN.test(domain)) throw invalid('invalid domain');
  return {
    organization,
    domain,
    clock: options.clock ?? Date.now,
    certificateValidityMs: positiveDuration(options.certificateValidityMs, 365 * DAY_MS, 'certificate validity'),
    caValidityMs: positiveDuration(options.caValidityMs, 10 * 365 * DAY_MS, 'CA validity'),
    crlValidityMs: positiveDuration(options.crlValidityMs, 7 * DAY_MS, 'CRL validity'),
  };
}

function checkStoredIdentity(registry: RegistryBody, options: EmbeddedCaOptions): void {
  if (registry.mspId !== options.mspId) throw invalid(`this CA belongs to ${registry.mspId}`);
  if (options.organization !== undefined && options.organization !== registry.organization) {
    throw invalid('organization differs from the stored CA');
  }
  if (options.domain !== undefined && options.domain !== registry.domain) {
    throw invalid('domain differs from the stored CA');
  }
}

/** Registry records are handed out directly, so they are made immutable. */
function freezeRegistry(body: RegistryBody): RegistryBody {
  for (const identity of body.identities) Object.freeze(Object.freeze(identity).attrs);
  for (const list of [body.certificates, body.revocations]) list.forEach((entry) => Object.freeze(entry));
  Object.freeze(body.identities);
  Object.freeze(body.certificates);
  Object.freeze(body.revocations);
  return Object.freeze(body);
}

function registryMac(macKey: Buffer, body: RegistryBody): string {
  return createHmac('sha256', macKey).update(canonicalJson(body)).digest('hex');
}

/**
 * One organisation's certificate authority for the embedded ledger, issuing the certificates Fabric CA would issue:
 * ECDSA P-256, a self-signed root `CN=ca.<domain>, O=<organization>`, client leaves `OU=client + OU=<org>, CN=<uid>`
 * with the Fabric CA attribute extension (`role`, `uid`, `hf.EnrollmentID`, `hf.Type`, `hf.Affiliation`), and peer /
 * orderer leaves for the ledger's own nodes. Revocations are published as a signed X.509 CRL.
 *
 * Everything lives in one directory: the root certificate, the root key encrypted with the caller's storage key
 * (AES-256-GCM), and a registry of identities, issued certificates and revocations authenticated with an HMAC of the
 * same key. Files are replaced atomically. One process at a time may open a CA directory.
 */
export class EmbeddedCa {
  readonly mspId: string;
  readonly organization: string;
  readonly domain: string;
  readonly #directory: string;
  readonly #material: CaMaterial;
  readonly #authorityKeyId: x509.AuthorityKeyIdentifierExtension;
  readonly #macKey: Buffer;
  readonly #clock: () => number;
  readonly #certificateValidityMs: number;
  readonly #crlValidityMs: number;
  #registry: RegistryBody;
  #crl: CachedCrl | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(init: {
    directory: string;
    material: CaMaterial;
    authorityKeyId: x509.AuthorityKeyIdentifierExtension;
    macKey: Buffer;
    registry: RegistryBody;
    clock: () => number;
    certificateValidityMs: number;
    crlValidityMs: number;
  }) {
    this.#directory = init.directory;
    this.#material = init.material;
    this.#authorityKeyId = init.authorityKeyId;
    this.#macKey = init.macKey;
    this.#registry = init.registry;
    this.#clock = init.clock;
    this.#certificateValidityMs = init.certificateValidityMs;
    this.#crlValidityMs = init.crlValidityMs;
    this.mspId = init.registry.mspId;
    this.organization = init.registry.organization;
    this.domain = init.registry.domain;
  }

  /**
   * Opens the CA in `options.directory`, creating it (new root key and certificate) when the directory holds none.
   * @throws DomainError UNAUTHENTICATED for a wrong storage key or a registry altered outside the CA
   * @throws DomainError INVALID_ARGUMENT for invalid options, or options that contradict the stored CA
   */
  static async open(options: EmbeddedCaOptions): Promise<EmbeddedCa> {
    const { organization, domain, clock, certificateValidityMs, caValidityMs, crlValidityMs } = resolveOptions(options);
    await ensurePrivateDirectory(options.directory);
    const storageKey = await openStorageKey(options.directory, FILES.storageKey, KEY_PURPOSE, options.key, options);
    const encryptionKey = subkey(storageKey, 'ca-key');
    const macKey = subkey(storageKey, 'ca-registry');
    storageKey.fill(0);

    const identity = { mspId: options.mspId, organization, domain };
    const created = !(await exists(join(options.directory, FILES.caCert)));
    let registry: RegistryBody;
    let material: CaMaterial;
    try {
      if (created) {
        registry = { version: 1, ...identity, identities: [], certificates: [], revocations: [], crlNumber: 0 };
        material = await createRoot(options.directory, encryptionKey, identity, clock(), caValidityMs);
        await writeRegistry(options.directory, macKey, registry);
        // The certificate is written last: its presence marks a completely created CA.
        await writeFileAtomic(join(options.directory, FILES.caCert), material.certPem);
      } else {
        registry = await readRegistry(options.directory, macKey);
        checkStoredIdentity(registry, options);
        material = await loadRoot(options.directory, encryptionKey, options.mspId);
      }
    } finally {
      encryptionKey.fill(0);
    }
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(material.certificate.publicKey);
    return new EmbeddedCa({
      directory: options.directory,
      material,
      authorityKeyId,
      macKey,
      registry: freezeRegistry(registry),
      clock,
      certificateValidityMs,
      crlValidityMs,
    });
  }

  /** The root certificate (PEM): what the MSP trusts for this organisation. */
  get certPem(): string {
    return this.#material.certPem;
  }

  /**
   * Records an enrollment identity (Fabric CA's `register`).
   * @throws DomainError INVALID_ARGUMENT for a bad uid, role or attribute; ALREADY_EXISTS when the uid is taken
   */
  register(request: RegistrationRequest): Promise<RegisteredIdentity> {
    return this.#exclusive(async () => {
      if (typeof request.uid !== 'string' || !PATTERNS.uid.test(request.uid)) throw invalid('invalid uid');
      if (!isOneOf(ROLES, request.role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
      const attrs = validateAttrs(request.attrs);
      const taken = this.#registry.identities.some((entry) => entry.uid.toLowerCase() === request.uid.toLowerCase());
      if (taken) throw new DomainError('ALREADY_EXISTS', 'uid is already registered');
      const record: RegisteredIdentity = {
        uid: request.uid,
        role: request.role,
        attrs,
        registeredAt: new Date(this.#clock()).toISOString(),
      };
      await this.#commit({ ...this.#registry, identities: [...this.#registry.identities, record] });
      return record;
    });
  }

  /** The registered identity with this uid (exact match), if any. */
  registration(uid: string): RegisteredIdentity | undefined {
    return this.#registry.identities.find((entry) => entry.uid === uid);
  }

  /** Every registered identity, in registration order. */
  registrations(): readonly RegisteredIdentity[] {
    return this.#registry.identities;
  }

  /**
   * Issues a client certificate and a fresh key pair for a registered identity (Fabric CA's `enroll`). Each call
   * issues a new certificate; earlier ones stay valid until they expire or are revoked.
   * @throws DomainError NOT_FOUND when the uid is not registered; INVALID_ARGUMENT for a bad validity
   */
  enroll(uid: string, validity: ValidityOptions = {}): Promise<X509Identity> {
    return this.#exclusive(async () => {
      const registration = this.registration(uid);
      if (registration === undefined) throw new DomainError('NOT_FOUND', 'no such registered identity');
      const affiliation = this.organization.toLowerCase();
      const attrs: Record<string, string> = {
        ...registration.attrs,
        'hf.Affiliation': affiliation,
        'hf.EnrollmentID': registration.uid,
        'hf.Type': 'client',
        role: registration.role,
        uid: registration.uid,
      };
      return this.#issue({ commonName: registration.uid, type: 'client', attrs, validity });
    });
  }

  /**
   * Issues a peer or orderer certificate (`OU=peer` / `OU=orderer`, `CN=<name>.<domain>`) for the ledger's own nodes.
   * It carries the `hf.*` attributes but no Medledger role.
   */
  enrollNode(name: string, type: NodeType, validity: ValidityOptions = {}): Promise<X509Identity> {
    return this.#exclusive(async () => {
      if (typeof name !== 'string' || !NODE_NAME.test(name)) throw invalid('node name must be a DNS label');
      const nodeType: unknown = type;
      if (nodeType !== 'peer' && nodeType !== 'orderer') throw invalid('node type must be peer or orderer');
      const commonName = `${name}.${this.domain}`;
      const attrs = {
        'hf.Affiliation': this.organization.toLowerCase(),
        'hf.EnrollmentID': commonName,
        'hf.Type': type,
      };
      return this.#issue({ commonName, type, attrs, validity });
    });
  }

  /** Every certificate this CA issued, in issue order. */
  issuedCertificates(): readonly IssuedCertificate[] {
    return this.#registry.certificates;
  }

  /**
   * Revokes a certificate this CA issued. Revoking an already revoked serial changes nothing and returns the
   * original revocation.
   * @throws DomainError NOT_FOUND when this CA never issued the serial; INVALID_ARGUMENT for a bad serial or reason
   */
  revoke(serialHex: string, reason: RevocationReason = 'unspecified'): Promise<Revocation> {
    return this.#exclusive(async () => {
      const serial = normalizeSerialHex(serialHex);
      if (!Object.hasOwn(REASONS, reason)) throw invalid('unknown revocation reason');
      if (!this.#registry.certificates.some((entry) => entry.serial === serial)) {
        throw new DomainError('NOT_FOUND', 'this CA issued no certificate with that serial');
      }
      const existing = this.#registry.revocations.find((entry) => entry.serial === serial);
      if (existing !== undefined) return existing;
      const revocation: Revocation = { serial, reason, revokedAt: new Date(this.#clock()).toISOString() };
      await this.#commit({ ...this.#registry, revocations: [...this.#registry.revocations, revocation] });
      return revocation;
    });
  }

  /** Every revocation, in the order they were made. */
  revocations(): readonly Revocation[] {
    return this.#registry.revocations;
  }

  /** Canonical serials of every revoked certificate. */
  revokedSerials(): ReadonlySet<string> {
    return new Set(this.#registry.revocations.map((entry) => entry.serial));
  }

  /**
   * The current CRL, signed by the root: a new one (with the next CRL number) after each revocation and once half of
   * the previous one's validity has passed; otherwise the cached one.
   */
  crl(): Promise<CertificateRevocationList> {
    return this.#exclusive(async () => {
      const now = this.#clock();
      const cached = this.#crl;
      const fresh =
        cached !== undefined &&
        cached.revocationCount === this.#registry.revocations.length &&
        now >= cached.crl.thisUpdate.getTime() &&
        now < cached.crl.thisUpdate.getTime() + this.#crlValidityMs / 2;
      if (fresh) return cached.crl;
      const crlNumber = this.#registry.crlNumber + 1;
      const thisUpdate = new Date(wholeSeconds(now));
      const nextUpdate = new Date(thisUpdate.getTime() + this.#crlValidityMs);
      const revocations = this.#registry.revocations;
      const generated = await x509.X509CrlGenerator.create({
        issuer: this.#material.certificate.subjectName,
        thisUpdate,
        nextUpdate,
        signingKey: this.#material.signingKey,
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [this.#authorityKeyId, new x509.Extension(CRL_NUMBER_OID, false, derInteger(crlNumber))],
        entries: revocations.map((entry) => ({
          serialNumber: evenHex(entry.serial),
          revocationDate: new Date(entry.revokedAt),
          reason: REASONS[entry.reason],
        })),
      });
      await this.#commit({ ...this.#registry, crlNumber });
      const crl: CertificateRevocationList = {
        // OpenSSL's label; @peculiar/x509 writes a bare 'CRL'.
        pem: derToPem(new Uint8Array(generated.rawData), 'X509 CRL'),
        revokedSerials: new Set(revocations.map((entry) => entry.serial)),
        crlNumber,
        thisUpdate,
        nextUpdate,
      };
      this.#crl = { crl, revocationCount: revocations.length };
      return crl;
    });
  }

  async #issue(request: {
    commonName: string;
    type: IssuedCertificate['type'];
    attrs: Readonly<Record<string, string>>;
    validity: ValidityOptions;
  }): Promise<X509Identity> {
    const { notBefore, notAfter } = this.#validity(request.validity);
    const keys = await generateP256();
    const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
    let serial = randomSerialHex();
    while (this.#registry.certificates.some((entry) => entry.serial === normalizeSerialHex(serial))) {
      serial = randomSerialHex();
    }
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      // One multi-valued RDN for the OUs, then CN: how Go's pkix.Name (and so Fabric CA) lays out the subject.
      subject: [{ OU: derSetOrder([request.type, this.organization.toLowerCase()]) }, { CN: [request.commonName] }],
      issuer: this.#material.certificate.subjectName,
      notBefore,
      notAfter,
      publicKey: spki,
      signingKey: this.#material.signingKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(spki),
        this.#authorityKeyId,
        new x509.Extension(FABRIC_ATTRIBUTE_OID, false, encodeFabricAttributes(request.attrs)),
      ],
    });
    const certPem = certificate.toString('pem');
    const record: IssuedCertificate = {
      serial: normalizeSerialHex(certificate.serialNumber),
      commonName: request.commonName,
      type: request.type,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      issuedAt: new Date(this.#clock()).toISOString(),
    };
    await this.#commit({ ...this.#registry, certificates: [...this.#registry.certificates, record] });
    return new X509Identity(this.mspId, certPem, keys.privateKey);
  }

  #validity(validity: ValidityOptions): { notBefore: Date; notAfter: Date } {
    const now = this.#clock();
    const notBeforeMs = wholeSeconds(validity.notBefore?.getTime() ?? now - BACKDATE_MS);
    const notAfterMs = wholeSeconds(
      validity.notAfter?.getTime() ?? Math.min(now + this.#certificateValidityMs, this.#material.notAfterMs),
    );
    if (!Number.isFinite(notBeforeMs) || !Number.isFinite(notAfterMs) || notAfterMs <= notBeforeMs) {
      throw invalid('notAfter must be after notBefore');
    }
    if (notAfterMs > this.#material.notAfterMs) throw invalid('a certificate cannot outlive its CA');
    return { notBefore: new Date(notBeforeMs), notAfter: new Date(notAfterMs) };
  }

  async #commit(next: RegistryBody): Promise<void> {
    await writeRegistry(this.#directory, this.#macKey, next);
    this.#registry = freezeRegistry(next);
  }

  /** Runs mutations one at a time, so each reads the registry the previous one wrote. */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * Orders the values of one multi-valued RDN (same attribute type) as DER's SET OF requires and Go's encoder writes
 * them: by encoding, i.e. by length, then string type (UTF8String 0x0c before PrintableString 0x13), then bytes.
 */
function derSetOrder(values: readonly string[]): string[] {
  const key = (value: string): [number, number, Buffer] => {
    const bytes = Buffer.from(value, 'utf8');
    return [bytes.length, x509.Name.isPrintableString(value) ? 0x13 : 0x0c, bytes];
  };
  return [...values].sort((a, b) => {
    const [lengthA, tagA, bytesA] = key(a);
    const [lengthB, tagB, bytesB] = key(b);
    return lengthA - lengthB || tagA - tagB || Buffer.compare(bytesA, bytesB);
  });
}

/** DER INTEGER of a non-negative safe integer: the value of the CRL number extension. */
function derInteger(value: number): Buffer {
  const magnitude = Buffer.from(evenHex(value.toString(16)), 'hex');
  const content = (magnitude[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
  return Buffer.concat([Buffer.from([0x02, content.length]), content]);
}

async function createRoot(
  directory: string,
  encryptionKey: Buffer,
  identity: { mspId: string; organization: string; domain: string },
  now: number,
  validityMs: number,
): Promise<CaMaterial> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(wholeSeconds(now - BACKDATE_MS));
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ CN: [`ca.${identity.domain}`] }, { O: [identity.organization] }],
    notBefore,
    notAfter: new Date(wholeSeconds(now + validityMs)),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const box = seal(encryptionKey, pkcs8, caKeyAad(identity.mspId));
  pkcs8.fill(0);
  await writeFileAtomic(join(directory, FILES.caKey), `${JSON.stringify(box)}\n`);
  return materialFrom(certificate, keys.privateKey);
}

async function loadRoot(directory: string, encryptionKey: Buffer, mspId: string): Promise<CaMaterial> {
  const certPem = await readFile(join(directory, FILES.caCert), 'utf8');
  const certificate = new x509.X509Certificate(certPem);
  let box: unknown;
  try {
    box = JSON.parse(await readFile(join(directory, FILES.caKey), 'utf8'));
  } catch (cause) {
    throw new DomainError('INTERNAL', 'CA key file is missing or corrupted', { cause });
  }
  const pkcs8 = unseal(encryptionKey, box, caKeyAad(mspId));
  try {
    const derived = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    if (!derived.equals(nodeCertificate(certPem).publicKey)) {
      throw new DomainError('INTERNAL', 'CA key does not match the CA certificate');
    }
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, KEY_ALGORITHM, false, ['sign']);
    return materialFrom(certificate, signingKey);
  } finally {
    pkcs8.fill(0);
  }
}

function materialFrom(certificate: x509.X509Certificate, signingKey: webcrypto.CryptoKey): CaMaterial {
  return {
    certificate,
    certPem: certificate.toString('pem'),
    signingKey,
    notAfterMs: certificate.notAfter.getTime(),
  };
}

function caKeyAad(mspId: string): string {
  return `medledger embedded CA key ${mspId}`;
}

async function writeRegistry(directory: string, macKey: Buffer, body: RegistryBody): Promise<void> {
  const file: RegistryFile = { version: 1, mac: registryMac(macKey, body), body };
  await writeFileAtomic(join(directory, FILES.registry), `${JSON.stringify(file, null, 2)}\n`);
}

async function readRegistry(directory: string, macKey: Buffer): Promise<RegistryBody> {
  let file: Partial<RegistryFile>;
  try {
    file = JSON.parse(await readFile(join(directory, FILES.registry), 'utf8')) as Partial<RegistryFile>;
  } catch (cause) {
    throw new DomainError('INTERNAL', 'CA registry is missing or corrupted', { cause });
  }
  const body = file.body;
  if (file.version !== 1 || typeof file.mac !== 'string' || typeof body !== 'object') {
    throw new DomainError('INTERNAL', 'CA registry is corrupted');
  }
  let expected: Buffer;
  try {
    expected = Buffer.from(registryMac(macKey, body), 'hex');
  } catch (cause) {
    throw new DomainError('INTERNAL', 'CA registry is corrupted', { cause });
  }
  const actual = Buffer.from(file.mac, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new DomainError('UNAUTHENTICATED', 'CA registry was modified outside the CA');
  }
  return body;
}
