import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { observationGrant, TestServer } from './testing/test-server.js';

type Json = Record<string, unknown>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('integrity, erasure and no PHI on the ledger', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
  });
  after(async () => server.stop());

  it('a tampered ciphertext is detected on read (an error and an alert, never the data) and by verify', async () => {
    const created = await server.as('dr.grey', 'POST', '/fhir/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: `Patient/${alice}` },
      valueQuantity: { value: 61, unit: 'kg' },
    });
    assert.equal(created.status, 201, created.text);
    const id = String(created.body.id);
    const db = new Database(join(server.dataDir, 'vault', 'HospitalAMSP', 'vault.sqlite'));
    const row = db.prepare('SELECT ciphertext FROM vault_ciphertexts WHERE record_id = ?').get(id) as {
      ciphertext: Buffer;
    };
    const flipped = Buffer.from(row.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 0x01;
    db.prepare('UPDATE vault_ciphertexts SET ciphertext = ? WHERE record_id = ?').run(flipped, id);
    db.close();

    const read = await server.as('dr.grey', 'GET', `/fhir/Observation/${id}`);
    assert.equal(read.status, 500);
    assert.equal(read.body.resourceType, 'OperationOutcome');
    assert.match(read.text, /integrity/);
    assert.doesNotMatch(read.text, /29463-7|"kg"/);
    assert.ok(
      server.log.lines.some((line) => line.message.includes('ALERT') && JSON.stringify(line.details).includes(id)),
    );

    const metadata = await server.medledger.network
      .client('dr.grey')
      .then((c) => c.evaluate('GetRecordMetadata', JSON.stringify({ recordId: id })));
    const anchored = JSON.parse(metadata) as { ciphertextSha256: string; plaintextHmac: string; version: number };
    const verdict = await server.medledger.network.vault('HospitalAMSP').verifyRecord(id, anchored.version, anchored);
    assert.equal(verdict.status, 'tampered');
    const report = await server.medledger.integrity.verify();
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p) => [p.recordId, p.status]),
      [[id, 'tampered']],
    );
    assert.ok(report.recordsChecked >= 5);
    const api = await server.as('admin.hospa', 'POST', '/api/network/verify', {});
    assert.equal(api.status, 200);
    assert.equal(api.body.ok, false);
  });

  it('erasure makes a record unreadable for everyone while its audit history remains', async () => {
    const list = await server.as('alice', 'GET', `/fhir/Condition?patient=${alice}`);
    const id = String(list.body.entry?.[0]?.resource.id);
    assert.match(id, /^r-/);
    const erased = await server.as('alice', 'DELETE', `/fhir/Condition/${id}`);
    assert.equal(erased.status, 200, erased.text);
    for (const user of ['alice', 'dr.grey']) {
      assert.equal((await server.as(user, 'GET', `/fhir/Condition/${id}`)).status, 404);
    }
    const audit = await server.as('alice', 'GET', '/fhir/AuditEvent');
    const events = (audit.body.entry ?? []).map((e) => e.resource as Json);
    assert.ok(events.some((e) => JSON.stringify(e).includes('record-erase')));
    assert.ok(events.some((e) => JSON.stringify(e).includes('record-create') && JSON.stringify(e).includes(id)));
    const report = await server.medledger.integrity.verify();
    assert.equal(report.ledger.ok, true, report.ledger.problems.join('; '));
    assert.ok(report.recordsErased >= 1, 'the erased record keeps an intact tombstone');
    assert.ok(
      report.problems.every((p) => p.status === 'tampered'),
      'only the record tampered with in the previous test is a problem',
    );
  });

  it('after the story, no demo patient name, birth date, address, phone or identifier is anywhere in the ledger', async () => {
    await server.as('alice', 'POST', '/fhir/Consent', observationGrant(alice, '2030-01-01'));
    await server.as('dr.house', 'GET', `/fhir/Observation?patient=${alice}`);
    await server.as('dr.house', 'GET', `/fhir/Patient/${alice}`);
    await server.medledger.network.ledger.close().catch(() => undefined);
    const phi = [
      'Anders',
      'Alice',
      '1985-02-14',
      'Harbour',
      '02139',
      '555-0142',
      '999-12-3456',
      'Baker',
      '1979-11-03',
      'Elm Street',
      'bob.baker',
      '999-98-7654',
    ];
    const ledgerFiles = filesUnder(join(server.dataDir, 'ledger'));
    assert.ok(ledgerFiles.length > 0);
    for (const file of ledgerFiles) {
      const bytes = readFileSync(file);
      const text = bytes.toString('latin1');
      for (const needle of phi) {
        // Digits-only needles (a postal code) occur by chance inside hex hashes: they must stand apart from hex digits.
        const found = /^[0-9-]+$/.test(needle)
          ? new RegExp(`(?<![0-9a-fA-F])${needle}(?![0-9a-fA-F])`).test(text)
          : bytes.includes(Buffer.from(needle));
        assert.equal(found, false, `${needle} found in ${file}`);
      }
    }
    // Positive control: the same scan finds the login name in the server's account store, which is off-ledger.
    const offLedger = Buffer.concat(
      readdirSync(server.dataDir)
        .filter((name) => name.startsWith('server.sqlite'))
        .map((name) => readFileSync(join(server.dataDir, name))),
    );
    assert.ok(offLedger.includes(Buffer.from('alice')));
  });
});
