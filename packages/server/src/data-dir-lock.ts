import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@medledger/core';

const LOCK_FILE = 'medledger.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per data directory: the embedded ledger orders and commits blocks in-process, so a second process on
 * the same files would fork the chain. A lock left by a process that died (kill -9, power cut) is taken over.
 * @returns the function that releases the lock
 * @throws DomainError CONFLICT when a live process holds the directory
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
        throw new DomainError(
          'CONFLICT',
          `the data directory ${dataDir} is in use by process ${holder}; stop it first (one process per data directory)`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DomainError('CONFLICT', `could not lock the data directory ${dataDir}`);
}
