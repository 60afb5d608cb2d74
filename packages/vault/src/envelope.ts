import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from '@medledger/core';

/**
 * The cryptographic building blocks of the vault, with no storage and no key management: AES-256-GCM sealing with
 * associated data, data-key wrapping, the keyed plaintext hash and the associated-data encodings.
 *
 * Wire layouts (documented in the README, re-checked by `medledger verify`):
 * - sealed record   = iv (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes); `ciphertextSha256` = SHA-256 over exactly these bytes.
 * - wrapped key     = iv (12 bytes) ‖ encrypted 32-byte key ‖ GCM tag (16 bytes) = 60 bytes.
 * - associated data = UTF-8 of the canonical JSON of a small object naming what the bytes belong to.
 */

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const WRAPPED_KEY_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;

const CIPHER = 'aes-256-gcm';

/** An AES-256-GCM output, kept in three parts so that each can be stored (and tampered with, in tests) on its own. */
export interface SealedBox {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly authTag: Buffer;
}

/** Who a record's bytes belong to. Bound into the associated data of the record and of its wrapped data key. */
export interface RecordBinding {
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
}

/** Thrown by {@link openBox} when the GCM tag does not authenticate the bytes and associated data. */
export class AuthenticationFailure extends Error {
  constructor() {
    super('AES-GCM authentication failed');
    this.name = 'AuthenticationFailure';
  }
}

export function newDataKey(): KeyObject {
  return createSecretKey(randomBytes(KEY_BYTES));
}

export function keyFromBytes(bytes: Buffer): KeyObject {
  if (bytes.length !== KEY_BYTES) throw new RangeError(`a key has ${KEY_BYTES} bytes`);
  return createSecretKey(bytes);
}

/** Encrypts `plaintext` under `key` with a fresh random 96-bit IV, authenticating `aad` along with it. */
export function sealBox(key: KeyObject, plaintext: Buffer, aad: Buffer): SealedBox {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, authTag: cipher.getAuthTag() };
}

/**
 * Decrypts and authenticates a box.
 * @throws AuthenticationFailure when the bytes, the tag, the IV, the key or the associated data do not match.
 */
export function openBox(key: KeyObject, box: SealedBox, aad: Buffer): Buffer {
  if (box.iv.length !== IV_BYTES || box.authTag.length !== TAG_BYTES) throw new AuthenticationFailure();
  try {
    const decipher = createDecipheriv(CIPHER, key, box.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(box.authTag);
    return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
  } catch {
    throw new AuthenticationFailure();
  }
}

/** The bytes `ciphertextSha256` is computed over: iv ‖ ciphertext ‖ tag. */
export function sealedBytes(box: SealedBox): Buffer {
  return Buffer.concat([box.iv, box.ciphertext, box.authTag]);
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 (hex) of a sealed record as stored: what the ledger anchors as `ciphertextSha256`. */
export function sealedSha256(box: SealedBox): string {
  return sha256Hex(sealedBytes(box));
}

/** Wraps (encrypts) a data key under a key-encryption key; the result is {@link WRAPPED_KEY_BYTES} long. */
export function wrapKey(kek: KeyObject, key: KeyObject, aad: Buffer): Buffer {
  const raw = key.export();
  try {
    return sealedBytes(sealBox(kek, raw, aad));
  } finally {
    raw.fill(0);
  }
}

/**
 * Unwraps a data key.
 * @throws AuthenticationFailure when the wrapped bytes were altered, belong to another record or another KEK.
 */
export function unwrapKey(kek: KeyObject, wrapped: Buffer, aad: Buffer): KeyObject {
  if (wrapped.length !== WRAPPED_KEY_BYTES) throw new AuthenticationFailure();
  const box: SealedBox = {
    iv: wrapped.subarray(0, IV_BYTES),
    ciphertext: wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES),
    authTag: wrapped.subarray(IV_BYTES + KEY_BYTES),
  };
  const raw = openBox(kek, box, aad);
  try {
    return keyFromBytes(raw);
  } finally {
    raw.fill(0);
  }
}

function encodeAad(value: Readonly<Record<string, string | number>>): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Associated data of a record's ciphertext: a ciphertext cannot be moved to another record, version or custodian. */
export function recordAad(binding: RecordBinding): Buffer {
  return encodeAad({
    purpose: 'medledger-vault/record/v1',
    recordId: binding.recordId,
    version: binding.version,
    custodian: binding.custodian,
  });
}

/** Associated data of a wrapped data key: bound to its record and to the KEK that wraps it. */
export function dataKeyAad(binding: RecordBinding, kekId: string): Buffer {
  return encodeAad({
    purpose: 'medledger-vault/data-key/v1',
    recordId: binding.recordId,
    version: binding.version,
    custodian: binding.custodian,
    kekId,
  });
}

/** Associated data of a custodian's wrapped HMAC key. */
export function hmacKeyAad(custodian: string, kekId: string): Buffer {
  return encodeAad({ purpose: 'medledger-vault/hmac-key/v1', custodian, kekId });
}

const HKDF_SALT = Buffer.from('medledger-vault', 'utf8');

/**
 * Derives a custodian's plaintext-HMAC key from a KEK with HKDF-SHA-256. The vault derives it once, from the KEK
 * current when the custodian's first record arrives, and then keeps it wrapped: the anchored keyed hashes must stay
 * verifiable after the KEK is rotated.
 */
export function deriveHmacKey(kek: KeyObject, custodian: string): KeyObject {
  const info = Buffer.from(`medledger-vault/plaintext-hmac/v1/${custodian}`, 'utf8');
  return keyFromBytes(Buffer.from(hkdfSync('sha256', kek, HKDF_SALT, info, KEY_BYTES)));
}

/** HMAC-SHA-256 (hex) of the canonical plaintext: what the ledger anchors as `plaintextHmac`. */
export function plaintextHmac(key: KeyObject, plaintext: Buffer): string {
  return createHmac('sha256', key).update(plaintext).digest('hex');
}

/** Constant-time comparison of two lowercase hex digests (false for different lengths). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
