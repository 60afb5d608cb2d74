import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/cli-harness.js';

type Json = Record<string, unknown>;

describe('medledger erase', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patient('alice');
  });
  after(async () => server.stop());

  async function recordOf(username: string, type: string): Promise<string> {
    const bundle = await server.api(username, `/fhir/${type}?patient=${alice}`);
    const entry = (bundle.body.entry as { resource: Json }[] | undefined)?.[0];
    assert.ok(entry !== undefined, `${username} sees a ${type}`);
    return `${type}/${String(entry.resource.id)}`;
  }

  it('the patient erases a record after confirming on the terminal; it is gone for everyone', async () => {
    const target = await recordOf('alice', 'Condition');
    const declined = await server.run(['erase', target, '--user', 'alice'], { answers: ['no'] });
    assert.equal(declined.code, 1);
    assert.match(declined.stderr, /not erased/);
    assert.equal((await server.api('alice', `/fhir/${target}`)).status, 200, 'still there');

    const erased = await server.run(['erase', target, '--user', 'alice'], { answers: ['erase'] });
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.prompts[0]?.question ?? '', /cannot|for good/);
    assert.match(
      erased.stdout,
      /^Condition\/r-[0-9a-f]{24} erased: .*erasure receipt ae-[0-9a-f]{24} is on the ledger\n$/,
    );
    assert.equal((await server.api('alice', `/fhir/${target}`)).status, 404);
    assert.equal((await server.api('dr.grey', `/fhir/${target}`)).status, 404);
    const again = await server.run(['erase', target, '--yes', '--user', 'alice']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /HTTP 404/);
  });

  it("custodian staff erase with the patient's request; a script must pass --yes", async () => {
    const target = await recordOf('alice', 'Observation');
    const noYes = await server.run(['erase', target, '--patient-request', 'letter 2026-11-02', '--user', 'po.hospa']);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /confirm with --yes/);
    const withoutRequest = await server.run(['erase', target, '--yes', '--user', 'po.hospa']);
    assert.notEqual(withoutRequest.code, 0, 'staff need the patient request');
    const erased = await server.run([
      'erase',
      target,
      '--patient-request',
      'letter 2026-11-02 ref 7781',
      '--yes',
      '--json',
      '--user',
      'po.hospa',
    ]);
    assert.equal(erased.code, 0, erased.stderr);
    assert.equal((JSON.parse(erased.stdout) as Json).resourceType, 'OperationOutcome');
    assert.equal((await server.api('alice', `/fhir/${target}`)).status, 404);
  });

  it('bad input: malformed reference or request text (exit 2), unknown record (exit 1), consents are revoked', async () => {
    assert.equal((await server.run(['erase', 'r-123', '--yes', '--user', 'alice'])).code, 2);
    assert.equal((await server.run(['erase', 'Consent/c-1', '--yes', '--user', 'alice'])).code, 2);
    const accents = await server.run(['erase', 'Observation/r-0', '--patient-request', 'lettre reçue', '--yes']);
    assert.equal(accents.code, 2);
    const unknown = await server.run(['erase', 'Observation/r-000000000000000000000000', '--yes', '--user', 'alice']);
    assert.equal(unknown.code, 1);
  });
});
