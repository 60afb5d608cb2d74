import type Database from 'better-sqlite3';
import { DomainError } from '@medledger/core';

type Db = Database.Database;

/**
 * The derived tables (everything the blocks determine): world state, key history, the transaction index and the
 * savepoint/counters in `meta`. Keys are BLOBs of UTF-8 so SQLite's memcmp order is Fabric's byte order.
 *
 * This text is frozen as schema version 1. A later migration that changes a derived table drops and recreates it with
 * the new layout, deletes the `state_savepoint` row (so the next open replays the blocks) and replaces this constant.
 */
export const DERIVED_TABLES: Readonly<Record<string, string>> = {
  state: `CREATE TABLE state (
    key BLOB PRIMARY KEY NOT NULL,
    value BLOB NOT NULL,
    block_num INTEGER NOT NULL REFERENCES blocks(number),
    tx_num INTEGER NOT NULL
  ) WITHOUT ROWID`,
  history: `CREATE TABLE history (
    key BLOB NOT NULL,
    block_num INTEGER NOT NULL REFERENCES blocks(number),
    tx_num INTEGER NOT NULL,
    tx_id TEXT NOT NULL,
    is_delete INTEGER NOT NULL,
    value BLOB NOT NULL,
    ts_seconds INTEGER NOT NULL,
    ts_nanos INTEGER NOT NULL,
    PRIMARY KEY (key, block_num, tx_num)
  ) WITHOUT ROWID`,
  transactions: `CREATE TABLE transactions (
    tx_id TEXT PRIMARY KEY NOT NULL,
    block_num INTEGER NOT NULL REFERENCES blocks(number),
    tx_num INTEGER NOT NULL,
    validation_code TEXT NOT NULL
  ) WITHOUT ROWID`,
  meta: `CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID`,
};

/** `meta` rows: the last block whose writes are in `state` (-1: none) and the derived tables' row counts. */
export const META = {
  savepoint: 'state_savepoint',
  stateRows: 'state_rows',
  historyRows: 'history_rows',
  transactionRows: 'transaction_rows',
} as const;

export const INITIAL_META: Readonly<Record<string, number>> = {
  [META.savepoint]: -1,
  [META.stateRows]: 0,
  [META.historyRows]: 0,
  [META.transactionRows]: 0,
};

interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Db) => void;
}

/** Applied in order, each in its own transaction; a version is never edited once released, only appended. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'block store, world state, history, transaction index, savepoint',
    up: (db) => {
      db.exec(`CREATE TABLE blocks (
        number INTEGER PRIMARY KEY NOT NULL,
        hash TEXT NOT NULL,
        previous_hash TEXT NOT NULL,
        data BLOB NOT NULL
      )`);
      for (const ddl of Object.values(DERIVED_TABLES)) {
        db.exec(ddl);
      }
      writeInitialMeta(db);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function writeInitialMeta(db: Db): void {
  const insert = db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)');
  for (const [name, value] of Object.entries(INITIAL_META)) {
    insert.run(name, String(value));
  }
}

/** The schema version the file is at (0 for a new file). */
export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Brings the file to {@link SCHEMA_VERSION}, one numbered migration per transaction.
 * @throws DomainError INTERNAL when the file was written by a newer version.
 */
export function migrate(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new DomainError(
      'INTERNAL',
      `ledger file has schema version ${current}, newer than this software's ${SCHEMA_VERSION}`,
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
    db.transaction(() => {
      migration.up(db);
      record.run(migration.version, migration.description, new Date().toISOString());
    }).immediate();
  }
}

/**
 * Recreates derived tables that have gone missing (blocks are never recreated: they are the source of truth).
 * @returns the names of the tables it recreated.
 */
export function recreateMissingDerivedTables(db: Db): string[] {
  const present = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  if (!present.has('blocks')) {
    throw new DomainError('INTERNAL', 'ledger file has no blocks table');
  }
  const missing = Object.keys(DERIVED_TABLES).filter((name) => !present.has(name));
  if (missing.length > 0) {
    db.transaction(() => {
      for (const name of missing) {
        db.exec(DERIVED_TABLES[name] ?? '');
      }
    }).immediate();
  }
  return missing;
}
