/** Regression tests for the bugs the security suite found (docs/security.md, "Found and fixed"). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { grant, observation, storeCounts, TestServer } from './testing/fixtures.js';

describe('security suite regressions', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
    bob = server.patientId('bob');
  });
  after(async () => server.stop());

  it('F1: a transaction Bundle whose record cannot name its patient is refused before its patients reach the ledger', async () => {
    for (const subject of [
      { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }, // a fullUrl no entry has
      { reference: 'Patient/pt-nothex' },
      { display: 'no reference at all' },
    ]) {
      const before = storeCounts(server.dataDir);
      const response = await server.as('dr.grey', 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:4a0b5a2e-2c59-4d7e-9b7a-3f2c1d0e9a11',
            resource: { resourceType: 'Patient', name: [{ family: 'Regression' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          { resource: { ...observation(alice), subject }, request: { method: 'POST', url: 'Observation' } },
        ],
      });
      assert.equal(response.status, 400, response.text);
      assert.match(response.text, /Bundle\.entry\[1\]/);
      assert.deepEqual(storeCounts(server.dataDir), before, 'no block, state, vault or store row');
    }
  });

  it('F3: concurrent reads, writes and consent changes on one patient all succeed (MVCC conflicts are re-endorsed, not 409)', async () => {
    const consents: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      consents.push(String((await server.as('alice', 'POST', '/fhir/Consent', grant(alice, 'Procedure'))).body.id));
    }
    const calls = [];
    for (let i = 0; i < 8; i += 1) {
      calls.push(server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}`));
      calls.push(server.as('dr.house', 'GET', `/fhir/Observation?patient=${alice}`));
      calls.push(server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, 50 + i)));
      calls.push(server.as('alice', 'DELETE', `/fhir/Consent/${consents[i] ?? ''}`));
      calls.push(server.as('alice', 'GET', '/fhir/Condition'));
    }
    const statuses = (await Promise.all(calls)).map((r) =>
      r.status >= 300 ? `${r.status} ${r.text.slice(0, 160)}` : 'ok',
    );
    assert.deepEqual(
      statuses.filter((s) => s !== 'ok'),
      [],
    );
  });

  it('F4: verify reports a record whose anchored metadata in the world state was altered, instead of failing', async () => {
    const created = await server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, 77));
    const id = String(created.body.id);
    const file = join(server.dataDir, 'ledger', 'ledger.sqlite');
    const db = new Database(file);
    try {
      const row = (db.prepare('SELECT key, value FROM state').all() as Array<{ key: Buffer; value: Buffer }>).find(
        (r) => r.key.toString('utf8').includes(id),
      );
      assert.ok(row !== undefined, 'the record is in the world state');
      const text = row.value.toString('utf8');
      for (const altered of [
        text.replace(/"ciphertextSha256":"[0-9a-f]/, '"ciphertextSha256":"Z'),
        text.slice(0, -3),
      ]) {
        db.prepare('UPDATE state SET value = ? WHERE key = ?').run(Buffer.from(altered), row.key);
        const report = await server.medledger.integrity.verify();
        assert.equal(report.ok, false);
        assert.ok(
          report.problems.some((p) => p.recordId === id),
          JSON.stringify(report.problems),
        );
      }
      db.prepare('UPDATE state SET value = ? WHERE key = ?').run(row.value, row.key);
      assert.equal((await server.medledger.integrity.verify()).ok, true);
    } finally {
      db.close();
    }
  });

  it('F5: an update with an invalid body answers the same for a hidden record and a missing one (no existence probe)', async () => {
    const bobObs = String((await server.as('bob', 'GET', '/fhir/Observation')).body.entry?.[0]?.resource.id);
    const missing = 'r-0123456789abcdef01234567';
    const invalid = (id: string) => ({ resourceType: 'Observation', id, status: 'not-a-status' });
    const hidden = await server.as('dr.grey', 'PUT', `/fhir/Observation/${bobObs}`, invalid(bobObs));
    const absent = await server.as('dr.grey', 'PUT', `/fhir/Observation/${missing}`, invalid(missing));
    assert.equal(hidden.status, absent.status);
    assert.equal(hidden.text.replaceAll(bobObs, 'ID'), absent.text.replaceAll(missing, 'ID'));
  });

  it('F2: a refused access request, break-glass or review leaves no sealed reason text behind', async () => {
    const sealed = () => storeCounts(server.dataDir)['server.sealed_texts'] ?? 0;
    const start = sealed();
    const refused = [
      await server.as('dr.house', 'POST', '/api/access-requests', { reasonCode: 'referral', reason: 'orphan text 1' }),
      await server.as('claims.ivy', 'POST', '/api/break-glass', {
        patient: `Patient/${bob}`,
        reason: 'orphan text 2: an insurer may not break the glass',
      }),
      await server.as('po.hospa', 'POST', '/api/emergency-reviews/eg-00000000000000000000000000000000', {
        patient: `Patient/${bob}`,
        outcome: 'justified',
        note: 'orphan text 3',
      }),
    ];
    for (const response of refused) assert.ok(response.status >= 400 && response.status < 500, response.text);
    assert.equal(sealed(), start);
    // A refused request with the same text as a kept one does not remove the kept one.
    const kept = await server.as('dr.house', 'POST', '/api/break-glass', {
      patient: `Patient/${bob}`,
      reason: 'shared reason text',
    });
    assert.equal(kept.status, 201, kept.text);
    const again = await server.as('res.rosa', 'POST', '/api/break-glass', {
      patient: `Patient/${bob}`,
      reason: 'shared reason text',
    });
    assert.equal(again.status, 403, again.text);
    assert.equal(sealed(), start + 1);
    const reviews = await server.as('po.hospb', 'GET', '/api/emergency-reviews');
    assert.ok(reviews.text.includes('shared reason text'));
  });
});
