import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, TestServer } from '../testing/cli-harness.js';
import type { VerifyReport } from './verify.js';

describe('medledger verify', () => {
  let server: TestServer;
  let dataDir: string;
  let stopped = false;
  before(async () => {
    server = await TestServer.start();
    dataDir = server.dataDir;
  });
  after(async () => {
    if (!stopped) await server.stop({ keepData: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('over HTTP as an administrator: exit 0 and the counts; a non-administrator is refused (exit 4)', async () => {
    const result = await server.run(['verify', '--url', server.url, '--user', 'admin.hospa']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Ledger: {2}\d+ blocks, \d+ transactions checked .*: ok$/m);
    assert.match(result.stdout, /^Records: 4 record versions checked .*\(0 erased, tombstones checked\): ok$/m);
    assert.match(result.stdout, /Integrity verified: no problem found\./);
    const refused = await server.run(['verify', '--url', server.url, '--user', 'dr.grey']);
    assert.equal(refused.code, 4);
  });

  it('in-process on the data directory: exit 0 with --json; then a tampered ciphertext is exit 1 with the record named', async () => {
    const observation = await server.api('alice', '/fhir/Observation');
    const id = String((observation.body.entry as { resource: { id: string } }[])[0]?.resource.id);
    await server.stop({ keepData: true });
    stopped = true;

    const clean = await runCli(['verify', '--data-dir', dataDir, '--json']);
    assert.equal(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout) as VerifyReport;
    assert.equal(report.ok, true);
    assert.equal(report.recordsChecked, 4);
    assert.ok(report.ledger.blocksChecked > 1);
    assert.ok(report.ledger.transactionsChecked > 1);

    const db = new Database(join(dataDir, 'vault', 'HospitalAMSP', 'vault.sqlite'));
    const row = db.prepare('SELECT ciphertext FROM vault_ciphertexts WHERE record_id = ?').get(id) as {
      ciphertext: Buffer;
    };
    const flipped = Buffer.from(row.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 0x01;
    db.prepare('UPDATE vault_ciphertexts SET ciphertext = ? WHERE record_id = ?').run(flipped, id);
    db.close();

    const tampered = await runCli(['verify'], { env: { MEDLEDGER_DATA_DIR: dataDir } });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, new RegExp(`✗ record ${id} version 1 \\(custodian HospitalAMSP\\): tampered`));
    assert.match(tampered.stdout, /Integrity check FAILED: 1 problem\./);
    const json = JSON.parse((await runCli(['verify', '--data-dir', dataDir, '--json'])).stdout) as VerifyReport;
    assert.deepEqual(
      json.problems.map((p) => [p.recordId, p.status]),
      [[id, 'tampered']],
    );
  });

  it('bad input: no data in the directory, or both --url and --data-dir (exit 2)', async () => {
    const empty = await runCli(['verify', '--data-dir', join(dataDir, 'nothing-here')]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no Medledger data in .*nothing-here/);
    const both = await runCli(['verify', '--data-dir', dataDir, '--url', 'http://127.0.0.1:9']);
    assert.equal(both.code, 2);
    const badConfig = await runCli(['verify', '--data-dir', dataDir], { env: { MEDLEDGER_STORAGE_KEY: 'short' } });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /MEDLEDGER_STORAGE_KEY must be the base64 of exactly 32 random bytes/);
  });
});
