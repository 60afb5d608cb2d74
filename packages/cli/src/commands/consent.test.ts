import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/cli-harness.js';
import { buildConsent, describeProvision } from './consent.js';

type Json = Record<string, unknown>;

describe('medledger consent', () => {
  let server: TestServer;
  let alice: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patient('alice');
  });
  after(async () => server.stop());

  it('builds the FHIR-CONVENTIONS §1.1 (a) opt-in consent from the flags', () => {
    const consent = buildConsent('Patient/pt-1', {
      to: ['Group/HospitalBMSP-clinician'],
      types: ['Observation'],
      until: '2026-12-31',
    });
    assert.deepEqual(consent, {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { reference: 'Patient/pt-1' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: {
        type: 'deny',
        provision: [
          {
            type: 'permit',
            period: { end: '2026-12-31' },
            actor: [
              {
                role: {
                  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
                },
                reference: { reference: 'Group/HospitalBMSP-clinician' },
              },
            ],
            action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
            purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
            class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }],
          },
        ],
      },
    });
    const optOut = buildConsent('Patient/pt-1', { to: ['Organization/HospitalAMSP'], deny: true });
    assert.deepEqual((optOut.policyRule as Json).coding, [
      { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' },
    ]);
    assert.deepEqual(describeProvision(optOut.provision as Json), [
      'deny Organization/HospitalAMSP: all types for TREAT',
    ]);
  });

  it('grants a consent that the contract then enforces, lists it, and revokes it', async () => {
    const before = await server.api('dr.house', `/fhir/Observation?patient=${alice}`);
    assert.equal(before.body.total, 0, 'no consent yet: nothing released');

    const granted = await server.run([
      'consent',
      'grant',
      '--to',
      'Group/HospitalBMSP-clinician',
      '--types',
      'Observation,Condition',
      '--until',
      '2099-12-31',
      '--user',
      'alice',
    ]);
    assert.equal(granted.code, 0, granted.stderr);
    const id = /Consent\/(c-[0-9a-f]{24})/.exec(granted.stdout)?.[1];
    assert.ok(id !== undefined, granted.stdout);
    assert.match(
      granted.stdout,
      /permit Group\/HospitalBMSP-clinician: (Condition, Observation|Observation, Condition) for TREAT until 2099-12-31/,
    );
    const after = await server.api('dr.house', `/fhir/Observation?patient=${alice}`);
    assert.equal(after.body.total, 1, 'the demo Observation is released to HospitalB clinicians');

    const listed = await server.run(['consent', 'list', '--user', 'alice']);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, new RegExp(`${id}\\s+active`));
    const json = JSON.parse((await server.run(['consent', 'list', '--user', 'alice', '--json'])).stdout) as Json[];
    assert.deepEqual(
      json.map((c) => [c.id, c.status]),
      [[id, 'active']],
    );

    const revoked = await server.run(['consent', 'revoke', `Consent/${id}`, '--user', 'alice']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await server.api('dr.house', `/fhir/Observation?patient=${alice}`)).body.total, 0);
    const afterRevoke = JSON.parse(
      (await server.run(['consent', 'list', '--user', 'alice', '--json'])).stdout,
    ) as Json[];
    assert.equal(afterRevoke.find((c) => c.id === id)?.status, 'inactive');
  });

  it('refuses bad flags before any request (exit 2)', async () => {
    for (const args of [
      ['--to', 'HospitalB'],
      ['--to', 'Group/HospitalBMSP-clinician', '--until', '31/12/2026'],
      ['--to', 'Group/HospitalBMSP-clinician', '--types', 'observation'],
      ['--to', 'Group/HospitalBMSP-clinician', '--purpose', 'treat'],
      [],
    ]) {
      const result = await server.run(['consent', 'grant', ...args, '--user', 'alice']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length >= 1, true);
    }
    const notPatient = await server.run(['consent', 'grant', '--to', 'Organization/InsurerMSP', '--user', 'dr.grey']);
    assert.equal(notPatient.code, 2);
    assert.match(notPatient.stderr, /dr\.grey is not a patient/);
    assert.equal((await server.run(['consent', 'revoke', 'not/an/id', '--user', 'alice'])).code, 2);
  });

  it("cannot grant for someone else's patient record, and an unknown consent is not found (exit 4 / 1)", async () => {
    const other = await server.run([
      'consent',
      'grant',
      '--to',
      'Organization/InsurerMSP',
      '--patient',
      server.patient('bob'),
      '--user',
      'alice',
    ]);
    assert.notEqual(other.code, 0);
    assert.ok([1, 4].includes(other.code), other.stderr);
    const unknown = await server.run(['consent', 'revoke', 'c-000000000000000000000000', '--user', 'alice']);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /HTTP 404/);
  });
});
