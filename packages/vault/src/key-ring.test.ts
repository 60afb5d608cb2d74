import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import { createConfigKeyRing, decodeKek, generateKek, openDirectoryKeyRing } from './key-ring.js';
import { createVault } from './vault.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medledger-vault-kr-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

function isCode(code: string): (error: unknown) => boolean {
  return (error) => isDomainError(error) && error.code === code;
}

describe('KEK directory', () => {
  it('is created on first start with mode 0700 and one key file with mode 0600', async () => {
    const keyDir = join(await tempDir(), 'keys');
    const ring = await openDirectoryKeyRing(keyDir);
    assert.equal(await mode(keyDir), 0o700);
    assert.deepEqual(await readdir(keyDir), ['v1.kek.json']);
    assert.equal(await mode(join(keyDir, 'v1.kek.json')), 0o600);
    const file = JSON.parse(await readFile(join(keyDir, 'v1.kek.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(file['format'], 'medledger-vault-kek/1');
    assert.equal(file['kekId'], ring.current().id);
    assert.equal(file['version'], 1);
    assert.equal(decodeKek(String(file['key'])).length, 32);
    assert.match(ring.current().id, /^kek-v1-[0-9a-f]{8}$/);
  });

  it('reuses the existing KEK on the next start', async () => {
    const keyDir = await tempDir();
    const first = await openDirectoryKeyRing(keyDir);
    const second = await openDirectoryKeyRing(keyDir);
    assert.equal(second.current().id, first.current().id);
    assert.deepEqual(await readdir(keyDir), ['v1.kek.json']);
  });

  it('tightens an existing key directory to 0700', async () => {
    const keyDir = await tempDir();
    await chmod(keyDir, 0o755);
    await openDirectoryKeyRing(keyDir);
    assert.equal(await mode(keyDir), 0o700);
  });

  it('refuses a key file that other users can read', async () => {
    const keyDir = await tempDir();
    await openDirectoryKeyRing(keyDir);
    await chmod(join(keyDir, 'v1.kek.json'), 0o644);
    await assert.rejects(openDirectoryKeyRing(keyDir), (error: unknown) => {
      assert.ok(isDomainError(error) && error.code === 'INTERNAL');
      assert.match(error.message, /0600/);
      return true;
    });
  });

  it('refuses a corrupt key file without quoting it', async () => {
    const keyDir = await tempDir();
    await mkdir(keyDir, { recursive: true });
    await writeFile(join(keyDir, 'v1.kek.json'), '{"secret": "hunter2"', { mode: 0o600 });
    await assert.rejects(openDirectoryKeyRing(keyDir), (error: unknown) => {
      assert.ok(isDomainError(error) && error.code === 'INTERNAL');
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
  });

  it('rotates to a new version file and destroys a retired one; the current KEK cannot be retired', async () => {
    const keyDir = await tempDir();
    const ring = await openDirectoryKeyRing(keyDir);
    const old = ring.current();
    const next = await ring.rotate();
    assert.equal(next.version, 2);
    assert.equal(ring.current().id, next.id);
    assert.equal(await mode(join(keyDir, 'v2.kek.json')), 0o600);
    await assert.rejects(ring.retire(next.id), isCode('CONFLICT'));
    await ring.retire(old.id);
    assert.deepEqual(await readdir(keyDir), ['v2.kek.json']);
    assert.equal(ring.find(old.id), undefined);
    assert.equal((await openDirectoryKeyRing(keyDir)).current().id, next.id);
  });
});

describe('configured KEKs', () => {
  it('accept only base64 of 32 bytes, and never quote the value', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    assert.throws(
      () => decodeKek(short),
      (error: unknown) => isDomainError(error) && error.code === 'INVALID_ARGUMENT' && !error.message.includes(short),
    );
    assert.throws(() => decodeKek('not base64 at all!'), isCode('INVALID_ARGUMENT'));
    assert.equal(decodeKek(`  ${generateKek()}\n`).length, 32);
  });

  it('have stable ids, the first configured key is current, and duplicates are refused', async () => {
    const [a, b] = [generateKek(), generateKek()];
    const ring = createConfigKeyRing([b, a]);
    assert.equal(ring.current().id, createConfigKeyRing(b).current().id);
    assert.deepEqual(
      ring.list().map((kek) => kek.version),
      [1, 2],
    );
    assert.match(ring.current().id, /^kek-cfg-[0-9a-f]{16}$/);
    assert.throws(() => createConfigKeyRing([a, a]), isCode('INVALID_ARGUMENT'));
    assert.throws(() => createConfigKeyRing([]), isCode('INVALID_ARGUMENT'));
    await assert.rejects(ring.rotate(), isCode('INVALID_ARGUMENT'));
    await assert.rejects(ring.rotate(a), isCode('INVALID_ARGUMENT'));
  });
});

describe('createVault key and storage options', () => {
  it('keeps the SQLite file and the KEK directory in the data dir by default', async () => {
    const dataDir = join(await tempDir(), 'data');
    const vault = await createVault({ dataDir });
    try {
      assert.equal(vault.storage, 'sqlite');
      const entries = await readdir(dataDir);
      assert.ok(entries.includes('vault.sqlite'));
      assert.ok(entries.includes('vault-keys'));
      assert.equal(await mode(join(dataDir, 'vault-keys')), 0o700);
      assert.equal(await mode(join(dataDir, 'vault-keys', 'v1.kek.json')), 0o600);
    } finally {
      await vault.close();
    }
  });

  it('refuses incomplete or contradictory options', async () => {
    await assert.rejects(createVault({}), isCode('INVALID_ARGUMENT'));
    await assert.rejects(createVault({ kek: generateKek() }), isCode('INVALID_ARGUMENT'));
    const dataDir = await tempDir();
    await assert.rejects(createVault({ dataDir, kek: generateKek(), keyDir: dataDir }), isCode('INVALID_ARGUMENT'));
  });

  it('reports an unreachable PostgreSQL server without echoing the connection string', async () => {
    await assert.rejects(
      createVault({ databaseUrl: 'postgres://vault:s3cret-pw@127.0.0.1:1/none', kek: generateKek() }),
      (error: unknown) => {
        assert.ok(isDomainError(error) && error.code === 'INTERNAL');
        assert.ok(!error.message.includes('s3cret-pw'));
        return true;
      },
    );
  });
});
