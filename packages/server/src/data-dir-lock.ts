import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DomainError } from '@medledger/core';

const LOCK_FILE = 'medledger.lock';

/**
 * One process per data directory: the embedded ledger orders and commits blocks in-process, so a second process on
 * the same files would fork the chain. The lock is SQLite's exclusive lock on a small lock database, which the
 * operating system drops when the holder dies (kill -9, power cut): no PID files, no stale-lock guessing.
 * @returns the function that releases the lock
 * @throws DomainError CONFLICT when another process (or another open in this one) holds the directory
 */
export function lockDataDir(dataDir: string): () => void {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode the connection keeps it until closed.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    db.exec('BEGIN EXCLUSIVE; DELETE FROM holder; COMMIT');
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') === true) {
      throw new DomainError(
        'CONFLICT',
        `the data directory ${dataDir} is in use by another Medledger process; stop it first (one process per data directory)`,
      );
    }
    throw error;
  }
  return () => {
    if (db.open) db.close();
  };
}
