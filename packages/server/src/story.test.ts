import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observationGrant, TestServer } from './testing/test-server.js';

type Json = Record<string, unknown>;

function tomorrow(): string {
  return new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
}

function types(bundle: Json): string[] {
  return ((bundle.entry as Array<{ resource: Json }> | undefined) ?? []).map((e) => String(e.resource.resourceType));
}

describe('the consent story over HTTP (issue 4)', () => {
  let server: TestServer;
  let alice: string;

  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
  });
  after(async () => server.stop());

  it('follows alice and dr.house from refusal to grant, revocation, request and break-glass', async () => {
    const obsSearch = `/fhir/Observation?patient=Patient/${alice}`;
    // 1. dr.house (HospitalB) cannot see alice's (HospitalA) records.
    const refused = await server.as('dr.house', 'GET', obsSearch);
    assert.equal(refused.status, 200);
    assert.deepEqual(types(refused.body), []);
    assert.equal(refused.body.total, 0);

    // The home hospital's clinician sees them.
    const home = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}`);
    assert.deepEqual(types(home.body), ['Observation']);
    const observationId = String(home.body.entry?.[0]?.resource.id);
    assert.equal((await server.as('dr.house', 'GET', `/fhir/Observation/${observationId}`)).status, 404);

    // 2. alice grants HospitalB clinicians her Observations for TREAT until tomorrow.
    const granted = await server.as('alice', 'POST', '/fhir/Consent', observationGrant(alice, tomorrow()));
    assert.equal(granted.status, 201, granted.text);
    const consentId = String(granted.body.id);
    assert.match(consentId, /^c-[0-9a-f]{24}$/);

    // 3. dr.house reads her Observations but not her Conditions.
    const permitted = await server.as('dr.house', 'GET', obsSearch);
    assert.deepEqual(types(permitted.body), ['Observation']);
    const read = await server.as('dr.house', 'GET', `/fhir/Observation/${observationId}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.id, observationId);
    const conditions = await server.as('dr.house', 'GET', `/fhir/Condition?patient=${alice}`);
    assert.deepEqual(types(conditions.body), []);

    // 4. alice revokes (status inactive); dr.house is refused again.
    const revoked = await server.as('alice', 'PUT', `/fhir/Consent/${consentId}`, {
      ...observationGrant(alice, tomorrow()),
      id: consentId,
      status: 'inactive',
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.body.status, 'inactive');
    assert.deepEqual(types((await server.as('dr.house', 'GET', obsSearch)).body), []);
    assert.equal((await server.as('dr.house', 'GET', `/fhir/Observation/${observationId}`)).status, 404);

    // 5. alice's AuditEvent search shows dr.house's attempts, permitted and denied.
    const audit = await server.as('alice', 'GET', '/fhir/AuditEvent');
    assert.equal(audit.status, 200);
    const byHouse = (audit.body.entry ?? [])
      .map((e) => e.resource)
      .filter((event) => JSON.stringify(event.agent).includes('Practitioner/dr.house'));
    const outcomes = new Set(byHouse.map((event) => event.outcome));
    assert.ok(outcomes.has('0'), 'a permitted access by dr.house is audited');
    assert.ok(outcomes.has('8'), 'a denied access by dr.house is audited');
    assert.ok(byHouse.length >= 5, `every attempt is audited (saw ${byHouse.length})`);

    // 6. dr.house requests access; alice approves; dr.house reads.
    const request = await server.as(
      'dr.house',
      'POST',
      '/api/access-requests',
      {
        patient: `Patient/${alice}`,
        resourceTypes: ['Observation'],
        reasonCode: 'referral',
        reason: 'cardiology referral',
      },
      { 'content-type': 'application/json' },
    );
    assert.equal(request.status, 201, request.text);
    const pending = await server.as('alice', 'GET', '/api/access-requests');
    assert.ok(JSON.stringify(pending.body).includes(String(request.body.id)));
    const approved = await server.as('alice', 'POST', `/api/access-requests/${String(request.body.id)}/approve`, {});
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual(types((await server.as('dr.house', 'GET', obsSearch)).body), ['Observation']);

    // 7. dr.house breaks the glass; now sees the Condition; alice sees the emergency access.
    const glass = await server.as('dr.house', 'POST', '/api/break-glass', {
      patient: `Patient/${alice}`,
      reason: 'unconscious in the emergency department',
      reasonCode: 'unconscious-patient',
    });
    assert.equal(glass.status, 201, glass.text);
    const emergency = await server.as('dr.house', 'GET', `/fhir/Condition?patient=${alice}`, undefined, {
      'x-purpose-of-use': 'ETREAT',
    });
    assert.deepEqual(types(emergency.body), ['Condition']);
    const aliceAudit = await server.as('alice', 'GET', '/fhir/AuditEvent');
    assert.ok(JSON.stringify(aliceAudit.body).includes('break-glass-start'));
    // HospitalA's privacy officer (alice's hospital, the custodian) reviews the break-glass, with the off-chain reason;
    // HospitalB, whose clinician is under review, has nothing to review.
    assert.deepEqual((await server.as('po.hospb', 'GET', '/api/emergency-reviews')).body, []);
    const reviews = await server.as('po.hospa', 'GET', '/api/emergency-reviews');
    assert.equal(reviews.status, 200);
    assert.ok(JSON.stringify(reviews.body).includes('unconscious in the emergency department'));
    const reviewed = await server.as('po.hospa', 'POST', `/api/emergency-reviews/${String(glass.body.id)}`, {
      patient: `Patient/${alice}`,
      outcome: 'justified',
      note: 'checked with the ED record',
    });
    assert.equal(reviewed.status, 200, reviewed.text);
    assert.equal(reviewed.body.review, 'justified');
  });
});
