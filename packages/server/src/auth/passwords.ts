import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt N=2^15, r=8, p=1 (OWASP's minimum for scrypt): ~50 ms and 32 MiB per attempt.
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const MAX_MEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { N: 2 ** logN, r, p, maxmem: MAX_MEM }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** A slow, salted password hash: `scrypt$logN$r$p$salt$hash` (base64). */
export async function hashPassword(password: string, options: { readonly logN?: number } = {}): Promise<string> {
  const logN = options.logN ?? LOG_N;
  const salt = randomBytes(16);
  const key = await derive(password, salt, logN, R, P);
  return ['scrypt', logN, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

// Compared against when the user is unknown, so that unknown and known users take the same time.
let dummyHash: Promise<string> | undefined;

/** Checks a password in constant time; an unknown user (no hash) costs the same as a wrong password. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  dummyHash ??= hashPassword('medledger-dummy-password');
  const text = stored ?? (await dummyHash);
  const [scheme, logN, r, p, salt, hash] = text.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p));
  return stored !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}
