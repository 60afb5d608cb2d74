import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generatePopulation } from '@medledger/analytics';
import { TestServer } from '../testing/cli-harness.js';
import { optInConsent, share } from './analytics.js';

type Json = Record<string, unknown>;

const PATIENTS = 70;

/** Every `reference` anywhere in a resource. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) references(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      if (key === 'reference' && typeof member === 'string') out.push(member);
      else references(member, out);
    }
  }
  return out;
}

describe('medledger analytics', () => {
  let server: TestServer;
  let dir: string;
  let distribution: { patients: Array<{ patient: string; hospital: string; research: boolean; payment: boolean }> };

  before(async () => {
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'medledger-analytics-'));
    for (const bundle of generatePopulation({ seed: 5, count: PATIENTS, referenceDate: '2025-01-01' })) {
      const patient = bundle.entry[0]?.resource;
      writeFileSync(join(dir, `${String(patient?.id)}.json`), JSON.stringify(bundle));
    }
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports Synthea-shaped Bundles over two hospitals, with a share of research and payment consents', async () => {
    const result = await server.run([
      'analytics',
      'import',
      dir,
      '--hospitals',
      'dr.grey,dr.house',
      '--admins',
      'admin.hospa,admin.hospb',
      '--research-share',
      '0.8',
      '--payment-share',
      '0.3',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const summary = JSON.parse(result.stdout) as Json & { distribution: typeof distribution; imported: Json };
    distribution = summary.distribution;
    assert.equal(summary.imported.Patient, PATIENTS);
    assert.deepEqual(summary.problems, []);
    assert.equal(distribution.patients.length, PATIENTS);
    const byHospital = (user: string): number => distribution.patients.filter((p) => p.hospital === user).length;
    assert.ok(byHospital('dr.grey') > 15 && byHospital('dr.house') > 15, 'both hospitals get patients');
    const research = distribution.patients.filter((p) => p.research).length;
    assert.ok(research > PATIENTS * 0.6 && research < PATIENTS * 0.95, `research consents: ${String(research)}`);
    // Each patient is at the hospital the distribution names, and every reference resolves to a stored resource.
    for (const { patient, hospital } of distribution.patients.slice(0, 4)) {
      const everything = await server.api(hospital, `/fhir/${patient}/$everything`);
      assert.equal(everything.status, 200);
      const entries = (everything.body.entry as Array<{ resource: Json }>).map((e) => e.resource);
      const ids = new Set(entries.map((r) => `${String(r.resourceType)}/${String(r.id)}`));
      for (const reference of entries.flatMap((r) => references(r))) {
        assert.ok(ids.has(reference), `${reference} resolves inside the patient's record`);
      }
    }
    // A payment consent lets the insurer read, a research consent does not.
    const paid = distribution.patients.find((p) => p.payment);
    const unpaid = distribution.patients.find((p) => !p.payment);
    assert.ok(paid && unpaid);
    const claims = async (patient: string): Promise<number> =>
      Number((await server.api('claims.ivy', `/fhir/Encounter?patient=${patient}`)).body.total);
    assert.ok((await claims(paid.patient)) > 0);
    assert.equal(await claims(unpaid.patient), 0);
  });

  it("refuses to record consents on patients' behalf with an administrator who is not a demo account", async () => {
    const added = await server.run(
      ['users', 'add', 'admin.real', '--role', 'admin', '--password-stdin', '--user', 'admin.hospa'],
      { stdin: 'medledger-demo' },
    );
    assert.equal(added.code, 0, added.stderr);
    const patientsBefore = Number((await server.api('dr.grey', '/fhir/Patient?_count=0')).body.total);
    const refused = await server.run([
      'analytics',
      'import',
      dir,
      '--hospitals',
      'dr.grey',
      '--admins',
      'admin.real',
      '--research-share',
      '0.5',
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /admin\.real is not a demo account/);
    assert.equal(Number((await server.api('dr.grey', '/fhir/Patient?_count=0')).body.total), patientsBefore);
  });

  it('runs a study from the command line: propose, approve, DP query, train, HTML report with charts and ROC', async () => {
    const proposed = await server.run([
      'analytics',
      'propose',
      '--protocol',
      'T2D risk',
      '--epsilon',
      '2',
      '--types',
      'Observation,Condition',
      '--delta-budget',
      '2e-6',
      '--json',
      '--user',
      'res.rosa',
    ]);
    assert.equal(proposed.code, 0, proposed.stderr);
    const studyId = String((JSON.parse(proposed.stdout) as Json).id);
    assert.equal((JSON.parse(proposed.stdout) as Json).deltaBudgetPico, 2_000_000);
    const decided = await server.run(['analytics', 'decide', studyId, 'approve', '--user', 'irb.ines']);
    assert.equal(decided.code, 0, decided.stderr);
    const query = await server.run([
      'analytics',
      'query',
      studyId,
      '--kind',
      'mean',
      '--variable',
      'bmi',
      '--epsilon',
      '0.2',
      '--json',
      '--user',
      'res.rosa',
    ]);
    assert.equal(query.code, 0, query.stderr);
    assert.equal((JSON.parse(query.stdout) as Json).mechanism, 'discrete-laplace');
    const trained = await server.run([
      'analytics',
      'train',
      studyId,
      '--seed',
      's1',
      '--test-fraction',
      '0.35',
      '--predictors',
      'age,bmi,systolic',
      '--ridge',
      '1',
      '--json',
      '--user',
      'res.rosa',
    ]);
    assert.equal(trained.code, 0, trained.stderr + trained.stdout);
    // The plumbing, not the model's quality (that is analytics' model tests, AUC > 0.75 on 1,500 patients): ~60
    // consented patients give a small held-out set whose split follows the study's pseudonyms.
    const model = JSON.parse(trained.stdout) as { auc: number; test: { n: number; events: number } };
    assert.ok(model.auc >= 0 && model.auc <= 1 && model.test.n >= 10 && model.test.events >= 1, trained.stdout);
    const out = join(dir, 'report.html');
    const report = await server.run(['analytics', 'report', '--study', studyId, '--out', out, '--user', 'res.rosa']);
    assert.equal(report.code, 0, report.stderr);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.equal(html.match(/<svg /g)?.length, 5, 'prevalence, age, BMI, ROC, calibration');
    assert.match(html, /AUC \d\.\d{3}/);
    assert.doesNotMatch(html, /<script/);
    for (const { patient } of distribution.patients)
      assert.ok(!html.includes(patient.slice(8)), 'no patient id in the report');
    const exhausted = await server.run(['analytics', 'query', studyId, '--epsilon', '2', '--user', 'res.rosa']);
    assert.equal(exhausted.code, 1);
    assert.match(exhausted.stderr, /budget exhausted/);
  });

  it('builds opt-in consents and stable shares', () => {
    const consent = optInConsent('pt-1', 'Organization/InsurerMSP', 'access', 'HPAYMT');
    assert.equal(((consent.provision as Json).provision as Json[]).length, 2, 'payment excludes restricted data');
    assert.equal(share('s', 'a'), share('s', 'a'));
    assert.notEqual(share('s', 'a'), share('t', 'a'));
  });
});
