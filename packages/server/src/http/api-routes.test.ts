import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observationGrant, TestServer } from '../testing/test-server.js';

type Grant = { id: string; patientId: string; endedAt?: string; endReason?: string; reason?: string };
type Tagged = {
  meta?: { tag?: Array<{ code?: string }> };
  entity?: Array<{ detail?: Array<{ valueString?: string }> }>;
};

describe('api: the patient ends a break-glass grant; the clinician lists patients sharing with them', () => {
  let server: TestServer;
  let alice = '';
  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
  });
  after(async () => server.stop());

  it('ends the grant for the patient only, refuses the next emergency read, keeps it queued for review', async () => {
    const glass = await server.as('dr.house', 'POST', '/api/break-glass', {
      patient: `Patient/${alice}`,
      reason: 'found unconscious at the station',
      reasonCode: 'unconscious-patient',
    });
    assert.equal(glass.status, 201, glass.text);
    const grantId = String(glass.body.id);
    const etreat = { 'x-purpose-of-use': 'ETREAT' };
    const readCount = async (): Promise<number> => {
      const search = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${alice}`, undefined, etreat);
      assert.equal(search.status, 200, search.text);
      return search.body.entry?.length ?? 0;
    };
    assert.ok((await readCount()) > 0, 'the grant works before it is ended');

    const listed = await server.as('alice', 'GET', '/api/emergency-grants');
    assert.equal(listed.status, 200, listed.text);
    const mine = listed.body as unknown as Grant[];
    assert.deepEqual(
      mine.map((g) => [g.id, g.reason, g.endedAt]),
      [[grantId, 'found unconscious at the station', undefined]],
    );

    const url = `/api/emergency-grants/${grantId}/revoke`;
    for (const [who, status] of [
      ['dr.house', 403],
      ['po.hospa', 403],
      ['bob', 404],
      [undefined, 401],
    ] as const) {
      const refused = await server.as(who, 'POST', url);
      assert.equal(refused.status, status, `${String(who)}: ${refused.text}`);
      assert.equal(refused.body.resourceType, 'OperationOutcome');
    }
    assert.ok((await readCount()) > 0, 'a refused revoke changes nothing');

    const ended = await server.as('alice', 'POST', url);
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.body.endReason, 'revoked-by-patient');
    assert.equal(await readCount(), 0, "the clinician's next emergency read is refused");
    const again = await server.as('alice', 'POST', url);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.resourceType, 'OperationOutcome');
    assert.equal((await server.as('alice', 'POST', '/api/emergency-grants/not-an-id/revoke')).status, 400);

    const reviews = await server.as('po.hospa', 'GET', '/api/emergency-reviews');
    const queued = (reviews.body as unknown as Grant[]).find((g) => g.id === grantId);
    assert.equal(queued?.endedAt, ended.body.endedAt, 'still queued for review, marked ended');

    for (const who of ['alice', 'po.hospa', 'po.hospb']) {
      const audit = await server.as(who, 'GET', `/fhir/AuditEvent?patient=Patient/${alice}&_count=200`);
      assert.equal(audit.status, 200, audit.text);
      const events = (audit.body.entry ?? []).map((e) => e.resource as Tagged);
      assert.ok(
        events.some(
          (event) =>
            event.meta?.tag?.some((tag) => tag.code === 'break-glass-end') === true &&
            event.entity?.some((entity) => entity.detail?.some((d) => d.valueString === grantId)) === true,
        ),
        `${who} sees that alice ended the emergency access`,
      );
    }
  });

  it("lists only patients whose active consent names the clinician's organisation, and stops after a revoke", async () => {
    const shared = async (who: string): Promise<string[]> => {
      const response = await server.as(who, 'GET', '/api/shared-patients');
      assert.equal(response.status, 200, response.text);
      return (response.body as unknown as Array<{ patientId: string }>).map((entry) => entry.patientId);
    };
    assert.deepEqual(await shared('dr.house'), []);
    const consent = await server.as('alice', 'POST', '/fhir/Consent', observationGrant(alice, '2030-12-31'));
    assert.equal(consent.status, 201, consent.text);
    assert.deepEqual(await shared('dr.house'), [alice], 'the consent names Group/HospitalBMSP-clinician');
    assert.deepEqual(await shared('dr.grey'), [], 'a HospitalA clinician is not named');
    for (const who of ['alice', 'claims.ivy', 'po.hospa', 'admin.hospb']) {
      const refused = await server.as(who, 'GET', '/api/shared-patients');
      assert.equal(refused.status, 403, `${who}: ${refused.text}`);
      assert.equal(refused.body.resourceType, 'OperationOutcome');
    }
    const revoked = await server.as('alice', 'DELETE', `/fhir/Consent/${String(consent.body.id)}`);
    assert.equal(revoked.status, 200, revoked.text);
    assert.deepEqual(await shared('dr.house'), []);
  });
});
