import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/cli-harness.js';

interface RequestJson {
  id: string;
  status: string;
  patientId: string;
  resourceTypes: string[];
}

describe('medledger access', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patient('alice');
  });
  after(async () => server.stop());

  async function request(...extra: string[]): Promise<RequestJson> {
    const result = await server.run([
      'access',
      'request',
      '--patient',
      alice,
      '--json',
      '--user',
      'dr.house',
      ...extra,
    ]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as RequestJson;
  }

  it('a clinician asks, the patient sees it and approves: the contract writes the consent', async () => {
    const asked = await request('--types', 'Observation', '--until', '2099-01-31', '--reason-code', 'referral');
    assert.equal(asked.status, 'pending');
    assert.equal(`Patient/${asked.patientId}`, alice);

    const listed = await server.run(['access', 'list', '--user', 'alice']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`${asked.id}\\s+pending\\s+${alice}\\s+dr\\.house \\(clinician, HospitalBMSP\\)`),
    );

    assert.equal((await server.api('dr.house', `/fhir/Observation?patient=${alice}`)).body.total, 0);
    const approved = await server.run(['access', 'approve', asked.id, '--user', 'alice']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`${asked.id} approved`));
    assert.match(approved.stdout, /the contract wrote Consent\/c-[0-9a-f]{24}/);
    assert.equal((await server.api('dr.house', `/fhir/Observation?patient=${alice}`)).body.total, 1);

    const mine = JSON.parse(
      (await server.run(['access', 'list', '--json', '--user', 'dr.house'])).stdout,
    ) as RequestJson[];
    assert.equal(mine.find((r) => r.id === asked.id)?.status, 'approved');
  });

  it('the patient denies a request', async () => {
    const asked = await request('--types', 'Condition');
    const denied = await server.run(['access', 'deny', asked.id, '--json', '--user', 'alice']);
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal((JSON.parse(denied.stdout) as { request: RequestJson }).request.status, 'denied');
    const again = await server.run(['access', 'approve', asked.id, '--user', 'alice']);
    assert.notEqual(again.code, 0, 'a decided request cannot be approved');
  });

  it('bad input: unknown patient (exit 1), malformed ids (exit 2), not the patient (exit 4)', async () => {
    const unknown = await server.run([
      'access',
      'request',
      '--patient',
      'Patient/pt-000000000000000000000000',
      '--user',
      'dr.house',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /patient not found \[HTTP 404\]/);
    const byName = await server.run(['access', 'request', '--patient', 'alice', '--user', 'dr.house']);
    assert.equal(byName.code, 2);
    assert.match(byName.stderr, /not a Medledger patient id/);
    assert.equal((await server.run(['access', 'approve', 'ar-1', '--user', 'alice'])).code, 2);
    assert.equal((await server.run(['access', 'approve', 'ar-000000000000000000000000', '--user', 'alice'])).code, 1);
    const asked = await request();
    const notHers = await server.run(['access', 'approve', asked.id, '--user', 'bob']);
    assert.ok([1, 4].includes(notHers.code), notHers.stderr);
    const patientAsks = await server.run(['access', 'request', '--patient', alice, '--user', 'bob']);
    assert.equal(patientAsks.code, 4, patientAsks.stderr);
  });
});
