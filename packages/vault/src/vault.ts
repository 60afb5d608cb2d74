import type { KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError, canonicalJson } from '@medledger/core';
import {
  AuthenticationFailure,
  dataKeyAad,
  deriveHmacKey,
  hmacKeyAad,
  newDataKey,
  openBox,
  plaintextHmac,
  recordAad,
  sameDigest,
  sealBox,
  sealedSha256,
  unwrapKey,
  wrapKey,
  type RecordBinding,
} from './envelope.js';
import { createConfigKeyRing, openDirectoryKeyRing, type KeyEncryptionKey, type KeyRing } from './key-ring.js';
import { PRIVATE_DIRECTORY_MODE } from './private-files.js';
import { PostgresVaultStore } from './store/postgres-vault-store.js';
import { SqliteVaultStore } from './store/sqlite-vault-store.js';
import type {
  DataKeyRow,
  HmacKeyRow,
  NewRecordRows,
  RecordCursor,
  RecordRow,
  StoredRecord,
  VaultStore,
} from './store/vault-store.js';
import {
  expectAnchoredHashes,
  expectBinding,
  expectRecordId,
  expectResource,
  expectVersion,
  integrityError,
  IntegrityViolation,
} from './vault-input.js';
import type {
  AnchoredHashes,
  ErasureReceipt,
  FhirResource,
  IntegrityCheck,
  IntegrityFailureEvent,
  KekUsage,
  PutRecordInput,
  PutRecordResult,
  RecordSummary,
  RotationResult,
  Vault,
  VaultOptions,
  VaultRecord,
  VerifyResult,
} from './vault-types.js';

const REWRAP_BATCH = 500;
/** One INSERT per table per batch: 7 parameters a row stays far below PostgreSQL's 65,535 bind parameters. */
const MAX_PUT_MANY = 1000;
const DEFAULT_LIST_LIMIT = 500;
const MAX_LIST_LIMIT = 5000;

function bindingOf(row: { recordId: string; version: number; custodian: string }): RecordBinding {
  return { recordId: row.recordId, version: row.version, custodian: row.custodian };
}

/** A record version's metadata as `put` returns it (and `get`, with the resource): the row and its data key's KEK. */
function resultOf(row: RecordRow, kekId: string): PutRecordResult {
  return {
    recordId: row.recordId,
    version: row.version,
    custodian: row.custodian,
    ciphertextSha256: row.ciphertextSha256,
    plaintextHmac: row.plaintextHmac,
    kekId,
    createdAt: row.createdAt,
  };
}

function guard<T>(check: IntegrityCheck, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof AuthenticationFailure) throw new IntegrityViolation(check);
    throw error;
  }
}

/**
 * Envelope encryption over a {@link VaultStore}: a fresh AES-256-GCM data key per record version, wrapped by the
 * current KEK of a {@link KeyRing}; associated data binds ciphertexts and wrapped keys to (recordId, version,
 * custodian); every read re-checks the stored hash, the GCM tags and the keyed plaintext hash.
 */
export class EnvelopeVault implements Vault {
  private closed = false;
  private readonly hmacKeys = new Map<string, Promise<KeyObject>>();

  constructor(
    private readonly store: VaultStore,
    private readonly keys: KeyRing,
    private readonly clock: () => Date,
    private readonly onIntegrityFailure?: (event: IntegrityFailureEvent) => void,
  ) {}

  get storage(): Vault['storage'] {
    return this.store.kind;
  }

  async put(input: PutRecordInput): Promise<PutRecordResult> {
    const [result] = await this.putMany([input]);
    if (result === undefined) throw new DomainError('INTERNAL', 'the vault stored nothing');
    return result;
  }

  async putMany(inputs: readonly PutRecordInput[]): Promise<PutRecordResult[]> {
    this.assertOpen();
    if (inputs.length > MAX_PUT_MANY) {
      throw new DomainError('INVALID_ARGUMENT', `putMany takes at most ${MAX_PUT_MANY} record versions`);
    }
    const bindings = inputs.map((input) => expectBinding(input));
    const keys = new Set(bindings.map((b) => `${b.recordId}\u0000${String(b.version)}`));
    if (keys.size !== bindings.length) throw new DomainError('CONFLICT', 'the same record version is given twice');
    const items: NewRecordRows[] = [];
    for (const [i, binding] of bindings.entries()) {
      items.push(await this.seal(binding, (inputs[i] as PutRecordInput).resource));
    }
    await this.store.insertRecords(items);
    return items.map(({ row, dataKey }) => resultOf(row, dataKey.kekId));
  }

  /** Encrypts one record version under a fresh data key wrapped by the current KEK. */
  private async seal(binding: RecordBinding, resource: unknown): Promise<NewRecordRows> {
    const plaintext = Buffer.from(canonicalJson(expectResource(resource)), 'utf8');
    try {
      await this.assertWritable(binding);
      const kek = this.keys.current();
      const dataKey = newDataKey();
      const sealed = sealBox(dataKey, plaintext, recordAad(binding));
      const wrappedKey = wrapKey(kek.key, dataKey, dataKeyAad(binding, kek.id));
      const hmacKey = await this.hmacKeyFor(binding.custodian, true);
      const row = {
        ...binding,
        ciphertextSha256: sealedSha256(sealed),
        plaintextHmac: plaintextHmac(hmacKey, plaintext),
        createdAt: this.now(),
        erasedAt: null,
      };
      return { row, sealed, dataKey: { kekId: kek.id, wrappedKey } };
    } finally {
      plaintext.fill(0);
    }
  }

  private async assertWritable(binding: RecordBinding): Promise<void> {
    const versions = await this.store.listVersions(binding.recordId);
    if (versions.some((row) => row.erasedAt !== null)) {
      throw new DomainError('CONFLICT', `record ${binding.recordId} was erased and cannot be written again`);
    }
    if (versions.some((row) => row.custodian !== binding.custodian)) {
      throw new DomainError('CONFLICT', `record ${binding.recordId} belongs to another custodian`);
    }
    if (versions.some((row) => row.version === binding.version)) {
      throw new DomainError('CONFLICT', `record ${binding.recordId} version ${binding.version} already exists`);
    }
  }

  async get(recordId: string, version?: number, expected?: AnchoredHashes): Promise<VaultRecord> {
    this.assertOpen();
    expectRecordId(recordId);
    if (version !== undefined) expectVersion(version);
    if (expected !== undefined) expectAnchoredHashes(expected);
    const row = await this.store.readRecord(recordId, version);
    const label = version === undefined ? `record ${recordId}` : `record ${recordId} version ${version}`;
    if (row === undefined) throw new DomainError('NOT_FOUND', `${label} is not in the vault`);
    if (row.erasedAt !== null) {
      throw new DomainError('NOT_FOUND', `${label} was erased`, {
        details: { erased: true, erasedAt: row.erasedAt },
      });
    }
    try {
      const resource = await this.decrypt(row, expected);
      return { ...resultOf(row, row.dataKey?.kekId ?? ''), resource };
    } catch (error) {
      if (!(error instanceof IntegrityViolation)) throw error;
      this.report({ operation: 'get', recordId: row.recordId, version: row.version, check: error.check });
      throw integrityError(row.recordId, row.version, error.check);
    }
  }

  /** Runs every check of a read, in order. @throws IntegrityViolation naming the first that fails. */
  private async decrypt(row: StoredRecord, expected: AnchoredHashes | undefined): Promise<FhirResource> {
    const { sealed, dataKey } = row;
    if (sealed === undefined || dataKey === undefined) throw new IntegrityViolation('missing-ciphertext');
    const actualSha256 = sealedSha256(sealed);
    if (!sameDigest(actualSha256, row.ciphertextSha256)) throw new IntegrityViolation('ciphertext-sha256');
    if (expected !== undefined && !sameDigest(actualSha256, expected.ciphertextSha256)) {
      throw new IntegrityViolation('expected-ciphertext-sha256');
    }
    const kek = this.keys.find(dataKey.kekId);
    if (kek === undefined) throw new IntegrityViolation('missing-kek');
    const binding = bindingOf(row);
    const key = guard('wrapped-key', () => unwrapKey(kek.key, dataKey.wrappedKey, dataKeyAad(binding, kek.id)));
    const plaintext = guard('authentication-tag', () => openBox(key, sealed, recordAad(binding)));
    try {
      const mac = plaintextHmac(await this.hmacKeyFor(row.custodian, false), plaintext);
      if (!sameDigest(mac, row.plaintextHmac)) throw new IntegrityViolation('plaintext-hmac');
      if (expected !== undefined && !sameDigest(mac, expected.plaintextHmac)) {
        throw new IntegrityViolation('expected-plaintext-hmac');
      }
      return parseCanonical(plaintext.toString('utf8'));
    } finally {
      plaintext.fill(0);
    }
  }

  async verifyRecord(recordId: string, version: number, expected: AnchoredHashes): Promise<VerifyResult> {
    this.assertOpen();
    expectRecordId(recordId);
    expectVersion(version);
    expectAnchoredHashes(expected);
    const row = await this.store.readRecord(recordId, version);
    if (row === undefined) return { recordId, version, status: 'missing', ok: false };
    if (row.erasedAt !== null) return this.verifyTombstone(row, expected);
    try {
      await this.decrypt(row, expected);
      return { recordId, version, status: 'intact', ok: true };
    } catch (error) {
      if (!(error instanceof IntegrityViolation)) throw error;
      this.report({ operation: 'verify', recordId, version, check: error.check });
      return { recordId, version, status: 'tampered', ok: false, failedCheck: error.check };
    }
  }

  private verifyTombstone(row: StoredRecord, expected: AnchoredHashes): VerifyResult {
    const { recordId, version } = row;
    const erasedAt = row.erasedAt ?? undefined;
    const intact =
      row.sealed === undefined &&
      row.dataKey === undefined &&
      sameDigest(row.ciphertextSha256, expected.ciphertextSha256) &&
      sameDigest(row.plaintextHmac, expected.plaintextHmac);
    if (intact) return { recordId, version, status: 'erased', ok: true, ...(erasedAt ? { erasedAt } : {}) };
    this.report({ operation: 'verify', recordId, version, check: 'tombstone' });
    return { recordId, version, status: 'tampered', ok: false, failedCheck: 'tombstone' };
  }

  async versions(recordId: string): Promise<RecordSummary[]> {
    this.assertOpen();
    expectRecordId(recordId);
    return this.store.listVersions(recordId);
  }

  async list(options: { readonly after?: RecordCursor; readonly limit?: number } = {}): Promise<RecordSummary[]> {
    this.assertOpen();
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    if (options.after !== undefined) {
      expectRecordId(options.after.recordId);
      expectVersion(options.after.version);
    }
    return this.store.listRecords(options.after, limit);
  }

  async remove(recordId: string, version: number): Promise<boolean> {
    this.assertOpen();
    expectRecordId(recordId);
    expectVersion(version);
    return this.store.deleteRecord(recordId, version);
  }

  async shred(recordId: string): Promise<ErasureReceipt> {
    this.assertOpen();
    expectRecordId(recordId);
    const before = await this.store.listVersions(recordId);
    if (before.length === 0) throw new DomainError('NOT_FOUND', `record ${recordId} is not in the vault`);
    const rows = await this.store.eraseRecord(recordId, this.now());
    const erasedAt = rows.reduce(
      (latest, row) => (row.erasedAt !== null && row.erasedAt > latest ? row.erasedAt : latest),
      '',
    );
    return {
      recordId,
      erasedAt,
      alreadyErased: before.every((row) => row.erasedAt !== null),
      versions: rows.map((row) => ({
        version: row.version,
        custodian: row.custodian,
        createdAt: row.createdAt,
        ciphertextSha256: row.ciphertextSha256,
        plaintextHmac: row.plaintextHmac,
      })),
    };
  }

  async rotateKek(options: { readonly newKek?: string } = {}): Promise<RotationResult> {
    this.assertOpen();
    const previousKekIds = this.keys.list().map((kek) => kek.id);
    const next = await this.keys.rotate(options.newKek);
    const failed: RecordCursor[] = [];
    let rewrappedDataKeys = 0;
    let cursor: RecordCursor | undefined;
    for (;;) {
      const batch = await this.store.listDataKeysNotWrappedBy(next.id, cursor, REWRAP_BATCH);
      for (const row of batch) {
        if (await this.rewrapDataKey(row, next)) rewrappedDataKeys += 1;
        else failed.push({ recordId: row.recordId, version: row.version });
      }
      const last = batch.at(-1);
      if (last === undefined || batch.length < REWRAP_BATCH) break;
      cursor = { recordId: last.recordId, version: last.version };
    }
    let rewrappedHmacKeys = 0;
    for (const row of await this.store.listHmacKeysNotWrappedBy(next.id)) {
      if (await this.rewrapHmacKey(row, next)) rewrappedHmacKeys += 1;
    }
    return { kekId: next.id, previousKekIds, rewrappedDataKeys, rewrappedHmacKeys, failed };
  }

  private async rewrapDataKey(row: DataKeyRow, next: KeyEncryptionKey): Promise<boolean> {
    const from = this.keys.find(row.kekId);
    const binding = bindingOf(row);
    try {
      if (from === undefined) throw new IntegrityViolation('missing-kek');
      const key = guard('wrapped-key', () => unwrapKey(from.key, row.wrappedKey, dataKeyAad(binding, from.id)));
      const wrappedKey = wrapKey(next.key, key, dataKeyAad(binding, next.id));
      // Conditional on the old KEK id: a concurrent rotation or removal wins, and nothing is overwritten blindly.
      await this.store.replaceDataKey(row.recordId, row.version, row.kekId, { kekId: next.id, wrappedKey });
      return true;
    } catch (error) {
      if (!(error instanceof IntegrityViolation)) throw error;
      this.report({ operation: 'rotate', recordId: row.recordId, version: row.version, check: error.check });
      return false;
    }
  }

  private async rewrapHmacKey(row: HmacKeyRow, next: KeyEncryptionKey): Promise<boolean> {
    const from = this.keys.find(row.kekId);
    if (from === undefined) return false;
    const key = this.unwrapHmacKey(row, from);
    const wrappedKey = wrapKey(next.key, key, hmacKeyAad(row.custodian, next.id));
    return this.store.replaceHmacKey(row.custodian, row.kekId, { kekId: next.id, wrappedKey });
  }

  async retireUnusedKeks(): Promise<string[]> {
    this.assertOpen();
    const usage = await this.store.kekUsage();
    const current = this.keys.current().id;
    const retired: string[] = [];
    for (const kek of this.keys.list()) {
      if (kek.id === current || usage.has(kek.id)) continue;
      await this.keys.retire(kek.id);
      retired.push(kek.id);
    }
    return retired;
  }

  async kekUsage(): Promise<KekUsage[]> {
    this.assertOpen();
    const usage = await this.store.kekUsage();
    const current = this.keys.current().id;
    const known = this.keys.list().map((kek) => ({
      kekId: kek.id,
      version: kek.version,
      current: kek.id === current,
      available: true,
      dataKeys: usage.get(kek.id)?.dataKeys ?? 0,
      hmacKeys: usage.get(kek.id)?.hmacKeys ?? 0,
    }));
    const missing = [...usage.entries()]
      .filter(([kekId]) => this.keys.find(kekId) === undefined)
      .map(([kekId, count]) => ({ kekId, version: undefined, current: false, available: false, ...count }));
    return [...known, ...missing];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hmacKeys.clear();
    await this.store.close();
  }

  /**
   * The custodian's plaintext-HMAC key: unwrapped from the store, or (when `create`) derived from the current KEK
   * with HKDF and stored wrapped. Cached per custodian; KEK rotation re-wraps it but never changes it.
   */
  private hmacKeyFor(custodian: string, create: boolean): Promise<KeyObject> {
    const cached = this.hmacKeys.get(custodian);
    if (cached !== undefined) return cached;
    const loading = this.loadHmacKey(custodian, create);
    this.hmacKeys.set(custodian, loading);
    void loading.catch(() => {
      this.hmacKeys.delete(custodian);
    });
    return loading;
  }

  private async loadHmacKey(custodian: string, create: boolean): Promise<KeyObject> {
    let row = await this.store.readHmacKey(custodian);
    if (row === undefined) {
      if (!create) throw new IntegrityViolation('hmac-key');
      const kek = this.keys.current();
      const key = deriveHmacKey(kek.key, custodian);
      row = await this.store.insertHmacKey({
        custodian,
        kekId: kek.id,
        wrappedKey: wrapKey(kek.key, key, hmacKeyAad(custodian, kek.id)),
        createdAt: this.now(),
      });
    }
    const kek = this.keys.find(row.kekId);
    if (kek === undefined) throw new IntegrityViolation('missing-kek');
    return this.unwrapHmacKey(row, kek);
  }

  private unwrapHmacKey(row: HmacKeyRow, kek: KeyEncryptionKey): KeyObject {
    return guard('hmac-key', () => unwrapKey(kek.key, row.wrappedKey, hmacKeyAad(row.custodian, kek.id)));
  }

  private report(event: IntegrityFailureEvent): void {
    try {
      this.onIntegrityFailure?.(event);
    } catch {
      // An alert hook must not turn a refused read into a different failure.
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('INTERNAL', 'the vault is closed');
  }
}

function parseCanonical(text: string): FhirResource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IntegrityViolation('canonical-form');
  }
  if (canonicalJson(value) !== text) throw new IntegrityViolation('canonical-form');
  return expectResource(value);
}

async function openKeyRing(options: VaultOptions, clock: () => Date): Promise<KeyRing> {
  if (options.kek !== undefined && options.keyDir !== undefined) {
    throw new DomainError('INVALID_ARGUMENT', 'configure either kek or keyDir, not both');
  }
  if (options.kek !== undefined) return createConfigKeyRing(options.kek);
  const keyDir = options.keyDir ?? (options.dataDir === undefined ? undefined : join(options.dataDir, 'vault-keys'));
  if (keyDir === undefined) throw new DomainError('INVALID_ARGUMENT', 'the vault needs kek, keyDir or dataDir');
  return openDirectoryKeyRing(keyDir, clock);
}

async function openStore(options: VaultOptions): Promise<VaultStore> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return PostgresVaultStore.open({
      databaseUrl: options.databaseUrl,
      ...(options.databaseSchema === undefined ? {} : { schema: options.databaseSchema }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
  }
  if (options.dataDir === undefined)
    throw new DomainError('INVALID_ARGUMENT', 'the vault needs dataDir or databaseUrl');
  await mkdir(options.dataDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  return SqliteVaultStore.open(join(options.dataDir, 'vault.sqlite'));
}

/** Fails fast when stored rows are wrapped by a KEK the key ring does not have (a lost or unconfigured key). */
async function assertKeysCover(store: VaultStore, keys: KeyRing): Promise<void> {
  const missing = [...(await store.kekUsage()).keys()].filter((kekId) => keys.find(kekId) === undefined);
  if (missing.length > 0) {
    throw new DomainError(
      'INTERNAL',
      `vault keys are wrapped by KEKs that are not available: ${missing.sort().join(', ')}`,
    );
  }
}

/**
 * Opens the vault: SQLite in `dataDir` by default, PostgreSQL when `databaseUrl` is set; KEKs from `kek` or from
 * the key directory (`keyDir`, default `<dataDir>/vault-keys`), created on first start.
 * @throws DomainError INVALID_ARGUMENT for incomplete options or a malformed KEK; INTERNAL when the database cannot
 * be opened or migrated, a key file is unsafe, or stored keys need a KEK that is not available.
 */
export async function createVault(options: VaultOptions): Promise<Vault> {
  const clock = options.clock ?? (() => new Date());
  const keys = await openKeyRing(options, clock);
  const store = await openStore(options);
  try {
    await assertKeysCover(store, keys);
  } catch (error) {
    await store.close();
    throw error;
  }
  return new EnvelopeVault(store, keys, clock, options.onIntegrityFailure);
}
