/**
 * PHI scan (issue 9, principle 1): real Synthea patients are imported through the API (the CLI's importer plans the
 * transaction Bundles), used (consents, reads, break-glass and access requests whose free texts name the patient),
 * then every ledger artifact — the ledger files (blocks, world state, history, transaction index, WAL), CA and node
 * files, every block decoded, every state and history value — and the server's log are scanned for every name,
 * birth date, address, phone, email and identifier: zero hits. A positive control plants PHI and must be found.
 * Patients: MEDLEDGER_PHI_PATIENTS (default 10) of the 40 Synthea bundles.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { emptySummary, noteCreated, planImport, transactionBundle } from '@medledger/cli';
import type { SourceResource } from '@medledger/cli';
import { filesUnder, grant, TestServer } from './testing/fixtures.js';
import type { Json } from './testing/fixtures.js';
import { phiScanner, phiTerms, readBundle, readableForms, syntheaFiles } from './testing/phi.js';

const PATIENTS = Number(process.env.MEDLEDGER_PHI_PATIENTS ?? '10');

/** Every readable form of every ledger artifact under `dir`, labelled by where it came from. */
function ledgerArtifacts(ledgerDir: string): Array<{ where: string; texts: string[] }> {
  const out: Array<{ where: string; texts: string[] }> = [];
  for (const file of filesUnder(ledgerDir)) out.push({ where: file, texts: readableForms(readFileSync(file)) });
  const db = new Database(join(ledgerDir, 'ledger.sqlite'), { readonly: true });
  try {
    for (const row of db.prepare('SELECT number, data FROM blocks').iterate() as Iterable<{
      number: number;
      data: Buffer;
    }>)
      out.push({ where: `block ${row.number}`, texts: readableForms(row.data) });
    for (const [table, sql] of [
      ['state', 'SELECT key, value FROM state'],
      ['history', 'SELECT key, value FROM history'],
    ] as const) {
      for (const row of db.prepare(sql).iterate() as Iterable<{ key: Buffer; value: Buffer }>)
        out.push({
          where: `${table} ${row.key.toString('utf8')}`,
          texts: [...readableForms(row.key), ...readableForms(row.value)],
        });
    }
    for (const row of db.prepare('SELECT tx_id, validation_code FROM transactions').iterate() as Iterable<Json>)
      out.push({ where: 'transactions', texts: [JSON.stringify(row)] });
  } finally {
    db.close();
  }
  return out;
}

describe(`PHI scan of every ledger artifact and the log after importing ${PATIENTS} Synthea patients`, () => {
  let server: TestServer;
  const terms = new Set<string>();
  let imported = 0;
  let scanned = 0;

  before(async () => {
    server = await TestServer.start();
    for (const who of ['alice', 'bob']) {
      const demo = server.medledger.patients.entry(server.patientId(who));
      assert.ok(demo);
    }
    // The demo patients' PHI (demo.ts) is looked for too.
    for (const term of [
      'Alice Anders',
      'Anders',
      'Bob Baker',
      '1985-02-14',
      '12 Harbour Lane',
      '555-0142',
      '999-12-3456',
      'bob.baker@example.org',
      '999-98-7654',
      '4 Elm Street',
      '1979-11-03',
    ])
      terms.add(term);
    for (const file of syntheaFiles(PATIENTS)) {
      const bundle = readBundle(file);
      for (const term of phiTerms(bundle)) terms.add(term);
      const items: SourceResource[] = ((bundle.entry ?? []) as Array<{ fullUrl?: string; resource: Json }>).map(
        (e) => ({
          source: file,
          ...(e.fullUrl === undefined ? {} : { fullUrl: e.fullUrl }),
          resource: e.resource,
        }),
      );
      const summary = emptySummary();
      for (const plan of planImport(items, summary)) {
        const created = new Map<string, string>();
        for (const chunk of plan.chunks) {
          const response = await server.as('dr.grey', 'POST', '/fhir', transactionBundle(chunk, created));
          assert.equal(response.status, 200, `${file}: ${response.text.slice(0, 400)}`);
          const counts = noteCreated(chunk, response.body, created);
          imported += Object.values(counts).reduce((a, b) => a + b, 0);
        }
        const patient = [...created.values()].find((ref) => ref.startsWith('Patient/'));
        assert.ok(patient !== undefined);
        const patientId = patient.slice('Patient/'.length);
        const name = [...terms].find((t) => t.includes(' ')) ?? 'someone';
        // Use the patient: reads allowed and refused, a break-glass and an access request whose texts hold PHI.
        await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${patientId}&_count=5`);
        await server.as('dr.house', 'GET', `/fhir/Condition?patient=${patientId}`);
        await server.as('dr.grey', 'GET', `/fhir/Patient?name=${encodeURIComponent(name.split(' ')[1] ?? name)}`);
        const glass = await server.as('dr.house', 'POST', '/api/break-glass', {
          patient: `Patient/${patientId}`,
          reason: `${name} collapsed at home, born ${[...terms].find((t) => /^\d{4}-\d\d-\d\d$/.test(t)) ?? ''}`,
          reasonCode: 'unconscious-patient',
        });
        assert.equal(glass.status, 201, glass.text);
        const request = await server.as('dr.house', 'POST', '/api/access-requests', {
          patient: `Patient/${patientId}`,
          resourceTypes: ['Observation'],
          reasonCode: 'referral',
          reason: `Referral of ${name}`,
        });
        assert.equal(request.status, 201, request.text);
      }
    }
    // The demo patients use their consents too.
    const alice = server.patientId('alice');
    assert.equal((await server.as('alice', 'POST', '/fhir/Consent', grant(alice))).status, 201);
  });
  after(async () => {
    process.stdout.write(
      `# PHI scan: ${PATIENTS} Synthea patients, ${imported} records imported, ${terms.size} PHI terms, ${scanned} artifacts scanned\n`,
    );
    await server.stop();
  });

  it('the ledger (files, blocks, world state, history, transaction index) holds none of the PHI', () => {
    assert.ok(terms.size >= 10 * PATIENTS, `${terms.size} terms`);
    const scan = phiScanner([...terms]);
    const hits: string[] = [];
    for (const { where, texts } of ledgerArtifacts(join(server.dataDir, 'ledger'))) {
      scanned += 1;
      for (const text of texts) {
        for (const term of scan(text)) {
          const at = text.toLowerCase().indexOf(term.toLowerCase());
          hits.push(`${where}: ${term} in …${text.slice(Math.max(0, at - 40), at + term.length + 40)}…`);
        }
      }
    }
    assert.deepEqual([...new Set(hits)].slice(0, 20), []);
  });

  it("the server's log holds none of the PHI (nor tokens or passwords)", () => {
    const scan = phiScanner([...terms, 'medledger-demo', 'eyJ']);
    const text = JSON.stringify(server.log.lines);
    assert.ok(server.log.lines.length >= 0);
    assert.deepEqual(scan(text), []);
  });

  it('positive control: PHI planted in a copy of the ledger (state, block argument, base64) is found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medledger-phi-control-'));
    try {
      copyFileSync(join(server.dataDir, 'ledger', 'ledger.sqlite'), join(dir, 'ledger.sqlite'));
      const planted = [...terms].filter((t) => t.includes(' ')).slice(0, 3);
      const [inState = 'x', inBlock = 'y', inBase64 = 'z'] = planted;
      const db = new Database(join(dir, 'ledger.sqlite'));
      const row = db.prepare('SELECT key, value FROM state LIMIT 1').get() as { key: Buffer; value: Buffer };
      db.prepare('UPDATE state SET value = ? WHERE key = ?').run(
        Buffer.from(row.value.toString('utf8').replace(/}$/, `,"note":"${inState}"}`)),
        row.key,
      );
      const block = db.prepare('SELECT number, data FROM blocks ORDER BY number DESC LIMIT 1').get() as {
        number: number;
        data: Buffer;
      };
      const planting = JSON.parse(block.data.toString('utf8')) as Json;
      planting.planted = [
        JSON.stringify({ args: [JSON.stringify({ reason: inBlock })] }),
        Buffer.from(inBase64).toString('base64'),
      ];
      db.prepare('UPDATE blocks SET data = ? WHERE number = ?').run(
        Buffer.from(JSON.stringify(planting)),
        block.number,
      );
      db.close();
      const scan = phiScanner([...terms]);
      const hits = new Set<string>();
      for (const { texts } of ledgerArtifacts(dir))
        for (const text of texts) for (const term of scan(text)) hits.add(term);
      for (const term of planted) assert.ok(hits.has(term), `the planted "${term}" is found`);
      // A postal code inside a hash is not a hit; next to punctuation it is.
      const zip = phiScanner(['02139']);
      assert.deepEqual(zip('a3f02139be'), []);
      assert.deepEqual(zip('"postalCode":"02139"'), ['02139']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
