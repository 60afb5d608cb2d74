import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, importPKCS8 } from 'jose';
import { observationGrant, PUBLIC_URL, TestServer } from './testing/test-server.js';

function assertOutcome(response: { status: number; body: Record<string, unknown>; text: string }, status: number) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.resourceType, 'OperationOutcome', response.text);
  const issue = (response.body.issue as Array<Record<string, unknown>>)[0];
  assert.equal(typeof issue?.diagnostics, 'string');
  assert.doesNotMatch(response.text, /at \w+ \(|node_modules|\.ts:\d+/, 'no stack trace');
}

describe('API errors are OperationOutcomes with the right status', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start({ env: { MEDLEDGER_BODY_LIMIT: '65536' } });
    alice = server.patientId('alice');
  });
  after(async () => server.stop());

  const observation = (patient: string) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value: 80, unit: '/min' },
  });

  it('401 without a token, with a tampered token, and with a token for another server', async () => {
    assertOutcome(await server.as(undefined, 'GET', `/fhir/Observation?patient=${alice}`), 401);
    const token = await server.token('dr.grey');
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assertOutcome(
      await server.as(undefined, 'GET', '/fhir/Patient', undefined, { authorization: `Bearer ${tampered}` }),
      401,
    );
    assertOutcome(
      await server.as(undefined, 'GET', '/fhir/Patient', undefined, { authorization: 'Bearer abc.def.ghi' }),
      401,
    );
  });

  it('400 for malformed JSON, 415 for a wrong media type, 413 for a body over the limit', async () => {
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', '{"resourceType": "Observation",'), 400);
    assertOutcome(
      await server.as('dr.grey', 'POST', '/fhir/Observation', JSON.stringify(observation(alice)), {
        'content-type': 'text/plain',
      }),
      415,
    );
    const huge = { ...observation(alice), note: [{ text: 'x'.repeat(70_000) }] };
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', huge), 413);
  });

  it('404 for an unknown resource type or endpoint, 400 for an invalid resource or search parameter', async () => {
    assertOutcome(await server.as('dr.grey', 'GET', '/fhir/Spaceship?patient=x'), 404);
    assertOutcome(await server.as('dr.grey', 'GET', '/nowhere'), 404);
    const invalid = { ...observation(alice), valueQuantity: { value: 'eighty' } };
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', invalid), 400);
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', { ...observation(alice), code: 5 }), 400);
    assertOutcome(
      await server.as('dr.grey', 'POST', '/fhir/Observation', { ...observation(alice), status: 'done' }),
      400,
    );
    const nested = { ...observation(alice), component: [{ code: 'x', valueString: 'y' }] };
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', nested), 400);
    const missing = { ...observation(alice), status: undefined };
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', missing), 400);
    assertOutcome(await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&colour=red`), 400);
    assertOutcome(await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&date=yesterday`), 400);
    assertOutcome(await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&_count=-1`), 400);
    assertOutcome(await server.as('dr.grey', 'POST', '/fhir/Observation', { ...observation('pt-nothex') }), 400);
  });

  it('creates, reads and searches with paging links, codes and dates', async () => {
    for (let i = 0; i < 3; i += 1) {
      const created = await server.as('dr.grey', 'POST', '/fhir/Observation', {
        ...observation(alice),
        effectiveDateTime: `2025-0${i + 1}-15T10:00:00Z`,
      });
      assert.equal(created.status, 201, created.text);
      assert.match(String(created.body.id), /^r-[0-9a-f]{24}$/);
      assert.equal(created.headers['content-type'], 'application/fhir+json; charset=utf-8');
    }
    const page = await server.as(
      'dr.grey',
      'GET',
      `/fhir/Observation?patient=${alice}&code=http://loinc.org|8867-4&date=ge2025-01-01&date=lt2025-03-01&_count=1`,
    );
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 2);
    assert.equal(page.body.entry?.length, 1);
    const links = page.body.link as Array<{ relation: string; url: string }>;
    const next = links.find((l) => l.relation === 'next');
    assert.ok(next !== undefined, 'a next link');
    assert.ok(next.url.startsWith(`${PUBLIC_URL}/fhir/Observation?`));
    const second = await server.as('dr.grey', 'GET', next.url.slice(PUBLIC_URL.length));
    assert.equal(second.body.entry?.length, 1);
    const ids = [...(page.body.entry ?? []), ...(second.body.entry ?? [])].map((e) => e.resource.id);
    assert.equal(new Set(ids).size, 2, 'the second page holds another resource');
  });

  it('searches by category and _lastUpdated, and serves the directory to anyone signed in', async () => {
    const vitals = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&category=vital-signs`);
    assert.ok((vitals.body.entry?.length ?? 0) >= 1);
    const labs = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&category=laboratory`);
    assert.equal(labs.body.total, 0);
    const future = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&_lastUpdated=gt2100-01-01`);
    assert.equal(future.body.total, 0);
    const recent = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&_lastUpdated=ge2020-01-01`);
    assert.ok((recent.body.total as number) >= 1);
    const orgs = await server.as('alice', 'GET', '/fhir/Organization');
    assert.equal(orgs.body.total, 5);
    const house = await server.as('alice', 'GET', '/fhir/Practitioner/dr.house');
    assert.equal(house.status, 200);
    const roles = await server.as('alice', 'GET', '/fhir/PractitionerRole?_id=dr.house-HospitalBMSP');
    assert.equal(roles.body.total, 1);
  });

  it('consents: read, history, revoke by DELETE; AuditEvent read by id', async () => {
    const consent = await server.as('alice', 'POST', '/fhir/Consent', observationGrant(alice, '2030-01-01'));
    const id = String(consent.body.id);
    assert.equal((await server.as('alice', 'GET', `/fhir/Consent/${id}`)).body.status, 'active');
    assert.equal((await server.as('dr.grey', 'GET', `/fhir/Consent/${id}`)).status, 404, 'only the patient reads it');
    const removed = await server.as('alice', 'DELETE', `/fhir/Consent/${id}`);
    assert.equal(removed.status, 200, removed.text);
    const history = await server.as('alice', 'GET', `/fhir/Consent/${id}/_history`);
    assert.deepEqual(
      (history.body.entry ?? []).map((e) => e.resource.status),
      ['active', 'inactive'],
    );
    const events = await server.as('alice', 'GET', '/fhir/AuditEvent?_count=1');
    const eventId = String(events.body.entry?.[0]?.resource.id);
    const event = await server.as('alice', 'GET', `/fhir/AuditEvent/${eventId}`);
    assert.equal(event.status, 200);
    assert.equal(event.body.resourceType, 'AuditEvent');
    assert.equal((await server.as('bob', 'GET', `/fhir/AuditEvent/${eventId}`)).status, 404);
  });

  it('a patient sees only themself in a Patient search', async () => {
    const response = await server.as('alice', 'GET', '/fhir/Patient');
    assert.deepEqual(
      response.body.entry?.map((e) => e.resource.id),
      [alice],
    );
    const bob = server.patientId('bob');
    assert.equal((await server.as('alice', 'GET', `/fhir/Patient/${bob}`)).status, 404);
  });

  it('forbidden and nonexistent records give the same 404 body', async () => {
    const bob = server.patientId('bob');
    const bobs = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}`);
    const id = String(bobs.body.entry?.[0]?.resource.id);
    const forbidden = await server.as('dr.grey', 'GET', `/fhir/Observation/${id}`);
    const missingId = `r-${randomBytes(12).toString('hex')}`;
    const missing = await server.as('dr.grey', 'GET', `/fhir/Observation/${missingId}`);
    assert.equal(forbidden.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(forbidden.text.replace(id, 'ID'), missing.text.replace(missingId, 'ID'));
    // Search totals count only what the caller may see.
    const hidden = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${bob}`);
    assert.equal(hidden.body.total, 0);
    assert.equal(hidden.body.entry?.length ?? 0, 0);
  });

  it('password grant: wrong password and unknown user get the same invalid_grant; scopes too broad are refused', async () => {
    const login = async (fields: Record<string, string>) =>
      server.app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const wrong = await login({ grant_type: 'password', username: 'alice', password: 'nope' });
    const unknown = await login({ grant_type: 'password', username: 'mallory', password: 'nope' });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.body, unknown.body);
    const broad = await login({
      grant_type: 'password',
      username: 'alice',
      password: 'medledger-demo',
      scope: 'user/*.cruds',
    });
    assert.equal(broad.statusCode, 400);
    assert.equal((JSON.parse(broad.body) as { error: string }).error, 'invalid_scope');
    const narrow = await login({
      grant_type: 'password',
      username: 'dr.grey',
      password: 'medledger-demo',
      scope: 'user/Observation.rs',
    });
    assert.equal(narrow.statusCode, 200);
    const token = (JSON.parse(narrow.body) as { access_token: string }).access_token;
    const refused = await server.as(undefined, 'GET', `/fhir/Condition?patient=${alice}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    assertOutcome(refused, 403);
  });

  it('client_credentials with a private_key_jwt signed by the enrolled key; a replayed assertion is refused', async () => {
    await server.medledger.accounts.create({
      username: 'hospa.ehr',
      displayName: 'HospitalA EHR',
      mspId: 'HospitalAMSP',
      role: 'clinician',
    });
    const identity = await server.medledger.network.identity('hospa.ehr');
    const key = await importPKCS8(identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'ES256');
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('hospa.ehr')
      .setSubject('hospa.ehr')
      .setAudience(`${PUBLIC_URL}/auth/token`)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(randomBytes(8).toString('hex'))
      .sign(key);
    const fields = {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: 'system/Observation.rs',
    };
    const request = () =>
      server.app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const first = await request();
    assert.equal(first.statusCode, 200, first.body);
    const token = (JSON.parse(first.body) as { access_token: string }).access_token;
    const search = await server.as(undefined, 'GET', `/fhir/Observation?patient=${alice}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(search.status, 200);
    assert.ok((search.body.entry?.length ?? 0) > 0);
    const replay = await request();
    assert.equal(replay.statusCode, 401);
  });

  it('rate-limits the token endpoint with a 429', async () => {
    const limited = await TestServer.start({ env: { MEDLEDGER_TOKEN_RATE_LIMIT: '2' } });
    try {
      const attempt = () =>
        limited.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'grant_type=password&username=alice&password=wrong',
        });
      assert.equal((await attempt()).statusCode, 400);
      assert.equal((await attempt()).statusCode, 400);
      const third = await attempt();
      assert.equal(third.statusCode, 429);
      assert.equal((JSON.parse(third.body) as { resourceType: string }).resourceType, 'OperationOutcome');
    } finally {
      await limited.stop();
    }
  });

  it('serves a CapabilityStatement, the OpenAPI document and health', async () => {
    const metadata = await server.as(undefined, 'GET', '/fhir/metadata');
    assert.equal(metadata.body.resourceType, 'CapabilityStatement');
    assert.equal(metadata.body.fhirVersion, '4.0.1');
    const openapi = await server.as(undefined, 'GET', '/docs/json');
    assert.equal(openapi.status, 200);
    assert.ok(JSON.stringify(openapi.body).includes('/fhir/{type}'));
    assert.equal((await server.as(undefined, 'GET', '/health')).status, 200);
  });
});
