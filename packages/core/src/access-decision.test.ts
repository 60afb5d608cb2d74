import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DENY_REASONS,
  decideRecordAccess,
  decideRecordWrite,
  isGrantActive,
  isStudyActive,
  roleMayAssert,
} from './access-decision.js';
import type { AccessInput, RecordDecision, WriteInput } from './access-decision.js';
import type { ConsentAction, Purpose, Role } from './codes.js';
import type { Requester } from './consent-evaluation.js';
import type { ConsentRecord } from './consent-model.js';
import type { EmergencyGrant, PatientRecord, StudyRecord } from './ledger-records.js';
import {
  ACT_CODE,
  CONFIDENTIALITY,
  DR_A,
  DR_B,
  exampleConsent,
  fact,
  INSURER,
  ircp,
  prov,
  RESEARCHER,
  stored,
  who,
} from './testing/fhir-fixtures.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const at = (iso: string): number => Date.parse(iso);

const PATIENT: PatientRecord = {
  id: 'p-7f3a',
  homeOrg: 'HospitalAMSP',
  registeredBy: 'Practitioner/admin-a',
  registeredAt: '2025-01-01T00:00:00Z',
  txId: 'tx-reg',
};

/** The roles of FHIR-CONVENTIONS §0, written out rather than taken from codes.ts (see the pre-check tests). */
const ROLES: readonly Role[] = [
  'patient',
  'clinician',
  'insurer',
  'researcher',
  'ethics',
  'public-health',
  'privacy-officer',
  'admin',
];

const PUBLIC_HEALTH = who('HealthAuthorityMSP', 'public-health', 'ph-1');
const PATIENT_SELF = who('HospitalAMSP', 'patient', 'u-p', 'p-7f3a');

/** §1.1 (a): HospitalB clinicians may read Observations for treatment until 2025-12-31 (OPTIN). */
const OPTIN_HOSPITAL_B = exampleConsent('a');

/** §1.1 (c): research opt-in. */
const OPTIN_RESEARCH = exampleConsent('c');

/** §1.1 (d): insurer payment access. */
const OPTIN_INSURER = exampleConsent('d');

/** §1.1 (e): opt out of treatment access by the home hospital. */
const OPTOUT_HOSPITAL_A = exampleConsent('e');

/** An objection to everything. */
const OPTOUT_ALL = stored('c-x', prov('deny'), 'OPTOUT');

const STUDY: StudyRecord = {
  id: 's-1',
  proposer: { mspId: 'ResearchMSP', role: 'researcher', uid: 'res-1' },
  purpose: 'HRESCH',
  resourceTypes: ['Condition', 'Observation'],
  protocolHash: 'a'.repeat(64),
  epsilonBudgetMicro: 1_000_000,
  epsilonSpentMicro: 0,
  status: 'approved',
  decidedBy: 'Practitioner/ethics-1',
  decidedAt: '2025-02-01T00:00:00Z',
  periodEnd: '2027-01-01T00:00:00Z',
  createdAt: '2025-01-15T00:00:00Z',
  txId: 'tx-study',
};

function grant(startedAt: string, expiresAt: string): EmergencyGrant {
  return {
    id: 'g-1',
    patientId: 'p-7f3a',
    clinician: { mspId: 'HospitalBMSP', role: 'clinician', uid: 'dr-b' },
    reasonHash: 'b'.repeat(64),
    reasonCode: 'unconscious-patient',
    startedAt,
    expiresAt,
    review: 'pending',
    txId: 'tx-grant',
  };
}

const ACTIVE_GRANT = grant('2025-06-01T11:00:00Z', '2025-06-01T15:00:00Z');

function input(requester: Requester, purpose: Purpose, parts: Partial<AccessInput> = {}): AccessInput {
  return { requester, patient: PATIENT, purpose, action: 'access', time: NOW, consents: [], ...parts };
}

function assertPermit(
  decision: RecordDecision,
  basis: string,
  consents: readonly string[] = [],
  grantId?: string,
): void {
  assert.deepEqual(decision, { permit: true, basis, consents, ...(grantId === undefined ? {} : { grantId }) });
}

function assertDeny(decision: RecordDecision, reason: string, consents: readonly string[] = []): void {
  assert.deepEqual(decision, { permit: false, reason, consents });
}

void describe('DENY_REASONS', () => {
  void it('uses the outcomeDesc text the conventions prescribe for a default deny', () => {
    assert.equal(DENY_REASONS.defaultDeny, 'no applicable consent: default deny');
  });

  void it('has distinct reasons', () => {
    const values = Object.values(DENY_REASONS);
    assert.equal(new Set(values).size, values.length);
  });
});

void describe('pre-check: the purposes each role may assert (FHIR-CONVENTIONS §0)', () => {
  // Written out from the conventions, not derived from ROLE_PURPOSES, ROLES or PURPOSES: the test checks codes.ts
  // against the table in the conventions, so it repeats that table on purpose.
  const ALLOWED: Record<Role, Purpose[]> = {
    patient: ['PATRQT'],
    clinician: ['TREAT', 'ETREAT'],
    insurer: ['HPAYMT'],
    researcher: ['HRESCH'],
    ethics: [],
    'public-health': ['PUBHLTH'],
    'privacy-officer': ['HOPERAT'],
    admin: ['HOPERAT'],
  };
  const PURPOSES: Purpose[] = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'PATRQT'];

  for (const role of ROLES) {
    for (const purpose of PURPOSES) {
      const allowed = ALLOWED[role].includes(purpose);
      void it(`${role} ${allowed ? 'may' : 'may not'} assert ${purpose}`, () => {
        assert.equal(roleMayAssert(role, purpose), allowed);
        // A permissive consent must not rescue a purpose the role may not assert.
        const permitAll = stored('c-all', prov('permit'), 'OPTOUT');
        const requester = who('HospitalAMSP', role, `u-${role}`, role === 'patient' ? 'p-7f3a' : undefined);
        const decision = decideRecordAccess(
          input(requester, purpose, {
            consents: [permitAll],
            action: purpose === 'PUBHLTH' ? 'use' : 'access',
            ...(role === 'patient' ? { callerPatientId: 'p-7f3a' } : {}),
          }),
          fact(),
        );
        if (allowed) {
          assert.notDeepEqual(decision, { permit: false, reason: DENY_REASONS.purposeNotAllowed, consents: [] });
        } else {
          assertDeny(decision, DENY_REASONS.purposeNotAllowed);
        }
      });
    }
  }
});

void describe('decideRecordAccess: a patient reading their own record (PATRQT)', () => {
  void it('permits the patient their own data', () => {
    assertPermit(decideRecordAccess(input(PATIENT_SELF, 'PATRQT', { callerPatientId: 'p-7f3a' }), fact()), 'own-data');
  });

  void it('is not consent-gated: even a blanket objection does not hide the patient’s own data', () => {
    const decision = decideRecordAccess(
      input(PATIENT_SELF, 'PATRQT', { callerPatientId: 'p-7f3a', consents: [OPTOUT_ALL] }),
      fact({ securityLabels: [{ system: ACT_CODE, code: 'HIV' }], custodian: 'HospitalBMSP' }),
    );
    assertPermit(decision, 'own-data');
  });

  void it('denies a patient another patient’s data', () => {
    const other = who('HospitalAMSP', 'patient', 'u-q', 'p-other');
    assertDeny(
      decideRecordAccess(input(other, 'PATRQT', { callerPatientId: 'p-other' }), fact()),
      DENY_REASONS.notOwnData,
    );
  });

  void it('denies a patient caller who is not a registered patient', () => {
    assertDeny(decideRecordAccess(input(PATIENT_SELF, 'PATRQT'), fact()), DENY_REASONS.notOwnData);
  });
});

void describe('decideRecordAccess: treatment (TREAT)', () => {
  void it('gives the home organisation’s clinicians implied access to records their organisation holds', () => {
    assertPermit(decideRecordAccess(input(DR_A, 'TREAT'), fact()), 'treatment-relationship');
  });

  void it('gives the home organisation no implied access to records another organisation holds', () => {
    assertDeny(decideRecordAccess(input(DR_A, 'TREAT'), fact({ custodian: 'HospitalBMSP' })), DENY_REASONS.defaultDeny);
  });

  void it('gives no implied access for actions other than access', () => {
    assertDeny(decideRecordAccess(input(DR_A, 'TREAT', { action: 'use' }), fact()), DENY_REASONS.defaultDeny);
    assertDeny(decideRecordAccess(input(DR_A, 'TREAT', { action: 'disclose' }), fact()), DENY_REASONS.defaultDeny);
  });

  void it('lets an OPTOUT deny consent restrict the home organisation', () => {
    assertDeny(
      decideRecordAccess(input(DR_A, 'TREAT', { consents: [OPTOUT_HOSPITAL_A] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-e/_history/1'],
    );
  });

  void it('does not let an OPTIN consent for another organisation restrict the home organisation', () => {
    assertPermit(
      decideRecordAccess(input(DR_A, 'TREAT', { consents: [OPTIN_HOSPITAL_B, OPTIN_INSURER] }), fact()),
      'treatment-relationship',
    );
  });

  void it('ignores a revoked objection', () => {
    const revoked = { ...OPTOUT_HOSPITAL_A, status: 'inactive' as const, version: 2 };
    assertPermit(decideRecordAccess(input(DR_A, 'TREAT', { consents: [revoked] }), fact()), 'treatment-relationship');
  });

  void it('denies a clinician of another organisation without a consent', () => {
    assertDeny(decideRecordAccess(input(DR_B, 'TREAT'), fact()), DENY_REASONS.defaultDeny);
    // even for records their own organisation holds: the patient's home is HospitalA
    assertDeny(decideRecordAccess(input(DR_B, 'TREAT'), fact({ custodian: 'HospitalBMSP' })), DENY_REASONS.defaultDeny);
  });

  void it('permits a clinician of another organisation what a consent permits', () => {
    assertPermit(decideRecordAccess(input(DR_B, 'TREAT', { consents: [OPTIN_HOSPITAL_B] }), fact()), 'consent', [
      'Consent/c-a/_history/1',
    ]);
  });

  void it('denies a clinician of another organisation what the consent does not cover', () => {
    const consents = [OPTIN_HOSPITAL_B];
    assertDeny(
      decideRecordAccess(input(DR_B, 'TREAT', { consents }), fact({ resourceType: 'Condition' })),
      DENY_REASONS.defaultDeny,
    );
    assertDeny(
      decideRecordAccess(input(DR_B, 'TREAT', { consents, time: at('2026-01-01T00:00:00Z') }), fact()),
      DENY_REASONS.defaultDeny,
    );
  });

  void it('lets a deny in any consent beat a permit in another', () => {
    const denyB = stored('c-nob', prov('deny', { actor: [ircp('Organization/HospitalBMSP')] }), 'OPTOUT');
    assertDeny(
      decideRecordAccess(input(DR_B, 'TREAT', { consents: [OPTIN_HOSPITAL_B, denyB] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-nob/_history/1'],
    );
  });

  void it('denies records with no type or no custodian', () => {
    assertDeny(decideRecordAccess(input(DR_A, 'TREAT'), fact({ resourceType: '' })), DENY_REASONS.defaultDeny);
    assertDeny(decideRecordAccess(input(DR_A, 'TREAT'), fact({ custodian: '' })), DENY_REASONS.defaultDeny);
  });
});

void describe('decideRecordAccess: break-glass (ETREAT)', () => {
  void it('permits through a consent that permits ETREAT, without needing a grant', () => {
    const emergency = stored('c-em', prov('deny', { provision: [prov('permit', { purpose: ['ETREAT'] })] }), 'OPTIN');
    assertPermit(decideRecordAccess(input(DR_B, 'ETREAT', { consents: [emergency] }), fact()), 'consent', [
      'Consent/c-em/_history/1',
    ]);
  });

  void it('permits under an active grant, naming the grant', () => {
    assertPermit(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: ACTIVE_GRANT }), fact()),
      'emergency-grant',
      [],
      'g-1',
    );
  });

  void it('lets an active grant override a deny consent', () => {
    for (const consents of [
      [OPTOUT_ALL],
      [stored('c-nob', prov('deny', { actor: [ircp('Organization/HospitalBMSP')] }), 'OPTOUT')],
    ]) {
      assertPermit(
        decideRecordAccess(input(DR_B, 'ETREAT', { consents, emergencyGrant: ACTIVE_GRANT }), fact()),
        'emergency-grant',
        [],
        'g-1',
      );
    }
  });

  void it('covers sensitive data and records held by other organisations under a grant', () => {
    const record = fact({ custodian: 'HospitalBMSP', securityLabels: [{ system: CONFIDENTIALITY, code: 'V' }] });
    assertPermit(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: ACTIVE_GRANT }), record),
      'emergency-grant',
      [],
      'g-1',
    );
  });

  void it('falls back to the normal decision when the grant has expired', () => {
    const expired = grant('2025-06-01T07:00:00Z', '2025-06-01T11:00:00Z');
    assertDeny(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: expired }), fact()),
      DENY_REASONS.defaultDeny,
    );
    assertDeny(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: expired, consents: [OPTOUT_ALL] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-x/_history/1'],
    );
  });

  void it('denies without a grant or a consent, even for the home organisation', () => {
    assertDeny(decideRecordAccess(input(DR_B, 'ETREAT'), fact()), DENY_REASONS.defaultDeny);
    assertDeny(decideRecordAccess(input(DR_A, 'ETREAT'), fact()), DENY_REASONS.defaultDeny);
  });

  void it('rejects ETREAT from any role but clinician in the pre-check, grant or not', () => {
    for (const requester of [INSURER, RESEARCHER, PUBLIC_HEALTH, who('HospitalAMSP', 'admin', 'adm')]) {
      assertDeny(
        decideRecordAccess(input(requester, 'ETREAT', { emergencyGrant: ACTIVE_GRANT }), fact()),
        DENY_REASONS.purposeNotAllowed,
      );
    }
  });
});

void describe('isGrantActive', () => {
  void it('is active from its start and up to, not including, its expiry', () => {
    assert.equal(isGrantActive(ACTIVE_GRANT, at('2025-06-01T10:59:59.999Z')), false);
    assert.equal(isGrantActive(ACTIVE_GRANT, at('2025-06-01T11:00:00.000Z')), true);
    assert.equal(isGrantActive(ACTIVE_GRANT, at('2025-06-01T14:59:59.999Z')), true);
    assert.equal(isGrantActive(ACTIVE_GRANT, at('2025-06-01T15:00:00.000Z')), false);
  });

  void it('is not active when there is no grant', () => {
    assert.equal(isGrantActive(undefined, NOW), false);
  });

  void it('is not active once the patient ended it, though it has not expired', () => {
    const ended: EmergencyGrant = {
      ...ACTIVE_GRANT,
      endedAt: '2025-06-01T12:00:00Z',
      endedBy: 'Patient/p-7f3a',
      endReason: 'revoked-by-patient',
    };
    assert.equal(isGrantActive(ended, at('2025-06-01T12:30:00.000Z')), false);
    assert.equal(isGrantActive(ACTIVE_GRANT, at('2025-06-01T12:30:00.000Z')), true);
  });
});

void describe('decideRecordAccess: a break-glass grant the patient ended', () => {
  void it('falls back to the consent decision: denied by the objection, default deny without one', () => {
    const ended: EmergencyGrant = { ...ACTIVE_GRANT, endedAt: '2025-06-01T11:30:00Z', endReason: 'revoked-by-patient' };
    assertPermit(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: ACTIVE_GRANT }), fact()),
      'emergency-grant',
      [],
      'g-1',
    );
    assertDeny(decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: ended }), fact()), DENY_REASONS.defaultDeny);
    assertDeny(
      decideRecordAccess(input(DR_B, 'ETREAT', { emergencyGrant: ended, consents: [OPTOUT_ALL] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-x/_history/1'],
    );
  });
});

void describe('decideRecordAccess: insurer (HPAYMT)', () => {
  void it('permits what the payment consent lists', () => {
    assertPermit(
      decideRecordAccess(input(INSURER, 'HPAYMT', { consents: [OPTIN_INSURER] }), fact({ resourceType: 'Claim' })),
      'consent',
      ['Consent/c-d/_history/1'],
    );
  });

  void it('denies by default: without a consent, or for types the consent does not list', () => {
    assertDeny(decideRecordAccess(input(INSURER, 'HPAYMT'), fact({ resourceType: 'Claim' })), DENY_REASONS.defaultDeny);
    assertDeny(
      decideRecordAccess(input(INSURER, 'HPAYMT', { consents: [OPTIN_INSURER] }), fact()),
      DENY_REASONS.defaultDeny,
    );
  });

  void it('has no implied access to records its own organisation holds', () => {
    assertDeny(
      decideRecordAccess(input(INSURER, 'HPAYMT'), fact({ resourceType: 'Claim', custodian: 'InsurerMSP' })),
      DENY_REASONS.defaultDeny,
    );
  });
});

void describe('decideRecordAccess: research (HRESCH)', () => {
  const research = (parts: Partial<AccessInput> = {}): AccessInput =>
    input(RESEARCHER, 'HRESCH', { action: 'use', study: STUDY, consents: [OPTIN_RESEARCH], ...parts });

  void it('permits in-scope data of consenting patients under an approved study of the researcher’s organisation', () => {
    assertPermit(decideRecordAccess(research(), fact()), 'consent', ['Consent/c-c/_history/1']);
  });

  void it('denies without a study', () => {
    assertDeny(decideRecordAccess(research({ study: undefined }), fact()), DENY_REASONS.studyNotApproved);
  });

  void it('denies under a study that ethics has not approved', () => {
    for (const status of ['proposed', 'rejected'] as const) {
      assertDeny(decideRecordAccess(research({ study: { ...STUDY, status } }), fact()), DENY_REASONS.studyNotApproved);
    }
  });

  void it('denies under a study another organisation proposed', () => {
    const foreign = { ...STUDY, proposer: { mspId: 'HospitalAMSP', role: 'researcher' as const, uid: 'res-a' } };
    assertDeny(decideRecordAccess(research({ study: foreign }), fact()), DENY_REASONS.studyNotApproved);
  });

  void it('denies after the study has ended', () => {
    assertDeny(
      decideRecordAccess(research({ time: at('2027-01-01T00:00:00.001Z') }), fact()),
      DENY_REASONS.studyNotApproved,
    );
  });

  void it('denies resource types outside the study, even where the consent would permit them', () => {
    assertDeny(
      decideRecordAccess(research(), fact({ resourceType: 'MedicationStatement' })),
      DENY_REASONS.outsideStudyScope,
    );
  });

  void it('denies by default in scope but without consent', () => {
    assertDeny(decideRecordAccess(research({ consents: [] }), fact()), DENY_REASONS.defaultDeny);
  });

  void it('excludes restricted data the consent carves out', () => {
    const restricted = fact({ securityLabels: [{ system: ACT_CODE, code: 'PSY' }] });
    assertDeny(decideRecordAccess(research(), restricted), DENY_REASONS.defaultDeny);
  });

  void it('honours an explicit objection to research', () => {
    const noResearch = stored('c-nr', prov('deny', { purpose: ['HRESCH'] }), 'OPTOUT');
    assertDeny(
      decideRecordAccess(research({ consents: [OPTIN_RESEARCH, noResearch] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-nr/_history/1'],
    );
  });
});

void describe('isStudyActive', () => {
  void it('is active when approved and not past its end (full instant)', () => {
    assert.equal(isStudyActive(STUDY, at('2027-01-01T00:00:00.000Z')), true);
    assert.equal(isStudyActive(STUDY, at('2027-01-01T00:00:00.001Z')), false);
  });

  void it('is active without an end', () => {
    assert.equal(isStudyActive({ ...STUDY, periodEnd: undefined }, at('2099-01-01T00:00:00Z')), true);
  });

  void it('is not active when not approved or absent', () => {
    assert.equal(isStudyActive({ ...STUDY, status: 'proposed' }, NOW), false);
    assert.equal(isStudyActive(undefined, NOW), false);
  });
});

void describe('decideRecordAccess: public health (PUBHLTH)', () => {
  void it('never gives public health single records (access is aggregate only)', () => {
    assertDeny(decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH'), fact()), DENY_REASONS.aggregateOnly);
    const permitAll = stored('c-all', prov('permit'), 'OPTOUT');
    assertDeny(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { consents: [permitAll] }), fact()),
      DENY_REASONS.aggregateOnly,
    );
  });

  void it('permits aggregate use of everyone who has not objected', () => {
    assertPermit(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { action: 'use' }), fact()),
      'public-health-aggregate',
    );
  });

  void it('is not blocked by OPTIN consents for other recipients', () => {
    const consents = [OPTIN_HOSPITAL_B, OPTIN_RESEARCH, OPTIN_INSURER];
    assertPermit(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { action: 'use', consents }), fact()),
      'public-health-aggregate',
    );
  });

  void it('excludes a patient who opted out', () => {
    const noPublicHealth = stored('c-nph', prov('deny', { purpose: ['PUBHLTH'] }), 'OPTOUT');
    assertDeny(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { action: 'use', consents: [noPublicHealth] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-nph/_history/1'],
    );
    assertDeny(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { action: 'use', consents: [OPTOUT_ALL] }), fact()),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-x/_history/1'],
    );
  });

  void it('names the consent when one explicitly permits the use', () => {
    const yes = stored('c-ph', prov('permit', { purpose: ['PUBHLTH'] }), 'OPTOUT');
    assertPermit(
      decideRecordAccess(input(PUBLIC_HEALTH, 'PUBHLTH', { action: 'use', consents: [yes] }), fact()),
      'consent',
      ['Consent/c-ph/_history/1'],
    );
  });
});

void describe('decideRecordAccess: operations (HOPERAT)', () => {
  for (const role of ['privacy-officer', 'admin'] as const) {
    void it(`never lets a ${role} read clinical data, whatever the consents`, () => {
      const permitAll = stored('c-all', prov('permit'), 'OPTOUT');
      for (const action of ['access', 'use'] as ConsentAction[]) {
        assertDeny(
          decideRecordAccess(
            input(who('HospitalAMSP', role, `u-${role}`), 'HOPERAT', { action, consents: [permitAll] }),
            fact(),
          ),
          DENY_REASONS.noClinicalAccess,
        );
      }
    });
  }
});

void describe('decideRecordWrite', () => {
  const write = (requester: Requester, consents: ConsentRecord[] = []): WriteInput => ({
    requester,
    patient: PATIENT,
    time: NOW,
    consents,
  });

  void it('lets a clinician of the home organisation register a record', () => {
    assertPermit(decideRecordWrite(write(DR_A), fact()), 'treatment-relationship');
  });

  void it('lets only clinicians register records', () => {
    for (const role of ROLES.filter((role) => role !== 'clinician')) {
      assertDeny(
        decideRecordWrite(write(who('HospitalAMSP', role, `u-${role}`)), fact()),
        DENY_REASONS.purposeNotAllowed,
      );
    }
  });

  void it('denies a clinician of another organisation without a consent', () => {
    assertDeny(decideRecordWrite(write(DR_B), fact({ custodian: 'HospitalBMSP' })), DENY_REASONS.defaultDeny);
  });

  void it('permits a clinician of another organisation under a consent permitting collect', () => {
    const collect = stored(
      'c-col',
      prov('permit', { actor: [ircp('Organization/HospitalBMSP')], action: ['collect'] }),
      'OPTOUT',
    );
    assertPermit(decideRecordWrite(write(DR_B, [collect]), fact({ custodian: 'HospitalBMSP' })), 'consent', [
      'Consent/c-col/_history/1',
    ]);
  });

  void it('permits a clinician of another organisation under a consent permitting treatment access to the record', () => {
    assertPermit(decideRecordWrite(write(DR_B, [OPTIN_HOSPITAL_B]), fact({ custodian: 'HospitalBMSP' })), 'consent', [
      'Consent/c-a/_history/1',
    ]);
    assertDeny(
      decideRecordWrite(
        write(DR_B, [OPTIN_HOSPITAL_B]),
        fact({ resourceType: 'Condition', custodian: 'HospitalBMSP' }),
      ),
      DENY_REASONS.defaultDeny,
    );
  });

  void it('denies a clinician of another organisation the patient objected to', () => {
    const denyB = stored('c-nob', prov('deny', { actor: [ircp('Organization/HospitalBMSP')] }), 'OPTOUT');
    assertDeny(
      decideRecordWrite(write(DR_B, [OPTIN_HOSPITAL_B, denyB]), fact({ custodian: 'HospitalBMSP' })),
      DENY_REASONS.deniedByConsent,
      ['Consent/c-nob/_history/1'],
    );
  });
});
