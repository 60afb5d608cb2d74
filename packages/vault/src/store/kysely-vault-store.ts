import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { DomainError } from '@medledger/core';
import type { BinaryColumnType, VaultDatabase, VaultRecordsTable } from './schema.js';
import { migrateVault } from './schema.js';
import type {
  CiphertextRow,
  DataKeyRow,
  HmacKeyRow,
  KekUseCount,
  NewRecordRows,
  RecordCursor,
  RecordRow,
  StorageKind,
  StoredRecord,
  VaultStore,
  WrappedKeyRow,
} from './vault-store.js';

function toRecordRow(row: Selectable<VaultRecordsTable>): RecordRow {
  return {
    recordId: row.record_id,
    version: row.version,
    custodian: row.custodian,
    ciphertextSha256: row.ciphertext_sha256,
    plaintextHmac: row.plaintext_hmac,
    createdAt: row.created_at,
    erasedAt: row.erased_at,
  };
}

/** Keyset pagination: rows after `cursor` in (record_id, version) order (row values work in SQLite and PostgreSQL). */
function after(cursor: RecordCursor | undefined): RawBuilder<boolean> {
  return cursor === undefined
    ? sql<boolean>`1 = 1`
    : sql<boolean>`(vault_records.record_id, vault_records.version) > (${cursor.recordId}, ${cursor.version})`;
}

/**
 * The queries both stores share: the schema is the same, so only connection set-up, unique-violation detection
 * and post-erasure scrubbing differ between SQLite and PostgreSQL.
 */
export abstract class KyselyVaultStore implements VaultStore {
  abstract readonly kind: StorageKind;

  protected constructor(protected readonly db: Kysely<VaultDatabase>) {}

  /** Whether a driver error is a primary-key or unique violation. */
  protected abstract isUniqueViolation(error: unknown): boolean;

  /** Called after an erasure committed: make the deleted bytes unreadable in the engine's files where possible. */
  protected abstract scrubAfterErase(): Promise<void>;

  protected async migrate(binary: BinaryColumnType, schema?: string): Promise<void> {
    await migrateVault(this.db, binary, schema);
  }

  async insertRecord(row: RecordRow, sealed: CiphertextRow, dataKey: WrappedKeyRow): Promise<void> {
    await this.insertRecords([{ row, sealed, dataKey }]);
  }

  async insertRecords(items: readonly NewRecordRows[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('vault_records')
          .values(
            items.map(({ row }) => ({
              record_id: row.recordId,
              version: row.version,
              custodian: row.custodian,
              ciphertext_sha256: row.ciphertextSha256,
              plaintext_hmac: row.plaintextHmac,
              created_at: row.createdAt,
              erased_at: row.erasedAt,
            })),
          )
          .execute();
        await trx
          .insertInto('vault_ciphertexts')
          .values(
            items.map(({ row, sealed }) => ({
              record_id: row.recordId,
              version: row.version,
              iv: sealed.iv,
              ciphertext: sealed.ciphertext,
              auth_tag: sealed.authTag,
            })),
          )
          .execute();
        await trx
          .insertInto('vault_data_keys')
          .values(
            items.map(({ row, dataKey }) => ({
              record_id: row.recordId,
              version: row.version,
              kek_id: dataKey.kekId,
              wrapped_key: dataKey.wrappedKey,
            })),
          )
          .execute();
      });
    } catch (error) {
      if (this.isUniqueViolation(error)) {
        const names = items.map(({ row }) => `${row.recordId} version ${row.version}`).join(', ');
        throw new DomainError('CONFLICT', `a record version already exists in the vault (one of: ${names})`);
      }
      throw error;
    }
  }

  async readRecord(recordId: string, version?: number): Promise<StoredRecord | undefined> {
    let query = this.db
      .selectFrom('vault_records')
      .leftJoin('vault_ciphertexts', (join) =>
        join
          .onRef('vault_ciphertexts.record_id', '=', 'vault_records.record_id')
          .onRef('vault_ciphertexts.version', '=', 'vault_records.version'),
      )
      .leftJoin('vault_data_keys', (join) =>
        join
          .onRef('vault_data_keys.record_id', '=', 'vault_records.record_id')
          .onRef('vault_data_keys.version', '=', 'vault_records.version'),
      )
      .selectAll('vault_records')
      .select([
        'vault_ciphertexts.iv',
        'vault_ciphertexts.ciphertext',
        'vault_ciphertexts.auth_tag',
        'vault_data_keys.kek_id',
        'vault_data_keys.wrapped_key',
      ])
      .where('vault_records.record_id', '=', recordId);
    query =
      version === undefined
        ? query.orderBy('vault_records.version', 'desc').limit(1)
        : query.where('vault_records.version', '=', version);
    const row = await query.executeTakeFirst();
    if (row === undefined) return undefined;
    const { iv, ciphertext, auth_tag: authTag, kek_id: kekId, wrapped_key: wrappedKey } = row;
    return {
      ...toRecordRow(row),
      sealed: iv === null || ciphertext === null || authTag === null ? undefined : { iv, ciphertext, authTag },
      dataKey: kekId === null || wrappedKey === null ? undefined : { kekId, wrappedKey },
    };
  }

  async listVersions(recordId: string): Promise<RecordRow[]> {
    const rows = await this.db
      .selectFrom('vault_records')
      .selectAll()
      .where('record_id', '=', recordId)
      .orderBy('version')
      .execute();
    return rows.map(toRecordRow);
  }

  async listRecords(cursor: RecordCursor | undefined, limit: number): Promise<RecordRow[]> {
    const rows = await this.db
      .selectFrom('vault_records')
      .selectAll()
      .where(after(cursor))
      .orderBy('record_id')
      .orderBy('version')
      .limit(limit)
      .execute();
    return rows.map(toRecordRow);
  }

  async deleteRecord(recordId: string, version: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('vault_records')
        .select('erased_at')
        .where('record_id', '=', recordId)
        .where('version', '=', version)
        .executeTakeFirst();
      if (row === undefined || row.erased_at !== null) return false;
      await trx
        .deleteFrom('vault_ciphertexts')
        .where('record_id', '=', recordId)
        .where('version', '=', version)
        .execute();
      await trx
        .deleteFrom('vault_data_keys')
        .where('record_id', '=', recordId)
        .where('version', '=', version)
        .execute();
      await trx.deleteFrom('vault_records').where('record_id', '=', recordId).where('version', '=', version).execute();
      return true;
    });
  }

  async eraseRecord(recordId: string, erasedAt: string): Promise<RecordRow[]> {
    const rows = await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('vault_ciphertexts').where('record_id', '=', recordId).execute();
      await trx.deleteFrom('vault_data_keys').where('record_id', '=', recordId).execute();
      await trx
        .updateTable('vault_records')
        .set({ erased_at: erasedAt })
        .where('record_id', '=', recordId)
        .where('erased_at', 'is', null)
        .execute();
      return trx.selectFrom('vault_records').selectAll().where('record_id', '=', recordId).orderBy('version').execute();
    });
    if (rows.length > 0) await this.scrubAfterErase();
    return rows.map(toRecordRow);
  }

  async listDataKeysNotWrappedBy(
    kekId: string,
    cursor: RecordCursor | undefined,
    limit: number,
  ): Promise<DataKeyRow[]> {
    const rows = await this.db
      .selectFrom('vault_data_keys')
      .innerJoin('vault_records', (join) =>
        join
          .onRef('vault_records.record_id', '=', 'vault_data_keys.record_id')
          .onRef('vault_records.version', '=', 'vault_data_keys.version'),
      )
      .select([
        'vault_data_keys.record_id',
        'vault_data_keys.version',
        'vault_data_keys.kek_id',
        'vault_data_keys.wrapped_key',
        'vault_records.custodian',
      ])
      .where('vault_data_keys.kek_id', '!=', kekId)
      .where(after(cursor))
      .orderBy('vault_records.record_id')
      .orderBy('vault_records.version')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      recordId: row.record_id,
      version: row.version,
      custodian: row.custodian,
      kekId: row.kek_id,
      wrappedKey: row.wrapped_key,
    }));
  }

  async replaceDataKey(recordId: string, version: number, fromKekId: string, to: WrappedKeyRow): Promise<boolean> {
    const result = await this.db
      .updateTable('vault_data_keys')
      .set({ kek_id: to.kekId, wrapped_key: to.wrappedKey })
      .where('record_id', '=', recordId)
      .where('version', '=', version)
      .where('kek_id', '=', fromKekId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async readHmacKey(custodian: string): Promise<HmacKeyRow | undefined> {
    const row = await this.db
      .selectFrom('vault_hmac_keys')
      .selectAll()
      .where('custodian', '=', custodian)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { custodian: row.custodian, kekId: row.kek_id, wrappedKey: row.wrapped_key, createdAt: row.created_at };
  }

  async insertHmacKey(row: HmacKeyRow): Promise<HmacKeyRow> {
    await this.db
      .insertInto('vault_hmac_keys')
      .values({ custodian: row.custodian, kek_id: row.kekId, wrapped_key: row.wrappedKey, created_at: row.createdAt })
      .onConflict((conflict) => conflict.column('custodian').doNothing())
      .execute();
    const stored = await this.readHmacKey(row.custodian);
    if (stored === undefined) throw new DomainError('INTERNAL', 'HMAC key row vanished after insert');
    return stored;
  }

  async listHmacKeysNotWrappedBy(kekId: string): Promise<HmacKeyRow[]> {
    const rows = await this.db
      .selectFrom('vault_hmac_keys')
      .selectAll()
      .where('kek_id', '!=', kekId)
      .orderBy('custodian')
      .execute();
    return rows.map((row) => ({
      custodian: row.custodian,
      kekId: row.kek_id,
      wrappedKey: row.wrapped_key,
      createdAt: row.created_at,
    }));
  }

  async replaceHmacKey(custodian: string, fromKekId: string, to: WrappedKeyRow): Promise<boolean> {
    const result = await this.db
      .updateTable('vault_hmac_keys')
      .set({ kek_id: to.kekId, wrapped_key: to.wrappedKey })
      .where('custodian', '=', custodian)
      .where('kek_id', '=', fromKekId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async kekUsage(): Promise<Map<string, KekUseCount>> {
    const dataKeys = await this.db
      .selectFrom('vault_data_keys')
      .select((eb) => ['kek_id', eb.fn.countAll<number | string | bigint>().as('uses')])
      .groupBy('kek_id')
      .execute();
    const hmacKeys = await this.db
      .selectFrom('vault_hmac_keys')
      .select((eb) => ['kek_id', eb.fn.countAll<number | string | bigint>().as('uses')])
      .groupBy('kek_id')
      .execute();
    const usage = new Map<string, KekUseCount>();
    for (const row of dataKeys) usage.set(row.kek_id, { dataKeys: Number(row.uses), hmacKeys: 0 });
    for (const row of hmacKeys) {
      usage.set(row.kek_id, { dataKeys: usage.get(row.kek_id)?.dataKeys ?? 0, hmacKeys: Number(row.uses) });
    }
    return usage;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
