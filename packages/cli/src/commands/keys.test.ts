import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli, TestServer } from '../testing/cli-harness.js';

interface Usage {
  organization: string;
  kekId: string;
  version: number;
  current: boolean;
  dataKeys: number;
  hmacKeys: number;
}
interface Rotation {
  organization: string;
  kekId: string;
  previousKekIds: string[];
  rewrappedDataKeys: number;
  rewrappedHmacKeys: number;
  failed: unknown[];
  retired: string[];
}

describe('medledger keys', () => {
  let server: TestServer;
  let dataDir: string;
  let observation: string;
  before(async () => {
    server = await TestServer.start();
    dataDir = server.dataDir;
    const found = await server.api('alice', '/fhir/Observation');
    observation = String((found.body.entry as { resource: { id: string } }[])[0]?.resource.id);
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.resolve();
  });

  it('refuses while the server holds the data directory (exit 1), and --url / a missing directory (exit 2)', async () => {
    const busy = await runCli(['keys', 'list', '--data-dir', dataDir]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^medledger: cannot open .*in use by another Medledger process/m);
    assert.equal((await runCli(['keys', 'rotate', '--url', server.url])).code, 2);
    assert.equal((await runCli(['keys', 'list', '--data-dir', `${dataDir}-missing`])).code, 2);
    await server.stop({ keepData: true });
  });

  it('rotates every vault to a new KEK, re-wraps every key, retires the old KEKs; the records still verify and read', async () => {
    const before = JSON.parse((await runCli(['keys', 'list', '--data-dir', dataDir, '--json'])).stdout) as Usage[];
    assert.equal(new Set(before.map((u) => u.organization)).size, 5);
    assert.ok(before.every((u) => u.current && u.version === 1));
    const hospitalA = before.find((u) => u.organization === 'HospitalAMSP');
    assert.ok(hospitalA !== undefined && hospitalA.dataKeys >= 2, JSON.stringify(before));

    const rotated = await runCli(['keys', 'rotate', '--retire', '--data-dir', dataDir, '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const results = JSON.parse(rotated.stdout) as Rotation[];
    for (const result of results) {
      const old = before.find((u) => u.organization === result.organization);
      assert.ok(old !== undefined);
      assert.deepEqual(result.previousKekIds, [old.kekId]);
      assert.equal(result.rewrappedDataKeys, old.dataKeys, result.organization);
      assert.equal(result.rewrappedHmacKeys, old.hmacKeys, result.organization);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.retired, [old.kekId]);
      assert.notEqual(result.kekId, old.kekId);
    }

    const after = JSON.parse((await runCli(['keys', 'list', '--data-dir', dataDir, '--json'])).stdout) as Usage[];
    assert.ok(
      after.every((u) => u.current && u.version === 2),
      JSON.stringify(after),
    );
    assert.equal(after.find((u) => u.organization === 'HospitalAMSP')?.dataKeys, hospitalA.dataKeys);

    const verify = await runCli(['verify', '--data-dir', dataDir]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);

    const reopened = await TestServer.open(dataDir);
    try {
      const read = await reopened.api('alice', `/fhir/Observation/${observation}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.resourceType, 'Observation');
    } finally {
      await reopened.stop({ keepData: true });
    }
  });

  it('refuses a configured MEDLEDGER_VAULT_KEK (exit 2): that key is not a ring in the data directory', async () => {
    const result = await runCli(['keys', 'rotate', '--data-dir', dataDir], {
      env: { MEDLEDGER_VAULT_KEK: Buffer.alloc(32, 7).toString('base64') },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /MEDLEDGER_VAULT_KEK is set/);
  });
});
