import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyStats, noteCreated, preparePatient, transactionBundle } from './synthea.js';

const entry = (fullUrl: string, resource: Record<string, unknown>) => ({
  fullUrl,
  resource,
  request: { method: 'POST', url: resource.resourceType },
});

function syntheaBundle(observations: number) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      entry('urn:uuid:org', { resourceType: 'Organization', name: 'General Hospital' }),
      entry('urn:uuid:pat', { resourceType: 'Patient', id: 'p1' }),
      entry('urn:uuid:enc', {
        resourceType: 'Encounter',
        subject: { reference: 'urn:uuid:pat' },
        serviceProvider: { reference: 'urn:uuid:org' },
      }),
      entry('urn:uuid:claim', {
        resourceType: 'Claim',
        patient: { reference: 'urn:uuid:pat' },
        provider: { reference: 'urn:uuid:org', display: 'General Hospital' },
      }),
      entry('urn:uuid:eob', { resourceType: 'ExplanationOfBenefit', claim: { reference: 'urn:uuid:claim' } }),
      ...Array.from({ length: observations }, (_, i) =>
        entry(`urn:uuid:obs-${i}`, {
          resourceType: 'Observation',
          subject: { reference: 'urn:uuid:pat' },
          encounter: { reference: 'urn:uuid:enc' },
        }),
      ),
    ],
  };
}

describe('Synthea bundles → Medledger transactions', () => {
  it('drops unsupported entries and cuts references to them, keeping a display', () => {
    const stats = emptyStats();
    const patient = preparePatient(syntheaBundle(1), 'small.json', stats);
    assert.equal(patient.chunks.length, 1);
    const [chunk = []] = patient.chunks;
    assert.deepEqual(
      chunk.map((e) => e.type),
      ['Patient', 'Encounter', 'Claim', 'Observation'],
    );
    assert.deepEqual(chunk[1]?.resource.serviceProvider, { display: 'Organization (not imported)' });
    assert.deepEqual(chunk[2]?.resource.provider, { display: 'General Hospital' });
    assert.deepEqual(chunk[3]?.resource.encounter, { reference: 'urn:uuid:enc' });
    assert.deepEqual(stats.dropped, { Organization: 1, ExplanationOfBenefit: 1 });
    assert.deepEqual(stats.cutReferences, {
      'Encounter.serviceProvider → Organization': 1,
      'Claim.provider → Organization': 1,
    });
    assert.equal(patient.resources, 4);
  });

  it('splits a long history into transactions of at most 500 records; later ones use the created ids', () => {
    const patient = preparePatient(syntheaBundle(1000), 'long.json', emptyStats());
    assert.deepEqual(
      patient.chunks.map((c) => c.length),
      [501, 500, 2],
    );
    const [first = [], second = []] = patient.chunks;
    assert.equal(first[0]?.type, 'Patient');
    const response = {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: first.map((e, i) => ({
        response: { status: '201 Created', location: `${e.type}/id-${i}/_history/1` },
      })),
    };
    const created = new Map<string, string>();
    assert.equal(noteCreated(first, response, created), 501);
    const bundle = transactionBundle(second, created) as {
      entry: Array<{ resource: { subject: unknown; encounter: unknown }; request: unknown }>;
    };
    const [observation] = bundle.entry;
    assert.ok(observation);
    assert.deepEqual(observation.resource.subject, { reference: 'Patient/id-0' });
    assert.deepEqual(observation.resource.encounter, { reference: 'Encounter/id-1' });
    assert.deepEqual(observation.request, { method: 'POST', url: 'Observation' });
  });
});
