import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Owner-only permissions for secrets at rest. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Creates `directory` (and parents) if needed and makes it owner-only (0700). */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const info = await stat(directory);
  if ((info.mode & 0o777) !== PRIVATE_DIRECTORY_MODE) await chmod(directory, PRIVATE_DIRECTORY_MODE);
}

/**
 * Creates `path` with `data` (mode 0600) atomically and only if it does not exist yet: the content is written and
 * fsynced under a temporary name, then hard-linked to `path` (which fails with EEXIST instead of replacing a file
 * another process created first), and the directory is fsynced.
 * @returns false when `path` already existed (nothing was written).
 */
export async function createPrivateFileExclusive(path: string, data: Uint8Array): Promise<boolean> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
    await syncDirectory(directory);
  }
}

/**
 * Best-effort destruction of a key file: overwrite its bytes with zeros, fsync, unlink, fsync the directory.
 * (On copy-on-write or wear-levelled storage the old blocks may survive; see the README's threat notes.)
 */
export async function destroyFile(path: string): Promise<void> {
  const info = await lstat(path);
  if (info.isFile()) {
    const handle = await open(path, 'r+');
    try {
      await handle.write(Buffer.alloc(info.size), 0, info.size, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await unlink(path);
  await syncDirectory(dirname(path));
}

async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; link/unlink are still atomic there.
  } finally {
    await handle?.close();
  }
}

export function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
