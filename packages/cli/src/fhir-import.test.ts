import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptySummary, noteCreated, NOT_STORED, planImport, transactionBundle } from './fhir-import.js';
import type { SourceResource } from './fhir-import.js';

type Json = Record<string, unknown>;

const item = (fullUrl: string, resource: Json): SourceResource => ({ source: 'test.json', fullUrl, resource });

function syntheaItems(observations: number): SourceResource[] {
  return [
    item('urn:uuid:org', { resourceType: 'Organization', name: 'General Hospital' }),
    item('urn:uuid:pat', { resourceType: 'Patient', id: 'pat' }),
    item('urn:uuid:enc', {
      resourceType: 'Encounter',
      subject: { reference: 'urn:uuid:pat' },
      serviceProvider: { reference: 'urn:uuid:org' },
    }),
    item('urn:uuid:claim', {
      resourceType: 'Claim',
      patient: { reference: 'urn:uuid:pat' },
      provider: { reference: 'urn:uuid:org', display: 'General Hospital' },
      item: [{ sequence: 1, encounter: [{ reference: 'urn:uuid:enc' }] }],
    }),
    item('urn:uuid:eob', { resourceType: 'ExplanationOfBenefit', claim: { reference: 'urn:uuid:claim' } }),
    ...Array.from({ length: observations }, (_, i) =>
      item(`urn:uuid:obs-${i}`, {
        resourceType: 'Observation',
        subject: { reference: 'urn:uuid:pat' },
        encounter: { reference: 'urn:uuid:enc' },
        performer: [{ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999' }],
      }),
    ),
  ];
}

describe('FHIR input → Medledger transaction Bundles', () => {
  it('skips what Medledger does not store and cuts references to it, keeping a display', () => {
    const summary = emptySummary();
    const [plan, ...others] = planImport(syntheaItems(1), summary);
    assert.equal(others.length, 0);
    assert.ok(plan !== undefined);
    assert.equal(plan.size, 4);
    assert.equal(plan.chunks.length, 1);
    const chunk = plan.chunks[0] ?? [];
    assert.deepEqual(
      chunk.map((e) => e.type),
      ['Patient', 'Encounter', 'Claim', 'Observation'],
    );
    assert.deepEqual(chunk[1]?.resource.serviceProvider, { display: 'Organization (not imported)' });
    assert.deepEqual(chunk[2]?.resource.provider, { display: 'General Hospital' });
    assert.deepEqual(chunk[3]?.resource.encounter, { reference: 'urn:uuid:enc' });
    assert.deepEqual(chunk[3].resource.performer, [{ display: 'Practitioner (not imported)' }]);
    assert.deepEqual(summary.skipped, {
      Organization: { [NOT_STORED]: 1 },
      ExplanationOfBenefit: { [NOT_STORED]: 1 },
    });
    assert.deepEqual(summary.cutReferences, {
      'Encounter.serviceProvider → Organization': 1,
      'Claim.provider → Organization': 1,
      'Observation.performer → Practitioner': 1,
    });
    const bundle = transactionBundle(chunk, new Map());
    assert.equal(bundle.type, 'transaction');
    assert.deepEqual((bundle.entry as Json[])[0]?.request, { method: 'POST', url: 'Patient' });
    assert.equal((bundle.entry as Json[])[0]?.fullUrl, 'urn:uuid:pat');
  });

  it('splits a long history into transactions of at most 500 records, the Patient first, references resolved later', () => {
    const summary = emptySummary();
    const [plan] = planImport(syntheaItems(1100), summary);
    assert.ok(plan !== undefined);
    assert.deepEqual(
      plan.chunks.map((c) => c.length),
      [501, 500, 102],
    );
    assert.equal(plan.chunks[0]?.[0]?.type, 'Patient');
    const later = plan.chunks[2]?.[0];
    assert.deepEqual(later?.resource.subject, { reference: 'urn:uuid:pat' });
    // Earlier transactions' creations become server references.
    const created = new Map<string, string>();
    const response = {
      entry: plan.chunks[0].map((e, i) => ({
        response: { status: '201 Created', location: `${e.type}/${i === 0 ? 'pt-1' : `r-${i}`}/_history/1` },
      })),
    };
    assert.deepEqual(noteCreated(plan.chunks[0], response, created), {
      Patient: 1,
      Encounter: 1,
      Claim: 1,
      Observation: 498,
    });
    const third = transactionBundle(plan.chunks[2] ?? [], created);
    const resource = (third.entry as { resource: Json }[])[0]?.resource;
    assert.deepEqual(resource?.subject, { reference: 'Patient/pt-1' });
    assert.deepEqual(resource.encounter, { reference: 'Encounter/r-1' });
  });

  it('cuts a reference to an entry that only a later transaction creates', () => {
    const items = syntheaItems(600);
    // The encounter moves to the end: the first 500 records cannot reference it.
    const encounter = items.splice(2, 1)[0];
    assert.ok(encounter !== undefined);
    items.push(encounter);
    const summary = emptySummary();
    const [plan] = planImport(items, summary);
    assert.deepEqual(plan?.chunks[0]?.[2]?.resource.encounter, { display: 'Encounter (not imported)' });
    assert.equal(summary.cutReferences['Observation.encounter → Encounter (a later transaction)'], 499);
    assert.deepEqual(plan.chunks[1]?.at(-1)?.type, 'Encounter');
  });

  it('resolves NDJSON-style Type/id and absolute references across files, one plan per patient', () => {
    const summary = emptySummary();
    const plans = planImport(
      [
        { source: 'Patient.ndjson', resource: { resourceType: 'Patient', id: 'p1' } },
        { source: 'Patient.ndjson', resource: { resourceType: 'Patient', id: 'p2' } },
        {
          source: 'Encounter.ndjson',
          resource: { resourceType: 'Encounter', id: 'e1', subject: { reference: 'Patient/p1' } },
        },
        {
          source: 'Observation.ndjson',
          resource: {
            resourceType: 'Observation',
            subject: { reference: 'https://ehr.example.org/fhir/Patient/p1' },
            encounter: { reference: 'Encounter/e1' },
          },
        },
        {
          source: 'Observation.ndjson',
          resource: { resourceType: 'Observation', subject: { reference: 'Patient/p2' } },
        },
        {
          source: 'Observation.ndjson',
          resource: { resourceType: 'Observation', subject: { reference: 'Patient/p3' } },
        },
        { source: 'Observation.ndjson', resource: { resourceType: 'Observation', code: {} } },
        { source: 'x.ndjson', resource: { name: 'not FHIR' } },
      ],
      summary,
    );
    assert.deepEqual(
      plans.map((p) => p.chunks.flat().map((e) => e.type)),
      [
        ['Patient', 'Encounter', 'Observation'],
        ['Patient', 'Observation'],
      ],
    );
    const [patient, encounter, observation] = plans[0]?.chunks[0] ?? [];
    assert.match(patient?.key ?? '', /^urn:uuid:[0-9a-f-]{36}$/);
    assert.deepEqual(encounter?.resource.subject, { reference: patient?.key });
    assert.deepEqual(observation?.resource.subject, { reference: patient?.key });
    assert.deepEqual(observation.resource.encounter, { reference: encounter.key });
    assert.deepEqual(summary.skipped, {
      Observation: { 'its patient is not in the input': 1, 'no patient reference': 1 },
      '(no resourceType)': { 'not a FHIR resource': 1 },
    });
  });

  it("adds records to a patient already on the server, keeping the server's references", () => {
    const existing = 'Patient/pt-0123456789abcdef01234567';
    const summary = emptySummary();
    const plans = planImport(
      [
        item('urn:uuid:o1', {
          resourceType: 'Observation',
          subject: { reference: existing },
          encounter: { reference: 'Encounter/r-0123456789abcdef01234567' },
        }),
      ],
      summary,
    );
    assert.equal(plans.length, 1);
    assert.equal(plans[0]?.label, existing);
    assert.deepEqual(plans[0].chunks[0]?.[0]?.resource.subject, { reference: existing });
    assert.deepEqual(plans[0].chunks[0][0].resource.encounter, {
      reference: 'Encounter/r-0123456789abcdef01234567',
    });
    assert.deepEqual(summary.cutReferences, {});
  });
});
