// docs/operations.md "Backups and restore", run as written: the backup block on a stopped server's data directory,
// damage, then the restore block (which ends with verify). Before the restore, verify must fail on the damage; after
// it, verify passes and a record reads back through the API.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, TestServer } from './testing/cli-harness.js';
import { preamble, REPOSITORY, runBash, shellBlocks } from './testing/doc-blocks.js';

describe('docs/operations.md: the documented backup and restore work', () => {
  const work = mkdtempSync(join(tmpdir(), 'medledger-backup-'));
  const dataDir = join(work, 'data');
  const [backup = '', restore = ''] = shellBlocks(
    readFileSync(join(REPOSITORY, 'docs', 'operations.md'), 'utf8'),
    'Backups and restore',
  );
  let observation = '';

  before(async () => {
    const server = await TestServer.start();
    const found = await server.api('alice', '/fhir/Observation');
    observation = String((found.body.entry as { resource: { id: string } }[])[0]?.resource.id);
    await server.stop({ keepData: true });
    renameSync(server.dataDir, dataDir);
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('the backup block archives the stopped data directory', async () => {
    assert.match(backup, /tar /);
    const result = await runBash(preamble() + backup, work);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(statSync(join(work, 'medledger-backup.tar.gz')).size > 10_000);
    assert.match(result.stdout, /data\/secrets\/storage\.key/);
  });

  it('after damage, verify fails; the restore block brings the directory back and its verify passes', async () => {
    const vault = new Database(join(dataDir, 'vault', 'HospitalAMSP', 'vault.sqlite'));
    const row = vault.prepare('SELECT ciphertext FROM vault_ciphertexts WHERE record_id = ?').get(observation) as {
      ciphertext: Buffer;
    };
    const flipped = Buffer.from(row.ciphertext);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    vault.prepare('UPDATE vault_ciphertexts SET ciphertext = ? WHERE record_id = ?').run(flipped, observation);
    vault.close();
    const damaged = await runCli(['verify', '--data-dir', dataDir]);
    assert.equal(damaged.code, 1, 'the control: verify sees the damage');

    assert.match(restore, /npx medledger verify --data-dir data/);
    const result = await runBash(preamble() + restore, work);
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
    assert.match(result.stdout, /Integrity verified: no problem found\./);
    assert.equal(statSync(join(dataDir, 'secrets', 'storage.key')).mode & 0o077, 0, 'key modes kept');
  });

  it('the restored directory serves the record again', async () => {
    assert.ok(existsSync(join(dataDir, 'ledger')));
    const server = await TestServer.open(dataDir);
    try {
      const read = await server.api('alice', `/fhir/Observation/${observation}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
    } finally {
      await server.stop({ keepData: true });
    }
  });
});
