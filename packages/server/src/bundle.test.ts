import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from './testing/test-server.js';

type Json = Record<string, unknown>;

const loinc = (code: string): Json => ({ coding: [{ system: 'http://loinc.org', code }] });

describe('Bundle transaction and batch', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => server.stop());

  async function vaultCount(): Promise<number> {
    return (await server.medledger.network.vault('HospitalAMSP').list()).length;
  }

  it('a transaction registers a new patient and records, resolving urn:uuid references', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: { resourceType: 'Patient', name: [{ family: 'Quill', given: ['Carol'] }], birthDate: '1990-06-01' },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: {
            resourceType: 'Encounter',
            status: 'finished',
            class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
            subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' },
            period: { start: '2026-11-01T09:00:00Z' },
          },
          request: { method: 'POST', url: 'Encounter' },
        },
        {
          fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: loinc('8867-4'),
            subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' },
            encounter: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' },
            effectiveDateTime: '2026-11-01T09:05:00Z',
            valueQuantity: { value: 64, unit: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const response = await server.as('dr.grey', 'POST', '/fhir', bundle);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.type, 'transaction-response');
    const entries = response.body.entry as Array<{ response: { status: string }; resource: Json }>;
    assert.deepEqual(
      entries.map((e) => e.response.status),
      ['201 Created', '201 Created', '201 Created'],
    );
    const [patient, encounter, observation] = entries.map((e) => e.resource);
    assert.ok(patient !== undefined && encounter !== undefined && observation !== undefined);
    assert.match(String(patient.id), /^pt-[0-9a-f]{24}$/);
    assert.deepEqual(observation.subject, { reference: `Patient/${String(patient.id)}` });
    assert.deepEqual(observation.encounter, { reference: `Encounter/${String(encounter.id)}` });
    const read = await server.as('dr.grey', 'GET', `/fhir/Observation/${String(observation.id)}`);
    assert.equal(read.status, 200);
    const everything = await server.as('dr.grey', 'GET', `/fhir/Patient/${String(patient.id)}/$everything`);
    assert.deepEqual((everything.body.entry ?? []).map((e) => e.resource.resourceType).sort(), [
      'Encounter',
      'Observation',
      'Patient',
    ]);
  });

  it('a transaction that fails on the ledger leaves nothing behind', async () => {
    const before = await vaultCount();
    const bob = server.patientId('bob'); // HospitalB's patient: dr.grey may not write records for him
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:44444444-4444-4444-8444-444444444444',
          resource: { resourceType: 'Patient', name: [{ family: 'Zed', given: ['Nora'] }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: loinc('8867-4'),
            subject: { reference: 'urn:uuid:44444444-4444-4444-8444-444444444444' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: loinc('8867-4'),
            subject: { reference: `Patient/${bob}` },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const response = await server.as('dr.grey', 'POST', '/fhir', bundle);
    assert.equal(response.status, 403, response.text);
    assert.equal(response.body.resourceType, 'OperationOutcome');
    assert.equal(await vaultCount(), before, 'no ciphertext and no demographics are left');
    const search = await server.as('dr.grey', 'GET', '/fhir/Patient?name=Zed');
    assert.equal(search.body.total, 0);
  });

  it('a transaction is validated before anything is written', async () => {
    const before = await vaultCount();
    const alice = server.patientId('alice');
    const response = await server.as('dr.grey', 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: loinc('8867-4'),
            subject: { reference: `Patient/${alice}` },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'bogus-status-type',
            code: 5,
            subject: { reference: `Patient/${alice}` },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    assert.equal(response.status, 400, response.text);
    assert.equal(await vaultCount(), before);
    const unsupported = await server.as('dr.grey', 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'CarePlan' }, request: { method: 'POST', url: 'CarePlan' } }],
    });
    assert.equal(unsupported.status, 400);
  });

  it('a batch answers each entry on its own', async () => {
    const alice = server.patientId('alice');
    const response = await server.as('dr.grey', 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: loinc('8480-6'),
            subject: { reference: `Patient/${alice}` },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        { resource: { resourceType: 'Observation', status: 'final' }, request: { method: 'POST', url: 'Observation' } },
        { request: { method: 'GET', url: `Observation?patient=${alice}&code=8480-6` } },
      ],
    });
    assert.equal(response.status, 200, response.text);
    const statuses = (response.body.entry as unknown as Array<{ response: { status: string } }>).map(
      (e) => e.response.status,
    );
    assert.deepEqual(statuses, ['201', '400', '200']);
  });
});
