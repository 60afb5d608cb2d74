import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generatePatientBundle } from '@medledger/analytics';
import { optInConsentResource } from '@medledger/core';
import { createApprovedStudy, studyServiceFor } from './services/studies.js';
import { TestServer } from './testing/test-server.js';

type Json = Record<string, unknown>;

/** A research opt-in: ResearchMSP may use the patient's data for HRESCH. */
function researchConsent(patientId: string): Json {
  return optInConsentResource(patientId, { actor: 'Organization/ResearchMSP', purpose: 'HRESCH' });
}

function patientIdOf(response: Json): string {
  const entries = response.entry as Array<{ response: { location: string } }>;
  const location = entries.map((e) => e.response.location).find((l) => l.startsWith('Patient/'));
  assert.ok(location !== undefined, 'the transaction created a Patient');
  return location.split('/')[1] ?? '';
}

function outcomeCode(body: Json): string {
  return String((body.issue as Array<{ code: string }> | undefined)?.[0]?.code);
}

const PATIENTS = 10;
const CONSENTED = 6;

describe('research studies and public-health aggregates over HTTP (issue 7)', () => {
  let server: TestServer;
  const consented: string[] = [];
  const refused: string[] = [];
  /** Identifying strings of the consented patients' source data: names, identifiers, phone, address, birth date. */
  const phi: string[] = [];
  let studyId = '';

  before(async () => {
    server = await TestServer.start();
    for (let i = 0; i < PATIENTS; i++) {
      const bundle = generatePatientBundle({ seed: 11, referenceDate: '2025-01-01' }, i);
      // One equivalence class (birth year, gender, ZIP3) for everyone, so k = 5 keeps all consented patients.
      const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')?.resource as Json;
      Object.assign(patient, { gender: 'female', birthDate: '1961-04-12' });
      (patient.address as Json[]).splice(1);
      Object.assign((patient.address as Json[])[0] ?? {}, { postalCode: '02139' });
      const created = await server.as('dr.grey', 'POST', '/fhir', bundle);
      assert.equal(created.status, 200, created.text);
      const patientId = patientIdOf(created.body);
      const username = `pt${String(i)}`;
      const account = await server.as('admin.hospa', 'POST', '/api/admin/users', {
        username,
        role: 'patient',
        patient: patientId,
        password: 'medledger-demo',
      });
      assert.equal(account.status, 201, account.text);
      if (i < CONSENTED) {
        const names = (patient.name as Array<{ family?: string; given?: string[] }>).flatMap((n) => [
          n.family ?? '',
          ...(n.given ?? []),
        ]);
        const identifiers = (patient.identifier as Array<{ value?: string }>).map((id) => id.value ?? '');
        const telecom = ((patient.telecom as Array<{ value?: string }> | undefined) ?? []).map((t) => t.value ?? '');
        const address = (patient.address as Array<{ line?: string[]; city?: string }>)[0];
        phi.push(
          ...names,
          ...identifiers,
          ...telecom,
          ...(address?.line ?? []),
          address?.city ?? '',
          '02139',
          '1961-04-12',
        );
        const consent = await server.as(username, 'POST', '/fhir/Consent', researchConsent(patientId));
        assert.equal(consent.status, 201, consent.text);
        consented.push(patientId);
      } else refused.push(patientId);
    }
  });
  after(async () => server.stop());

  it('proposes, refuses data before approval, and approves a study on the ledger', async () => {
    const proposed = await server.as('res.rosa', 'POST', '/api/studies', {
      protocol: 'Type 2 diabetes risk in adults (protocol v1)',
      resourceTypes: ['Observation', 'Condition'],
      epsilonBudget: 1,
    });
    assert.equal(proposed.status, 201, proposed.text);
    studyId = String(proposed.body.id);
    assert.equal(proposed.body.status, 'proposed');
    const early = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/export`, { format: 'ndjson' });
    assert.equal(early.status, 403);
    assert.equal(outcomeCode(early.body), 'business-rule');
    const self = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/decision`, { decision: 'approve' });
    assert.equal(self.status, 403, 'a researcher may not approve');
    const decided = await server.as('irb.ines', 'POST', `/api/studies/${studyId}/decision`, { decision: 'approve' });
    assert.equal(decided.status, 200, decided.text);
    assert.equal(decided.body.status, 'approved');
    const listed = await server.as('irb.ines', 'GET', '/api/studies');
    assert.ok((listed.body as unknown as Json[]).some((s) => s.id === studyId));
    assert.equal((await server.as('ph.olive', 'GET', `/api/studies/${studyId}`)).status, 404);
  });

  it('exports only consented patients, by id and by count, de-identified with a k-anonymity report', async () => {
    const exported = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/export`, {
      format: 'ndjson',
    });
    assert.equal(exported.status, 200, exported.text);
    const report = exported.body.report as { patients: { input: number; exported: number } };
    assert.equal(report.patients.input, CONSENTED, 'the cohort is exactly the consented patients');
    const resources = String(exported.body.data)
      .trim()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Json);
    const exportedPatients = new Set(resources.filter((r) => r.resourceType === 'Patient').map((r) => String(r.id)));
    assert.equal(exportedPatients.size, report.patients.exported);
    assert.equal(report.patients.exported, CONSENTED, JSON.stringify(report));
    const studies = studyServiceFor(server.medledger);
    const pseudonymsOf = (ids: string[]): Set<string> =>
      new Set(ids.map((id) => studies.pseudonymFor(studyId, `Patient/${id}`)));
    const allowed = pseudonymsOf(consented);
    for (const id of exportedPatients) assert.ok(allowed.has(id), 'every exported patient consented');
    for (const id of pseudonymsOf(refused)) assert.ok(!exportedPatients.has(id), 'no refusing patient is exported');
    // Every record belongs to an exported patient; no identifier, name or address line survives.
    for (const r of resources) {
      const subject = (r.subject as { reference?: string } | undefined)?.reference;
      if (r.resourceType !== 'Patient') {
        assert.ok(
          exportedPatients.has(subject?.split('/')[1] ?? ''),
          `${String(r.resourceType)} of ${String(subject)}`,
        );
      }
      assert.equal(r.identifier, undefined);
      assert.equal(r.name, undefined);
    }
    for (const id of [...consented, ...refused]) assert.ok(!exported.text.includes(id), 'no ledger patient id leaks');
    assert.ok(phi.length > 30);
    for (const value of phi.filter((v) => v.length >= 4))
      assert.ok(!exported.text.includes(value), `${value} is not exported`);

    const csv = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/export`, { format: 'csv' });
    assert.equal(csv.status, 200);
    const lines = String(csv.body.data).trim().split('\n');
    assert.equal(lines.length - 1, report.patients.exported);
    assert.match(lines[0] ?? '', /^patient,gender,age,bmi/);
  });

  it("writes 'used in study' to each consented patient's audit trail, and not to the others", async () => {
    const trail = await server.as('pt0', 'GET', '/fhir/AuditEvent');
    const uses = (trail.body.entry ?? []).filter((e) =>
      JSON.stringify(e.resource.entity).includes(`"value":"${studyId}"`),
    );
    assert.ok(uses.length > 0, 'pt0 sees the study use');
    assert.ok(uses.every((e) => e.resource.outcome === '0'));
    assert.ok(JSON.stringify(uses[0]?.resource.entity).includes(`"description":"used in study ${studyId}"`));
    const other = await server.as(`pt${String(CONSENTED)}`, 'GET', '/fhir/AuditEvent');
    const otherUses = (other.body.entry ?? []).filter((e) =>
      JSON.stringify(e.resource.entity).includes(`"value":"${studyId}"`),
    );
    assert.ok(
      otherUses.every((e) => e.resource.outcome === '8'),
      'a refusing patient is only ever refused',
    );
  });

  it('refuses bad parameters and non-owners before drawing the cohort: no audit event, nothing spent', async () => {
    const events = async (): Promise<number> => {
      const trail = await server.as('pt0', 'GET', '/fhir/AuditEvent?_count=0');
      return Number(trail.body.total);
    };
    const eventsBefore = await events();
    assert.ok(eventsBefore > 0, `pt0 has audit events already (${String(eventsBefore)})`);
    const spentBefore = (await server.as('res.rosa', 'GET', `/api/studies/${studyId}`)).body.epsilonSpentMicro;
    const refusals: Array<[string, string, Json, number]> = [
      ['res.rosa', 'aggregates', { kind: 'count', epsilon: -1 }, 400],
      ['res.rosa', 'aggregates', { kind: 'count', epsilon: 0.1, mechanism: 'gaussian', delta: 0.5 }, 400],
      ['res.rosa', 'aggregates', { kind: 'sum', variable: 'age', epsilon: 0.1, bounds: null }, 400],
      ['res.rosa', 'aggregates', { kind: 'sum', variable: 'age', epsilon: 0.1, bounds: { lower: 5, upper: 1 } }, 400],
      ['res.rosa', 'aggregates', { kind: 'mean', variable: 'age', epsilon: 0.000001 }, 400],
      ['res.rosa', 'cohort-size', { epsilon: 0 }, 400],
      ['res.rosa', 'export', { format: 'csv', k: 2 }, 400],
      ['irb.ines', 'aggregates', { kind: 'count', epsilon: 0.1 }, 403],
      ['irb.ines', 'export', { format: 'csv' }, 403],
      ['ph.olive', 'aggregates', { kind: 'count', epsilon: 0.1 }, 404],
    ];
    for (const [user, endpoint, body, status] of refusals) {
      const answer = await server.as(user, 'POST', `/api/studies/${studyId}/${endpoint}`, body);
      assert.equal(answer.status, status, `${user} ${endpoint} ${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.body.resourceType, 'OperationOutcome');
      assert.equal(await events(), eventsBefore, `${user} ${endpoint} ${JSON.stringify(body)} wrote an audit event`);
    }
    assert.equal(await events(), eventsBefore, "no refused request wrote to the patient's audit trail");
    const spentAfter = (await server.as('res.rosa', 'GET', `/api/studies/${studyId}`)).body.epsilonSpentMicro;
    assert.equal(spentAfter, spentBefore);
  });

  it('releases DP aggregates that spend the study budget on the ledger, and refuses with BUDGET_EXHAUSTED', async () => {
    const size = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/cohort-size`, { epsilon: 0.3 });
    assert.equal(size.status, 200, size.text);
    assert.equal(size.body.mechanism, 'discrete-laplace');
    assert.equal((size.body.receipt as { remainingMicro: number }).remainingMicro, 700_000);
    const mean = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/aggregates`, {
      kind: 'mean',
      variable: 'bmi',
      epsilon: 0.4,
      mechanism: 'gaussian',
      delta: 1e-6,
    });
    assert.equal(mean.status, 200, mean.text);
    assert.equal(mean.body.mechanism, 'discrete-gaussian');
    const histogram = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/aggregates`, {
      kind: 'histogram',
      groupBy: 'gender',
      epsilon: 0.2,
    });
    assert.deepEqual(Object.keys(histogram.body.value as Json).sort(), ['female', 'male', 'other', 'unknown']);
    const before = await server.as('res.rosa', 'GET', `/api/studies/${studyId}`);
    assert.equal(before.body.epsilonSpentMicro, 900_000);
    const refusedRelease = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/aggregates`, {
      kind: 'count',
      epsilon: 0.2,
    });
    assert.equal(refusedRelease.status, 429);
    assert.equal(refusedRelease.body.resourceType, 'OperationOutcome');
    assert.match(JSON.stringify(refusedRelease.body), /budget exhausted/);
    const after = await server.as('res.rosa', 'GET', `/api/studies/${studyId}`);
    assert.equal(after.body.epsilonSpentMicro, 900_000, 'the refused release spent nothing');
    // Ten patients are too few to train and evaluate a model: refused as an OperationOutcome, nothing kept.
    const model = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/models`, { seed: 's' });
    assert.equal(model.status, 400, model.text);
    assert.match(JSON.stringify(model.body), /too few complete cases/);
    assert.deepEqual((await server.as('res.rosa', 'GET', `/api/studies/${studyId}/models`)).body, []);
    const bad = await server.as('res.rosa', 'POST', `/api/studies/${studyId}/aggregates`, {
      kind: 'sum',
      epsilon: 0.1,
    });
    assert.equal(bad.status, 400);
  });

  it('spends the δ of Gaussian releases from the study δ budget on the ledger, and refuses beyond it', async () => {
    const proposed = await server.as('res.rosa', 'POST', '/api/studies', {
      protocol: 'one Gaussian release',
      epsilonBudget: 1,
      deltaBudget: 1e-6,
    });
    assert.equal(proposed.status, 201, proposed.text);
    const id = String(proposed.body.id);
    assert.equal(proposed.body.deltaRemaining, 1e-6);
    assert.equal(
      (await server.as('irb.ines', 'POST', `/api/studies/${id}/decision`, { decision: 'approve' })).status,
      200,
    );
    const gaussian = { kind: 'count', epsilon: 0.1, mechanism: 'gaussian', delta: 1e-6 };
    const first = await server.as('res.rosa', 'POST', `/api/studies/${id}/aggregates`, gaussian);
    assert.equal(first.status, 200, first.text);
    assert.equal((first.body.receipt as { deltaRemainingPico: number }).deltaRemainingPico, 0);
    const second = await server.as('res.rosa', 'POST', `/api/studies/${id}/aggregates`, gaussian);
    assert.equal(second.status, 429, second.text);
    assert.match(JSON.stringify(second.body), /budget exhausted: δ/);
    const laplace = await server.as('res.rosa', 'POST', `/api/studies/${id}/aggregates`, {
      kind: 'count',
      epsilon: 0.1,
    });
    assert.equal(laplace.status, 200, 'pure ε-DP releases need no δ');
    const study = await server.as('res.rosa', 'GET', `/api/studies/${id}`);
    assert.equal(study.body.deltaSpentPico, 1_000_000);
    assert.equal(study.body.epsilonSpentMicro, 200_000, 'the refused release spent no epsilon');
    const tooMuch = await server.as('res.rosa', 'POST', '/api/studies', {
      protocol: 'x',
      epsilonBudget: 1,
      deltaBudget: 0.5,
    });
    assert.equal(tooMuch.status, 400, tooMuch.text);
  });

  it('creates an approved study in one call for the demo (two ledger transactions)', async () => {
    const study = await createApprovedStudy(server.medledger, {
      researcher: 'res.rosa',
      ethics: 'irb.ines',
      protocol: 'demo study',
      epsilonBudget: 1,
    });
    assert.equal(study.status, 'approved');
    assert.equal(study.decidedBy, 'Practitioner/irb.ines');
    const seen = await server.as('res.rosa', 'GET', `/api/studies/${study.id}`);
    assert.equal(seen.body.status, 'approved');
  });

  it('gives public health DP aggregates over all patients under its own programme budget, never rows', async () => {
    const programme = await server.as('ph.olive', 'POST', '/api/studies', {
      purpose: 'PUBHLTH',
      protocol: 'Diabetes surveillance 2025',
      resourceTypes: ['Condition', 'Observation'],
      epsilonBudget: 2,
    });
    assert.equal(programme.status, 201, programme.text);
    const id = String(programme.body.id);
    assert.equal(
      (await server.as('res.rosa', 'POST', '/api/studies', { purpose: 'PUBHLTH', protocol: 'x', epsilonBudget: 1 }))
        .status,
      403,
    );
    await server.as('irb.ines', 'POST', `/api/studies/${id}/decision`, { decision: 'approve' });
    const count = await server.as('ph.olive', 'POST', `/api/studies/${id}/aggregates`, { kind: 'count', epsilon: 1 });
    assert.equal(count.status, 200, count.text);
    assert.equal(typeof count.body.value, 'number');
    assert.equal(count.body.epsilon, 1);
    const rows = await server.as('ph.olive', 'POST', `/api/studies/${id}/export`, { format: 'csv' });
    assert.equal(rows.status, 403);
    const model = await server.as('ph.olive', 'POST', `/api/studies/${id}/models`, {});
    assert.equal(model.status, 403);
    // Public-health use is audited per patient too, including patients without a research consent.
    const trail = await server.as(`pt${String(PATIENTS - 1)}`, 'GET', '/fhir/AuditEvent');
    assert.ok(
      (trail.body.entry ?? []).some(
        (e) => JSON.stringify(e.resource.entity).includes(`"value":"${id}"`) && e.resource.outcome === '0',
      ),
    );
    const charts = await server.as('ph.olive', 'POST', `/api/studies/${id}/charts`, {
      epsilon: 0.8,
      from: '2020-01',
      to: '2024-12',
    });
    assert.equal(charts.status, 200, charts.text);
    const kinds = (charts.body as unknown as Array<{ kind: string }>).map((c) => c.kind);
    assert.deepEqual(kinds, ['line', 'bar', 'bar']);
    const yearly = await server.as('ph.olive', 'POST', `/api/studies/${id}/charts`, {
      epsilon: 0.2,
      from: '2020-01',
      to: '2024-12',
      interval: 'year',
    });
    type Line = { series: Array<{ name: string; points: Array<{ x: string }> }> };
    const line = (yearly.body as unknown as Line[]).at(0);
    assert.ok(line !== undefined);
    const all = line.series.at(0);
    assert.ok(all !== undefined);
    assert.equal(all.name, 'all areas');
    assert.deepEqual(
      all.points.map((p) => p.x),
      ['2020', '2021', '2022', '2023', '2024'],
    );
    const spent = await server.as('ph.olive', 'GET', `/api/studies/${id}`);
    // The count (1) and two chart requests, each split into six releases of whole micro-epsilons.
    const charted = 6 * Math.floor(800_000 / 6) + 6 * Math.floor(200_000 / 6);
    assert.equal(spent.body.epsilonSpentMicro, 1_000_000 + charted);
  });
});
