import type { RecordCursor, RecordRow, StorageKind } from './store/vault-store.js';

/** A FHIR resource as JSON: an object with a `resourceType`. The vault stores its canonical JSON. */
export type FhirResource = { readonly resourceType: string } & Readonly<Record<string, unknown>>;

/** The two hashes the ledger anchors for a record version (`RecordMetadata.ciphertextSha256` / `plaintextHmac`). */
export interface AnchoredHashes {
  /** SHA-256 (lowercase hex) of the stored sealed bytes: iv ‖ ciphertext ‖ GCM tag. */
  readonly ciphertextSha256: string;
  /** HMAC-SHA-256 (lowercase hex) of the canonical plaintext under the custodian's HMAC key. */
  readonly plaintextHmac: string;
}

export interface PutRecordInput {
  /** The ledger's record id (pseudonymous, not secret). */
  readonly recordId: string;
  /** Positive integer; a (recordId, version) pair is written once and never overwritten. */
  readonly version: number;
  /** MSP id of the custodian organisation. */
  readonly custodian: string;
  readonly resource: FhirResource;
}

export interface PutRecordResult extends AnchoredHashes {
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
  /** The KEK that wraps this record's data key. */
  readonly kekId: string;
  readonly createdAt: string;
}

export interface VaultRecord extends PutRecordResult {
  readonly resource: FhirResource;
}

/** A record version's metadata (no content); after erasure, its tombstone. */
export type RecordSummary = RecordRow;

export type { RecordCursor, StorageKind };

export interface ErasedVersion extends AnchoredHashes {
  readonly version: number;
  readonly custodian: string;
  readonly createdAt: string;
}

/** What `shred` leaves: enough for the ledger's erasure receipt and for later audits of the anchored hashes. */
export interface ErasureReceipt {
  readonly recordId: string;
  readonly erasedAt: string;
  readonly versions: readonly ErasedVersion[];
  /** true when every version had been erased before this call (shredding is idempotent). */
  readonly alreadyErased: boolean;
}

/** The integrity checks a read runs, in order; the name of the failed one is in errors, events and verify results. */
export type IntegrityCheck =
  | 'missing-ciphertext'
  | 'ciphertext-sha256'
  | 'expected-ciphertext-sha256'
  | 'missing-kek'
  | 'wrapped-key'
  | 'authentication-tag'
  | 'hmac-key'
  | 'plaintext-hmac'
  | 'expected-plaintext-hmac'
  | 'canonical-form'
  | 'tombstone';

/** Reported to `onIntegrityFailure` (for an alert in the log). Ids and the check only: never content. */
export interface IntegrityFailureEvent {
  readonly operation: 'get' | 'verify' | 'rotate';
  readonly recordId: string;
  readonly version: number;
  readonly check: IntegrityCheck;
}

export interface VerifyResult {
  readonly recordId: string;
  readonly version: number;
  /**
   * intact: decrypts, and both hashes match the stored and the expected ones. erased: shredded, and the tombstone
   * keeps the expected hashes. tampered: a check failed (`failedCheck`). missing: the vault has no such version.
   */
  readonly status: 'intact' | 'erased' | 'tampered' | 'missing';
  readonly ok: boolean;
  readonly failedCheck?: IntegrityCheck;
  readonly erasedAt?: string;
}

export interface KekUsage {
  readonly kekId: string;
  /** undefined for a KEK id found in stored rows but missing from the key ring. */
  readonly version: number | undefined;
  readonly current: boolean;
  readonly available: boolean;
  readonly dataKeys: number;
  readonly hmacKeys: number;
}

export interface RotationResult {
  /** The new current KEK. */
  readonly kekId: string;
  readonly previousKekIds: readonly string[];
  readonly rewrappedDataKeys: number;
  readonly rewrappedHmacKeys: number;
  /** Wrapped keys that could not be unwrapped (tampered, or their KEK is missing): they stay on their old KEK. */
  readonly failed: readonly RecordCursor[];
}

export interface VaultOptions {
  /** Directory for the SQLite file (`vault.sqlite`) and, by default, the KEK directory (`vault-keys/`). */
  readonly dataDir?: string;
  /** PostgreSQL connection string (e.g. `DATABASE_URL`); when set, records are stored there instead of SQLite. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema for this vault's tables (created if missing), so several vaults can share one database. */
  readonly databaseSchema?: string;
  /** KEK directory (0700, key files 0600), created with a first KEK on first start. */
  readonly keyDir?: string;
  /** Configured KEK(s), base64 of 32 bytes: one, or several with the current one first. Excludes `keyDir`. */
  readonly kek?: string | readonly string[];
  /** PostgreSQL pool size (default 10). */
  readonly maxConnections?: number;
  /** Time source for created/erased times (default: the system clock). */
  readonly clock?: () => Date;
  /** Called on every integrity failure (tampering, swapped ciphertexts, hash mismatches): log it as an alert. */
  readonly onIntegrityFailure?: (event: IntegrityFailureEvent) => void;
}

/** The off-chain encrypted record store of one custodian deployment. */
export interface Vault {
  readonly storage: StorageKind;
  /**
   * Encrypts and stores a record version.
   * @throws DomainError INVALID_ARGUMENT (bad ids or resource), CONFLICT (version exists, record erased, or the
   * record belongs to another custodian).
   */
  put(input: PutRecordInput): Promise<PutRecordResult>;
  /** Encrypts and stores several record versions in one database transaction: all of them or none. */
  putMany(inputs: readonly PutRecordInput[]): Promise<PutRecordResult[]>;
  /**
   * Reads, verifies and decrypts a version (the highest one when `version` is undefined). Pass the hashes anchored on
   * the ledger as `expected`: a mismatch is refused.
   * @throws DomainError NOT_FOUND (unknown, or erased: `details.erased`), INTERNAL (integrity: `details.integrity`).
   */
  get(recordId: string, version?: number, expected?: AnchoredHashes): Promise<VaultRecord>;
  /** Re-checks a version against the anchored hashes without returning content (for `medledger verify`). */
  verifyRecord(recordId: string, version: number, expected: AnchoredHashes): Promise<VerifyResult>;
  /** Metadata of every version of a record, tombstones included. */
  versions(recordId: string): Promise<RecordSummary[]>;
  /** Metadata of all records in (recordId, version) order, `limit` (default 500, at most 5000) after `after`. */
  list(options?: { readonly after?: RecordCursor; readonly limit?: number }): Promise<RecordSummary[]>;
  /**
   * Deletes a version that never reached the ledger (rollback when the ledger write fails). No tombstone.
   * @returns false when there was nothing to remove (or the record was erased: tombstones stay).
   */
  remove(recordId: string, version: number): Promise<boolean>;
  /**
   * Crypto-shredding: destroys the wrapped data keys and ciphertexts of all versions; keeps tombstones with the
   * hashes. Idempotent. @throws DomainError NOT_FOUND for an unknown record.
   */
  shred(recordId: string): Promise<ErasureReceipt>;
  /**
   * Creates a new KEK version (random, or `newKek` — required for configured keys) and re-wraps every data key and
   * HMAC key under it. Ciphertexts are not touched. Old KEKs stay until {@link retireUnusedKeks}.
   */
  rotateKek(options?: { readonly newKek?: string }): Promise<RotationResult>;
  /** Retires (destroys, for the key directory) every non-current KEK that no wrapped key uses. @returns their ids. */
  retireUnusedKeks(): Promise<string[]>;
  kekUsage(): Promise<KekUsage[]>;
  close(): Promise<void>;
}
