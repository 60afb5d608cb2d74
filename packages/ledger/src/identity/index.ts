/** Fabric CA's attribute extension OID (`1.2.3.4.5.6.7.8.1`). */
export { FABRIC_ATTRIBUTE_OID } from './fabric-attributes.js';
/** Attribute name → value, as carried in the Fabric CA attribute extension. */
export type { FabricAttributes } from './fabric-attributes.js';
/** Encodes attributes as Fabric CA does (`{"attrs":{...}}`, Go key order and escaping). */
export { encodeFabricAttributes } from './fabric-attributes.js';
/** Decodes an attribute extension value strictly (string values only). */
export { decodeFabricAttributes } from './fabric-attributes.js';

/** fabric-shim's `ClientIdentity`, built from (MSP id, PEM) without loading fabric-shim or gRPC. */
export { CertificateIdentity } from './certificate-identity.js';
/** The Fabric CA attributes of a certificate (empty when it has none). */
export { certificateAttributes } from './certificate-identity.js';
/** Shapes returned by `CertificateIdentity.getX509Certificate()`. */
export type { X509CertificateInfo, X509NameInfo } from './certificate-identity.js';

/** One organisation's embedded certificate authority (Fabric-CA-shaped certificates, CRLs, persisted registry). */
export { EmbeddedCa } from './embedded-ca.js';
/** Options, requests and records of the embedded CA. */
export type {
  CertificateRevocationList,
  EmbeddedCaOptions,
  IssuedCertificate,
  NodeType,
  RegisteredIdentity,
  RegistrationRequest,
  Revocation,
  RevocationReason,
  ValidityOptions,
} from './embedded-ca.js';

/** The embedded MSP: trusted roots, revocations, certificate validation and signature checks. */
export { MembershipService } from './msp.js';
/** ECDSA P-256/SHA-256 signing to base64 DER, low-S normalised as Fabric requires. */
export { signData } from './msp.js';
/** Validation outcomes, NodeOUs and options of the MSP. */
export type { CertificateValidation, MembershipServiceOptions, NodeOu, OrganizationTrust } from './msp.js';

/** An encrypted, file-per-label wallet of X.509 identities. */
export { FileWallet } from './wallet.js';
/** Options of `FileWallet.open`. */
export type { FileWalletOptions } from './wallet.js';

/** An X.509 signing identity whose private key never shows in JSON, inspect output or logs. */
export { X509Identity } from './x509-identity.js';
/** What an `X509Identity` shows of itself in JSON. */
export type { RedactedIdentity } from './x509-identity.js';

/** A passphrase or raw 32-byte key that encrypts identity material at rest. */
export type { StorageKeySource, StorageKeyOptions } from './storage-key.js';

/** Canonical serial spelling (lower-case hex, no leading zeros) used by the CA, CRLs and the MSP. */
export { normalizeSerialHex } from './serial.js';
