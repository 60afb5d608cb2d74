import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { DomainError } from '@medledger/core';
import { KyselyVaultStore } from './kysely-vault-store.js';
import type { VaultDatabase } from './schema.js';

/**
 * The default store: one SQLite file (better-sqlite3) in WAL mode with `synchronous = FULL` (a put is durable before
 * the ledger write that references it) and `secure_delete = ON` (deleted rows are overwritten with zeros, so a
 * shredded ciphertext or wrapped key is not left in free pages; the WAL is checkpointed and truncated after erasure).
 */
export class SqliteVaultStore extends KyselyVaultStore {
  readonly kind = 'sqlite';

  private constructor(
    db: Kysely<VaultDatabase>,
    readonly file: string,
  ) {
    super(db);
  }

  static async open(file: string): Promise<SqliteVaultStore> {
    let database: Database.Database;
    try {
      database = new Database(file);
    } catch (error) {
      throw new DomainError('INTERNAL', 'cannot open the vault database file', { cause: error });
    }
    try {
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = FULL');
      database.pragma('secure_delete = ON');
      database.pragma('foreign_keys = ON');
      database.pragma('busy_timeout = 5000');
      if (database.pragma('secure_delete', { simple: true }) !== 1) {
        throw new DomainError('INTERNAL', 'this SQLite build cannot enable secure_delete');
      }
    } catch (error) {
      database.close();
      throw error;
    }
    const store = new SqliteVaultStore(new Kysely<VaultDatabase>({ dialect: new SqliteDialect({ database }) }), file);
    try {
      await store.migrate('blob');
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  protected isUniqueViolation(error: unknown): boolean {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  protected async scrubAfterErase(): Promise<void> {
    // secure_delete zeroed the pages in the WAL; copy them into the main file and truncate the WAL so that no
    // earlier frame with the deleted bytes survives.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.db);
  }
}
