import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { DomainError } from '@medledger/core';

/**
 * The vault's tables, identical in SQLite and PostgreSQL (binary columns are BLOB there and BYTEA here).
 * Times are ISO-8601 UTC strings in both, so that rows compare byte for byte across the two stores.
 *
 * - vault_records:     one row per (record, version): custodian, the anchored hashes, created/erased times.
 *                      After crypto-shredding it stays as the tombstone (erased_at set).
 * - vault_ciphertexts: the sealed record (iv, ciphertext, tag). Deleted by shredding.
 * - vault_data_keys:   the record's data key wrapped by a KEK (and that KEK's id). Deleted by shredding.
 * - vault_hmac_keys:   each custodian's plaintext-HMAC key, wrapped by a KEK.
 */
export interface VaultRecordsTable {
  record_id: string;
  version: number;
  custodian: string;
  ciphertext_sha256: string;
  plaintext_hmac: string;
  created_at: string;
  erased_at: string | null;
}

export interface VaultCiphertextsTable {
  record_id: string;
  version: number;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
}

export interface VaultDataKeysTable {
  record_id: string;
  version: number;
  kek_id: string;
  wrapped_key: Buffer;
}

export interface VaultHmacKeysTable {
  custodian: string;
  kek_id: string;
  wrapped_key: Buffer;
  created_at: string;
}

export interface VaultDatabase {
  vault_records: VaultRecordsTable;
  vault_ciphertexts: VaultCiphertextsTable;
  vault_data_keys: VaultDataKeysTable;
  vault_hmac_keys: VaultHmacKeysTable;
}

export const VAULT_TABLES = ['vault_records', 'vault_ciphertexts', 'vault_data_keys', 'vault_hmac_keys'] as const;

export type BinaryColumnType = 'blob' | 'bytea';

function initialSchema(binary: BinaryColumnType): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vault_records')
        .addColumn('record_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('custodian', 'text', (column) => column.notNull())
        .addColumn('ciphertext_sha256', 'text', (column) => column.notNull())
        .addColumn('plaintext_hmac', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('erased_at', 'text')
        .addPrimaryKeyConstraint('vault_records_pk', ['record_id', 'version'])
        .execute();
      await db.schema
        .createTable('vault_ciphertexts')
        .addColumn('record_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('iv', binary, (column) => column.notNull())
        .addColumn('ciphertext', binary, (column) => column.notNull())
        .addColumn('auth_tag', binary, (column) => column.notNull())
        .addPrimaryKeyConstraint('vault_ciphertexts_pk', ['record_id', 'version'])
        .addForeignKeyConstraint('vault_ciphertexts_record_fk', ['record_id', 'version'], 'vault_records', [
          'record_id',
          'version',
        ])
        .execute();
      await db.schema
        .createTable('vault_data_keys')
        .addColumn('record_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('kek_id', 'text', (column) => column.notNull())
        .addColumn('wrapped_key', binary, (column) => column.notNull())
        .addPrimaryKeyConstraint('vault_data_keys_pk', ['record_id', 'version'])
        .addForeignKeyConstraint('vault_data_keys_record_fk', ['record_id', 'version'], 'vault_records', [
          'record_id',
          'version',
        ])
        .execute();
      await db.schema.createIndex('vault_data_keys_kek_idx').on('vault_data_keys').column('kek_id').execute();
      await db.schema
        .createTable('vault_hmac_keys')
        .addColumn('custodian', 'text', (column) => column.primaryKey())
        .addColumn('kek_id', 'text', (column) => column.notNull())
        .addColumn('wrapped_key', binary, (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
    },
  };
}

/** Every migration, in order. Append new ones; never edit one that has shipped. */
export function vaultMigrations(binary: BinaryColumnType): Readonly<Record<string, Migration>> {
  return { '0001_vault_init': initialSchema(binary) };
}

/**
 * Brings the schema up to date with Kysely's Migrator (which takes a lock, so concurrent starts are safe). The
 * migration tables have vault-specific names so that the vault can share a PostgreSQL database with other parts.
 * @throws DomainError INTERNAL when a migration fails.
 */
export async function migrateVault(
  db: Kysely<VaultDatabase>,
  binary: BinaryColumnType,
  schema?: string,
): Promise<void> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...vaultMigrations(binary) }) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'vault_migration',
    migrationLockTableName: 'vault_migration_lock',
    // Kysely looks for its tables across all schemas unless told which one is ours.
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const message =
      failed === undefined
        ? 'vault schema migration could not run (is the database reachable?)'
        : `vault schema migration ${failed} failed`;
    throw new DomainError('INTERNAL', message, { cause: error });
  }
}
