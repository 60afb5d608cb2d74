import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/cli-harness.js';

interface AccountJson {
  username: string;
  role: string;
  status: string;
  kind: string;
  mspId: string;
  patientId?: string;
}

describe('medledger users', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => server.stop());

  it("lists the organisation's accounts as a table and as JSON", async () => {
    const table = await server.run(['users', 'list', '--user', 'admin.hospb']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^USERNAME\s+ROLE\s+KIND\s+STATUS\s+NAME\s+PATIENT$/m);
    assert.match(table.stdout, /^dr\.house\s+clinician\s+person\s+active\s+Dr\. Gregory House$/m);
    assert.match(table.stdout, /accounts in HospitalBMSP/);
    const json = JSON.parse(
      (await server.run(['users', 'list', '--json', '--user', 'admin.hospb'])).stdout,
    ) as AccountJson[];
    assert.ok(json.every((a) => a.mspId === 'HospitalBMSP'));
    assert.ok(!JSON.stringify(json).includes('passwordHash'));
  });

  it('adds a clinician with a password from stdin, who can then sign in; revoking locks them out (exit 4)', async () => {
    const added = await server.run(
      [
        'users',
        'add',
        'dr.quinn',
        '--role',
        'clinician',
        '--name',
        'Dr. Quinn',
        '--password-stdin',
        '--user',
        'admin.hospb',
      ],
      { stdin: 'correct horse battery\n' },
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added dr\.quinn \(clinician\) at HospitalBMSP/);
    const quinn = await server.run(['whoami', '--user', 'dr.quinn'], {
      env: { MEDLEDGER_PASSWORD: 'correct horse battery' },
    });
    assert.equal(quinn.code, 0, quinn.stderr);
    const token = (
      await server.run(['token', '--user', 'dr.quinn'], { env: { MEDLEDGER_PASSWORD: 'correct horse battery' } })
    ).stdout.trim();

    const revoked = await server.run(['users', 'revoke', 'dr.quinn', '--user', 'admin.hospb']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await server.run(['whoami', '--token', token]);
    assert.equal(after.code, 4, 'a revoked account is refused at once');
    const list = JSON.parse(
      (await server.run(['users', 'list', '--json', '--user', 'admin.hospb'])).stdout,
    ) as AccountJson[];
    assert.equal(list.find((a) => a.username === 'dr.quinn')?.status, 'revoked');
  });

  it('asks for the new password twice on a terminal, takes MEDLEDGER_NEW_PASSWORD, and adds system clients', async () => {
    const mismatch = await server.run(['users', 'add', 'nurse.a', '--role', 'clinician', '--user', 'admin.hospa'], {
      answers: ['first password', 'second password'],
    });
    assert.equal(mismatch.code, 2);
    assert.deepEqual(
      mismatch.prompts.map((p) => p.hidden),
      [true, true],
    );
    const prompted = await server.run(['users', 'add', 'nurse.a', '--role', 'clinician', '--user', 'admin.hospa'], {
      answers: ['same password 1', 'same password 1'],
    });
    assert.equal(prompted.code, 0, prompted.stderr);
    const fromEnv = await server.run(['users', 'add', 'nurse.b', '--role', 'clinician', '--user', 'admin.hospa'], {
      env: { MEDLEDGER_NEW_PASSWORD: 'another password' },
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const system = await server.run([
      'users',
      'add',
      'lab-feed',
      '--role',
      'clinician',
      '--system',
      '--json',
      '--user',
      'admin.hospa',
    ]);
    assert.equal(system.code, 0, system.stderr);
    assert.equal((JSON.parse(system.stdout) as AccountJson).kind, 'system');
  });

  it('bad input: no password (exit 2), duplicate or invalid account (exit 1), not an admin (exit 4), unknown user (exit 1)', async () => {
    const noPassword = await server.run(['users', 'add', 'x.y', '--role', 'clinician', '--user', 'admin.hospa']);
    assert.equal(noPassword.code, 2);
    const missingRole = await server.run(['users', 'add', 'x.y', '--user', 'admin.hospa']);
    assert.equal(missingRole.code, 2);
    const duplicate = await server.run(['users', 'add', 'dr.grey', '--role', 'clinician', '--user', 'admin.hospa'], {
      env: { MEDLEDGER_NEW_PASSWORD: 'long enough password' },
    });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);
    const badRole = await server.run(['users', 'add', 'x.z', '--role', 'wizard', '--user', 'admin.hospa'], {
      env: { MEDLEDGER_NEW_PASSWORD: 'long enough password' },
    });
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /role must be one of/);
    assert.equal((await server.run(['users', 'list', '--user', 'dr.grey'])).code, 4);
    assert.equal((await server.run(['users', 'revoke', 'nobody', '--user', 'admin.hospa'])).code, 1);
    const otherOrg = await server.run(['users', 'revoke', 'dr.house', '--user', 'admin.hospa']);
    assert.equal(otherOrg.code, 1, 'another organisation’s account is not known here');
  });
});
