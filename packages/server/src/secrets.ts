import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DomainError } from '@medledger/core';

const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

/** Writes a private file atomically (temp file, fsync by rename) with mode 0600. */
export function writePrivateFile(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, data, { mode: PRIVATE_FILE, flush: true });
  renameSync(temp, path);
}

/** Reads a private file, refusing one that group or others may read (a key leaked to other local users). */
export function readPrivateFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new DomainError('INTERNAL', `${path} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`);
  }
  return readFileSync(path);
}

/** The key that encrypts secrets at rest: configured, or created once in `<dataDir>/secrets/storage.key`. */
export function loadStorageKey(dataDir: string, configured: Buffer | undefined): Buffer {
  if (configured !== undefined) return configured;
  const path = join(dataDir, 'secrets', 'storage.key');
  if (!existsSync(path)) writePrivateFile(path, randomBytes(32).toString('base64'));
  chmodSync(dirname(path), PRIVATE_DIR);
  const key = Buffer.from(readPrivateFile(path).toString('utf8').trim(), 'base64');
  if (key.length !== 32) throw new DomainError('INTERNAL', `${path} does not hold a 32-byte key`);
  return key;
}

/**
 * The ledger-side stand-in for an off-chain text (a break-glass reason, a review note, a patient's erasure request):
 * HMAC-SHA-256 under a key derived from the storage key, so that nobody can confirm a guessed text (which may name a
 * person) from the ledger. The same text always gives the same value for this deployment.
 */
export function textHasher(storageKey: Buffer): (text: string) => string {
  const key = Buffer.from(hkdfSync('sha256', storageKey, Buffer.alloc(0), 'medledger off-chain text hash v1', 32));
  return (text) => createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** AES-256-GCM for small off-chain texts (break-glass reasons, review notes); the hash that goes on the ledger is AAD. */
export function sealText(key: Buffer, text: string, hash: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(hash, 'utf8'));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function openText(key: Buffer, sealed: Buffer, hash: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(hash, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
}
