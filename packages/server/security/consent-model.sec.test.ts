/**
 * Property-based, differential test of the consent rules (issue 9): random sequences of grants, revocations, access
 * requests (approved or denied), break-glass and reads, run against the real API, must give exactly the answers of a
 * small reference model of the rules; and every read that returns records has a committed, valid AuthorizeAccess on
 * the ledger, by that caller's certificate, naming those records.
 * Runs: MEDLEDGER_PROPERTY_RUNS (default 60), seeded (MEDLEDGER_PROPERTY_SEED, default 9).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { grant, observation, TestServer } from './testing/fixtures.js';
import type { Json } from './testing/fixtures.js';

const RUNS = Number(process.env.MEDLEDGER_PROPERTY_RUNS ?? '60');
const SEED = Number(process.env.MEDLEDGER_PROPERTY_SEED ?? '9');

type RecordType = 'Observation' | 'Condition';
type Reader = 'dr.house' | 'dr.house/ETREAT' | 'claims.ivy' | 'dr.grey' | 'res.rosa' | 'po.hospb';

type Op =
  | { kind: 'grant'; to: 'HospitalBMSP-clinician' | 'InsurerMSP-insurer'; type: RecordType }
  | { kind: 'revoke'; pick: number }
  | { kind: 'request'; type: RecordType; approve: boolean }
  | { kind: 'break-glass' }
  | { kind: 'read'; reader: Reader; type: RecordType };

/** The reference model: active consents as (who, purpose, type) and whether dr.house holds an emergency grant. */
interface Model {
  consents: Array<{ id: string; who: string; purpose: string; type: RecordType; active: boolean }>;
  emergency: boolean;
}

function allowed(model: Model, reader: Reader, type: RecordType): boolean {
  const permits = (who: string[], purpose: string): boolean =>
    model.consents.some((c) => c.active && who.includes(c.who) && c.purpose === purpose && c.type === type);
  switch (reader) {
    case 'dr.grey':
      return true; // the home organisation's clinician: treatment relationship
    case 'dr.house':
      return permits(['Group/HospitalBMSP-clinician', 'Practitioner/dr.house'], 'TREAT');
    case 'dr.house/ETREAT':
      return model.emergency;
    case 'claims.ivy':
      return permits(['Group/InsurerMSP-insurer'], 'HPAYMT');
    case 'res.rosa':
    case 'po.hospb':
      return false;
  }
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('grant' as const),
      to: fc.constantFrom('HospitalBMSP-clinician' as const, 'InsurerMSP-insurer' as const),
      type: fc.constantFrom('Observation' as const, 'Condition' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      type: fc.constantFrom('Observation' as const, 'Condition' as const),
      approve: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'break-glass' as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      reader: fc.constantFrom<Reader>('dr.house', 'dr.house/ETREAT', 'claims.ivy', 'dr.grey', 'res.rosa', 'po.hospb'),
      type: fc.constantFrom('Observation' as const, 'Condition' as const),
    }),
  },
);

describe(`the API answers like a reference model of the consent rules (${RUNS} random sequences, seed ${SEED})`, () => {
  let server: TestServer;
  let run = 0;
  let operations = 0;
  let reads = 0;
  let readsWithData = 0;

  before(async () => {
    server = await TestServer.start();
  });
  after(async () => {
    process.stdout.write(
      `# consent model: ${run} sequences, ${operations} operations, ${reads} reads compared (${readsWithData} with data, each matched to its committed AuthorizeAccess)\n`,
    );
    await server.stop();
  });

  /** A fresh patient of HospitalA with 2 Observations and 1 Condition, and a login for them. */
  async function freshPatient(): Promise<{ login: string; patientId: string; records: Record<RecordType, string[]> }> {
    run += 1;
    const created = await server.as('dr.grey', 'POST', '/fhir/Patient', {
      resourceType: 'Patient',
      name: [{ family: `Model${run}` }],
    });
    assert.equal(created.status, 201, created.text);
    const patientId = String(created.body.id);
    const login = `model.patient${run}`;
    const account = await server.as('admin.hospa', 'POST', '/api/admin/users', {
      username: login,
      displayName: `Model patient ${run}`,
      role: 'patient',
      patient: `Patient/${patientId}`,
      password: 'a-long-enough-password-123',
    });
    assert.equal(account.status, 201, account.text);
    const records: Record<RecordType, string[]> = { Observation: [], Condition: [] };
    for (const value of [70, 71]) {
      const obs = await server.as('dr.grey', 'POST', '/fhir/Observation', observation(patientId, value));
      records.Observation.push(String(obs.body.id));
    }
    const condition = await server.as('dr.grey', 'POST', '/fhir/Condition', {
      resourceType: 'Condition',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
      subject: { reference: `Patient/${patientId}` },
    });
    assert.equal(condition.status, 201, condition.text);
    records.Condition.push(String(condition.body.id));
    return { login, patientId, records };
  }

  async function asPatient(login: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
    const token = await server.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: login,
        password: 'a-long-enough-password-123',
      }).toString(),
    });
    const access = (JSON.parse(token.body) as { access_token: string }).access_token;
    return server.as(undefined, method, url, body, { authorization: `Bearer ${access}` });
  }

  /** The committed AuthorizeAccess with this request id: valid, by this reader's certificate, naming these records. */
  async function assertAuthorized(requestId: string, reader: string, recordIds: string[]): Promise<void> {
    const cert = (await server.medledger.network.identity(reader)).certPem;
    const db = new Database(join(server.dataDir, 'ledger', 'ledger.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT data FROM blocks ORDER BY number DESC LIMIT 50').all() as Array<{ data: Buffer }>;
      for (const { data } of rows) {
        const block = JSON.parse(data.toString('utf8')) as {
          transactions: Array<{
            proposal: { fcn: string; args: string[]; creator: { certPem: string } };
            response: { result: string };
          }>;
          validation: string[];
        };
        for (const [i, tx] of block.transactions.entries()) {
          if (tx.proposal.fcn !== 'AuthorizeAccess') continue;
          const args = JSON.parse(tx.proposal.args[0] ?? '{}') as { requestId?: string };
          if (args.requestId !== requestId) continue;
          assert.equal(block.validation[i], 'VALID', 'the authorization committed valid');
          assert.equal(tx.proposal.creator.certPem, cert, "submitted with the reader's own certificate");
          const permitted = (JSON.parse(tx.response.result) as { records: Array<{ recordId: string }> }).records.map(
            (r) => r.recordId,
          );
          for (const id of recordIds)
            assert.ok(permitted.includes(id), `${id} is named by the committed authorization`);
          return;
        }
      }
    } finally {
      db.close();
    }
    assert.fail(`no committed AuthorizeAccess for request ${requestId} of ${reader}`);
  }

  async function apply(
    op: Op,
    model: Model,
    p: { login: string; patientId: string; records: Record<RecordType, string[]> },
  ) {
    operations += 1;
    switch (op.kind) {
      case 'grant': {
        const consent = grant(p.patientId, op.type, op.to);
        const purpose = op.to.startsWith('Insurer') ? 'HPAYMT' : 'TREAT';
        (((consent.provision as Json).provision as Json[])[0] as Json).purpose = [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: purpose },
        ];
        const response = await asPatient(p.login, 'POST', '/fhir/Consent', consent);
        assert.equal(response.status, 201, response.text);
        model.consents.push({
          id: String(response.body.id),
          who: `Group/${op.to}`,
          purpose,
          type: op.type,
          active: true,
        });
        return;
      }
      case 'revoke': {
        const active = model.consents.filter((c) => c.active);
        const target = active[op.pick % Math.max(active.length, 1)];
        if (target === undefined) return;
        const response = await asPatient(p.login, 'DELETE', `/fhir/Consent/${target.id}`);
        assert.equal(response.status, 200, response.text);
        target.active = false;
        return;
      }
      case 'request': {
        const request = await server.as('dr.house', 'POST', '/api/access-requests', {
          patient: `Patient/${p.patientId}`,
          resourceTypes: [op.type],
          reasonCode: 'referral',
        });
        assert.equal(request.status, 201, request.text);
        const answer = await asPatient(
          p.login,
          'POST',
          `/api/access-requests/${String(request.body.id)}/${op.approve ? 'approve' : 'deny'}`,
          {},
        );
        assert.equal(answer.status, 200, answer.text);
        if (op.approve) {
          const body = answer.body as { consentId?: string; consent?: { id?: string } };
          const consentId = body.consentId ?? body.consent?.id ?? '';
          assert.match(consentId, /^c-/, answer.text);
          model.consents.push({
            id: consentId,
            who: 'Practitioner/dr.house',
            purpose: 'TREAT',
            type: op.type,
            active: true,
          });
        }
        return;
      }
      case 'break-glass': {
        const response = await server.as('dr.house', 'POST', '/api/break-glass', {
          patient: `Patient/${p.patientId}`,
          reason: 'model emergency',
          reasonCode: 'unconscious-patient',
        });
        assert.equal(response.status, 201, response.text);
        model.emergency = true;
        return;
      }
      case 'read': {
        reads += 1;
        const [who, purpose] = op.reader.split('/') as [string, string | undefined];
        const response = await server.as(
          who,
          'GET',
          `/fhir/${op.type}?patient=${p.patientId}`,
          undefined,
          purpose === undefined ? {} : { 'x-purpose-of-use': purpose },
        );
        assert.equal(response.status, 200, response.text);
        const got = (response.body.entry ?? []).map((e) => String(e.resource.id)).sort();
        const want = allowed(model, op.reader, op.type) ? [...p.records[op.type]].sort() : [];
        assert.deepEqual(got, want, `${op.reader} reads ${op.type} with model ${JSON.stringify(model)}`);
        assert.equal(response.body.total, want.length, 'the total counts only what may be seen');
        if (got.length > 0) {
          readsWithData += 1;
          await assertAuthorized(String(response.headers['x-request-id']), who, got);
        }
        return;
      }
    }
  }

  it('random sequences of grants, revocations, requests, break-glass and reads match the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 4, maxLength: 14 }), async (ops) => {
        const patient = await freshPatient();
        const model: Model = { consents: [], emergency: false };
        for (const op of ops) await apply(op, model, patient);
        // Close with one read per reader and type, so that every final state is compared in full.
        for (const reader of ['dr.house', 'dr.house/ETREAT', 'claims.ivy', 'dr.grey', 'res.rosa'] as const)
          for (const type of ['Observation', 'Condition'] as const)
            await apply({ kind: 'read', reader, type }, model, patient);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });
});
