import { createPrivateKey } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { DomainError } from '@medledger/core';

import type { SigningIdentity } from '../ledger-client.js';
import { ensurePrivateDirectory, isNotFound, writeFileAtomic } from './atomic-file.js';
import type { StorageKeyOptions, StorageKeySource } from './storage-key.js';
import { openStorageKey, seal, subkey, unseal } from './storage-key.js';
import { X509Identity } from './x509-identity.js';

export interface FileWalletOptions extends StorageKeyOptions {
  /** A directory dedicated to this wallet (created 0700; identity files 0600). */
  readonly directory: string;
  /** The passphrase or raw 32-byte key the identities are encrypted with. */
  readonly key: StorageKeySource;
}

interface StoredIdentity {
  readonly version: 1;
  readonly type: 'X.509';
  readonly mspId: string;
  readonly certPem: string;
  readonly privateKeyPem: string;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const SUFFIX = '.id';
const KEY_FILE = 'wallet-key.json';
const KEY_PURPOSE = 'wallet';

function checkLabel(label: string): string {
  if (typeof label !== 'string' || !LABEL.test(label)) {
    throw new DomainError('INVALID_ARGUMENT', 'wallet label must match /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/');
  }
  return label;
}

function aad(label: string): string {
  return `medledger wallet identity ${label}`;
}

function parseStored(plaintext: Buffer): StoredIdentity {
  const stored = JSON.parse(plaintext.toString('utf8')) as Partial<StoredIdentity>;
  if (
    stored.version !== 1 ||
    stored.type !== 'X.509' ||
    typeof stored.mspId !== 'string' ||
    typeof stored.certPem !== 'string' ||
    typeof stored.privateKeyPem !== 'string'
  ) {
    throw new DomainError('INTERNAL', 'wallet entry has an unknown format');
  }
  return stored as StoredIdentity;
}

/**
 * A wallet of X.509 identities in a directory, one encrypted file per label (AES-256-GCM with a key from scrypt over
 * a passphrase, or a raw 32-byte key; the label is bound to the ciphertext, so files cannot be swapped). The key is
 * proven when the wallet opens; a wrong one is refused with UNAUTHENTICATED. Labels are case-sensitive file names,
 * so on case-insensitive file systems labels differing only in case collide.
 */
export class FileWallet {
  readonly #directory: string;
  readonly #key: Buffer;
  #closed = false;

  private constructor(directory: string, key: Buffer) {
    this.#directory = directory;
    this.#key = key;
  }

  /**
   * Opens (or creates) the wallet in `options.directory`.
   * @throws DomainError UNAUTHENTICATED for a wrong passphrase or key
   */
  static async open(options: FileWalletOptions): Promise<FileWallet> {
    await ensurePrivateDirectory(options.directory);
    const storageKey = await openStorageKey(options.directory, KEY_FILE, KEY_PURPOSE, options.key, options);
    const key = subkey(storageKey, 'wallet-identities');
    storageKey.fill(0);
    return new FileWallet(options.directory, key);
  }

  /**
   * Stores `identity` under `label`, replacing any identity already there.
   * @throws DomainError INVALID_ARGUMENT for a bad label, or a key that does not match the certificate
   */
  async put(label: string, identity: SigningIdentity): Promise<void> {
    const key = this.#openKey();
    checkLabel(label);
    // Validates the pair (a private key matching the certificate) before anything is written.
    const checked = new X509Identity(identity.mspId, identity.certPem, identity.privateKey);
    const stored: StoredIdentity = {
      version: 1,
      type: 'X.509',
      mspId: checked.mspId,
      certPem: checked.certPem,
      privateKeyPem: checked.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    const plaintext = Buffer.from(JSON.stringify(stored), 'utf8');
    try {
      const box = seal(key, plaintext, aad(label));
      await writeFileAtomic(join(this.#directory, `${label}${SUFFIX}`), `${JSON.stringify(box)}\n`);
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * The identity stored under `label`, or undefined when there is none.
   * @throws DomainError UNAUTHENTICATED when the entry does not decrypt (tampered, or written under another key)
   */
  async get(label: string): Promise<X509Identity | undefined> {
    const key = this.#openKey();
    checkLabel(label);
    let text: string;
    try {
      text = await readFile(join(this.#directory, `${label}${SUFFIX}`), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    let box: unknown;
    try {
      box = JSON.parse(text);
    } catch (cause) {
      throw new DomainError('INTERNAL', `wallet entry ${label} is corrupted`, { cause });
    }
    const plaintext = unseal(key, box, aad(label));
    try {
      const stored = parseStored(plaintext);
      const privateKey = createPrivateKey({ key: stored.privateKeyPem, format: 'pem' });
      return new X509Identity(stored.mspId, stored.certPem, privateKey);
    } finally {
      plaintext.fill(0);
    }
  }

  /** The stored labels, sorted. */
  async list(): Promise<string[]> {
    this.#openKey();
    const names = await readdir(this.#directory);
    return names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => name.slice(0, -SUFFIX.length))
      .filter((label) => LABEL.test(label))
      .sort();
  }

  /** Deletes the identity under `label`; nothing happens when there is none. */
  async remove(label: string): Promise<void> {
    this.#openKey();
    checkLabel(label);
    await rm(join(this.#directory, `${label}${SUFFIX}`), { force: true });
  }

  /** Wipes the key from memory; the wallet cannot be used afterwards. */
  close(): void {
    this.#key.fill(0);
    this.#closed = true;
  }

  #openKey(): Buffer {
    if (this.#closed) throw new DomainError('INVALID_ARGUMENT', 'wallet is closed');
    return this.#key;
  }
}
