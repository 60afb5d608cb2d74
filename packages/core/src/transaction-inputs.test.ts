import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SENSITIVITY_CODES as SENSITIVITY } from './codes.js';
import { DomainError } from './errors.js';
import {
  MAX_BATCH_RECORDS,
  MAX_STUDY_EPSILON,
  parseAuthorizeAccess,
  parseAuthorizeCohort,
  parseBreakGlass,
  parseProposeStudy,
  parseRegisterPatient,
  parseRegisterRecord,
  parseRegisterRecords,
  parseRequestAccess,
  parseRespondToAccessRequest,
  parseReviewEmergency,
  toMicroEpsilon,
} from './transaction-inputs.js';
import { ACT_CODE, CONFIDENTIALITY, ledgerId } from './testing/fhir-fixtures.js';

const HEX_A = 'a'.repeat(64);
const HEX_B = '0123456789abcdef'.repeat(4);

const PATIENT = ledgerId('pt', '7f3a');
const PATIENT_1 = ledgerId('pt', '1');
const PATIENT_2 = ledgerId('pt', '2');
const STUDY = ledgerId('st', '1');
const REQUEST_ID = '0123456789abcdef0123456789abcdef';
/** What a careless client has at hand instead of a pseudonymous id: an MRN (a Synthea one), an SSN, a name. */
const MRN = '70660c70-a188-4a1d-bbd1-ddecf886f34f';
const SSN = '999-12-3456';

type Json = Record<string, unknown>;
const text = (value: unknown): string => JSON.stringify(value);

function assertInvalid(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_ARGUMENT', error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Runs a table of inputs that must each be rejected, starting from a valid base. */
function rejects(parse: (input: string) => unknown, base: Json, cases: [string, Json][]): void {
  void it('accepts the valid base the rejection cases start from', () => {
    assert.doesNotThrow(() => parse(text(base)));
  });
  for (const [name, change] of cases) {
    void it(`rejects ${name}`, () => {
      // JSON.stringify drops members set to undefined, which is how a case removes a member
      assertInvalid(() => parse(text({ ...base, ...change })));
    });
  }
}

void describe('transaction input framing (every parser)', () => {
  const parsers: [string, (input: string) => unknown][] = [
    ['RegisterPatient', parseRegisterPatient],
    ['RegisterRecord', parseRegisterRecord],
    ['AuthorizeAccess', parseAuthorizeAccess],
    ['AuthorizeCohort', parseAuthorizeCohort],
    ['RequestAccess', parseRequestAccess],
    ['RespondToAccessRequest', parseRespondToAccessRequest],
    ['BreakGlass', parseBreakGlass],
    ['ReviewEmergencyAccess', parseReviewEmergency],
    ['ProposeStudy', parseProposeStudy],
  ];
  for (const [name, parse] of parsers) {
    void it(`${name}: rejects text that is not a JSON object`, () => {
      for (const input of ['', 'not json', '{"a":', '[]', 'null', '"string"', '42']) assertInvalid(() => parse(input));
    });

    void it(`${name}: rejects input larger than 256 KiB`, () => {
      assertInvalid(() => parse(`{"padding":"${'x'.repeat(256 * 1024)}"}`), /256 KiB/);
    });

    void it(`${name}: rejects unknown members that could carry PHI`, () => {
      for (const member of ['name', 'birthDate', 'note', 'text', 'comment']) {
        assertInvalid(() => parse(text({ [member]: 'Jane Doe, born 1980-04-12' })), /unsupported element/);
      }
    });
  }
});

void describe('parseRegisterPatient', () => {
  void it('accepts an empty object (self-registration)', () => {
    assert.deepEqual(parseRegisterPatient('{}'), {});
  });

  void it('accepts a pseudonymous patient uid', () => {
    const uid = 'pu-0123456789abcdef0123456789abcdef';
    assert.deepEqual(parseRegisterPatient(text({ patientUid: uid })), { patientUid: uid });
  });

  void it('rejects uids that are not pseudonymous: names, login names, MRNs', () => {
    for (const uid of ['Jane Doe', 'jane.doe', 'patient01', '70660c70-a188-4a1d-bbd1-ddecf886f34f']) {
      assertInvalid(() => parseRegisterPatient(text({ patientUid: uid })));
    }
  });
});

void describe('parseRegisterRecord', () => {
  const valid: Json = {
    recordId: ledgerId('r', '55'),
    patientId: PATIENT,
    resourceType: 'Observation',
    category: 'laboratory',
    securityLabels: [
      { system: CONFIDENTIALITY, code: 'R' },
      { system: ACT_CODE, code: 'HIV' },
      { system: ACT_CODE, code: 'HIV' },
    ],
    codes: [
      { system: 'http://loinc.org', code: '8867-4' },
      { system: 'http://snomed.info/sct', code: '364075005' },
    ],
    clinicalDate: '2024-11-02T08:30:00+01:00',
    related: [
      `Encounter/${ledgerId('r', 'e2')}`,
      `CarePlan/${ledgerId('r', 'c1')}`,
      `Encounter/${ledgerId('r', 'e2')}`,
    ],
    ciphertextSha256: HEX_A,
    plaintextHmac: HEX_B,
    supersedes: ledgerId('r', '54'),
  };

  void it('rejects display text in codings, since arguments are kept in blocks', () => {
    const withDisplay = {
      ...(valid as Record<string, Json>),
      codes: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }],
    };
    assertInvalid(() => parseRegisterRecord(text(withDisplay)), /display/);
  });

  void it('accepts a full record and normalizes it: lists sorted and de-duplicated', () => {
    assert.deepEqual(parseRegisterRecord(text(valid)), {
      recordId: ledgerId('r', '55'),
      patientId: PATIENT,
      resourceType: 'Observation',
      category: 'laboratory',
      securityLabels: [
        { system: ACT_CODE, code: 'HIV' },
        { system: CONFIDENTIALITY, code: 'R' },
      ],
      codes: [
        { system: 'http://loinc.org', code: '8867-4' },
        { system: 'http://snomed.info/sct', code: '364075005' },
      ],
      clinicalDate: '2024-11-02T08:30:00+01:00',
      related: [`CarePlan/${ledgerId('r', 'c1')}`, `Encounter/${ledgerId('r', 'e2')}`],
      ciphertextSha256: HEX_A,
      plaintextHmac: HEX_B,
      supersedes: ledgerId('r', '54'),
    });
  });

  void it('accepts a minimal record, defaulting the lists to empty', () => {
    const minimal = {
      recordId: ledgerId('r', '1'),
      patientId: PATIENT_1,
      resourceType: 'Condition',
      category: 'problem-list-item',
      ciphertextSha256: HEX_A,
      plaintextHmac: HEX_B,
    };
    assert.deepEqual(parseRegisterRecord(text(minimal)), { ...minimal, securityLabels: [], codes: [], related: [] });
  });

  void it('accepts FHIR date precisions for the clinical date', () => {
    for (const clinicalDate of ['2024', '2024-11', '2024-02-29', '2024-11-02T08:30:00Z', '2024-11-02T08:30:00.123Z']) {
      assert.equal(parseRegisterRecord(text({ ...valid, clinicalDate })).clinicalDate, clinicalDate);
    }
  });

  void describe('rejections', () => {
    rejects(parseRegisterRecord, valid, [
      ['a name as category', { category: 'Jane Doe' }],
      ['a capitalised word as category', { category: 'Laboratory' }],
      ['a diagnosis phrase as category', { category: 'type 2 diabetes, poorly controlled' }],
      ['a birth date as record id', { recordId: '12/04/1980' }],
      ['a name and birth date as patient id', { patientId: 'Jane Doe 1980-04-12' }],
      ['an email address as patient id', { patientId: 'jane.doe@example.com' }],
      ['an id longer than 64 characters', { recordId: 'x'.repeat(65) }],
      ['a missing record id', { recordId: undefined }],
      ['a missing patient id', { patientId: undefined }],
      ['a missing category', { category: undefined }],
      ['a Patient resource', { resourceType: 'Patient' }],
      ['a Consent resource', { resourceType: 'Consent' }],
      ['an AuditEvent resource', { resourceType: 'AuditEvent' }],
      ['a RelatedPerson resource', { resourceType: 'RelatedPerson' }],
      ['a Bundle', { resourceType: 'Bundle' }],
      ['an unknown resource type', { resourceType: 'LabResult' }],
      ['a lower-case resource type', { resourceType: 'observation' }],
      ['a birth date in a non-FHIR format as clinical date', { clinicalDate: '12/04/1980' }],
      ['a clinical date that is not a calendar date', { clinicalDate: '2025-02-29' }],
      ['a clinical time without a zone', { clinicalDate: '2024-11-02T08:30:00' }],
      ['an MRN as record id', { recordId: MRN }],
      ['a client-chosen record id', { recordId: 'o-55' }],
      ['a record id with upper-case hex', { recordId: ledgerId('r', '55').toUpperCase() }],
      ['an MRN as patient id', { patientId: MRN }],
      ['an SSN as patient id', { patientId: SSN }],
      ['a patient id of another kind', { patientId: ledgerId('st', '1') }],
      ['a related reference to a Patient', { related: [`Patient/${PATIENT_1}`] }],
      ['a related reference with free text', { related: ['Encounter/visit on Monday'] }],
      ['a related reference to an MRN', { related: [`Encounter/${MRN}`] }],
      ['a related reference to a client-chosen id', { related: ['Encounter/e-2'] }],
      ['an MRN as supersedes', { supersedes: MRN }],
      ['a phone number as category', { category: 'tel-555-870-4967' }],
      ['a family name as category', { category: 'okeefe' }],
      ['an observation category misspelt', { category: 'vital-sign' }],
      ['a code with spaces', { codes: [{ system: 'http://loinc.org', code: 'HIV positive' }] }],
      ['an SSN as a code', { codes: [{ system: 'http://hl7.org/fhir/sid/us-ssn', code: SSN }] }],
      ['an MRN as a local code', { codes: [{ system: 'http://hospital.smarthealthit.org', code: MRN }] }],
      ['a LOINC code of the wrong form', { codes: [{ system: 'http://loinc.org', code: 'okeefe' }] }],
      ['a SNOMED CT code of the wrong form', { codes: [{ system: 'http://snomed.info/sct', code: '34552-0' }] }],
      ['an ICD-10 code of the wrong form', { codes: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'e11.9' }] }],
      ['a coding version', { codes: [{ system: 'http://loinc.org', code: '8867-4', version: 'Jane Doe' }] }],
      ['a coding userSelected', { codes: [{ system: 'http://loinc.org', code: '8867-4', userSelected: true }] }],
      ['an unknown sensitivity label', { securityLabels: [{ system: ACT_CODE, code: 'TBOO' }] }],
      ['an unknown confidentiality label', { securityLabels: [{ system: CONFIDENTIALITY, code: 'X' }] }],
      ['a security label of another system', { securityLabels: [{ system: 'urn:x', code: 'HIV' }] }],
      [
        'a coding with a text member',
        { codes: [{ system: 'http://loinc.org', code: '8867-4', text: 'pulse of Jane' }] },
      ],
      ['a coding without system', { codes: [{ code: '8867-4' }] }],
      ['a coding with a non-URI system', { codes: [{ system: 'loinc', code: '8867-4' }] }],
      [
        'more than 20 security labels',
        { securityLabels: Array.from({ length: 21 }, (_, i) => ({ system: ACT_CODE, code: SENSITIVITY[i % 8] })) },
      ],
      ['a security label list that is not an array', { securityLabels: { system: ACT_CODE, code: 'HIV' } }],
      ['an upper-case hex digest', { ciphertextSha256: HEX_A.toUpperCase() }],
      ['a short digest', { plaintextHmac: 'abc123' }],
      ['a missing digest', { ciphertextSha256: undefined }],
      ['a malformed supersedes id', { supersedes: 'r 54' }],
      ['the record itself', { resource: { resourceType: 'Observation', subject: { display: 'Jane Doe' } } }],
    ]);
  });
});

void describe('parseRegisterRecords', () => {
  const item = (label: string, extra: Json = {}): Json => ({
    recordId: ledgerId('r', label),
    patientId: PATIENT_1,
    resourceType: 'Observation',
    category: 'laboratory',
    ciphertextSha256: HEX_A,
    plaintextHmac: HEX_B,
    ...extra,
  });
  const batch = (...records: unknown[]): string => text({ records });

  void it('parses each record as RegisterRecord does, in input order, for several patients', () => {
    const records = [item('3', { patientId: PATIENT_2, codes: [{ system: 'http://loinc.org', code: '8867-4' }] })];
    records.push(item('1'), item('2', { supersedes: ledgerId('r', '0') }));
    assert.deepEqual(
      parseRegisterRecords(batch(...records)).records,
      records.map((record) => parseRegisterRecord(text(record))),
    );
  });

  void it(`accepts 1 to ${String(MAX_BATCH_RECORDS)} records and refuses none or more`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => item(i.toString(16)));
    assert.equal(parseRegisterRecords(batch(...many(1))).records.length, 1);
    assert.equal(parseRegisterRecords(batch(...many(MAX_BATCH_RECORDS))).records.length, MAX_BATCH_RECORDS);
    assertInvalid(() => parseRegisterRecords(batch()), /at least one/);
    assertInvalid(() => parseRegisterRecords(batch(...many(MAX_BATCH_RECORDS + 1))), /more than 500/);
    assertInvalid(() => parseRegisterRecords(text({})), /records must be an array/);
    assertInvalid(() => parseRegisterRecords(text({ records: item('1') })), /records must be an array/);
  });

  void it('refuses a record id named twice in the batch, as recordId or supersedes', () => {
    const twice = /^records\[2\]: names a record \(recordId or supersedes\) that records\[0\] names too$/;
    assertInvalid(() => parseRegisterRecords(batch(item('1'), item('2'), item('1', { patientId: PATIENT_2 }))), twice);
    const supersedesEarlier = batch(item('1'), item('2'), item('3', { supersedes: ledgerId('r', '1') }));
    assertInvalid(() => parseRegisterRecords(supersedesEarlier), twice);
    const supersededTwice = batch(
      item('1', { supersedes: ledgerId('r', '9') }),
      item('2'),
      item('3', { supersedes: ledgerId('r', '9') }),
    );
    assertInvalid(() => parseRegisterRecords(supersededTwice), twice);
    const supersedesLater = batch(item('1', { supersedes: ledgerId('r', '2') }), item('5'), item('2'));
    assertInvalid(() => parseRegisterRecords(supersedesLater), twice);
  });

  void it('names the failing item without repeating its values', () => {
    assertInvalid(
      () => parseRegisterRecords(batch(item('1'), item('2'), item('3', { patientId: MRN }))),
      /^records\[2\]: patientId is missing or malformed$/,
    );
    assertInvalid(
      () => parseRegisterRecords(batch(item('1'), item('2', { name: 'Jane Doe' }))),
      /^records\[1\]: the record has 1 unsupported element\(s\)$/,
    );
    assertInvalid(
      () => parseRegisterRecords(batch(item('1'), 'Jane Doe')),
      /^records\[1\]: the record must be an object$/,
    );
    assertInvalid(() => parseRegisterRecords(text({ records: [item('1')], note: 'Jane Doe' })), /unsupported element/);
  });

  void it('keeps the framing rules: a duplicate member at any depth, and a size limit of 2 MiB', () => {
    const duplicate = batch(item('1')).replace(
      '"category":"laboratory"',
      '"category":"Jane Doe","category":"laboratory"',
    );
    assertInvalid(() => parseRegisterRecords(duplicate), /member name twice/);
    assertInvalid(() => parseRegisterRecords(`{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`), /larger than 2048 KiB/);
  });
});

void describe('parseAuthorizeAccess', () => {
  const valid: Json = { patientId: PATIENT, purpose: 'TREAT' };

  void it('defaults to a search over all types and records', () => {
    assert.deepEqual(parseAuthorizeAccess(text(valid)), {
      patientId: PATIENT,
      purpose: 'TREAT',
      resourceTypes: [],
      recordIds: [],
      interaction: 'search',
    });
  });

  void it('accepts every request purpose', () => {
    for (const purpose of ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'PATRQT']) {
      assert.equal(parseAuthorizeAccess(text({ ...valid, purpose })).purpose, purpose);
    }
  });

  void it('accepts and normalizes the optional members', () => {
    const parsed = parseAuthorizeAccess(
      text({
        ...valid,
        resourceTypes: ['Observation', 'Condition', 'Observation'],
        recordIds: [ledgerId('r', '2'), ledgerId('r', '1'), ledgerId('r', '2')],
        interaction: 'read',
        studyId: STUDY,
        requestId: REQUEST_ID,
      }),
    );
    assert.deepEqual(parsed, {
      patientId: PATIENT,
      purpose: 'TREAT',
      resourceTypes: ['Condition', 'Observation'],
      recordIds: [ledgerId('r', '1'), ledgerId('r', '2')],
      interaction: 'read',
      studyId: STUDY,
      requestId: REQUEST_ID,
    });
  });

  void describe('rejections', () => {
    rejects(parseAuthorizeAccess, valid, [
      ['a free-text purpose', { purpose: 'treatment of chest pain' }],
      ['BTG as a request purpose', { purpose: 'BTG' }],
      ['a missing purpose', { purpose: undefined }],
      ['a missing patient', { patientId: undefined }],
      ['an unknown interaction', { interaction: 'delete' }],
      ['an unknown resource type', { resourceTypes: ['LabResult'] }],
      ['a free-text record id', { recordIds: ['blood test of 12 April'] }],
      ['an MRN as record id', { recordIds: [MRN] }],
      ['an MRN as patient id', { patientId: MRN }],
      ['an SSN as patient id', { patientId: SSN }],
      ['an MRN as study id', { studyId: MRN }],
      ['a request id with spaces', { requestId: 'request from Dr Lee' }],
      ['a login name as request id', { requestId: 'felipa.okeefe' }],
      ['a phone number as request id', { requestId: '555-870-4967' }],
      ['a request id with upper-case hex', { requestId: REQUEST_ID.toUpperCase() }],
      ['a reason member', { reason: 'patient collapsed in the lobby' }],
    ]);
  });
});

void describe('parseAuthorizeCohort', () => {
  const valid: Json = {
    patientIds: [PATIENT_2, PATIENT_1, PATIENT_2],
    purpose: 'HRESCH',
    resourceTypes: ['Observation'],
    studyId: STUDY,
  };

  void it('accepts a research cohort and sorts and de-duplicates the patients', () => {
    assert.deepEqual(parseAuthorizeCohort(text(valid)), {
      patientIds: [PATIENT_1, PATIENT_2],
      purpose: 'HRESCH',
      resourceTypes: ['Observation'],
      studyId: STUDY,
    });
  });

  void it('accepts a public-health cohort under its programme', () => {
    assert.deepEqual(parseAuthorizeCohort(text({ patientIds: [PATIENT_1], purpose: 'PUBHLTH', studyId: STUDY })), {
      patientIds: [PATIENT_1],
      purpose: 'PUBHLTH',
      resourceTypes: [],
      studyId: STUDY,
    });
  });

  void describe('rejections', () => {
    rejects(parseAuthorizeCohort, valid, [
      ['research without a study', { studyId: undefined }],
      ['public health without a programme', { purpose: 'PUBHLTH', studyId: undefined }],
      ['a purpose other than HRESCH or PUBHLTH', { purpose: 'TREAT' }],
      ['an empty cohort', { patientIds: [] }],
      ['a missing cohort', { patientIds: undefined }],
      ['more than 500 patients', { patientIds: Array.from({ length: 501 }, (_, i) => ledgerId('pt', i.toString(16))) }],
      ['a patient named instead of identified', { patientIds: ['Jane Doe'] }],
      ['an MRN and an SSN as patient ids', { patientIds: [MRN, SSN] }],
      ['a passport number as request id', { requestId: 'X12345678X' }],
      ['a cohort criterion in free text', { criteria: 'women over 50 with diabetes' }],
    ]);
  });
});

void describe('parseRequestAccess', () => {
  const valid: Json = {
    patientId: PATIENT,
    purpose: 'TREAT',
    resourceTypes: ['Observation'],
    sensitiveLabels: [{ system: ACT_CODE, code: 'PSY' }],
    periodEnd: '2025-12-31',
    reasonCode: 'referral',
    reasonHash: HEX_A,
  };

  void it('accepts a request with coded reasons only', () => {
    assert.deepEqual(parseRequestAccess(text(valid)), {
      patientId: PATIENT,
      purpose: 'TREAT',
      resourceTypes: ['Observation'],
      sensitiveLabels: [{ system: ACT_CODE, code: 'PSY' }],
      periodEnd: '2025-12-31',
      reasonCode: 'referral',
      reasonHash: HEX_A,
    });
  });

  void it('accepts every coded access reason', () => {
    // Written out, not taken from ACCESS_REASON_CODES: the test checks that list, so it repeats it on purpose.
    for (const reasonCode of [
      'referral',
      'continuity-of-care',
      'second-opinion',
      'payment-claim',
      'prior-authorization',
      'research-study',
      'public-health-report',
    ]) {
      assert.equal(parseRequestAccess(text({ ...valid, reasonCode })).reasonCode, reasonCode);
    }
  });

  void describe('rejections', () => {
    rejects(parseRequestAccess, valid, [
      ['a free-text reason code', { reasonCode: 'suspected HIV, please share' }],
      ['a missing reason code', { reasonCode: undefined }],
      ['a free-text reason', { reason: 'patient says she was assaulted' }],
      ['a reason hash that is not a SHA-256 digest', { reasonHash: 'patient asked' }],
      [
        'a confidentiality code among the sensitive labels',
        { sensitiveLabels: [{ system: CONFIDENTIALITY, code: 'R' }] },
      ],
      ['an unknown sensitivity code', { sensitiveLabels: [{ system: ACT_CODE, code: 'TBOO' }] }],
      ['a period end that is not a FHIR date', { periodEnd: 'next Friday' }],
      ['an unknown purpose', { purpose: 'MARKETING' }],
      ['an MRN as patient id', { patientId: MRN }],
      ['an MRN as study id', { studyId: MRN }],
    ]);
  });
});

void describe('parseRespondToAccessRequest', () => {
  const AR_1 = ledgerId('ar', '1');

  void it('accepts a bare approval or denial', () => {
    assert.deepEqual(parseRespondToAccessRequest(text({ requestId: AR_1, decision: 'approve' })), {
      requestId: AR_1,
      decision: 'approve',
    });
    assert.deepEqual(parseRespondToAccessRequest(text({ requestId: AR_1, decision: 'deny' })), {
      requestId: AR_1,
      decision: 'deny',
    });
  });

  void it('accepts a narrowed approval', () => {
    assert.deepEqual(
      parseRespondToAccessRequest(
        text({
          requestId: AR_1,
          decision: 'approve',
          resourceTypes: ['Observation'],
          sensitiveLabels: [],
          periodEnd: '2025-09-30T00:00:00Z',
        }),
      ),
      {
        requestId: AR_1,
        decision: 'approve',
        resourceTypes: ['Observation'],
        sensitiveLabels: [],
        periodEnd: '2025-09-30T00:00:00Z',
      },
    );
  });

  void describe('rejections', () => {
    rejects(parseRespondToAccessRequest, { requestId: AR_1, decision: 'approve' }, [
      ['an unknown decision', { decision: 'maybe' }],
      ['a comment to the requester', { comment: 'only the blood tests please, not my therapy notes' }],
      ['an invalid period end', { periodEnd: '2025-09-31' }],
      ['a confidentiality label', { sensitiveLabels: [{ system: CONFIDENTIALITY, code: 'V' }] }],
      ['an SSN as request id', { requestId: SSN }],
      ['a consent id as request id', { requestId: ledgerId('c', '1') }],
    ]);
  });
});

void describe('parseBreakGlass', () => {
  void it('accepts a hashed reason, defaulting the reason code to other', () => {
    assert.deepEqual(parseBreakGlass(text({ patientId: PATIENT, reasonHash: HEX_A })), {
      patientId: PATIENT,
      reasonHash: HEX_A,
      reasonCode: 'other',
    });
  });

  void it('accepts every coded emergency reason', () => {
    for (const reasonCode of ['unconscious-patient', 'life-threatening', 'urgent-care', 'other']) {
      assert.equal(parseBreakGlass(text({ patientId: PATIENT, reasonHash: HEX_A, reasonCode })).reasonCode, reasonCode);
    }
  });

  void describe('rejections', () => {
    rejects(parseBreakGlass, { patientId: PATIENT, reasonHash: HEX_A }, [
      ['a missing reason hash (the reason is required)', { reasonHash: undefined }],
      ['the reason itself instead of its hash', { reasonHash: 'unconscious after car accident' }],
      ['a free-text reason member', { reason: 'unconscious after car accident' }],
      ['an unknown reason code', { reasonCode: 'curiosity' }],
      ['an MRN as patient id', { patientId: MRN }],
    ]);
  });
});

void describe('parseReviewEmergency', () => {
  const EG_1 = ledgerId('eg', '1');

  void it('accepts a review with an optional note hash', () => {
    assert.deepEqual(parseReviewEmergency(text({ grantId: EG_1, patientId: PATIENT, outcome: 'justified' })), {
      grantId: EG_1,
      patientId: PATIENT,
      outcome: 'justified',
    });
    assert.deepEqual(
      parseReviewEmergency(text({ grantId: EG_1, patientId: PATIENT, outcome: 'unjustified', noteHash: HEX_B })),
      {
        grantId: EG_1,
        patientId: PATIENT,
        outcome: 'unjustified',
        noteHash: HEX_B,
      },
    );
  });

  void describe('rejections', () => {
    rejects(parseReviewEmergency, { grantId: EG_1, patientId: PATIENT, outcome: 'justified' }, [
      ['an unknown outcome', { outcome: 'pending' }],
      ['a free-text note', { note: 'Dr Lee looked up her ex-wife' }],
      ['a note hash that is not a digest', { noteHash: 'ok' }],
      ['a missing grant', { grantId: undefined }],
      ['a grant id that is not one the ledger issues', { grantId: 'g-1' }],
    ]);
  });
});

void describe('parseProposeStudy', () => {
  const valid: Json = { resourceTypes: ['Observation', 'Condition'], protocolHash: HEX_A, epsilonBudget: 1.5 };

  void it('accepts a study, defaulting the purpose to HRESCH', () => {
    assert.deepEqual(parseProposeStudy(text(valid)), {
      purpose: 'HRESCH',
      resourceTypes: ['Condition', 'Observation'],
      protocolHash: HEX_A,
      epsilonBudget: 1.5,
    });
  });

  void it('accepts a research specialisation and an end date', () => {
    const parsed = parseProposeStudy(text({ ...valid, purpose: 'CLINTRCH', periodEnd: '2027-01-01T00:00:00Z' }));
    assert.equal(parsed.purpose, 'CLINTRCH');
    assert.equal(parsed.periodEnd, '2027-01-01T00:00:00Z');
  });

  void it('accepts epsilon budgets in whole micro-epsilons', () => {
    for (const epsilonBudget of [0.000001, 0.333333, 1.5, 9.999999]) {
      assert.equal(parseProposeStudy(text({ ...valid, epsilonBudget })).epsilonBudget, epsilonBudget);
    }
  });

  void it('accepts the largest allowed epsilon budget', () => {
    assert.equal(
      parseProposeStudy(text({ ...valid, epsilonBudget: MAX_STUDY_EPSILON })).epsilonBudget,
      MAX_STUDY_EPSILON,
    );
  });

  void describe('rejections', () => {
    rejects(parseProposeStudy, valid, [
      ['a study without resource types', { resourceTypes: [] }],
      ['a study with no resource types member', { resourceTypes: undefined }],
      ['a zero epsilon budget', { epsilonBudget: 0 }],
      ['a negative epsilon budget', { epsilonBudget: -1 }],
      ['an epsilon budget above the maximum', { epsilonBudget: MAX_STUDY_EPSILON + 0.001 }],
      ['an epsilon budget given as a string', { epsilonBudget: '1' }],
      ['an epsilon budget finer than a micro-epsilon', { epsilonBudget: 0.3333333 }],
      ['an epsilon budget carrying a phone number in its decimals', { epsilonBudget: 1.5558704967 }],
      ['a non-research purpose', { purpose: 'TREAT' }],
      ['a protocol instead of its hash', { protocolHash: 'We will study diabetics at HospitalA' }],
      ['a free-text title', { title: 'Diabetes outcomes of Jane Doe and others' }],
    ]);
  });
});

void describe('toMicroEpsilon', () => {
  void it('converts epsilon to integer micro-units', () => {
    assert.equal(toMicroEpsilon(1), 1_000_000);
    assert.equal(toMicroEpsilon(1.5), 1_500_000);
    assert.equal(toMicroEpsilon(0.000001), 1);
    assert.equal(toMicroEpsilon(MAX_STUDY_EPSILON), 10_000_000);
  });

  void it('rounds away binary floating-point error', () => {
    assert.equal(toMicroEpsilon(0.1 + 0.2), 300_000);
    assert.ok(Number.isInteger(toMicroEpsilon(0.7)));
    assert.equal(toMicroEpsilon(0.7), 700_000);
  });
});
