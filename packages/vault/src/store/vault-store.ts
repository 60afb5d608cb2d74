/**
 * The vault's storage port. It stores bytes and hashes only: encryption, keys and integrity checks live in the
 * vault above it, so an implementation never sees a plaintext or an unwrapped key.
 */

export type StorageKind = 'sqlite' | 'postgres';

/** A record version's metadata row; after crypto-shredding it is the tombstone (`erasedAt` set). */
export interface RecordRow {
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
  readonly ciphertextSha256: string;
  readonly plaintextHmac: string;
  readonly createdAt: string;
  readonly erasedAt: string | null;
}

export interface CiphertextRow {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly authTag: Buffer;
}

export interface WrappedKeyRow {
  readonly kekId: string;
  readonly wrappedKey: Buffer;
}

export interface DataKeyRow extends WrappedKeyRow {
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
}

export interface HmacKeyRow extends WrappedKeyRow {
  readonly custodian: string;
  readonly createdAt: string;
}

/** A record version with whatever of its ciphertext and wrapped key rows exist (none after shredding). */
export interface StoredRecord extends RecordRow {
  readonly sealed: CiphertextRow | undefined;
  readonly dataKey: WrappedKeyRow | undefined;
}

export interface RecordCursor {
  readonly recordId: string;
  readonly version: number;
}

export interface KekUseCount {
  readonly dataKeys: number;
  readonly hmacKeys: number;
}

export interface VaultStore {
  readonly kind: StorageKind;
  /**
   * Stores a record version's metadata, ciphertext and wrapped data key in one transaction.
   * @throws DomainError CONFLICT when (recordId, version) already exists (a tombstone included).
   */
  insertRecord(row: RecordRow, sealed: CiphertextRow, dataKey: WrappedKeyRow): Promise<void>;
  /** Inserts several record versions in one transaction: all of them or none. */
  insertRecords(items: readonly NewRecordRows[]): Promise<void>;
  /** One version, or the highest version when `version` is undefined. */
  readRecord(recordId: string, version?: number): Promise<StoredRecord | undefined>;
  /** Metadata of every version of a record (tombstones included), in version order. */
  listVersions(recordId: string): Promise<RecordRow[]>;
  /** Metadata of all records in (recordId, version) order, after `after`. */
  listRecords(after: RecordCursor | undefined, limit: number): Promise<RecordRow[]>;
  /** Deletes every trace of a version that was never erased (rollback of a failed ledger write). */
  deleteRecord(recordId: string, version: number): Promise<boolean>;
  /**
   * Crypto-shredding: deletes the ciphertexts and wrapped data keys of every version and marks the metadata rows
   * erased at `erasedAt` (rows already erased keep their time), then scrubs what the engine keeps of deleted rows
   * where it can. @returns the tombstones, in version order (empty for an unknown record).
   */
  eraseRecord(recordId: string, erasedAt: string): Promise<RecordRow[]>;
  /** Wrapped data keys not wrapped by `kekId`, in (recordId, version) order after `after`. */
  listDataKeysNotWrappedBy(kekId: string, after: RecordCursor | undefined, limit: number): Promise<DataKeyRow[]>;
  /** Replaces a wrapped data key if it is still wrapped by `fromKekId`. @returns whether it was replaced. */
  replaceDataKey(recordId: string, version: number, fromKekId: string, to: WrappedKeyRow): Promise<boolean>;
  readHmacKey(custodian: string): Promise<HmacKeyRow | undefined>;
  /** Inserts a custodian's wrapped HMAC key unless one exists. @returns the stored row (the existing one, if any). */
  insertHmacKey(row: HmacKeyRow): Promise<HmacKeyRow>;
  listHmacKeysNotWrappedBy(kekId: string): Promise<HmacKeyRow[]>;
  replaceHmacKey(custodian: string, fromKekId: string, to: WrappedKeyRow): Promise<boolean>;
  /** How many wrapped keys each KEK id wraps (ids with no use are absent). */
  kekUsage(): Promise<Map<string, KekUseCount>>;
  close(): Promise<void>;
}

/** The rows of one new record version. */
export interface NewRecordRows {
  readonly row: RecordRow;
  readonly sealed: CiphertextRow;
  readonly dataKey: WrappedKeyRow;
}
