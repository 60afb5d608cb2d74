import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '@medledger/core';
import { KEY_BYTES, keyFromBytes } from './envelope.js';
import { createPrivateFileExclusive, destroyFile, ensurePrivateDirectory } from './private-files.js';

/** A key-encryption key: wraps data keys and HMAC keys, never encrypts records itself. */
export interface KeyEncryptionKey {
  /** Not secret: stored beside every wrapped key so that the right KEK unwraps it. */
  readonly id: string;
  /** Rotation generation; the highest version is the current KEK. */
  readonly version: number;
  readonly key: KeyObject;
}

/** The KEKs a vault can use: one current (for new wraps) and older ones kept until no wrapped key uses them. */
export interface KeyRing {
  readonly source: 'directory' | 'config';
  current(): KeyEncryptionKey;
  find(kekId: string): KeyEncryptionKey | undefined;
  list(): readonly KeyEncryptionKey[];
  /**
   * Makes a new KEK the current one: `newKey` (base64 of 32 bytes) when given, else (directory only) a random one.
   * @throws DomainError INVALID_ARGUMENT for a config key ring without `newKey`, or a malformed or already known key.
   */
  rotate(newKey?: string): Promise<KeyEncryptionKey>;
  /**
   * Forgets a KEK; the directory key ring also destroys its file. The caller checks that nothing uses it.
   * @throws DomainError CONFLICT for the current KEK, NOT_FOUND for an unknown id.
   */
  retire(kekId: string): Promise<void>;
}

const KEY_FILE = /^v([1-9]\d{0,8})\.kek\.json$/;
const KEY_FILE_FORMAT = 'medledger-vault-kek/1';
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

interface KeyFile {
  readonly format: typeof KEY_FILE_FORMAT;
  readonly kekId: string;
  readonly version: number;
  readonly createdAt: string;
  readonly key: string;
}

/**
 * Decodes a configured KEK: base64 of exactly 32 random bytes.
 * @throws DomainError INVALID_ARGUMENT otherwise (the message never contains the value).
 */
export function decodeKek(base64: string): Buffer {
  const trimmed = base64.trim();
  if (!BASE64_KEY.test(trimmed)) {
    throw new DomainError('INVALID_ARGUMENT', `a KEK must be the base64 encoding of exactly ${KEY_BYTES} bytes`);
  }
  return Buffer.from(trimmed, 'base64');
}

/** A fresh random KEK, base64-encoded, in the form `createVault({ kek })` accepts. */
export function generateKek(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** The id of a configured KEK: a short keyed fingerprint, so that the same key always gets the same id. */
function configKekId(bytes: Buffer): string {
  return `kek-cfg-${createHmac('sha256', bytes).update('medledger-vault/kek-id/v1').digest('hex').slice(0, 16)}`;
}

function sortedByVersion(keys: Iterable<KeyEncryptionKey>): KeyEncryptionKey[] {
  return [...keys].sort((a, b) => a.version - b.version);
}

abstract class BaseKeyRing implements KeyRing {
  abstract readonly source: 'directory' | 'config';
  protected readonly keys = new Map<string, KeyEncryptionKey>();

  current(): KeyEncryptionKey {
    const newest = sortedByVersion(this.keys.values()).at(-1);
    if (newest === undefined) throw new DomainError('INTERNAL', 'the vault key ring is empty');
    return newest;
  }

  find(kekId: string): KeyEncryptionKey | undefined {
    return this.keys.get(kekId);
  }

  list(): readonly KeyEncryptionKey[] {
    return sortedByVersion(this.keys.values());
  }

  protected nextVersion(): number {
    return (sortedByVersion(this.keys.values()).at(-1)?.version ?? 0) + 1;
  }

  protected checkRetirable(kekId: string): void {
    if (!this.keys.has(kekId)) throw new DomainError('NOT_FOUND', `unknown KEK ${kekId}`);
    if (this.current().id === kekId) throw new DomainError('CONFLICT', `KEK ${kekId} is current and cannot be retired`);
  }

  abstract rotate(newKey?: string): Promise<KeyEncryptionKey>;
  abstract retire(kekId: string): Promise<void>;
}

/** KEKs supplied by configuration (e.g. from a secret manager); the first is current, the others are older. */
class ConfigKeyRing extends BaseKeyRing {
  readonly source = 'config';

  constructor(keys: readonly string[]) {
    super();
    if (keys.length === 0) throw new DomainError('INVALID_ARGUMENT', 'at least one KEK must be configured');
    // Oldest last in the configuration, so it gets version 1.
    [...keys].reverse().forEach((encoded) => {
      this.add(decodeKek(encoded));
    });
  }

  private add(bytes: Buffer): KeyEncryptionKey {
    const id = configKekId(bytes);
    if (this.keys.has(id)) throw new DomainError('INVALID_ARGUMENT', `KEK ${id} is configured twice`);
    const kek: KeyEncryptionKey = { id, version: this.nextVersion(), key: keyFromBytes(bytes) };
    this.keys.set(id, kek);
    return kek;
  }

  rotate(newKey?: string): Promise<KeyEncryptionKey> {
    return Promise.resolve().then(() => {
      if (newKey === undefined) {
        throw new DomainError('INVALID_ARGUMENT', 'a configured key ring rotates to a supplied key: pass newKek');
      }
      return this.add(decodeKek(newKey));
    });
  }

  retire(kekId: string): Promise<void> {
    return Promise.resolve().then(() => {
      this.checkRetirable(kekId);
      this.keys.delete(kekId);
    });
  }
}

/**
 * KEKs in a private directory (0700), one file per version (`v<N>.kek.json`, 0600) holding the key id, version,
 * creation time and the 32 key bytes in base64. The first open creates version 1.
 */
class DirectoryKeyRing extends BaseKeyRing {
  readonly source = 'directory';
  private readonly files = new Map<string, string>();

  constructor(
    private readonly directory: string,
    private readonly clock: () => Date,
  ) {
    super();
  }

  async load(): Promise<void> {
    await ensurePrivateDirectory(this.directory);
    for (const name of (await readdir(this.directory)).sort()) {
      const match = KEY_FILE.exec(name);
      if (match?.[1] === undefined) continue;
      await this.loadFile(name, Number(match[1]));
    }
    if (this.keys.size === 0) await this.rotate();
  }

  private async loadFile(name: string, version: number): Promise<void> {
    const path = join(this.directory, name);
    const info = await lstat(path);
    if (!info.isFile()) throw new DomainError('INTERNAL', `KEK file ${name} is not a regular file`);
    if ((info.mode & 0o077) !== 0) {
      throw new DomainError('INTERNAL', `KEK file ${name} is accessible to other users (mode must be 0600)`);
    }
    const parsed = parseKeyFile(await readFile(path, 'utf8'), name);
    if (parsed.version !== version) throw new DomainError('INTERNAL', `KEK file ${name} holds another version`);
    this.keys.set(parsed.kekId, {
      id: parsed.kekId,
      version,
      key: keyFromBytes(decodeKek(parsed.key)),
    });
    this.files.set(parsed.kekId, path);
  }

  async rotate(newKey?: string): Promise<KeyEncryptionKey> {
    const bytes = newKey === undefined ? randomBytes(KEY_BYTES) : decodeKek(newKey);
    // Another process sharing the directory may create the same version first: then reload and try the next one.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const version = this.nextVersion();
      const name = `v${version}.kek.json`;
      const file: KeyFile = {
        format: KEY_FILE_FORMAT,
        kekId: `kek-v${version}-${randomBytes(4).toString('hex')}`,
        version,
        createdAt: this.clock().toISOString(),
        key: bytes.toString('base64'),
      };
      const content = Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
      const created = await createPrivateFileExclusive(join(this.directory, name), content);
      content.fill(0);
      if (created) {
        const kek: KeyEncryptionKey = { id: file.kekId, version, key: keyFromBytes(bytes) };
        bytes.fill(0);
        this.keys.set(kek.id, kek);
        this.files.set(kek.id, join(this.directory, name));
        return kek;
      }
      await this.loadFile(name, version);
    }
    throw new DomainError('CONFLICT', 'could not create a new KEK version: the key directory keeps changing');
  }

  async retire(kekId: string): Promise<void> {
    this.checkRetirable(kekId);
    const path = this.files.get(kekId);
    if (path !== undefined) await destroyFile(path);
    this.keys.delete(kekId);
    this.files.delete(kekId);
  }
}

function parseKeyFile(text: string, name: string): KeyFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('INTERNAL', `KEK file ${name} is not valid JSON`);
  }
  const file = value as Partial<KeyFile> | null;
  if (
    file === null ||
    typeof file !== 'object' ||
    file.format !== KEY_FILE_FORMAT ||
    typeof file.kekId !== 'string' ||
    !/^kek-[A-Za-z0-9-]{1,64}$/.test(file.kekId) ||
    typeof file.version !== 'number' ||
    typeof file.key !== 'string'
  ) {
    throw new DomainError('INTERNAL', `KEK file ${name} is not a ${KEY_FILE_FORMAT} file`);
  }
  return file as KeyFile;
}

/** Opens (creating on first use) the KEK directory. */
export async function openDirectoryKeyRing(directory: string, clock: () => Date = () => new Date()): Promise<KeyRing> {
  const ring = new DirectoryKeyRing(directory, clock);
  await ring.load();
  return ring;
}

/** A key ring over configured KEKs: one base64 key, or several with the current one first. */
export function createConfigKeyRing(keys: string | readonly string[]): KeyRing {
  return new ConfigKeyRing(typeof keys === 'string' ? [keys] : keys);
}
