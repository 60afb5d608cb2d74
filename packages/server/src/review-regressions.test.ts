import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestServer } from './testing/test-server.js';

type Json = Record<string, unknown>;

const observation = (patient: string, extra: Json = {}): Json => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});

async function tokenFor(server: TestServer, username: string, scope: string): Promise<string> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password: 'medledger-demo', scope }).toString(),
  });
  assert.equal(response.statusCode, 200, response.body);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

describe('regressions from the server review', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
    bob = server.patientId('bob');
  });
  after(async () => server.stop());

  it('a transaction Bundle obeys the token scopes like a single create', async () => {
    const token = await tokenFor(server, 'dr.grey', 'user/*.rs');
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: observation(alice), request: { method: 'POST', url: 'Observation' } }],
    };
    const response = await server.as(undefined, 'POST', '/fhir', bundle, { authorization: `Bearer ${token}` });
    assert.equal(response.status, 403, response.text);
  });

  it('$everything returns only the record types the token may read', async () => {
    const token = await tokenFor(server, 'alice', 'patient/Patient.rs');
    const response = await server.as(undefined, 'GET', `/fhir/Patient/${alice}/$everything`, undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(
      (response.body.entry ?? []).map((e) => e.resource.resourceType),
      ['Patient'],
    );
  });

  it("an update of someone else's record looks like an update of a missing one", async () => {
    const bobs = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}`);
    const id = String(bobs.body.entry?.[0]?.resource.id);
    const missingId = `r-${randomBytes(12).toString('hex')}`;
    const forbidden = await server.as('dr.grey', 'PUT', `/fhir/Observation/${id}`, { ...observation(bob), id });
    const missing = await server.as('dr.grey', 'PUT', `/fhir/Observation/${missingId}`, {
      ...observation(bob),
      id: missingId,
    });
    assert.equal(forbidden.status, 404, forbidden.text);
    assert.equal(forbidden.text.replace(id, 'ID'), missing.text.replace(missingId, 'ID'));
  });

  it('a missing record and a forbidden one each cost one committed ledger transaction', async () => {
    const bobs = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}`);
    const forbiddenId = String(bobs.body.entry?.[0]?.resource.id);
    const ledger = server.medledger.network.ledger;
    const heightAfter = async (url: string): Promise<number> => {
      const before = await ledger.height();
      assert.equal((await server.as('dr.grey', 'GET', url)).status, 404);
      return (await ledger.height()) - before;
    };
    assert.equal(await heightAfter(`/fhir/Observation/${forbiddenId}`), 1);
    assert.equal(await heightAfter(`/fhir/Observation/r-${randomBytes(12).toString('hex')}`), 1);
    assert.equal(await heightAfter(`/fhir/Patient/pt-${randomBytes(12).toString('hex')}`), 1);
    assert.equal(await heightAfter('/fhir/Observation/not-an-id'), 0, 'a malformed id is refused by its form alone');
  });

  it('a purpose the role may not assert is refused before anything is looked up', async () => {
    const aliceObs = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}`);
    const id = String(aliceObs.body.entry?.[0]?.resource.id);
    const headers = { 'x-purpose-of-use': 'HRESCH' };
    const existing = await server.as('dr.house', 'GET', `/fhir/Observation/${id}`, undefined, headers);
    const missing = await server.as('dr.house', 'GET', `/fhir/Observation/r-${'0'.repeat(24)}`, undefined, headers);
    assert.equal(existing.status, 403);
    assert.equal(missing.status, 403);
    assert.equal(existing.text, missing.text);
  });

  it('malformed inputs get 4xx OperationOutcomes, never a 500', async () => {
    const nullEntry = await server.as('dr.grey', 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [null],
    });
    assert.equal(nullEntry.status, 400, nullEntry.text);
    const proto = await server.as(
      'dr.grey',
      'POST',
      '/fhir/Observation',
      `{"__proto__":{"x":1},"resourceType":"Observation"}`,
    );
    assert.equal(proto.status, 400, proto.text);
    assert.equal(proto.body.resourceType, 'OperationOutcome');
    const badUrl = await server.as('dr.grey', 'GET', '/fhir/Observation/%E0%A4%A');
    assert.equal(badUrl.status, 400, badUrl.text);
    assert.equal(badUrl.body.resourceType, 'OperationOutcome');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: { x: 1 } })).toString('base64url');
    const assertion = await server.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${header}.${payload}.c2ln`,
      }).toString(),
    });
    assert.equal(assertion.statusCode, 401, assertion.body);
  });

  it('a second login for the same patient is refused before an identity is enrolled', async () => {
    const entry = server.medledger.patients.entry(alice);
    assert.ok(entry);
    await assert.rejects(
      server.medledger.accounts.create({
        username: 'alice2',
        displayName: 'Alice again',
        mspId: 'HospitalAMSP',
        role: 'patient',
        password: 'a-long-enough-password',
        patient: entry,
      }),
      /already has a login/,
    );
  });

  it('batch GET keeps repeated parameters; unsupported parameters are refused, not ignored', async () => {
    await server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, { effectiveDateTime: '2024-06-01' }));
    const direct = await server.as(
      'dr.grey',
      'GET',
      `/fhir/Observation?patient=${alice}&date=ge2024-01-01&date=le2024-12-31`,
    );
    const batch = await server.as('dr.grey', 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'GET', url: `Observation?patient=${alice}&date=ge2024-01-01&date=le2024-12-31` } }],
    });
    const inBatch = (batch.body.entry as unknown as Array<{ resource: Json }>)[0]?.resource;
    assert.equal(inBatch?.total, direct.body.total);
    assert.equal(direct.body.total, 1);
    assert.equal((await server.as('alice', 'GET', '/fhir/Consent?date=ge2020')).status, 400);
    assert.equal((await server.as('alice', 'GET', `/fhir/Patient/${alice}/$everything?code=x`)).status, 400);
  });

  it('_count=0 gives no next link; Patient search totals count every match', async () => {
    const zero = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&_count=0`);
    const links = zero.body.link as Array<{ relation: string }>;
    assert.deepEqual(
      links.map((l) => l.relation),
      ['self'],
    );
    for (const given of ['Ann', 'Anna', 'Anne']) {
      const created = await server.as('dr.grey', 'POST', '/fhir/Patient', {
        resourceType: 'Patient',
        name: [{ family: 'Lovelace', given: [given] }],
      });
      assert.equal(created.status, 201, created.text);
    }
    const page = await server.as('dr.grey', 'GET', '/fhir/Patient?family=lovelace&_count=1');
    assert.equal(page.body.total, 3);
    assert.equal(page.body.entry?.length, 1);
  });

  it('updating demographics leaves one copy in the vault', async () => {
    const vault = server.medledger.network.vault('HospitalAMSP');
    const live = async () => (await vault.list({ limit: 5000 })).filter((r) => r.erasedAt === null).length;
    const before = await live();
    const current = await server.as('alice', 'GET', `/fhir/Patient/${alice}`);
    const updated = await server.as('dr.grey', 'PUT', `/fhir/Patient/${alice}`, {
      ...current.body,
      telecom: [{ system: 'phone', value: '555-0199' }],
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(await live(), before);
    const again = await server.as('alice', 'GET', `/fhir/Patient/${alice}`);
    assert.deepEqual(again.body.telecom, [{ system: 'phone', value: '555-0199' }]);
  });

  it('an erasure racing an update leaves no readable version', async () => {
    const created = await server.as(
      'dr.grey',
      'POST',
      '/fhir/Observation',
      observation(alice, { effectiveDateTime: '2022-02-02' }),
    );
    const id = String(created.body.id);
    const [update, erase] = await Promise.all([
      server.as('dr.grey', 'PUT', `/fhir/Observation/${id}`, { ...observation(alice), id, status: 'amended' }),
      server.as('alice', 'DELETE', `/fhir/Observation/${id}`),
    ]);
    assert.equal(erase.status, 200, erase.text);
    assert.ok([200, 404].includes(update.status), update.text);
    assert.equal((await server.as('dr.grey', 'GET', `/fhir/Observation/${id}`)).status, 404);
    const search = await server.as('alice', 'GET', `/fhir/Observation?patient=${alice}&date=2022-02-02`);
    assert.equal(search.body.total, 0);
    for (const version of server.medledger.store.versionsOf(id)) {
      const rows = await server.medledger.network.vault('HospitalAMSP').versions(version.recordId);
      assert.ok(
        rows.every((row) => row.erasedAt !== null),
        `version ${version.version} is shredded`,
      );
    }
  });

  it('an erasure after an unsettled update covers the newer version too', async () => {
    const created = await server.as(
      'dr.grey',
      'POST',
      '/fhir/Observation',
      observation(alice, { effectiveDateTime: '2021-01-01' }),
    );
    const id = String(created.body.id);
    const store = server.medledger.store;
    const original = store.indexRecord.bind(store);
    store.indexRecord = () => {
      throw new Error('simulated index failure');
    };
    try {
      const update = await server.as('dr.grey', 'PUT', `/fhir/Observation/${id}`, {
        ...observation(alice),
        id,
        status: 'amended',
      });
      assert.equal(update.status, 500, 'the update committed on the ledger but could not be indexed');
    } finally {
      store.indexRecord = original;
    }
    assert.equal(store.pendingWrites().length > 0, true, 'the committed update is still journaled');
    const erase = await server.as('alice', 'DELETE', `/fhir/Observation/${id}`);
    assert.equal(erase.status, 200, erase.text);
    assert.deepEqual(store.pendingWrites(), []);
    for (const version of store.versionsOf(id)) {
      const rows = await server.medledger.network.vault('HospitalAMSP').versions(version.recordId);
      assert.ok(
        rows.every((row) => row.erasedAt !== null),
        `version ${version.version} is shredded`,
      );
    }
    assert.equal((await server.as('dr.grey', 'GET', `/fhir/Observation/${id}`)).status, 404);
  });

  it('an administrator adds and revokes a person: the revoked token stops working at once', async () => {
    const added = await server.as(
      'admin.hospa',
      'POST',
      '/api/admin/users',
      { username: 'nurse.joy', displayName: 'Nurse Joy', role: 'clinician', password: 'a-long-enough-password' },
      { 'content-type': 'application/json' },
    );
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.passwordHash, undefined, 'no password hash in the answer');
    const login = await server.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=nurse.joy&password=a-long-enough-password',
    });
    const token = (JSON.parse(login.body) as { access_token: string }).access_token;
    const before = await server.as(undefined, 'GET', `/fhir/Observation?patient=${alice}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(before.status, 200);
    const revoked = await server.as('admin.hospa', 'POST', '/api/admin/users/nurse.joy/revoke', {});
    assert.equal(revoked.status, 200, revoked.text);
    const after = await server.as(undefined, 'GET', `/fhir/Observation?patient=${alice}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(after.status, 401);
    const other = await server.as('admin.hospb', 'POST', '/api/admin/users/dr.grey/revoke', {});
    assert.equal(other.status, 404, "an administrator cannot revoke another organisation's account");
  });

  it('refuses a second process on the same data directory while the first runs', async () => {
    await assert.rejects(TestServer.start({ dataDir: server.dataDir }), /in use by another Medledger process/);
  });

  it('a failure after the ledger committed keeps the record (the ledger is the truth)', async () => {
    const store = server.medledger.store;
    const original = store.indexRecord.bind(store);
    let failures = 1;
    store.indexRecord = (...args: Parameters<typeof original>) => {
      if (failures-- > 0) throw new Error('simulated index failure');
      original(...args);
    };
    try {
      const created = await server.as(
        'dr.grey',
        'POST',
        '/fhir/Observation',
        observation(alice, { effectiveDateTime: '2023-03-03' }),
      );
      assert.equal(created.status, 201, created.text);
      const read = await server.as('dr.grey', 'GET', `/fhir/Observation/${String(created.body.id)}`);
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(store.pendingWrites(), []);
    } finally {
      store.indexRecord = original;
    }
  });
});
