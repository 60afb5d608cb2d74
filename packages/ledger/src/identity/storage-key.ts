import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DomainError, isDomainError } from '@medledger/core';

import { exists, writeFileAtomic } from './atomic-file.js';

/**
 * Where the key that encrypts secrets at rest comes from: a passphrase (stretched with scrypt N=2^15, r=8, p=1 and a
 * random 16-byte salt kept beside the data) or a raw 32-byte key (e.g. from a KMS or a mounted secret).
 */
export type StorageKeySource = { readonly passphrase: string } | { readonly rawKey: Uint8Array };

/** Options of stores that derive their key from a `StorageKeySource`. */
export interface StorageKeyOptions {
  /**
   * TESTS ONLY: log2 of scrypt's N for a store created with a passphrase (production and the default: 15). Stores
   * created with a lower cost refuse to open unless this is set again.
   */
  readonly unsafeScryptLogN?: number;
}

/** An AES-256-GCM box as stored in JSON files. */
export interface SealedBox {
  readonly v: 1;
  readonly alg: 'A256GCM';
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SCRYPT_LOG_N = 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const MIN_TEST_LOG_N = 4;
const MAX_LOG_N = 20;
const CHECK_PLAINTEXT = 'medledger storage key check v1';

interface KeyFile {
  readonly version: 1;
  readonly purpose: string;
  readonly kdf:
    | { readonly name: 'scrypt'; readonly salt: string; readonly logN: number; readonly r: number; readonly p: number }
    | { readonly name: 'raw' };
  readonly check: SealedBox;
}

/** Encrypts with AES-256-GCM under `key`; `aad` binds the box to its context (a file name, a label). */
export function seal(key: Buffer, plaintext: Uint8Array, aad: string): SealedBox {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    v: 1,
    alg: 'A256GCM',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
}

function isSealedBox(value: unknown): value is SealedBox {
  if (typeof value !== 'object' || value === null) return false;
  const box = value as Record<string, unknown>;
  return (
    box.v === 1 &&
    box.alg === 'A256GCM' &&
    typeof box.iv === 'string' &&
    typeof box.tag === 'string' &&
    typeof box.ct === 'string'
  );
}

/**
 * Decrypts a box sealed by `seal`.
 * @throws DomainError UNAUTHENTICATED when the key is wrong or the box (or its context) was altered
 * @throws DomainError INTERNAL when `box` is not a sealed box at all (a corrupted file)
 */
export function unseal(key: Buffer, box: unknown, aad: string): Buffer {
  if (!isSealedBox(box)) throw new DomainError('INTERNAL', 'encrypted data is corrupted (not a sealed box)');
  const iv = Buffer.from(box.iv, 'base64');
  const tag = Buffer.from(box.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new DomainError('INTERNAL', 'encrypted data is corrupted (bad IV or tag)');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(box.ct, 'base64')), decipher.final()]);
  } catch (cause) {
    throw new DomainError('UNAUTHENTICATED', 'cannot decrypt: wrong key or tampered data', { cause });
  }
}

/** A subkey for one use (`info`), so one storage key never encrypts and MACs with the same bytes. */
export function subkey(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `medledger:${info}`, KEY_BYTES));
}

function scryptAsync(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 256 * N * SCRYPT_R },
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}

function validateSource(source: StorageKeySource): void {
  if ('passphrase' in source) {
    if (typeof source.passphrase !== 'string' || source.passphrase.length === 0) {
      throw new DomainError('INVALID_ARGUMENT', 'passphrase must be a non-empty string');
    }
  } else if (!(source.rawKey instanceof Uint8Array) || source.rawKey.length !== KEY_BYTES) {
    throw new DomainError('INVALID_ARGUMENT', `raw storage key must be ${KEY_BYTES} bytes`);
  }
}

function chosenLogN(options: StorageKeyOptions): number {
  const logN = options.unsafeScryptLogN ?? SCRYPT_LOG_N;
  if (!Number.isInteger(logN) || logN < MIN_TEST_LOG_N || logN > MAX_LOG_N) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `scrypt cost must be an integer log2(N) in ${MIN_TEST_LOG_N}..${MAX_LOG_N}`,
    );
  }
  return logN;
}

function isKdf(kdf: unknown): kdf is KeyFile['kdf'] {
  if (typeof kdf !== 'object' || kdf === null) return false;
  const candidate = kdf as Record<string, unknown>;
  if (candidate.name === 'raw') return true;
  return (
    candidate.name === 'scrypt' &&
    typeof candidate.salt === 'string' &&
    Number.isInteger(candidate.logN) &&
    candidate.r === SCRYPT_R &&
    candidate.p === SCRYPT_P
  );
}

function parseKeyFile(text: string, purpose: string): KeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DomainError('INTERNAL', 'key file is corrupted', { cause });
  }
  const file = parsed as Partial<KeyFile> | null;
  if (file?.version !== 1 || !isKdf(file.kdf)) throw new DomainError('INTERNAL', 'key file is corrupted');
  if (file.purpose !== purpose) {
    throw new DomainError('INVALID_ARGUMENT', `key file belongs to a ${String(file.purpose)}, not a ${purpose}`);
  }
  return file as KeyFile;
}

async function deriveFromFile(file: KeyFile, source: StorageKeySource, options: StorageKeyOptions): Promise<Buffer> {
  if ('rawKey' in source) return Buffer.from(source.rawKey);
  if (file.kdf.name !== 'scrypt') {
    throw new DomainError('INVALID_ARGUMENT', 'this store was created with a raw key; a passphrase cannot open it');
  }
  const logN = file.kdf.logN;
  if (logN < SCRYPT_LOG_N && options.unsafeScryptLogN !== logN) {
    throw new DomainError('INVALID_ARGUMENT', 'store uses a weakened scrypt cost (tests only)');
  }
  if (logN > MAX_LOG_N) throw new DomainError('INTERNAL', 'key file has an unsupported scrypt cost');
  const salt = Buffer.from(file.kdf.salt, 'base64');
  if (salt.length !== SALT_BYTES) throw new DomainError('INTERNAL', 'key file is corrupted (salt)');
  return scryptAsync(source.passphrase, salt, logN);
}

/**
 * The storage key of a store in `directory`: creates `fileName` (KDF parameters, salt and a key check) on first use,
 * and on later opens derives the key again and proves it against the check.
 * @throws DomainError UNAUTHENTICATED for a wrong passphrase or key
 */
export async function openStorageKey(
  directory: string,
  fileName: string,
  purpose: string,
  source: StorageKeySource,
  options: StorageKeyOptions = {},
): Promise<Buffer> {
  validateSource(source);
  const path = join(directory, fileName);
  if (await exists(path)) {
    const file = parseKeyFile(await readFile(path, 'utf8'), purpose);
    const key = await deriveFromFile(file, source, options);
    let check: Buffer;
    try {
      check = unseal(subkey(key, `${purpose}:check`), file.check, purpose);
    } catch (error) {
      key.fill(0);
      if (isDomainError(error) && error.code === 'UNAUTHENTICATED') {
        throw new DomainError('UNAUTHENTICATED', `wrong passphrase or key for this ${purpose}`, { cause: error });
      }
      throw error;
    }
    const expected = Buffer.from(CHECK_PLAINTEXT, 'utf8');
    if (check.length !== expected.length || !timingSafeEqual(check, expected)) {
      key.fill(0);
      throw new DomainError('UNAUTHENTICATED', `wrong passphrase or key for this ${purpose}`);
    }
    return key;
  }
  let key: Buffer;
  let kdf: KeyFile['kdf'];
  if ('rawKey' in source) {
    key = Buffer.from(source.rawKey);
    kdf = { name: 'raw' };
  } else {
    const logN = chosenLogN(options);
    const salt = randomBytes(SALT_BYTES);
    key = await scryptAsync(source.passphrase, salt, logN);
    kdf = { name: 'scrypt', salt: salt.toString('base64'), logN, r: SCRYPT_R, p: SCRYPT_P };
  }
  const file: KeyFile = {
    version: 1,
    purpose,
    kdf,
    check: seal(subkey(key, `${purpose}:check`), Buffer.from(CHECK_PLAINTEXT, 'utf8'), purpose),
  };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return key;
}
