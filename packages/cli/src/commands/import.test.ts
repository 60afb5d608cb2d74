import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { closedPort, runCli, TestServer } from '../testing/cli-harness.js';

const FIXTURES = join(__dirname, '..', 'testing', 'fixtures');
const NOT_STORED = 'not stored by Medledger (only Patient and clinical records are)';

interface Summary {
  files: number;
  imported: Record<string, number>;
  skipped: Record<string, Record<string, number>>;
  cutReferences: Record<string, number>;
  transactions: number;
  problems: string[];
  dryRun: boolean;
}

/** What the fixtures hold: one Synthea patient, a Synthea hospital file, and NDJSON files with two patients. */
const EXPECTED_IMPORTED = {
  Patient: 3,
  Encounter: 1,
  Condition: 1,
  Observation: 6,
  DiagnosticReport: 1,
  Procedure: 1,
  Immunization: 1,
  Claim: 1,
};
const EXPECTED_SKIPPED = {
  Organization: { [NOT_STORED]: 3 },
  Practitioner: { [NOT_STORED]: 1 },
  ExplanationOfBenefit: { [NOT_STORED]: 1 },
  CarePlan: { [NOT_STORED]: 1 },
  Condition: { 'its patient is not in the input': 1 },
  Observation: { 'no patient reference': 1 },
};

describe('medledger import', () => {
  let server: TestServer;
  const scratch = mkdtempSync(join(tmpdir(), 'medledger-cli-import-'));
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('--dry-run reports what would be imported without a server', async () => {
    const result = await runCli(['import', FIXTURES, '--dry-run', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.equal(summary.dryRun, true);
    assert.equal(summary.files, 5);
    assert.deepEqual(summary.imported, EXPECTED_IMPORTED);
    assert.deepEqual(summary.skipped, EXPECTED_SKIPPED);
    assert.equal(summary.transactions, 3);
  });

  it('imports Synthea and NDJSON fixtures as transactions and reports the right counts; the data verifies', async () => {
    const result = await server.run(['import', FIXTURES, '--json', '--user', 'dr.grey']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual(summary.imported, EXPECTED_IMPORTED);
    assert.deepEqual(summary.skipped, EXPECTED_SKIPPED);
    assert.deepEqual(summary.cutReferences, {
      'Encounter.participant.individual → Practitioner': 1,
      'Encounter.serviceProvider → Organization': 1,
      'Claim.provider → Organization': 1,
    });
    assert.equal(summary.transactions, 3);
    assert.deepEqual(summary.problems, []);

    const patients = await server.api('dr.grey', '/fhir/Patient?family=Example');
    const ada = (patients.body.entry as { resource: { id: string } }[] | undefined)?.[0]?.resource.id;
    assert.ok(ada !== undefined, 'Ada Example is a patient of HospitalA now');
    const observations = await server.api('dr.grey', `/fhir/Observation?patient=Patient/${ada}`);
    assert.equal(observations.body.total, 3);
    const report = await server.api('dr.grey', `/fhir/DiagnosticReport?patient=Patient/${ada}`);
    const results = (report.body.entry as { resource: { result: { reference: string }[] } }[])[0]?.resource.result;
    assert.ok(
      results?.every((r) => /^Observation\/r-[0-9a-f]{24}$/.test(r.reference)),
      'references were resolved',
    );
    const verified = await server.run(['verify', '--url', server.url, '--user', 'admin.hospa', '--json']);
    assert.equal(verified.code, 0, verified.stdout);
  });

  it('prints a human summary: imported per type, skipped with reasons, cut references', async () => {
    const result = await server.run(['import', join(FIXTURES, 'synthea'), '--user', 'dr.house']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Imported 10 resources \(1 new patients\) in 1 transactions from 2 files, /m);
    assert.match(result.stdout, /Claim 1 · Condition 1 · DiagnosticReport 1 · Encounter 1 · Immunization 1/);
    assert.match(result.stdout, /^ {2}Organization +3 {2}not stored by Medledger/m);
    assert.match(result.stdout, /^ {2}Claim\.provider → Organization {2}1$/m);
  });

  it('adds records to a patient already on the server', async () => {
    const alice = server.patient('alice');
    const file = join(scratch, 'alice.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        subject: { reference: alice },
        valueQuantity: { value: 61, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      })}\n`,
    );
    const result = await server.run(['import', file, '--json', '--user', 'dr.grey']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as Summary).imported, { Observation: 1 });
    assert.equal((await server.api('alice', '/fhir/Observation')).body.total, 2);
  });

  it('malformed files and refused transactions: the rest is imported, each problem is reported, exit 1', async () => {
    const good = join(FIXTURES, 'ndjson', 'Patient.ndjson');
    writeFileSync(join(scratch, 'broken.json'), '{"resourceType": "Bundle", "entry": [');
    writeFileSync(join(scratch, 'lines.ndjson'), '{"resourceType":"Patient","id":"q1"}\nnot json\n[1,2]\n');
    writeFileSync(
      join(scratch, 'invalid.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', gender: 'not-a-gender' } },
          { fullUrl: 'urn:uuid:o', resource: { resourceType: 'Observation', subject: { reference: 'urn:uuid:p' } } },
        ],
      }),
    );
    const result = await server.run([
      'import',
      join(scratch, 'broken.json'),
      join(scratch, 'lines.ndjson'),
      join(scratch, 'invalid.json'),
      good,
      '--json',
      '--user',
      'dr.grey',
    ]);
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual(summary.imported, { Patient: 3 }, 'q1 and the two NDJSON patients');
    assert.equal(summary.problems.length, 3, summary.problems.join('\n'));
    assert.match(summary.problems[0] ?? '', /^broken\.json: not valid JSON/);
    assert.match(summary.problems[1] ?? '', /^lines\.ndjson: 2 lines not a FHIR resource in JSON \(line 2, 3\)$/);
    assert.match(summary.problems[2] ?? '', /^invalid\.json Patient: transaction 1 of 1 refused: .*HTTP 400/);
    const reasons = Object.keys(summary.skipped.Observation ?? {});
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /^refused by the server: /);
    assert.deepEqual(summary.skipped['(unreadable line)'], { 'not a FHIR resource in JSON': 2 });
  });

  it('draws a progress bar with the rate and the ETA on a terminal', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const result = await server.run(['import', join(FIXTURES, 'ndjson'), '--user', 'dr.grey'], {
      progressStream: terminal,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(drawn, /100% \| 5\/5 resources \| \d+\/s \| ETA 0s/);
  });

  it('bad input: no such path or bad options (exit 2), server down (exit 3), wrong password (exit 4)', async () => {
    const missing = await server.run(['import', join(scratch, 'nope.json'), '--user', 'dr.grey']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or directory/);
    const empty = mkdtempSync(join(scratch, 'empty-'));
    assert.equal((await server.run(['import', empty, '--user', 'dr.grey'])).code, 2);
    assert.equal((await server.run(['import', FIXTURES, '--concurrency', '0', '--user', 'dr.grey'])).code, 2);
    const url = `http://127.0.0.1:${await closedPort()}`;
    const down = await runCli(['import', FIXTURES, '--url', url, '--user', 'dr.grey'], {
      env: { MEDLEDGER_PASSWORD: 'x' },
    });
    assert.equal(down.code, 3);
    const wrong = await server.run(['import', FIXTURES, '--user', 'dr.grey'], { env: { MEDLEDGER_PASSWORD: 'nope' } });
    assert.equal(wrong.code, 4);
    const patient = await server.run(['import', FIXTURES, '--user', 'alice']);
    assert.equal(patient.code, 4, 'a patient may not import records');
  });
});
