import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { DomainError } from '@medledger/core';
import { KyselyVaultStore } from './kysely-vault-store.js';
import type { VaultDatabase } from './schema.js';

export interface PostgresVaultStoreOptions {
  readonly databaseUrl: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /**
   * A schema of its own (created if missing): several vaults, e.g. one per custodian organisation with its own KEKs,
   * can then share one database without seeing each other's rows. Default: the server's search_path.
   */
  readonly schema?: string;
}

/** Schema names this store accepts: plain lowercase identifiers, so they never need quoting rules. */
export const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * The PostgreSQL store (`DATABASE_URL`), same schema and queries as SQLite through Kysely's PostgresDialect.
 * PostgreSQL keeps deleted tuples until VACUUM reuses their space (and in WAL and backups): see the README on what
 * crypto-shredding guarantees there.
 */
export class PostgresVaultStore extends KyselyVaultStore {
  readonly kind = 'postgres';

  private constructor(db: Kysely<VaultDatabase>) {
    super(db);
  }

  static async open(options: PostgresVaultStoreOptions): Promise<PostgresVaultStore> {
    const { schema } = options;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new DomainError('INVALID_ARGUMENT', `vault schema must match ${SCHEMA_NAME.source}`);
    }
    const pool = new Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle client's connection error must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    const store = new PostgresVaultStore(new Kysely<VaultDatabase>({ dialect: new PostgresDialect({ pool }) }));
    try {
      if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await store.migrate('bytea', schema);
    } catch (error) {
      await store.close();
      // The connection string may hold a password: never put it (or the driver's message quoting it) in ours.
      if (error instanceof DomainError) throw error;
      throw new DomainError('INTERNAL', 'cannot connect to the vault PostgreSQL database', { cause: error });
    }
    return store;
  }

  protected isUniqueViolation(error: unknown): boolean {
    return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
  }

  protected scrubAfterErase(): Promise<void> {
    return Promise.resolve();
  }
}
