import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/cli-harness.js';
import { auditRow } from './audit.js';

type Json = Record<string, unknown>;

describe('medledger audit', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patient('alice');
    // A denied read (no consent yet) and a permitted one after a consent.
    await server.api('dr.house', `/fhir/Observation?patient=${alice}`);
    const grant = await server.run([
      'consent',
      'grant',
      '--to',
      'Practitioner/dr.house',
      '--types',
      'Observation',
      '--user',
      'alice',
    ]);
    assert.equal(grant.code, 0, grant.stderr);
    await server.api('dr.house', `/fhir/Observation?patient=${alice}`);
  });
  after(async () => server.stop());

  it("shows the patient's own access log as a table: recorded, who, kind, outcome", async () => {
    const result = await server.run(['audit', '--user', 'alice']);
    assert.equal(result.code, 0, result.stderr);
    const [header = '', ...rows] = result.stdout.trim().split('\n');
    assert.match(header, /^RECORDED\s+WHO\s+KIND\s+OUTCOME\s+PURPOSE\s+RECORDS$/);
    assert.ok(
      rows.some((row) =>
        /Practitioner\/dr\.house \(clinician, HospitalBMSP\)\s+search\s+permitted\s+TREAT\s+1/.test(row),
      ),
    );
    assert.ok(
      rows.some((row) => /Practitioner\/dr\.house \(clinician, HospitalBMSP\)\s+\S+\s+denied\s+TREAT/.test(row)),
    );
    assert.ok(rows.some((row) => /consent-create\s+permitted/.test(row)));
    assert.match(rows.at(-1) ?? '', new RegExp(`^\\d+ audit events for ${alice} \\(newest first\\)$`));
  });

  it('--json gives the FHIR AuditEvents, newest first', async () => {
    const result = await server.run(['audit', alice, '--json', '--user', 'alice']);
    assert.equal(result.code, 0, result.stderr);
    const events = JSON.parse(result.stdout) as Json[];
    assert.ok(events.length >= 4);
    assert.ok(events.every((e) => e.resourceType === 'AuditEvent'));
    const recorded = events.map((e) => String(e.recorded));
    assert.deepEqual(recorded, [...recorded].sort().reverse());
    assert.ok(
      events.some((e) => e.outcome === '8'),
      'the denied search is there',
    );
    assert.deepEqual(auditRow(events[0] ?? {}).length, 6);
  });

  it("a privacy officer reads a patient's log; another patient's log is refused (exit 4)", async () => {
    const officer = await server.run(['audit', alice, '--user', 'po.hospb']);
    assert.equal(officer.code, 0, officer.stderr);
    assert.match(officer.stdout, /dr\.house/);
    const other = await server.run(['audit', server.patient('bob'), '--user', 'alice']);
    assert.equal(other.code, 4);
    assert.match(other.stderr, /patients see only their own audit trail/);
  });

  it('bad input: a malformed patient is exit 2; a staff member must name the patient', async () => {
    assert.equal((await server.run(['audit', 'alice', '--user', 'po.hospa'])).code, 2);
    const unnamed = await server.run(['audit', '--user', 'po.hospa']);
    assert.equal(unnamed.code, 2);
    assert.match(unnamed.stderr, /po\.hospa is not a patient/);
    // An unknown patient and a patient with nothing you may see look the same (fail closed, leak nothing).
    const unknown = await server.run(['audit', 'Patient/pt-000000000000000000000000', '--json', '--user', 'po.hospa']);
    assert.equal(unknown.code, 0);
    assert.deepEqual(JSON.parse(unknown.stdout), []);
  });
});
