import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { optInConsentResource, parseFhirConsent, toFhirConsent } from './consent-fhir.js';
import type { ConsentInput, ConsentRecord } from './consent-model.js';
import { DomainError } from './errors.js';
import type { ErrorCode } from './errors.js';
import {
  ACT_CODE,
  ACT_REASON,
  ACTION,
  CONFIDENTIALITY,
  CONSENT_CATEGORY,
  ENVELOPE_JSON,
  ircp,
  ledgerId,
  NORMALIZED_EXAMPLES,
  PARTICIPATION,
  PATCH_F,
  PROVISION_A,
  PROVISION_B,
  PROVISION_C,
  PROVISION_D,
  PROVISION_E,
  prov,
  RESOURCE_TYPES,
  sens,
} from './testing/fhir-fixtures.js';

type Json = Record<string, unknown>;

/** The document's `c-001` and `p-7f3a` in the forms the ledger accepts (the contract issues both). */
const CONSENT_ID = ledgerId('c', 'c001');
const PATIENT_ID = ledgerId('pt', '7f3a');
const record = (type: string, hex: string): string => `${type}/${ledgerId('r', hex)}`;

/**
 * The §1.1 envelope as the API submits it to the ledger: the document's example ids in the ledger's id forms, and
 * without `dateTime`, `performer` and `organization`, which the contract fills itself.
 */
function submittedEnvelope(): Json {
  const consent = JSON.parse(ENVELOPE_JSON) as Json;
  delete consent.dateTime;
  delete consent.performer;
  delete consent.organization;
  consent.id = CONSENT_ID;
  consent.patient = { reference: `Patient/${PATIENT_ID}` };
  return consent;
}

/** A fresh deep copy of the submitted §1.1 envelope with the given provision (and, optionally, policy rule). */
function consentWith(provision: unknown, policyRule: 'OPTIN' | 'OPTOUT' = 'OPTIN'): Json {
  const consent = submittedEnvelope();
  consent.provision = typeof provision === 'string' ? JSON.parse(provision) : structuredClone(provision);
  consent.policyRule = { coding: [{ system: ACT_CODE, code: policyRule }] };
  return consent;
}

/** Applies the `replace` operations of a JSON Patch (all example (f) needs). */
function applyReplacePatch(target: Json, patchText: string): Json {
  const result = structuredClone(target);
  for (const op of JSON.parse(patchText) as { op: string; path: string; value: unknown }[]) {
    assert.equal(op.op, 'replace');
    const key = op.path.replace(/^\//, '');
    assert.ok(key in result, `patch path ${op.path} must exist`);
    result[key] = op.value;
  }
  return result;
}

function assertRejects(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const EXAMPLES: Record<'a' | 'b' | 'c' | 'd' | 'e', Json> = {
  a: consentWith(PROVISION_A),
  b: consentWith(PROVISION_B),
  c: consentWith(PROVISION_C),
  d: consentWith(PROVISION_D),
  e: consentWith(PROVISION_E, 'OPTOUT'),
};

void describe('parseFhirConsent: the FHIR-CONVENTIONS §1.1 examples', () => {
  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) {
    void it(`parses example (${name}) to its normalized provision`, () => {
      const parsed = parseFhirConsent(EXAMPLES[name]);
      assert.deepEqual(parsed, {
        id: CONSENT_ID,
        status: 'active',
        policyRule: NORMALIZED_EXAMPLES[name].policyRule,
        patientId: PATIENT_ID,
        provision: NORMALIZED_EXAMPLES[name].provision,
      } satisfies ConsentInput);
    });
  }

  void it('parses example (f), the revoke by PUT: same body with status inactive', () => {
    const put = { ...EXAMPLES.a, status: 'inactive' };
    const parsed = parseFhirConsent(put);
    assert.equal(parsed.status, 'inactive');
    assert.deepEqual(parsed.provision, NORMALIZED_EXAMPLES.a.provision);
  });

  void it('parses example (f), the revoke by JSON Patch, to the same result as the PUT', () => {
    const patched = applyReplacePatch(EXAMPLES.a, PATCH_F);
    assert.deepEqual(parseFhirConsent(patched), parseFhirConsent({ ...EXAMPLES.a, status: 'inactive' }));
    assert.equal(parseFhirConsent(patched).status, 'inactive');
  });

  void it('rejects the envelope as printed: the contract records dateTime, performer and organization itself', () => {
    const printed = JSON.parse(ENVELOPE_JSON) as Json;
    printed.provision = JSON.parse(PROVISION_E);
    assertRejects(() => parseFhirConsent(printed), 'INVALID_ARGUMENT', /dateTime, performer, organization/);
  });

  void it('does not mutate its input', () => {
    const input = consentWith(PROVISION_B);
    const before = structuredClone(input);
    parseFhirConsent(input);
    assert.deepEqual(input, before);
  });
});

void describe('parseFhirConsent: accepted envelope variations', () => {
  void it('accepts every R4 status value', () => {
    for (const status of ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error']) {
      assert.equal(parseFhirConsent({ ...EXAMPLES.a, status }).status, status);
    }
  });

  void it('accepts a consent without id (a new consent, whose id the contract makes)', () => {
    const minimal = structuredClone(EXAMPLES.e);
    delete minimal.id;
    const parsed = parseFhirConsent(minimal);
    assert.equal('id' in parsed, false);
    assert.deepEqual(parsed.provision, NORMALIZED_EXAMPLES.e.provision);
  });

  void it('accepts consentcategorycodes codings from the short list besides LOINC 59284-0', () => {
    for (const code of ['emrgonly', 'npp', 'research', 'rsdid', 'rsreid']) {
      const consent = {
        ...EXAMPLES.d,
        category: [
          { coding: [{ system: CONSENT_CATEGORY, code }] },
          { coding: [{ system: 'http://loinc.org', code: '59284-0' }] },
        ],
      };
      assert.deepEqual(parseFhirConsent(consent).provision, NORMALIZED_EXAMPLES.d.provision);
    }
  });

  void it('reads policyRule from its v3-ActCode coding, given once or repeated', () => {
    const coding = { system: ACT_CODE, code: 'OPTOUT' };
    assert.equal(parseFhirConsent({ ...EXAMPLES.a, policyRule: { coding: [coding] } }).policyRule, 'OPTOUT');
    assert.equal(parseFhirConsent({ ...EXAMPLES.a, policyRule: { coding: [coding, coding] } }).policyRule, 'OPTOUT');
  });

  void it('rejects codings of other systems beside the one it reads: they would be kept in the block unread', () => {
    const consent = {
      ...EXAMPLES.a,
      policyRule: {
        coding: [
          { system: 'https://example.org/local-policy', code: 'local-1' },
          { system: ACT_CODE, code: 'OPTOUT' },
        ],
      },
    };
    assertRejects(() => parseFhirConsent(consent), 'INVALID_ARGUMENT', /Consent\.policyRule/);
  });

  void it('rejects the members the contract fills or the API strips (meta, dateTime, performer, organization, sourceReference, policy)', () => {
    const members: Json = {
      meta: { versionId: '1', lastUpdated: '2025-03-01T10:00:00Z' },
      dateTime: '2025-03-01T10:00:00Z',
      performer: [{ reference: `Patient/${PATIENT_ID}` }],
      organization: [{ reference: 'Organization/HospitalAMSP' }],
      sourceReference: { reference: record('DocumentReference', 'd1') },
      policy: [{ uri: 'https://medledger.example.org/policy/v1' }],
    };
    for (const [member, value] of Object.entries(members)) {
      assertRejects(() => parseFhirConsent({ ...EXAMPLES.a, [member]: value }), 'INVALID_ARGUMENT', new RegExp(member));
    }
  });

  void it('rejects extensions on the ledger: the API layer keeps them off-chain', () => {
    const inProvision = consentWith({
      ...(JSON.parse(PROVISION_E) as Json),
      extension: [{ url: 'https://example.org/ext', valueCode: 'x' }],
    });
    const onResource = consentWith(PROVISION_E);
    onResource.extension = [{ url: 'https://example.org/ext', valueString: '12 Main Street' }];
    for (const consent of [inProvision, onResource]) {
      assert.throws(() => parseFhirConsent(consent), { code: 'INVALID_ARGUMENT', message: /free text and extensions/ });
    }
  });

  void it('accepts a root type and a child without grandchildren (two levels)', () => {
    const parsed = parseFhirConsent(consentWith({ type: 'permit', provision: [{ type: 'deny', provision: [] }] }));
    assert.deepEqual(parsed.provision, prov('permit', { provision: [prov('deny')] }));
  });

  void it('parses code, data and dataPeriod elements', () => {
    const parsed = parseFhirConsent(
      consentWith({
        type: 'permit',
        code: [{ coding: [{ system: 'http://loinc.org', code: '8867-4' }] }],
        dataPeriod: { start: '2020-01-01T00:00:00Z', end: '2020-12-31' },
        data: [
          { meaning: 'related', reference: { reference: record('Encounter', 'e1') } },
          { meaning: 'instance', reference: { reference: record('Observation', '55') } },
          { meaning: 'authoredby', reference: { reference: 'Practitioner/dr-lee' } },
        ],
      }),
    );
    assert.deepEqual(
      parsed.provision,
      prov('permit', {
        code: [{ system: 'http://loinc.org', code: '8867-4' }],
        dataPeriod: { start: '2020-01-01T00:00:00Z', end: '2020-12-31' },
        data: [
          { meaning: 'authoredby', reference: 'Practitioner/dr-lee' },
          { meaning: 'instance', reference: record('Observation', '55') },
          { meaning: 'related', reference: record('Encounter', 'e1') },
        ],
      }),
    );
  });

  void it('accepts every actor role Medledger knows: IRCP, PRCP (kept as written), CST, AUT', () => {
    const actor = (code: string, reference: string): Json => ({
      role: { coding: [{ system: PARTICIPATION, code }] },
      reference: { reference },
    });
    const parsed = parseFhirConsent(
      consentWith({
        type: 'deny',
        actor: [
          actor('PRCP', 'Practitioner/dr-lee'),
          actor('IRCP', 'Organization/InsurerMSP'),
          actor('CST', 'Organization/HospitalAMSP'),
          actor('AUT', 'Practitioner/dr-kim'),
        ],
      }),
    );
    assert.deepEqual(parsed.provision.actor, [
      { role: 'AUT', reference: 'Practitioner/dr-kim' },
      { role: 'CST', reference: 'Organization/HospitalAMSP' },
      { role: 'IRCP', reference: 'Organization/InsurerMSP' },
      { role: 'PRCP', reference: 'Practitioner/dr-lee' },
    ]);
  });
});

void describe('parseFhirConsent: normalisation', () => {
  void it('rejects display and text anywhere, since transaction arguments are kept in blocks', () => {
    const permit = (extra: Json): Json => ({
      type: 'permit',
      actor: [
        {
          role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
          reference: { reference: 'Practitioner/dr-lee' },
        },
      ],
      ...(extra as Record<string, Json>),
    });
    const cases: Json[] = [
      permit({ action: [{ coding: [{ system: ACTION, code: 'access', display: 'Access' }] }] }),
      permit({ action: [{ coding: [{ system: ACTION, code: 'access' }], text: 'read' }] }),
      permit({ purpose: [{ system: ACT_REASON, code: 'TREAT', display: 'treatment' }] }),
      permit({ class: [{ system: RESOURCE_TYPES, code: 'Observation', display: 'Observation' }] }),
      {
        type: 'permit',
        actor: [
          {
            role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
            reference: { reference: 'Practitioner/dr-lee', display: 'Dr Lee' },
          },
        ],
      },
    ];
    for (const child of cases) {
      assert.throws(() => parseFhirConsent(consentWith({ type: 'deny', provision: [child] })), {
        code: 'INVALID_ARGUMENT',
        message: /free text and extensions/,
      });
    }
  });

  void it('reads the break-glass purpose BTG as ETREAT and merges it with an explicit ETREAT', () => {
    const purposes = (codes: string[]): Json => ({
      type: 'permit',
      purpose: codes.map((code) => ({ system: ACT_REASON, code })),
    });
    assert.deepEqual(parseFhirConsent(consentWith(purposes(['BTG']))).provision.purpose, ['ETREAT']);
    assert.deepEqual(parseFhirConsent(consentWith(purposes(['ETREAT', 'BTG', 'TREAT']))).provision.purpose, [
      'ETREAT',
      'TREAT',
    ]);
  });

  void it('sorts and de-duplicates every repeated element', () => {
    const actor = (reference: string): Json => ({
      role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
      reference: { reference },
    });
    const parsed = parseFhirConsent(
      consentWith({
        type: 'permit',
        actor: [actor('Practitioner/dr-lee'), actor('Organization/HospitalBMSP'), actor('Practitioner/dr-lee')],
        action: ['use', 'access', 'use'].map((code) => ({ coding: [{ system: ACTION, code }] })),
        purpose: ['TREAT', 'HPAYMT', 'TREAT'].map((code) => ({ system: ACT_REASON, code })),
        class: ['Observation', 'Condition', 'Observation'].map((code) => ({ system: RESOURCE_TYPES, code })),
        code: [
          { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
          { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        ],
        securityLabel: [
          { system: CONFIDENTIALITY, code: 'R' },
          { system: ACT_CODE, code: 'PSY' },
          { system: ACT_CODE, code: 'HIV' },
          { system: ACT_CODE, code: 'PSY' },
        ],
        data: [
          { meaning: 'related', reference: { reference: record('Encounter', 'e2') } },
          { meaning: 'related', reference: { reference: record('Encounter', 'e1') } },
          { meaning: 'related', reference: { reference: record('Encounter', 'e2') } },
        ],
      }),
    );
    assert.deepEqual(
      parsed.provision,
      prov('permit', {
        actor: [
          { role: 'IRCP', reference: 'Organization/HospitalBMSP' },
          { role: 'IRCP', reference: 'Practitioner/dr-lee' },
        ],
        action: ['access', 'use'],
        purpose: ['HPAYMT', 'TREAT'],
        class: ['Condition', 'Observation'],
        code: [
          { system: 'http://loinc.org', code: '2339-0' },
          { system: 'http://loinc.org', code: '8867-4' },
        ],
        securityLabel: [
          { system: ACT_CODE, code: 'HIV' },
          { system: ACT_CODE, code: 'PSY' },
          { system: CONFIDENTIALITY, code: 'R' },
        ],
        data: [
          { meaning: 'related', reference: record('Encounter', 'e1') },
          { meaning: 'related', reference: record('Encounter', 'e2') },
        ],
      }),
    );
  });

  void it('gives the same result whatever the order of repeated elements', () => {
    const reversed = consentWith(PROVISION_C);
    const root = reversed.provision as { provision: Json[] };
    root.provision = root.provision.map((child) => {
      const copy = { ...child };
      if (Array.isArray(copy.class)) copy.class = [...(copy.class as unknown[])].reverse();
      return copy;
    });
    // children keep their order (their order carries no meaning, but they are not re-sorted)
    assert.deepEqual(parseFhirConsent(reversed), parseFhirConsent(EXAMPLES.c));
  });

  void it('omits period and dataPeriod when they have no bounds', () => {
    const parsed = parseFhirConsent(consentWith({ type: 'deny', period: {}, dataPeriod: {} }));
    assert.equal('period' in parsed.provision, false);
    assert.equal('dataPeriod' in parsed.provision, false);
  });
});

void describe('parseFhirConsent: rejections', () => {
  const mutate = (base: Json, change: (consent: Json) => void): Json => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };
  const withProvision = (value: unknown): Json => consentWith(value);
  const child = (parts: Json): Json => withProvision({ type: 'deny', provision: [{ type: 'permit', ...parts }] });
  const irc = (reference: string): Json => ({
    role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
    reference: { reference },
  });

  const cases: [string, unknown][] = [
    ['a value that is not an object', 'Consent'],
    ['null', null],
    ['an array', [EXAMPLES.a]],
    ['another resourceType', { ...EXAMPLES.a, resourceType: 'Patient' }],
    ['an unknown status', { ...EXAMPLES.a, status: 'revoked' }],
    ['a missing status', mutate(EXAMPLES.a, (c) => delete c.status)],
    ['a malformed id', { ...EXAMPLES.a, id: 'c 001' }],
    ['a missing scope', mutate(EXAMPLES.a, (c) => delete c.scope)],
    [
      'the research scope',
      {
        ...EXAMPLES.a,
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
      },
    ],
    [
      'the adr scope',
      {
        ...EXAMPLES.a,
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'adr' }] },
      },
    ],
    [
      'patient-privacy from another system',
      { ...EXAMPLES.a, scope: { coding: [{ system: 'http://example.org/scope', code: 'patient-privacy' }] } },
    ],
    ['a scope given only as text', { ...EXAMPLES.a, scope: { text: 'privacy' } }],
    ['a missing category', mutate(EXAMPLES.a, (c) => delete c.category)],
    ['an empty category list', { ...EXAMPLES.a, category: [] }],
    [
      'a category without LOINC 59284-0',
      {
        ...EXAMPLES.a,
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentcategorycodes', code: 'npp' }] }],
      },
    ],
    [
      '59284-0 under a system other than LOINC',
      { ...EXAMPLES.a, category: [{ coding: [{ system: 'http://snomed.info/sct', code: '59284-0' }] }] },
    ],
    ['a missing patient', mutate(EXAMPLES.a, (c) => delete c.patient)],
    ['a patient that is not a Patient reference', { ...EXAMPLES.a, patient: { reference: 'Practitioner/dr-lee' } }],
    ['a patient given by name only', { ...EXAMPLES.a, patient: { display: 'Jane Doe' } }],
    ['a patient reference with free text', { ...EXAMPLES.a, patient: { reference: 'Patient/Jane Doe' } }],
    ['a patient reference by MRN', { ...EXAMPLES.a, patient: { reference: 'Patient/70660c70-a188-4a1d-bbd1' } }],
    ['a patient id that is not pseudonymous', { ...EXAMPLES.a, patient: { reference: 'Patient/p-7f3a' } }],
    [
      'a patient reference with a type',
      { ...EXAMPLES.a, patient: { reference: `Patient/${PATIENT_ID}`, type: 'Jane Doe' } },
    ],
    ['an id the contract did not issue', { ...EXAMPLES.a, id: 'c-001' }],
    ['an MRN as id', { ...EXAMPLES.a, id: '70660c70-a188-4a1d-bbd1-ddecf886f34f' }],
    [
      'a scope with a further coding',
      {
        ...EXAMPLES.a,
        scope: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
            { system: 'urn:oid:2.16.840.1.113883.4.1', code: '999-12-3456' },
          ],
        },
      },
    ],
    [
      'a category coding of another system beside LOINC 59284-0',
      {
        ...EXAMPLES.a,
        category: [
          {
            coding: [
              { system: 'http://loinc.org', code: '59284-0' },
              { system: 'http://hl7.org/fhir/sid/us-ssn', code: '999-12-3456' },
            ],
          },
        ],
      },
    ],
    [
      'a category with another LOINC code',
      {
        ...EXAMPLES.a,
        category: [
          { coding: [{ system: 'http://loinc.org', code: '59284-0' }] },
          { coding: [{ system: 'http://loinc.org', code: '64292-6' }] },
        ],
      },
    ],
    [
      'a consentcategorycodes code outside the short list',
      {
        ...EXAMPLES.a,
        category: [
          { coding: [{ system: 'http://loinc.org', code: '59284-0' }] },
          { coding: [{ system: CONSENT_CATEGORY, code: 'dnr' }] },
        ],
      },
    ],
    ['meta', { ...EXAMPLES.a, meta: { versionId: 'jane.doe' } }],
    ['a dateTime', { ...EXAMPLES.a, dateTime: '1959-08-26' }],
    ['a performer', { ...EXAMPLES.a, performer: [{ reference: `Patient/${PATIENT_ID}` }] }],
    ['an organization', { ...EXAMPLES.a, organization: [{ reference: 'Organization/Springfield-clinic' }] }],
    ['a sourceReference', { ...EXAMPLES.a, sourceReference: { reference: 'DocumentReference/999-12-3456' } }],
    ['a policy', { ...EXAMPLES.a, policy: [{ uri: 'urn:consent-form:jane.doe:1959-08-26' }] }],
    ['a missing policyRule', mutate(EXAMPLES.a, (c) => delete c.policyRule)],
    ['an unknown policyRule code', { ...EXAMPLES.a, policyRule: { coding: [{ system: ACT_CODE, code: 'OPTINR' }] } }],
    [
      'a policyRule from another system',
      { ...EXAMPLES.a, policyRule: { coding: [{ system: 'http://example.org/rules', code: 'OPTIN' }] } },
    ],
    ['a policy with unknown members', { ...EXAMPLES.a, policy: [{ uri: 'https://example.org/p', note: 'see chart' }] }],
    [
      'narrative text',
      { ...EXAMPLES.a, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane Doe</div>' } },
    ],
    [
      'an identifier',
      { ...EXAMPLES.a, identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '123-45-6789' }] },
    ],
    ['a note', { ...EXAMPLES.a, note: [{ text: 'patient is anxious about HIV status' }] }],
    ['a comment member', { ...EXAMPLES.a, comment: 'Jane said yes' }],
    ['contained resources', { ...EXAMPLES.a, contained: [{ resourceType: 'Patient', id: 'x' }] }],
    [
      'a verification element',
      { ...EXAMPLES.a, verification: [{ verified: true, verifiedWith: { display: 'Jane Doe' } }] },
    ],
    ['a missing provision', mutate(EXAMPLES.a, (c) => delete c.provision)],
    ['a provision list instead of one root', { ...EXAMPLES.a, provision: [JSON.parse(PROVISION_E)] }],
    ['a root provision without type', withProvision({ actor: [irc('Organization/HospitalAMSP')] })],
    [
      'a child provision without type',
      withProvision({ type: 'deny', provision: [{ class: [{ system: RESOURCE_TYPES, code: 'Observation' }] }] }),
    ],
    ['an unknown provision type', withProvision({ type: 'maybe' })],
    [
      'three levels of provisions',
      withProvision({ type: 'deny', provision: [{ type: 'permit', provision: [{ type: 'deny' }] }] }),
    ],
    ['an unknown provision member', withProvision({ type: 'deny', description: 'no access for my ex-husband' })],
    ['an unknown member in a child provision', child({ text: 'free text' })],
    ['an actor without role', child({ actor: [{ reference: { reference: 'Practitioner/dr-lee' } }] })],
    ['an actor without reference', child({ actor: [{ role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] } }] })],
    [
      'an actor with an unknown role code',
      child({
        actor: [
          {
            role: { coding: [{ system: PARTICIPATION, code: 'DIST' }] },
            reference: { reference: 'Practitioner/dr-lee' },
          },
        ],
      }),
    ],
    [
      'an actor role from another system',
      child({
        actor: [
          {
            role: { coding: [{ system: 'http://example.org/r', code: 'IRCP' }] },
            reference: { reference: 'Practitioner/dr-lee' },
          },
        ],
      }),
    ],
    [
      'an actor given by display only',
      child({
        actor: [
          { role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] }, reference: { display: 'my ex-husband' } },
        ],
      }),
    ],
    ['an actor reference of an unsupported type', child({ actor: [irc('Device/d-1')] })],
    ['an actor reference with spaces', child({ actor: [irc('Practitioner/Dr Lee')] })],
    ['a RelatedPerson actor', child({ actor: [irc('RelatedPerson/jane.doe')] })],
    ['a PractitionerRole actor', child({ actor: [irc('PractitionerRole/dr-lee')] })],
    ['a CareTeam actor', child({ actor: [irc('CareTeam/ct-1')] })],
    ['a Group actor without a role', child({ actor: [irc('Group/HospitalBMSP')] })],
    ['a Group actor with an unknown role', child({ actor: [irc('Group/HospitalBMSP-family')] })],
    ['a Patient actor by MRN', child({ actor: [irc('Patient/70660c70-a188-4a1d-bbd1')] })],
    ['an Organization actor with spaces', child({ actor: [irc('Organization/Springfield General')] })],
    [
      'an actor reference with a type',
      child({
        actor: [
          {
            role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] },
            reference: { reference: 'Practitioner/dr-lee', type: 'Jane Doe' },
          },
        ],
      }),
    ],
    [
      'an actor role with a further coding',
      child({
        actor: [
          {
            role: {
              coding: [
                { system: PARTICIPATION, code: 'IRCP' },
                { system: 'http://example.org/r', code: 'jane.doe' },
              ],
            },
            reference: { reference: 'Practitioner/dr-lee' },
          },
        ],
      }),
    ],
    [
      'an action concept with two different codes',
      child({
        action: [
          {
            coding: [
              { system: ACTION, code: 'access' },
              { system: ACTION, code: 'collect' },
            ],
          },
        ],
      }),
    ],
    ['a purpose coding with a version', child({ purpose: [{ system: ACT_REASON, code: 'TREAT', version: 'Jane' }] })],
    [
      'a purpose coding with userSelected',
      child({ purpose: [{ system: ACT_REASON, code: 'TREAT', userSelected: true }] }),
    ],
    ['an unknown action code', child({ action: [{ coding: [{ system: ACTION, code: 'read' }] }] })],
    [
      'an action from another system',
      child({ action: [{ coding: [{ system: 'http://example.org/a', code: 'access' }] }] }),
    ],
    ['an action concept with no coding', child({ action: [{ coding: [] }] })],
    ['an action given only as text', child({ action: [{ text: 'look at my labs' }] })],
    ['an unknown purpose code', child({ purpose: [{ system: ACT_REASON, code: 'HMARKT' }] })],
    ['a purpose from another system', child({ purpose: [{ system: 'http://example.org/p', code: 'TREAT' }] })],
    [
      'a purpose as a CodeableConcept instead of a Coding',
      child({ purpose: [{ coding: [{ system: ACT_REASON, code: 'TREAT' }] }] }),
    ],
    ['an unknown class', child({ class: [{ system: RESOURCE_TYPES, code: 'LabResult' }] })],
    ['a class from another system', child({ class: [{ system: 'http://example.org/types', code: 'Observation' }] })],
    ['an unknown sensitivity code', child({ securityLabel: [{ system: ACT_CODE, code: 'TBOO' }] })],
    ['an ActCode that is not a sensitivity code', child({ securityLabel: [{ system: ACT_CODE, code: 'OPTIN' }] })],
    ['an unknown confidentiality code', child({ securityLabel: [{ system: CONFIDENTIALITY, code: 'X' }] })],
    [
      'a security label from another system',
      child({ securityLabel: [{ system: 'http://example.org/labels', code: 'HIV' }] }),
    ],
    [
      'a coding with an unknown member',
      child({ class: [{ system: RESOURCE_TYPES, code: 'Observation', comment: 'labs' }] }),
    ],
    ['a code with spaces', child({ code: [{ coding: [{ system: 'http://loinc.org', code: 'heart rate' }] }] })],
    [
      'a code of a local system',
      child({ code: [{ coding: [{ system: 'http://hospital.smarthealthit.org', code: '70660c70-a188-4a1d' }] }] }),
    ],
    [
      'an identifier system as a code',
      child({ code: [{ coding: [{ system: 'http://hl7.org/fhir/sid/us-ssn', code: '999-12-3456' }] }] }),
    ],
    ['a LOINC code of the wrong form', child({ code: [{ coding: [{ system: 'http://loinc.org', code: '8867' }] }] })],
    [
      'an unknown data meaning',
      child({ data: [{ meaning: 'dependents', reference: { reference: record('Observation', '1') } }] }),
    ],
    [
      'a data reference with free text',
      child({ data: [{ meaning: 'instance', reference: { reference: 'the scan from May' } }] }),
    ],
    [
      'a data reference to a client-chosen id',
      child({ data: [{ meaning: 'instance', reference: { reference: 'Observation/o-55' } }] }),
    ],
    [
      'a data reference to a Patient',
      child({ data: [{ meaning: 'instance', reference: { reference: record('Patient', '1') } }] }),
    ],
    [
      'a related data reference to an Observation',
      child({ data: [{ meaning: 'related', reference: { reference: record('Observation', '1') } }] }),
    ],
    [
      'an authoredby data reference to a Patient',
      child({ data: [{ meaning: 'authoredby', reference: { reference: `Patient/${PATIENT_ID}` } }] }),
    ],
    ['a period whose start is after its end', child({ period: { start: '2026-01-01', end: '2025-12-31' } })],
    [
      'a period whose start instant is after its end instant',
      child({ period: { start: '2025-06-01T10:00:01Z', end: '2025-06-01T10:00:00Z' } }),
    ],
    ['a dataPeriod whose start is after its end', child({ dataPeriod: { start: '2020', end: '2019-12-31' } })],
    ['a period with an unknown member', child({ period: { end: '2025-12-31', note: 'until I move' } })],
    ['a period end in a non-FHIR date format', child({ period: { end: '31/12/2025' } })],
    ['a period end with month 13', child({ period: { end: '2025-13-01' } })],
    ['a period start with day 32', child({ period: { start: '2025-01-32' } })],
    ['a period end as a time without a zone', child({ period: { end: '2025-12-31T10:00:00' } })],
    ['a period end as free text', child({ period: { end: 'end of treatment' } })],
    ['a period end given as a number', child({ period: { end: 20251231 } })],
    ['a dataPeriod start in a non-FHIR format', child({ dataPeriod: { start: '2018/01/01' } })],
  ];

  void it('starts from baselines that are themselves valid', () => {
    assert.doesNotThrow(() => parseFhirConsent(child({})));
    assert.doesNotThrow(() => parseFhirConsent(withProvision({ type: 'deny' })));
    assert.doesNotThrow(() => parseFhirConsent(child({ actor: [irc('Practitioner/dr-lee')] })));
  });

  for (const [name, input] of cases) {
    void it(`rejects ${name} with INVALID_ARGUMENT`, () => {
      assertRejects(() => parseFhirConsent(input), 'INVALID_ARGUMENT');
    });
  }

  void it('checks the Consent.text narrative explicitly rather than dropping it', () => {
    assertRejects(
      () => parseFhirConsent({ ...EXAMPLES.a, text: { status: 'generated', div: '<div/>' } }),
      'INVALID_ARGUMENT',
      /text/,
    );
  });

  void it('names the offending element in the message', () => {
    assertRejects(
      () => parseFhirConsent(child({ purpose: [{ system: ACT_REASON, code: 'HMARKT' }] })),
      'INVALID_ARGUMENT',
      /Consent\.provision\.provision\[0\]\.purpose\[0\]/,
    );
    assertRejects(
      () =>
        parseFhirConsent(
          withProvision({ type: 'deny', provision: [{ type: 'permit', provision: [{ type: 'deny' }] }] }),
        ),
      'INVALID_ARGUMENT',
      /two levels/,
    );
  });
});

void describe('parseFhirConsent: modifierExtension', () => {
  const modifier = [{ url: 'https://example.org/fhir/StructureDefinition/only-on-tuesdays', valueBoolean: true }];

  void it('answers a modifierExtension on the Consent with UNPROCESSABLE', () => {
    assertRejects(
      () => parseFhirConsent({ ...EXAMPLES.a, modifierExtension: modifier }),
      'UNPROCESSABLE',
      /modifierExtension/,
    );
  });

  void it('answers a modifierExtension on the root provision with UNPROCESSABLE', () => {
    assertRejects(() => parseFhirConsent(consentWith({ type: 'deny', modifierExtension: modifier })), 'UNPROCESSABLE');
  });

  void it('answers a modifierExtension on a child provision with UNPROCESSABLE', () => {
    assertRejects(
      () =>
        parseFhirConsent(consentWith({ type: 'deny', provision: [{ type: 'permit', modifierExtension: modifier }] })),
      'UNPROCESSABLE',
    );
  });
});

void describe('toFhirConsent', () => {
  const consentRecord = (input: ConsentInput, version = 3): ConsentRecord => ({
    id: input.id ?? CONSENT_ID,
    version,
    patientId: input.patientId,
    status: input.status,
    policyRule: input.policyRule,
    dateTime: '2025-03-01T10:00:00.000Z',
    performer: `Patient/${input.patientId}`,
    organization: 'HospitalAMSP',
    provision: input.provision,
    txId: 'a1b2c3',
  });

  // toFhirConsent renders for reading; to submit it again, drop the members the contract fills itself.
  const resubmitted = ({ meta: _m, dateTime: _d, performer: _p, organization: _o, ...rest }: Json): Json => rest;

  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) {
    void it(`round-trips example (${name}) through parseFhirConsent to the same normalized consent`, () => {
      const parsed = parseFhirConsent(EXAMPLES[name]);
      const rendered = toFhirConsent(consentRecord(parsed));
      assert.deepEqual(parseFhirConsent(resubmitted(rendered)), parsed);
      // and through the wire form, where undefined members disappear
      assert.deepEqual(parseFhirConsent(resubmitted(JSON.parse(JSON.stringify(rendered)) as Json)), parsed);
    });
  }

  void it('renders what a resubmission must drop: the members the contract fills', () => {
    const rendered = toFhirConsent(consentRecord(parseFhirConsent(EXAMPLES.a)));
    assertRejects(() => parseFhirConsent(rendered), 'INVALID_ARGUMENT', /meta, dateTime, performer, organization/);
  });

  void it('round-trips a provision that uses every element', () => {
    const full = prov('permit', {
      period: { start: '2025-01-01', end: '2025-12-31T23:59:59Z' },
      actor: [
        { role: 'AUT', reference: 'Practitioner/dr-kim' },
        { role: 'PRCP', reference: 'Group/HospitalBMSP-clinician' },
      ],
      action: ['access', 'disclose'],
      purpose: ['ETREAT', 'TREAT'],
      class: ['Condition', 'Observation'],
      code: [{ system: 'http://loinc.org', code: '8867-4' }],
      securityLabel: [
        { system: ACT_CODE, code: 'HIV' },
        { system: CONFIDENTIALITY, code: 'V' },
      ],
      dataPeriod: { start: '2019' },
      data: [{ meaning: 'related', reference: record('Encounter', 'e1') }],
      provision: [prov('deny', { securityLabel: [{ system: ACT_CODE, code: 'PSY' }] })],
    });
    const input: ConsentInput = {
      id: ledgerId('c', '9'),
      status: 'inactive',
      policyRule: 'OPTOUT',
      patientId: ledgerId('pt', '1'),
      provision: full,
    };
    assert.deepEqual(parseFhirConsent(resubmitted(toFhirConsent(consentRecord(input)))), input);
  });

  void it('renders the envelope the conventions require', () => {
    const rendered = toFhirConsent(consentRecord(parseFhirConsent(EXAMPLES.e), 2));
    assert.equal(rendered.resourceType, 'Consent');
    assert.equal(rendered.id, CONSENT_ID);
    assert.deepEqual(rendered.meta, { versionId: '2', lastUpdated: '2025-03-01T10:00:00.000Z' });
    assert.deepEqual(rendered.scope, {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    });
    assert.deepEqual(rendered.category, [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }]);
    assert.deepEqual(rendered.patient, { reference: `Patient/${PATIENT_ID}` });
    assert.deepEqual(rendered.performer, [{ reference: `Patient/${PATIENT_ID}` }]);
    assert.deepEqual(rendered.organization, [{ reference: 'Organization/HospitalAMSP' }]);
    assert.deepEqual(rendered.policyRule, { coding: [{ system: ACT_CODE, code: 'OPTOUT' }] });
    assert.equal(rendered.dateTime, '2025-03-01T10:00:00.000Z');
  });

  void it('renders purpose, class and securityLabel as Codings and action and actor.role as CodeableConcepts (R4 types)', () => {
    const rendered = JSON.parse(JSON.stringify(toFhirConsent(consentRecord(parseFhirConsent(EXAMPLES.a))))) as {
      provision: { type: string; provision: Json[] };
    };
    assert.deepEqual(rendered.provision, JSON.parse(PROVISION_A));
  });
});

void describe('optInConsentResource', () => {
  const PATIENT = 'pt-000000000000000000007f3a';

  void it('builds a research opt-in that parses back to exactly the grant', () => {
    const parsed = parseFhirConsent(
      optInConsentResource(PATIENT, { actor: 'Organization/ResearchMSP', purpose: 'HRESCH' }),
    );
    assert.equal(parsed.policyRule, 'OPTIN');
    assert.equal(parsed.patientId, PATIENT);
    assert.deepEqual(
      parsed.provision,
      prov('deny', {
        provision: [
          prov('permit', { actor: [ircp('Organization/ResearchMSP')], action: ['use'], purpose: ['HRESCH'] }),
        ],
      }),
    );
  });

  void it('carries types, an end date and excluded labels, and accesses for treatment', () => {
    const parsed = parseFhirConsent(
      optInConsentResource(PATIENT, {
        actor: 'Group/HospitalBMSP-clinician',
        purpose: 'TREAT',
        resourceTypes: ['Observation', 'Condition'],
        until: '2026-12-31',
        excludedLabels: [sens('HIV')],
      }),
    );
    const [permit, excluded] = parsed.provision.provision;
    assert.ok(permit && excluded);
    assert.deepEqual(permit.action, ['access']);
    assert.deepEqual(permit.class, ['Condition', 'Observation'], 'normalised: sorted');
    assert.deepEqual(permit.period, { end: '2026-12-31' });
    assert.deepEqual(
      excluded,
      prov('deny', {
        actor: [ircp('Group/HospitalBMSP-clinician')],
        action: ['access'],
        purpose: ['TREAT'],
        securityLabel: [sens('HIV')],
      }),
    );
  });
});
