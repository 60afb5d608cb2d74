/**
 * Authorization matrix: every role × every transaction × the consent states that matter, with the expected outcome.
 *
 * The expectations come from the rules, not from the code: FHIR-CONVENTIONS §0/§2, docs/consent-evaluation.md (cited
 * as §n), the transaction table in packages/chaincode/README.md and DESIGN principle 7 ("forbidden and nonexistent look
 * the same"). Where the rules decide whether a refusal is an error at all they are followed; where they leave open
 * whether a refused caller hears ACCESS_DENIED or NOT_FOUND, the table pins the contract's declared choice, and the
 * runner checks what principle 7 requires: the same caller naming an id that does not exist gets the same code.
 *
 * Each row runs in a fresh ledger (the test CAs are shared, since issuing certificates is the slow part):
 *   - the patient `pat-p` and another patient `pat-q`, both enrolled at HospitalAMSP (their home organisation);
 *   - the target record: an HIV-labelled Observation of pat-p, written by dr-a, so held by HospitalAMSP;
 *   - then the row's state, then the row's transaction as the row's caller.
 *
 * Callers (`as`): patient (pat-p) · other-patient (pat-q) · clinician-home (HospitalAMSP) · clinician-other-org
 * (HospitalBMSP) · insurer (InsurerMSP) · researcher, ethics (ResearchMSP) · public-health (HealthAuthorityMSP) ·
 * po-home, po-other-org (privacy officers of HospitalAMSP, HospitalBMSP) · admin-home (HospitalAMSP).
 *
 * Consent states. A consent "names the caller" as its certificate identity: `Patient/{id}` for patients,
 * `Organization/{MSP}` for insurers, researchers and public health (§7: they work as organisations),
 * `Group/{MSP}-{role}` for everyone else. Its purpose is the row's purpose (TREAT when there is none); its action is
 * `access` and `use` for the read gates (so the row isolates the rule under test), `collect` for RegisterRecord(s), and
 * `access` otherwise.
 *   none                       no consent
 *   active permit              the patient's OPTIN consent: root deny, one permit child naming the caller
 *   permit + deny HIV          the same with a sibling deny child on the HIV label, which covers the target record
 *   expired                    the permit child's period ends 2025-03-01T12:00Z; the row runs the next day
 *   revoked                    active permit, then RevokeConsent
 *   other patient              the active permit, but granted by pat-q about pat-q
 *   other org                  the active permit, naming another organisation (HospitalBMSP, or InsurerMSP when the
 *                              caller is of HospitalBMSP)
 *   objection                  an OPTOUT consent whose root deny names the caller for the purpose (example (e))
 *   emergency active           the caller (a clinician) broke the glass for the patient just before
 *   emergency expired          the same, and the row runs 4 h 1 min after the grant started (default duration 4 h)
 *   emergency, other clinician the other clinician broke the glass, not the caller
 *   objection + emergency      both
 *   permit, study unapproved   active permit, but the study is only proposed
 * HRESCH rows run under a study of ResearchMSP over Observations, approved by ethics unless the state says otherwise.
 *
 * Outcomes. `allow`: the transaction succeeds (read gates: the target record is returned; AuthorizeCohort: the
 * patient is a member; lists: the item under test is listed). `deny` with a DomainError code: the transaction throws it
 * (message `[CODE] …`). `deny` with `withheld`: it succeeds without the item (a read-gate refusal is an empty result,
 * §6). The read gates must also have written the audit event, outcome 0 or 8, in both cases.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import type {
  AccessRequestRecord,
  AuditRecord,
  ConsentRecord,
  EmergencyGrant,
  ErrorCode,
  Purpose,
  RecordMetadata,
  Role,
  StudyRecord,
} from '@medledger/core';
import { createContractHarness } from '../testing/contract-harness.js';
import type { ContractHarness } from '../testing/contract-harness.js';
import { consentResource, fhir, sha256, testRecordId } from '../testing/medledger-fixture.js';
import { createTestNetwork } from '../testing/test-ca.js';
import type { TestIdentity } from '../testing/test-ca.js';
import type { AuthorizeAccessResult } from '@medledger/core';
import type { AuthorizeCohortResult } from './access.js';
import type { AuditMigrationResult } from './audit-migration.js';
import { MedledgerContract } from './medledger-contract.js';

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary of the table
// ---------------------------------------------------------------------------------------------------------------

const CALLERS = {
  // Patient certificates carry pseudonymous uids (see testPatientUid).
  patient: { mspId: 'HospitalAMSP', role: 'patient', uid: 'pu-9e2f3a0c5b7d41e8a6c2f0b1d3e5a7c9' },
  'other-patient': { mspId: 'HospitalAMSP', role: 'patient', uid: 'pu-1b4d6f8a0c2e4a6b8d0f2a4c6e8b0d2f' },
  'clinician-home': { mspId: 'HospitalAMSP', role: 'clinician', uid: 'dr-a' },
  'clinician-other-org': { mspId: 'HospitalBMSP', role: 'clinician', uid: 'dr-b' },
  insurer: { mspId: 'InsurerMSP', role: 'insurer', uid: 'ins-1' },
  researcher: { mspId: 'ResearchMSP', role: 'researcher', uid: 'res-1' },
  ethics: { mspId: 'ResearchMSP', role: 'ethics', uid: 'irb-1' },
  'public-health': { mspId: 'HealthAuthorityMSP', role: 'public-health', uid: 'ph-1' },
  'po-home': { mspId: 'HospitalAMSP', role: 'privacy-officer', uid: 'po-a' },
  'po-other-org': { mspId: 'HospitalBMSP', role: 'privacy-officer', uid: 'po-b' },
  'admin-home': { mspId: 'HospitalAMSP', role: 'admin', uid: 'adm-a' },
} as const satisfies Record<string, { mspId: string; role: Role; uid: string }>;
type Caller = keyof typeof CALLERS;

/** The contract's 28 transactions, in the order of the chaincode README. */
const TRANSACTIONS = [
  'RegisterPatient',
  'WhoAmI',
  'RegisterRecord',
  'RegisterRecords',
  'GetRecordMetadata',
  'EraseRecord',
  'PutConsent',
  'RevokeConsent',
  'GetMyConsents',
  'GetConsentHistory',
  'ListPatientsSharingWithMe',
  'RequestAccess',
  'RespondToAccessRequest',
  'ListAccessRequests',
  'BreakGlass',
  'RevokeEmergencyAccess',
  'GetMyEmergencyGrants',
  'ReviewEmergencyAccess',
  'ListPendingEmergencyReviews',
  'SetEmergencyPolicy',
  'AuthorizeAccess',
  'AuthorizeCohort',
  'GetAuditTrail',
  'MigrateAuditIndexes',
  'ProposeStudy',
  'DecideStudy',
  'SpendPrivacyBudget',
  'GetStudy',
] as const;
type TxName = (typeof TRANSACTIONS)[number];

type State =
  // consent and emergency states (see the header)
  | 'none'
  | 'active permit'
  | 'permit + deny HIV'
  | 'expired'
  | 'revoked'
  | 'other patient'
  | 'other org'
  | 'objection'
  | 'emergency active'
  | 'emergency expired'
  | 'emergency, other clinician'
  | 'objection + emergency'
  | 'emergency revoked' // the caller broke the glass, then the patient ended the grant early
  | 'permit, study unapproved'
  // scenarios of the other transactions
  | '—' // nothing beyond the two patients and the target record
  | 'no request hash' // EraseRecord without patientRequestHash
  | 'no reason' // BreakGlass without reasonHash
  | 'request pending' // clinician-other-org asked the patient for TREAT access
  | 'request expired' // ... and the patient answers 8 days later (requests expire after 7)
  | 'grant of home dr' // clinician-home broke the glass for the patient
  | 'grant of other-org dr' // clinician-other-org broke the glass for the patient
  | 'grant reviewed' // ... and po-home already reviewed it
  | 'grant ended' // ... and the patient already ended it (RevokeEmergencyAccess)
  | 'study proposed' // researcher proposed a study
  | 'study approved' // ... and ethics approved it
  | 'accessed by other org' // clinician-other-org called AuthorizeAccess for the patient (an event involving it)
  | 'batch names target'; // RegisterRecords whose second record has the id of the (existing) target record

interface Row {
  readonly tx: TxName;
  readonly purpose: Purpose | '—';
  readonly state: State;
  readonly as: Caller;
  readonly expect: 'allow' | 'deny';
  /** For `deny`: the DomainError code, or `withheld` when the transaction succeeds without the item under test. */
  readonly code?: ErrorCode | 'withheld';
}

// ---------------------------------------------------------------------------------------------------------------
// The matrix. Each block is formatted by hand as a spreadsheet (one row per line, aligned columns, a comment where
// the rule is not obvious); `prettier-ignore` keeps prettier from re-wrapping the rows.
// ---------------------------------------------------------------------------------------------------------------

// prettier-ignore
const PATIENTS: readonly Row[] = [
  // RegisterPatient {patientUid: <the patient's uid>}: clinician/admin (for a patient of their org) or the patient themself.
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'patient',             expect: 'allow' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' }, // a patient may register only themself
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'clinician-home',      expect: 'allow' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'clinician-other-org', expect: 'allow' },                       // binds the uid at HospitalBMSP's CA: another person
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterPatient', purpose: '—', state: '—', as: 'admin-home',          expect: 'allow' },
  // WhoAmI: anyone.
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'patient',             expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'other-patient',       expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'clinician-home',      expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'clinician-other-org', expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'insurer',             expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'researcher',          expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'ethics',              expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'public-health',       expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'po-home',             expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'po-other-org',        expect: 'allow' },
  { tx: 'WhoAmI',          purpose: '—', state: '—', as: 'admin-home',          expect: 'allow' },
];

// prettier-ignore
const RECORDS: readonly Row[] = [
  // RegisterRecord (an HIV-labelled Observation for the patient): a clinician of the home org, or one holding a consent
  // that permits `collect` (or treatment access) for the record (consent-evaluation §5 "Writes"). The states' consents
  // permit `collect` for TREAT.
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'clinician-home',      expect: 'allow' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'objection',         as: 'clinician-home',      expect: 'allow' },                          // writes: the home org's clinicians, whatever the consents
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'active permit',     as: 'clinician-other-org', expect: 'allow' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'permit + deny HIV', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'expired',           as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'revoked',           as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'other patient',     as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'other org',         as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'emergency active',  as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },    // break-glass grants reads (ETREAT), not writes
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'active permit',     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },    // only clinicians write, even when named
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecord',    purpose: 'TREAT', state: 'none',              as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // RegisterRecords {records: [a plain Observation, the HIV-labelled Observation]} for the patient: RegisterRecord for
  // each record in one transaction, all or nothing. A refusal of either record refuses the batch, with that record's
  // code; a refused batch writes nothing.
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'clinician-home',      expect: 'allow' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'objection',         as: 'clinician-home',      expect: 'allow' },                          // writes: the home org's clinicians, whatever the consents
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'active permit',     as: 'clinician-other-org', expect: 'allow' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'permit + deny HIV', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'expired',           as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'revoked',           as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'other patient',     as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'other org',         as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'emergency active',  as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },    // break-glass grants reads (ETREAT), not writes
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'active permit',     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },    // only clinicians write, even when named
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'none',              as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'batch names target', as: 'clinician-home',     expect: 'deny', code: 'ALREADY_EXISTS' },
  { tx: 'RegisterRecords',   purpose: 'TREAT', state: 'batch names target', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },  // permission before existence: no hint that the id exists
  // GetRecordMetadata {recordId: target}: the patient, the custodian org (HospitalAMSP). Others: as if missing (principle 7).
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'patient',             expect: 'allow' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },        // a patient enrolled at HospitalA is not "the custodian org"
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'clinician-home',      expect: 'allow' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: 'TREAT', state: 'active permit',     as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },        // a read consent is for AuthorizeAccess, not metadata
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'researcher',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'po-home',             expect: 'allow' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetRecordMetadata', purpose: '—',     state: '—',                 as: 'admin-home',          expect: 'allow' },
  // EraseRecord {recordId: target, patientRequestHash (except for patients)}: the patient; the custodian's privacy
  // officer or admin with the request hash.
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'patient',             expect: 'allow' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'researcher',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'po-home',             expect: 'allow' },
  { tx: 'EraseRecord',       purpose: '—',     state: 'no request hash',   as: 'po-home',             expect: 'deny', code: 'INVALID_ARGUMENT' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'EraseRecord',       purpose: '—',     state: '—',                 as: 'admin-home',          expect: 'allow' },
  { tx: 'EraseRecord',       purpose: '—',     state: 'no request hash',   as: 'admin-home',          expect: 'deny', code: 'INVALID_ARGUMENT' },
];

// prettier-ignore
const CONSENTS: readonly Row[] = [
  // PutConsent (a consent about the patient): the patient themself.
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'patient',             expect: 'allow' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'PutConsent',        purpose: '—', state: '—',             as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // RevokeConsent {consentId} of the patient's consent naming the caller: the patient.
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'patient',             expect: 'allow' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'revoked',       as: 'patient',             expect: 'deny', code: 'CONSENT_NOT_ACTIVE' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeConsent',     purpose: '—', state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // GetMyConsents: the patient (own consents only).
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'patient',             expect: 'allow' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyConsents',     purpose: '—', state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // GetConsentHistory {consentId}: the patient; every version stays readable after a revoke.
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'patient',             expect: 'allow' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'revoked',       as: 'patient',             expect: 'allow' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetConsentHistory', purpose: '—', state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // ListPatientsSharingWithMe: clinicians; the patient is listed while an active treatment permit names the caller.
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'none',              as: 'clinician-home',      expect: 'deny', code: 'withheld' },    // own-org patients are found by name, not here
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'clinician-home',      expect: 'allow' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'none',              as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'clinician-other-org', expect: 'allow' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'permit + deny HIV', as: 'clinician-other-org', expect: 'allow' },                          // something is still shared
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'expired',           as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'revoked',           as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'other patient',     as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'other org',         as: 'clinician-other-org', expect: 'deny', code: 'withheld' },    // a consent naming someone else is not read
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'objection',         as: 'clinician-other-org', expect: 'deny', code: 'withheld' },    // a deny naming the caller shares nothing
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'emergency active',  as: 'clinician-other-org', expect: 'deny', code: 'withheld' },    // break-glass is not a consent
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPatientsSharingWithMe', purpose: '—', state: 'active permit',     as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
];

// prettier-ignore
const ACCESS_REQUESTS: readonly Row[] = [
  // RequestAccess {patientId, purpose}: clinician (TREAT), insurer (HPAYMT), researcher (HRESCH + approved study).
  { tx: 'RequestAccess',          purpose: 'PATRQT',  state: '—',               as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'PATRQT',  state: '—',               as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'TREAT',   state: '—',               as: 'clinician-home',      expect: 'allow' },
  { tx: 'RequestAccess',          purpose: 'TREAT',   state: '—',               as: 'clinician-other-org', expect: 'allow' },
  { tx: 'RequestAccess',          purpose: 'ETREAT',  state: '—',               as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },      // ETREAT goes through BreakGlass
  { tx: 'RequestAccess',          purpose: 'HPAYMT',  state: '—',               as: 'insurer',             expect: 'allow' },
  { tx: 'RequestAccess',          purpose: 'TREAT',   state: '—',               as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'HRESCH',  state: 'study approved',  as: 'researcher',          expect: 'allow' },
  { tx: 'RequestAccess',          purpose: 'HRESCH',  state: 'study proposed',  as: 'researcher',          expect: 'deny', code: 'STUDY_NOT_APPROVED' },
  { tx: 'RequestAccess',          purpose: 'HRESCH',  state: 'study approved',  as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'PUBHLTH', state: '—',               as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'HOPERAT', state: '—',               as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'HOPERAT', state: '—',               as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RequestAccess',          purpose: 'HOPERAT', state: '—',               as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // RespondToAccessRequest {requestId, decision: approve} of clinician-other-org's TREAT request: the patient.
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'patient',             expect: 'allow' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request expired', as: 'patient',             expect: 'deny', code: 'REQUEST_EXPIRED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },      // the requester cannot approve itself
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RespondToAccessRequest', purpose: '—',       state: 'request pending', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // ListAccessRequests: the patient sees requests to them, a requester their own; the pending request is hidden from others.
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'patient',             expect: 'allow' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'clinician-other-org', expect: 'allow' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'ListAccessRequests',     purpose: '—',       state: 'request pending', as: 'admin-home',          expect: 'deny', code: 'withheld' },
];

// prettier-ignore
const EMERGENCY: readonly Row[] = [
  // BreakGlass {patientId, reasonHash}: clinicians; the reason is required.
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'clinician-home',      expect: 'allow' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'clinician-other-org', expect: 'allow' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: 'no reason',             as: 'clinician-other-org', expect: 'deny', code: 'INVALID_ARGUMENT' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'BreakGlass',                  purpose: 'ETREAT', state: '—',                     as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // RevokeEmergencyAccess {grantId} of clinician-other-org's grant: only the patient it is about ends it early; a reviewed
  // grant can still be ended, an ended one not again. The grant is looked up under the caller's own patient id.
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'patient',             expect: 'allow' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of home dr',      as: 'patient',             expect: 'allow' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant reviewed',        as: 'patient',             expect: 'allow' },                         // the review does not end the grant
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant ended',           as: 'patient',             expect: 'deny', code: 'CONFLICT' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },    // the clinician cannot end (or hide) their own grant
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },    // officers review; the patient decides
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'RevokeEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // GetMyEmergencyGrants: the patient sees the grants on their own data.
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'patient',             expect: 'allow' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant ended',           as: 'patient',             expect: 'allow' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetMyEmergencyGrants',        purpose: '—',      state: 'grant of other-org dr', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // ReviewEmergencyAccess {grantId, patientId, outcome}: a privacy officer of the patient's home org (the custodian). Others: as if missing.
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'patient',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },        // nobody reviews their own break-glass
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'researcher',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'po-home',             expect: 'allow' },                         // the custodian's privacy officer reviews
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },        // not the org under review
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant reviewed',        as: 'po-home',             expect: 'deny', code: 'CONFLICT' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of other-org dr', as: 'admin-home',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of home dr',      as: 'po-home',             expect: 'allow' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant of home dr',      as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'ReviewEmergencyAccess',       purpose: '—',      state: 'grant ended',           as: 'po-home',             expect: 'allow' },                         // ending it early does not skip the review
  // ListPendingEmergencyReviews: privacy officers, their own org's queue (break-glass on its patients).
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'po-home',             expect: 'allow' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of other-org dr', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of home dr',      as: 'po-home',             expect: 'allow' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant of home dr',      as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'ListPendingEmergencyReviews', purpose: '—',      state: 'grant ended',           as: 'po-home',             expect: 'allow' },                         // still queued after the patient ended it
  // SetEmergencyPolicy {durationMinutes: 60}: an admin, for their own org.
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'SetEmergencyPolicy',          purpose: '—',      state: '—',                     as: 'admin-home',          expect: 'allow' },
];

/** AuthorizeAccess, the read gate, for each role's own purposes (§5). */
// prettier-ignore
const READ_GATE: readonly Row[] = [
  // PATRQT (§5): the caller is the patient; not consent-gated.
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'none',                       as: 'patient',             expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit',              as: 'patient',             expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'objection',                  as: 'patient',             expect: 'allow' },                  // PATRQT is not consent-gated
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'none',                       as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit',              as: 'other-patient',       expect: 'deny', code: 'withheld' }, // PATRQT is for one's own data, even when named
  // TREAT (§5): a consent permits; or, with no consent deny, the home org holds the record (implied treatment).
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'none',                       as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit',              as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'permit + deny HIV',          as: 'clinician-home',      expect: 'allow' },                  // §3: an OPTIN deny child only carves its own permit
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'expired',                    as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'revoked',                    as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'other patient',              as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'other org',                  as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'objection',                  as: 'clinician-home',      expect: 'deny', code: 'withheld' }, // an OPTOUT deny vetoes the implied relationship
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'emergency active',           as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'emergency expired',          as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'objection + emergency',      as: 'clinician-home',      expect: 'deny', code: 'withheld' }, // the grant is for ETREAT only
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'none',                       as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit',              as: 'clinician-other-org', expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'permit + deny HIV',          as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'expired',                    as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'revoked',                    as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'other patient',              as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'other org',                  as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'objection',                  as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'emergency active',           as: 'clinician-other-org', expect: 'deny', code: 'withheld' }, // the grant is for ETREAT only
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'emergency expired',          as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'objection + emergency',      as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  // ETREAT (§5, FHIR-CONVENTIONS §2.3): a consent permits ETREAT, or the caller's own break-glass grant is active.
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'none',                       as: 'clinician-home',      expect: 'deny', code: 'withheld' }, // implied treatment covers TREAT, not ETREAT
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit',              as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'permit + deny HIV',          as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'expired',                    as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'revoked',                    as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'other patient',              as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'other org',                  as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'objection',                  as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency active',           as: 'clinician-home',      expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency expired',          as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency, other clinician', as: 'clinician-home',      expect: 'deny', code: 'withheld' }, // a grant is personal
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'objection + emergency',      as: 'clinician-home',      expect: 'allow' },                  // a grant overrides consent denies
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency revoked',          as: 'clinician-home',      expect: 'deny', code: 'withheld' }, // the patient ended the grant early
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'none',                       as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit',              as: 'clinician-other-org', expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'permit + deny HIV',          as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'expired',                    as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'revoked',                    as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'other patient',              as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'other org',                  as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'objection',                  as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency active',           as: 'clinician-other-org', expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency expired',          as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency, other clinician', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'objection + emergency',      as: 'clinician-other-org', expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'emergency revoked',          as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  // HPAYMT (§5): a consent permits.
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'none',                       as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit',              as: 'insurer',             expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'permit + deny HIV',          as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'expired',                    as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'revoked',                    as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'other patient',              as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'other org',                  as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'objection',                  as: 'insurer',             expect: 'deny', code: 'withheld' },
  // HRESCH (§5): an approved, active study of the researcher's org covering the record type, and a consent permits.
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'none',                       as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit',              as: 'researcher',          expect: 'allow' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'permit + deny HIV',          as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'expired',                    as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'revoked',                    as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'other patient',              as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'other org',                  as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'objection',                  as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'permit, study unapproved',   as: 'researcher',          expect: 'deny', code: 'withheld' },
  // PUBHLTH (§5): aggregates only, single-record reads always refused. HOPERAT: never clinical data.
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'none',                       as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit',              as: 'public-health',       expect: 'deny', code: 'withheld' }, // aggregate only, even when named
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'none',                       as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit',              as: 'po-home',             expect: 'deny', code: 'withheld' }, // HOPERAT never reads clinical data
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'none',                       as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit',              as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'none',                       as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit',              as: 'admin-home',          expect: 'deny', code: 'withheld' },
];

/** AuthorizeAccess for every purpose a role may not assert (§2). */
// prettier-ignore
const READ_GATE_PRECHECK: readonly Row[] = [
  // §2 pre-check: a purpose the caller's role may not assert is refused before consents are read, even with an
  // active consent naming the caller for exactly that purpose.
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'patient',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'other-patient',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'clinician-home',      expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'clinician-other-org', expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'insurer',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'ethics',              expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HOPERAT', state: 'active permit', as: 'public-health',       expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'po-home',             expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'po-other-org',        expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'TREAT',   state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'ETREAT',  state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HPAYMT',  state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'HRESCH',  state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PUBHLTH', state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeAccess', purpose: 'PATRQT',  state: 'active permit', as: 'admin-home',          expect: 'deny', code: 'withheld' },
];

// prettier-ignore
const COHORTS: readonly Row[] = [
  // AuthorizeCohort (action `use`): HRESCH as for reads; PUBHLTH is an opt-out model: every patient who has not objected.
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'none',                     as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'researcher',          expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'permit + deny HIV',        as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'expired',                  as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'revoked',                  as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'other patient',            as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'other org',                as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'objection',                as: 'researcher',          expect: 'deny', code: 'withheld' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'permit, study unapproved', as: 'researcher',          expect: 'deny', code: 'STUDY_NOT_APPROVED' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'none',                     as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'permit + deny HIV',        as: 'public-health',       expect: 'allow' },                  // §3: the OPTIN consent is not applicable; no objection
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'expired',                  as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'revoked',                  as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'other patient',            as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'other org',                as: 'public-health',       expect: 'allow' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'objection',                as: 'public-health',       expect: 'deny', code: 'withheld' },
  // Cohorts for any other role, even with a consent naming the caller: under a study or programme that is not the
  // caller's team's, refused once as if it did not exist (NOT_FOUND).
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'patient',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'patient',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'researcher',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'po-home',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'po-home',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'HRESCH',  state: 'active permit',            as: 'admin-home',          expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'AuthorizeCohort', purpose: 'PUBHLTH', state: 'active permit',            as: 'admin-home',          expect: 'deny', code: 'NOT_FOUND' },
];

// prettier-ignore
const AUDIT: readonly Row[] = [
  // GetAuditTrail {patientId}: the patient (own); a privacy officer: events involving their org; nobody else.
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'patient',             expect: 'allow' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'po-home',             expect: 'allow' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'po-other-org',        expect: 'deny', code: 'withheld' },      // no event involves HospitalBMSP yet
  { tx: 'GetAuditTrail',       purpose: '—', state: 'accessed by other org', as: 'po-other-org',        expect: 'allow' },
  { tx: 'GetAuditTrail',       purpose: '—', state: '—',                     as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' }, // README: patient and privacy officer only
  // MigrateAuditIndexes {pageSize: 50}: an admin (moves audit index entries of a ledger written by an earlier version).
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'MigrateAuditIndexes', purpose: '—', state: '—',                     as: 'admin-home',          expect: 'allow' },
];

// prettier-ignore
const STUDIES: readonly Row[] = [
  // ProposeStudy: researchers.
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'researcher',          expect: 'allow' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'ethics',              expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'ProposeStudy',       purpose: '—', state: '—',              as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // DecideStudy {studyId, decision: approve}: ethics, not the proposer.
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'patient',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'other-patient',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'clinician-home',      expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'clinician-other-org', expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'insurer',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'researcher',          expect: 'deny', code: 'ACCESS_DENIED' },      // only ethics decides (this researcher is also the proposer)
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'ethics',              expect: 'allow' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study approved', as: 'ethics',              expect: 'deny', code: 'CONFLICT' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'public-health',       expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'po-home',             expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'po-other-org',        expect: 'deny', code: 'ACCESS_DENIED' },
  { tx: 'DecideStudy',        purpose: '—', state: 'study proposed', as: 'admin-home',          expect: 'deny', code: 'ACCESS_DENIED' },
  // SpendPrivacyBudget {studyId, epsilon, queryHash}: researchers of the study's org, approved studies only.
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'patient',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'researcher',          expect: 'allow' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study proposed', as: 'researcher',          expect: 'deny', code: 'STUDY_NOT_APPROVED' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'ethics',              expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'po-home',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'SpendPrivacyBudget', purpose: '—', state: 'study approved', as: 'admin-home',          expect: 'deny', code: 'NOT_FOUND' },
  // GetStudy {studyId}: researchers of the study's org and ethics.
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'patient',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'other-patient',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'clinician-home',      expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'clinician-other-org', expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'insurer',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'researcher',          expect: 'allow' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'ethics',              expect: 'allow' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'public-health',       expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'po-home',             expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'po-other-org',        expect: 'deny', code: 'NOT_FOUND' },
  { tx: 'GetStudy',           purpose: '—', state: 'study proposed', as: 'admin-home',          expect: 'deny', code: 'NOT_FOUND' },
];

const MATRIX: readonly Row[] = [
  ...PATIENTS,
  ...RECORDS,
  ...CONSENTS,
  ...ACCESS_REQUESTS,
  ...EMERGENCY,
  ...READ_GATE,
  ...READ_GATE_PRECHECK,
  ...COHORTS,
  ...AUDIT,
  ...STUDIES,
];

/** §2 pre-check table, as written in docs/consent-evaluation.md: the purposes each role may assert. */
const MAY_ASSERT: Readonly<Record<Role, readonly Purpose[]>> = {
  patient: ['PATRQT'],
  clinician: ['TREAT', 'ETREAT'],
  insurer: ['HPAYMT'],
  researcher: ['HRESCH'],
  ethics: [],
  'public-health': ['PUBHLTH'],
  'privacy-officer': ['HOPERAT'],
  admin: ['HOPERAT'],
};

// ---------------------------------------------------------------------------------------------------------------
// The world each row runs in
// ---------------------------------------------------------------------------------------------------------------

const START = '2025-03-01T10:00:00Z';
/** End of the permit in the `expired` state, and when such rows run. */
const CONSENT_END = '2025-03-01T12:00:00Z';
const NEXT_DAY = '2025-03-02T10:00:00Z';
/** More than the 7 days after which an access request expires. */
const EIGHT_DAYS_LATER = '2025-03-09T10:00:00Z';
/** The default break-glass duration (chaincode README: "time-boxed grant (default 4 h)") plus a minute. */
const PAST_BREAK_GLASS_MS = (4 * 60 + 1) * 60_000;
const HIV = fhir.sensitivity('HIV');
/** Well-formed ids that name nothing on the ledger (a malformed id is refused before any lookup). */
const MISSING = {
  patient: `pt-${'0'.repeat(24)}`,
  record: `r-${'0'.repeat(24)}`,
  consent: `c-${'0'.repeat(24)}`,
  accessRequest: `ar-${'0'.repeat(24)}`,
  grant: `eg-${'0'.repeat(24)}`,
  study: `st-${'0'.repeat(24)}`,
} as const;

type Identities = Readonly<Record<Caller, TestIdentity>>;

interface World {
  readonly harness: ContractHarness;
  readonly ids: Identities;
  readonly patientId: string;
  readonly otherPatientId: string;
  readonly target: RecordMetadata;
  consentId?: string;
  request?: AccessRequestRecord;
  grant?: EmergencyGrant;
  study?: StudyRecord;
  /** When the row's transaction runs; the harness clock (1 s per transaction from START) when unset. */
  at?: string;
}

interface CallOptions {
  readonly evaluate?: boolean;
  readonly at?: string | undefined;
}

async function invoke<T>(
  harness: ContractHarness,
  identity: TestIdentity,
  tx: TxName,
  input: unknown,
  options: CallOptions = {},
): Promise<T> {
  const { result } = await harness.invokeWith(
    { identity, commit: options.evaluate !== true, ...(options.at === undefined ? {} : { time: options.at }) },
    tx,
    ...(input === undefined ? [] : [JSON.stringify(input)]),
  );
  return JSON.parse(result) as T;
}

function call<T>(w: World, as: Caller, tx: TxName, input?: unknown, options: CallOptions = {}): Promise<T> {
  return invoke<T>(w.harness, w.ids[as], tx, input, options);
}

function recordInput(recordId: string, patientId: string): Record<string, unknown> {
  return {
    recordId,
    patientId,
    resourceType: 'Observation',
    category: 'laboratory',
    securityLabels: [HIV],
    clinicalDate: '2024-06-01',
    ciphertextSha256: sha256(`ciphertext:${recordId}`),
    plaintextHmac: sha256(`plaintext:${recordId}`),
  };
}

/** The records of a RegisterRecords row, by label: a plain Observation, then the HIV-labelled one. */
const BATCH = ['batch plain', 'batch hiv'] as const;

function batchInput(patientId: string, secondRecordId = testRecordId(BATCH[1])): Record<string, unknown> {
  const plain = { ...recordInput(testRecordId(BATCH[0]), patientId), securityLabels: [] };
  return { records: [plain, recordInput(secondRecordId, patientId)] };
}

async function createWorld(ids: Identities): Promise<World> {
  const harness = createContractHarness(new MedledgerContract(), { startTime: START });
  const register = async (as: Caller): Promise<string> =>
    (await invoke<{ patientId: string }>(harness, ids[as], 'RegisterPatient', {})).patientId;
  const patientId = await register('patient');
  const otherPatientId = await register('other-patient');
  const target = await invoke<RecordMetadata>(
    harness,
    ids['clinician-home'],
    'RegisterRecord',
    recordInput(testRecordId('target'), patientId),
  );
  return { harness, ids, patientId, otherPatientId, target };
}

// ---------------------------------------------------------------------------------------------------------------
// Consent builders (FHIR shapes of FHIR-CONVENTIONS §1.1)
// ---------------------------------------------------------------------------------------------------------------

/** The identity a consent uses to name this caller (see the header). */
function actorFor(w: World, as: Caller): string {
  if (as === 'patient') return `Patient/${w.patientId}`;
  if (as === 'other-patient') return `Patient/${w.otherPatientId}`;
  const { mspId, role } = CALLERS[as];
  return role === 'insurer' || role === 'researcher' || role === 'public-health'
    ? `Organization/${mspId}`
    : `Group/${mspId}-${role}`;
}

function otherOrgActor(as: Caller): string {
  return CALLERS[as].mspId === 'HospitalBMSP' ? 'Organization/InsurerMSP' : 'Organization/HospitalBMSP';
}

function consentPurpose(row: Row): Purpose {
  return row.purpose === '—' ? 'TREAT' : row.purpose;
}

function consentActions(tx: TxName): string[] {
  if (tx === 'AuthorizeAccess' || tx === 'AuthorizeCohort') return ['access', 'use'];
  return tx === 'RegisterRecord' || tx === 'RegisterRecords' ? ['collect'] : ['access'];
}

function permit(actor: string, row: Row, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'permit',
    actor: [fhir.actor(actor)],
    action: consentActions(row.tx).map((code) => fhir.action(code)),
    purpose: [fhir.purpose(consentPurpose(row))],
    ...extra,
  };
}

const DENY_HIV = { type: 'deny', securityLabel: [HIV] };

function optIn(...children: Array<Record<string, unknown>>): Record<string, unknown> {
  return { type: 'deny', provision: children };
}

function objection(actor: string, row: Row): Record<string, unknown> {
  return { type: 'deny', actor: [fhir.actor(actor)], purpose: [fhir.purpose(consentPurpose(row))] };
}

async function putConsent(
  w: World,
  owner: 'patient' | 'other-patient',
  provision: Record<string, unknown>,
  policyRule: 'OPTIN' | 'OPTOUT' = 'OPTIN',
): Promise<ConsentRecord> {
  const patientId = owner === 'patient' ? w.patientId : w.otherPatientId;
  const resource = consentResource(patientId, provision, { policyRule });
  const consent = await call<ConsentRecord>(w, owner, 'PutConsent', resource);
  w.consentId = consent.id;
  return consent;
}

// ---------------------------------------------------------------------------------------------------------------
// State builders
// ---------------------------------------------------------------------------------------------------------------

async function breakGlass(w: World, clinician: Caller): Promise<EmergencyGrant> {
  w.grant = await call<EmergencyGrant>(w, clinician, 'BreakGlass', {
    patientId: w.patientId,
    reasonHash: sha256('unconscious on arrival, no advance directive on file'),
    reasonCode: 'unconscious-patient',
  });
  return w.grant;
}

async function requestAccess(w: World): Promise<void> {
  w.request = await call<AccessRequestRecord>(w, 'clinician-other-org', 'RequestAccess', {
    patientId: w.patientId,
    purpose: 'TREAT',
    resourceTypes: ['Observation'],
    reasonCode: 'referral',
  });
}

/** Studies first: a consent state of an HRESCH row runs under an approved study unless the state says otherwise. */
async function prepareStudy(w: World, row: Row): Promise<void> {
  const proposedOnly = row.state === 'study proposed' || row.state === 'permit, study unapproved';
  const cohort = row.tx === 'AuthorizeCohort';
  if (!proposedOnly && row.state !== 'study approved' && row.purpose !== 'HRESCH' && !cohort) return;
  // A public-health cohort runs under the health authority's own surveillance programme.
  const programme = cohort && row.purpose === 'PUBHLTH';
  w.study = await call<StudyRecord>(w, programme ? 'public-health' : 'researcher', 'ProposeStudy', {
    ...(programme ? { purpose: 'PUBHLTH' } : {}),
    resourceTypes: ['Observation'],
    protocolHash: sha256('protocol v1'),
    epsilonBudget: 1,
  });
  if (!proposedOnly) {
    w.study = await call<StudyRecord>(w, 'ethics', 'DecideStudy', { studyId: w.study.id, decision: 'approve' });
  }
}

type Setup = (w: World, row: Row) => Promise<void>;
const nothing: Setup = () => Promise.resolve();

const STATES: Readonly<Record<State, Setup>> = {
  none: nothing,
  'active permit': async (w, row) => {
    await putConsent(w, 'patient', optIn(permit(actorFor(w, row.as), row)));
  },
  'permit + deny HIV': async (w, row) => {
    await putConsent(w, 'patient', optIn(permit(actorFor(w, row.as), row), DENY_HIV));
  },
  expired: async (w, row) => {
    await putConsent(w, 'patient', optIn(permit(actorFor(w, row.as), row, { period: { end: CONSENT_END } })));
    w.at = NEXT_DAY;
  },
  revoked: async (w, row) => {
    const consent = await putConsent(w, 'patient', optIn(permit(actorFor(w, row.as), row)));
    await call(w, 'patient', 'RevokeConsent', { consentId: consent.id });
  },
  'other patient': async (w, row) => {
    await putConsent(w, 'other-patient', optIn(permit(actorFor(w, row.as), row)));
  },
  'other org': async (w, row) => {
    await putConsent(w, 'patient', optIn(permit(otherOrgActor(row.as), row)));
  },
  objection: async (w, row) => {
    await putConsent(w, 'patient', objection(actorFor(w, row.as), row), 'OPTOUT');
  },
  'emergency active': async (w, row) => {
    await breakGlass(w, row.as);
  },
  'emergency expired': async (w, row) => {
    const grant = await breakGlass(w, row.as);
    w.at = new Date(Date.parse(grant.startedAt) + PAST_BREAK_GLASS_MS).toISOString();
  },
  'emergency, other clinician': async (w, row) => {
    await breakGlass(w, row.as === 'clinician-home' ? 'clinician-other-org' : 'clinician-home');
  },
  'objection + emergency': async (w, row) => {
    await putConsent(w, 'patient', objection(actorFor(w, row.as), row), 'OPTOUT');
    await breakGlass(w, row.as);
  },
  'emergency revoked': async (w, row) => {
    const grant = await breakGlass(w, row.as);
    await call(w, 'patient', 'RevokeEmergencyAccess', { grantId: grant.id });
  },
  'permit, study unapproved': async (w, row) => {
    await putConsent(w, 'patient', optIn(permit(actorFor(w, row.as), row)));
  },
  '—': nothing,
  'no request hash': nothing,
  'no reason': nothing,
  'request pending': requestAccess,
  'request expired': async (w) => {
    await requestAccess(w);
    w.at = EIGHT_DAYS_LATER;
  },
  'grant of home dr': async (w) => {
    await breakGlass(w, 'clinician-home');
  },
  'grant of other-org dr': async (w) => {
    await breakGlass(w, 'clinician-other-org');
  },
  'grant reviewed': async (w) => {
    const grant = await breakGlass(w, 'clinician-other-org');
    w.grant = await call<EmergencyGrant>(w, 'po-home', 'ReviewEmergencyAccess', {
      grantId: grant.id,
      patientId: w.patientId,
      outcome: 'justified',
    });
  },
  'grant ended': async (w) => {
    const grant = await breakGlass(w, 'clinician-other-org');
    w.grant = await call<EmergencyGrant>(w, 'patient', 'RevokeEmergencyAccess', { grantId: grant.id });
  },
  'study proposed': nothing,
  'study approved': nothing,
  'batch names target': nothing,
  'accessed by other org': async (w) => {
    await call(w, 'clinician-other-org', 'AuthorizeAccess', { patientId: w.patientId, purpose: 'TREAT' });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// How each transaction is called and what "allow" means for it
// ---------------------------------------------------------------------------------------------------------------

interface TxSpec<T> {
  /** Evaluate-only transactions (`@Transaction(false)`). */
  readonly evaluate?: boolean;
  readonly input: (w: World, row: Row) => unknown;
  /** The same call naming an id that does not exist: a refusal must look exactly like it (principle 7). */
  readonly missing?: (w: World, row: Row) => unknown;
  /** For transactions that succeed either way: whether the result shows the item under test. */
  readonly shows?: (result: T, w: World) => boolean;
  /** Further checks once the outcome matched the row. */
  readonly verify?: (w: World, row: Row, result: T, shown: boolean) => Promise<void>;
  /** Further checks once a call that threw matched the row. */
  readonly verifyRefused?: (w: World, row: Row) => Promise<void>;
}

// Each spec is typed by its own result; the runner sees them all as TxSpec<unknown>.
const spec = <T>(s: TxSpec<T>): TxSpec<unknown> => s as unknown as TxSpec<unknown>;
const isPatient = (as: Caller): boolean => CALLERS[as].role === 'patient';
const studyId = (w: World): string => w.study?.id ?? MISSING.study;
const REASON_CODES: Partial<Record<Purpose, string>> = {
  HPAYMT: 'payment-claim',
  HRESCH: 'research-study',
  PUBHLTH: 'public-health-report',
};

/** The patient's audit events written by one transaction (read as the patient, who sees all of them). */
async function auditEventsOf(w: World, txId: string): Promise<AuditRecord[]> {
  const { events } = await call<{ events: AuditRecord[] }>(
    w,
    'patient',
    'GetAuditTrail',
    { pageSize: 500 },
    { evaluate: true },
  );
  return events.filter((event) => event.txId === txId);
}

/** Every read-gate decision, permit or deny, is on the ledger (principle 3) and says whether the purpose was refused. */
async function verifyDecisionAudited(
  w: World,
  row: Row,
  result: { txId: string; purposeAccepted: boolean },
  shown: boolean,
): Promise<AuditRecord> {
  const events = await auditEventsOf(w, result.txId);
  assert.equal(events.length, 1, `expected one audit event for the patient, found ${events.length}`);
  const [event] = events as [AuditRecord];
  assert.equal(event.outcome, shown ? '0' : '8', 'audit outcome');
  assert.equal(event.purpose, row.purpose, 'audit purpose');
  assert.deepEqual([event.agent.mspId, event.agent.uid], [CALLERS[row.as].mspId, CALLERS[row.as].uid], 'audit agent');
  const accepted = row.purpose !== '—' && MAY_ASSERT[CALLERS[row.as].role].includes(row.purpose);
  assert.equal(result.purposeAccepted, accepted, 'purposeAccepted (§6)');
  return event;
}

const SPECS: Readonly<Record<TxName, TxSpec<unknown>>> = {
  RegisterPatient: spec({ input: () => ({ patientUid: CALLERS.patient.uid }) }),
  WhoAmI: spec({ evaluate: true, input: () => undefined }),
  RegisterRecord: spec({
    input: (w) => recordInput(testRecordId('new'), w.patientId),
    missing: () => recordInput(testRecordId('new'), MISSING.patient),
  }),
  RegisterRecords: spec<{ records: RecordMetadata[] }>({
    input: (w, row) => batchInput(w.patientId, row.state === 'batch names target' ? w.target.id : undefined),
    missing: () => batchInput(MISSING.patient),
    verify: async (w, _row, result) => {
      assert.deepEqual(
        result.records.map((record) => [record.id, record.patientId, record.version]),
        BATCH.map((label) => [testRecordId(label), w.patientId, 1]),
        'the records, in input order',
      );
      const [first] = result.records as [RecordMetadata];
      const events = await auditEventsOf(w, first.txId);
      // Audit events are keyed by time and event id, so compare them as a set.
      assert.deepEqual(
        events.map((event) => `${event.kind} ${event.records.map((record) => record.reference).join()}`).sort(),
        result.records.map((record) => `record-create Observation/${record.id}/_history/1`).sort(),
        'one audit event per record',
      );
    },
    verifyRefused: async (w) => {
      for (const label of BATCH) {
        const read = call(w, 'patient', 'GetRecordMetadata', { recordId: testRecordId(label) }, { evaluate: true });
        assert.equal((await outcomeOf(read)).outcome, 'deny NOT_FOUND', 'a refused batch writes no record');
      }
    },
  }),
  GetRecordMetadata: spec({
    evaluate: true,
    input: (w) => ({ recordId: w.target.id }),
    missing: () => ({ recordId: MISSING.record }),
  }),
  EraseRecord: spec({
    input: (w, row) => ({
      recordId: w.target.id,
      ...(isPatient(row.as) || row.state === 'no request hash' ? {} : { patientRequestHash: sha256('erasure form') }),
    }),
    missing: () => ({ recordId: MISSING.record, patientRequestHash: sha256('erasure form') }),
  }),
  PutConsent: spec({
    input: (w, row) => consentResource(w.patientId, optIn(permit(actorFor(w, row.as), row))),
    missing: (w, row) => consentResource(MISSING.patient, optIn(permit(actorFor(w, row.as), row))),
  }),
  RevokeConsent: spec({
    input: (w) => ({ consentId: w.consentId }),
    missing: () => ({ consentId: MISSING.consent }),
  }),
  GetMyConsents: spec<ConsentRecord[]>({
    evaluate: true,
    input: () => undefined,
    shows: (consents, w) => consents.some((consent) => consent.id === w.consentId),
  }),
  GetConsentHistory: spec({
    evaluate: true,
    input: (w) => ({ consentId: w.consentId }),
    missing: () => ({ consentId: MISSING.consent }),
  }),
  ListPatientsSharingWithMe: spec<Array<{ patientId: string; consentId: string }>>({
    evaluate: true,
    input: () => undefined,
    shows: (patients, w) => patients.some((shared) => shared.patientId === w.patientId),
    verify: (w, row, patients, shown) => {
      // Nothing else: at most the patient whose consent (the row's) names the caller, through that consent.
      const granter = row.state === 'other patient' ? w.otherPatientId : w.patientId;
      assert.deepEqual(
        patients,
        shown || row.state === 'other patient' ? [{ patientId: granter, consentId: w.consentId }] : [],
        'lists exactly the patient whose consent names the caller',
      );
      return Promise.resolve();
    },
  }),
  RequestAccess: spec({
    input: (w, row) => ({
      patientId: w.patientId,
      purpose: row.purpose,
      resourceTypes: ['Observation'],
      reasonCode: (row.purpose !== '—' && REASON_CODES[row.purpose]) || 'referral',
      ...(row.purpose === 'HRESCH' ? { studyId: studyId(w) } : {}),
    }),
    missing: (_w, row) => ({ patientId: MISSING.patient, purpose: row.purpose, reasonCode: 'referral' }),
  }),
  RespondToAccessRequest: spec({
    input: (w) => ({ requestId: w.request?.id, decision: 'approve' }),
    missing: () => ({ requestId: MISSING.accessRequest, decision: 'approve' }),
  }),
  ListAccessRequests: spec<AccessRequestRecord[]>({
    evaluate: true,
    input: () => undefined,
    shows: (requests, w) => requests.some((request) => request.id === w.request?.id),
  }),
  BreakGlass: spec({
    input: (w, row) => ({
      patientId: w.patientId,
      reasonCode: 'unconscious-patient',
      ...(row.state === 'no reason' ? {} : { reasonHash: sha256('unconscious on arrival') }),
    }),
    missing: () => ({ patientId: MISSING.patient, reasonHash: sha256('unconscious on arrival') }),
  }),
  RevokeEmergencyAccess: spec<EmergencyGrant>({
    input: (w) => ({ grantId: w.grant?.id }),
    missing: () => ({ grantId: MISSING.grant }),
    verify: async (w, _row, ended) => {
      assert.equal(ended.endReason, 'revoked-by-patient');
      assert.equal(ended.endedBy, `Patient/${w.patientId}`);
      assert.ok(ended.endedAt !== undefined && ended.endedAt < ended.expiresAt, 'ended before it expired');
      if (w.grant?.review === 'pending') {
        const queue = await call<EmergencyGrant[]>(w, 'po-home', 'ListPendingEmergencyReviews', undefined, {
          evaluate: true,
        });
        assert.ok(
          queue.some((grant) => grant.id === ended.id && grant.endedAt === ended.endedAt),
          'still queued for review',
        );
      }
      const clinicianOrgOfficer = w.grant?.clinician.mspId === 'HospitalBMSP' ? 'po-other-org' : 'po-home';
      for (const as of ['patient', 'po-home', clinicianOrgOfficer] as const) {
        const { events } = await call<{ events: AuditRecord[] }>(
          w,
          as,
          'GetAuditTrail',
          { pageSize: 500 },
          { evaluate: true },
        );
        assert.ok(
          events.some((event) => event.kind === 'break-glass-end' && event.grantId === ended.id),
          `${as} sees that the patient ended the grant`,
        );
      }
      const clinician = w.grant?.clinician.mspId === 'HospitalBMSP' ? 'clinician-other-org' : 'clinician-home';
      const read = await call<AuthorizeAccessResult>(w, clinician, 'AuthorizeAccess', {
        patientId: w.patientId,
        purpose: 'ETREAT',
      });
      assert.deepEqual(read.records, [], "the clinician's next emergency read is refused");
    },
  }),
  GetMyEmergencyGrants: spec<EmergencyGrant[]>({
    evaluate: true,
    input: () => undefined,
    shows: (grants, w) => grants.some((grant) => grant.id === w.grant?.id && grant.endedAt === w.grant.endedAt),
  }),
  ReviewEmergencyAccess: spec({
    input: (w) => ({ grantId: w.grant?.id, patientId: w.patientId, outcome: 'justified' }),
    missing: (w) => ({ grantId: MISSING.grant, patientId: w.patientId, outcome: 'justified' }),
  }),
  ListPendingEmergencyReviews: spec<EmergencyGrant[]>({
    evaluate: true,
    input: () => undefined,
    shows: (grants, w) => grants.some((grant) => grant.id === w.grant?.id),
  }),
  SetEmergencyPolicy: spec({ input: () => ({ durationMinutes: 60 }) }),
  AuthorizeAccess: spec<AuthorizeAccessResult>({
    input: (w, row) => ({
      patientId: w.patientId,
      purpose: row.purpose,
      ...(row.purpose === 'HRESCH' ? { studyId: studyId(w) } : {}),
    }),
    shows: (result, w) => result.records.some((record) => record.recordId === w.target.id),
    verify: async (w, row, result, shown) => {
      const event = await verifyDecisionAudited(w, row, result, shown);
      assert.equal(event.id, result.auditEventId, 'the returned audit event id');
    },
  }),
  AuthorizeCohort: spec<AuthorizeCohortResult>({
    input: (w, row) => ({
      patientIds: [w.patientId],
      purpose: row.purpose,
      studyId: studyId(w),
    }),
    shows: (result, w) => result.members.some((member) => member.patientId === w.patientId),
    verify: async (w, row, result, shown) => {
      await verifyDecisionAudited(w, row, result, shown);
    },
  }),
  GetAuditTrail: spec<{ events: AuditRecord[] }>({
    evaluate: true,
    input: (w) => ({ patientId: w.patientId }),
    missing: () => ({ patientId: MISSING.patient }),
    shows: (result, w) => result.events.some((event) => event.patientId === w.patientId),
  }),
  MigrateAuditIndexes: spec<AuditMigrationResult>({
    input: () => ({ pageSize: 50 }),
    verify: (_w, _row, result) => {
      assert.deepEqual(result, { migrated: 0, remaining: false }, 'a ledger of this version has nothing to migrate');
      return Promise.resolve();
    },
  }),
  ProposeStudy: spec({
    input: () => ({ resourceTypes: ['Observation'], protocolHash: sha256('protocol v2'), epsilonBudget: 1 }),
  }),
  DecideStudy: spec({
    input: (w) => ({ studyId: studyId(w), decision: 'approve' }),
    missing: () => ({ studyId: MISSING.study, decision: 'approve' }),
  }),
  SpendPrivacyBudget: spec({
    input: (w) => ({ studyId: studyId(w), epsilon: 0.1, queryHash: sha256('count by age band') }),
    missing: () => ({ studyId: MISSING.study, epsilon: 0.1, queryHash: sha256('count by age band') }),
  }),
  GetStudy: spec({
    evaluate: true,
    input: (w) => ({ studyId: studyId(w) }),
    missing: () => ({ studyId: MISSING.study }),
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------------------------

function expected(row: Row): string {
  return row.expect === 'allow' ? 'allow' : `deny ${row.code ?? '(no code in the table)'}`;
}

/** The outcome of a call that threw, in the table's terms. */
function outcomeOfError(err: unknown): string {
  if (!isDomainError(err)) return `error ${err instanceof Error ? err.message : String(err)}`;
  assert.match(err.message, new RegExp(`^\\[${err.code}\\] `), 'chaincode errors carry their code: [CODE] message');
  return `deny ${err.code}`;
}

async function outcomeOf(attempt: Promise<unknown>): Promise<{ outcome: string; result?: unknown }> {
  try {
    return { outcome: 'allow', result: await attempt };
  } catch (err: unknown) {
    return { outcome: outcomeOfError(err) };
  }
}

function rowName(row: Row): string {
  return `${row.as} | ${row.purpose} | ${row.state} → ${expected(row)}`;
}

async function runRow(row: Row, ids: Identities): Promise<void> {
  const w = await createWorld(ids);
  await prepareStudy(w, row);
  await STATES[row.state](w, row);
  const txSpec = SPECS[row.tx];
  const options: CallOptions = { evaluate: txSpec.evaluate === true, at: w.at };
  const first = await outcomeOf(call(w, row.as, row.tx, txSpec.input(w, row), options));
  let outcome = first.outcome;
  let shown = outcome === 'allow';
  if (shown && txSpec.shows) {
    shown = txSpec.shows(first.result, w);
    if (!shown) outcome = 'deny withheld';
  }
  assert.equal(outcome, expected(row), `${row.tx} | ${rowName(row)}: got ${outcome}`);
  if (first.outcome === 'allow') await txSpec.verify?.(w, row, first.result, shown);
  else await txSpec.verifyRefused?.(w, row);
  if (txSpec.missing && (row.code === 'ACCESS_DENIED' || row.code === 'NOT_FOUND')) {
    const missing = await outcomeOf(call(w, row.as, row.tx, txSpec.missing(w, row), options));
    assert.equal(missing.outcome, outcome, 'principle 7: a refusal looks the same as a missing id');
  }
}

describe('authorization matrix', () => {
  let ids: Identities | undefined;
  const mismatched: string[] = [];
  const startedAt = performance.now();

  before(async () => {
    const network = await createTestNetwork();
    const entries = await Promise.all(
      (Object.keys(CALLERS) as Caller[]).map(async (as) => {
        const { mspId, role, uid } = CALLERS[as];
        return [as, await network.identity(mspId, role, uid)] as const;
      }),
    );
    ids = Object.fromEntries(entries) as Record<Caller, TestIdentity>;
  });

  it('covers every transaction of the contract for every caller, with well-formed rows', () => {
    const declared = Object.getOwnPropertyNames(MedledgerContract.prototype).filter((name) => /^[A-Z]/.test(name));
    assert.deepEqual([...declared].sort(), [...TRANSACTIONS].sort());
    for (const tx of TRANSACTIONS) {
      const callers = new Set(MATRIX.filter((row) => row.tx === tx).map((row) => row.as));
      assert.deepEqual([...callers].sort(), (Object.keys(CALLERS) as Caller[]).sort(), `callers of ${tx}`);
    }
    const keys = MATRIX.map((row) => `${row.tx}|${row.purpose}|${row.state}|${row.as}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate rows');
    for (const row of MATRIX) {
      assert.equal(row.expect === 'deny', row.code !== undefined, `a code exactly on deny rows: ${rowName(row)}`);
    }
  });

  for (const tx of TRANSACTIONS) {
    describe(tx, () => {
      for (const row of MATRIX.filter((candidate) => candidate.tx === tx)) {
        it(rowName(row), async () => {
          try {
            await runRow(row, ids as Identities);
          } catch (err: unknown) {
            mismatched.push(`${row.tx} | ${rowName(row)}`);
            throw err;
          }
        });
      }
    });
  }

  it('summary', (t) => {
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    t.diagnostic(
      mismatched.length === 0
        ? `authorization matrix: ${MATRIX.length} rows, all matched (${seconds} s)`
        : `authorization matrix: ${MATRIX.length} rows, ${mismatched.length} mismatched (${seconds} s): ${mismatched.join('; ')}`,
    );
  });
});
