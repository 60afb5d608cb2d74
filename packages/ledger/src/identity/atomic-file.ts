import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Owner-only permissions for secrets at rest. */
export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

/**
 * Replaces `path` with `data` so that a crash leaves either the old or the new content, never a mix: write a temp
 * file beside it (mode 0600), fsync it, rename it over the target, then fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Creates `directory` (and parents) if needed and makes it owner-only (0700). */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
  const info = await stat(directory);
  if ((info.mode & 0o777) !== DIRECTORY_MODE) await chmod(directory, DIRECTORY_MODE);
}

/** Whether `path` exists (false only for ENOENT; other errors propagate). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
