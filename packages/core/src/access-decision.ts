import { ROLE_PURPOSES } from './codes.js';
import type { ConsentAction, Purpose, Role } from './codes.js';
import { combineConsents } from './consent-evaluation.js';
import type { RecordFacts, Requester } from './consent-evaluation.js';
import type { ConsentRecord } from './consent-model.js';
import { fhirInstantRange } from './fhir-time.js';
import type { EmergencyGrant, PatientRecord, StudyRecord } from './ledger-records.js';

/** Why access was permitted. */
export type AccessBasis =
  'own-data' | 'consent' | 'treatment-relationship' | 'emergency-grant' | 'public-health-aggregate';

/** Stable reasons for a denial; they become the AuditEvent's `outcomeDesc`. */
export const DENY_REASONS = {
  purposeNotAllowed: 'role may not assert this purpose',
  notOwnData: 'patients may read only their own records',
  deniedByConsent: 'denied by consent',
  defaultDeny: 'no applicable consent: default deny',
  aggregateOnly: 'public-health access is aggregate only',
  noClinicalAccess: 'role has no access to clinical data',
  studyNotApproved: 'study is not approved or not active',
  outsideStudyScope: 'record is outside the approved study scope',
} as const;
export type DenyReason = (typeof DENY_REASONS)[keyof typeof DENY_REASONS];

export interface AccessInput {
  readonly requester: Requester;
  /** The patient the caller is, when the caller is a registered patient. */
  readonly callerPatientId?: string;
  readonly patient: PatientRecord;
  readonly purpose: Purpose;
  /** `access` for reads and searches, `use` for cohort extraction. */
  readonly action: ConsentAction;
  /** Transaction time, epoch milliseconds. */
  readonly time: number;
  /** The patient's consents, current versions; inactive ones are ignored. */
  readonly consents: readonly ConsentRecord[];
  /** The caller's active emergency grant for this patient, if any. */
  readonly emergencyGrant?: EmergencyGrant;
  /** The study a research request runs under. */
  readonly study?: StudyRecord;
}

export type RecordDecision =
  | {
      readonly permit: true;
      readonly basis: AccessBasis;
      readonly consents: readonly string[];
      readonly grantId?: string;
    }
  | { readonly permit: false; readonly reason: DenyReason; readonly consents: readonly string[] };

const deny = (reason: DenyReason, consents: readonly string[] = []): RecordDecision => ({
  permit: false,
  reason,
  consents,
});
const permit = (basis: AccessBasis, consents: readonly string[] = [], grantId?: string): RecordDecision => ({
  permit: true,
  basis,
  consents,
  ...(grantId === undefined ? {} : { grantId }),
});

/** Step 1 of the evaluation (HAPI's startOperation): may this role assert this purpose at all? */
export function roleMayAssert(role: Role, purpose: Purpose): boolean {
  return ROLE_PURPOSES[role].includes(purpose);
}

/** Whether an emergency grant is in force at `time` (epoch ms): started, not expired, and not ended by the patient. */
export function isGrantActive(grant: EmergencyGrant | undefined, time: number): grant is EmergencyGrant {
  return (
    grant !== undefined &&
    grant.endedAt === undefined &&
    Date.parse(grant.startedAt) <= time &&
    time < Date.parse(grant.expiresAt)
  );
}

/** Whether a study may be used at `time`: approved, and not past its end. */
export function isStudyActive(study: StudyRecord | undefined, time: number): study is StudyRecord {
  return (
    study?.status === 'approved' &&
    (study.periodEnd === undefined || time <= fhirInstantRange(study.periodEnd, 'study periodEnd').end)
  );
}

/**
 * Decides one record for one request, inside chaincode: deny by default, a consent deny beats everything but an
 * emergency grant, the patient always sees their own data, and the home organisation's clinicians have implied
 * treatment access to what their organisation holds.
 */
export function decideRecordAccess(input: AccessInput, record: RecordFacts): RecordDecision {
  const { requester, purpose } = input;
  if (!roleMayAssert(requester.role, purpose)) return deny(DENY_REASONS.purposeNotAllowed);
  if (record.resourceType === '' || record.custodian === '') return deny(DENY_REASONS.defaultDeny);
  switch (purpose) {
    case 'PATRQT':
      return input.callerPatientId === input.patient.id ? permit('own-data') : deny(DENY_REASONS.notOwnData);
    case 'TREAT':
      return decideTreatment(input, record);
    case 'ETREAT':
      return decideEmergency(input, record);
    case 'HPAYMT':
      return consentOnly(input, record);
    case 'HRESCH':
      return decideResearch(input, record);
    case 'PUBHLTH':
      return decidePublicHealth(input, record);
    case 'HOPERAT':
      return deny(DENY_REASONS.noClinicalAccess);
  }
}

/** `purpose` may be a specialisation the request runs under (a study's CLINTRCH), matched as FHIR-CONVENTIONS says. */
function consentVerdict(
  input: AccessInput,
  record: RecordFacts,
  purpose: string = input.purpose,
): ReturnType<typeof combineConsents> {
  return combineConsents(
    input.consents,
    { requester: input.requester, action: input.action, purpose, time: input.time },
    record,
  );
}

function consentOnly(input: AccessInput, record: RecordFacts, purpose: string = input.purpose): RecordDecision {
  const verdict = consentVerdict(input, record, purpose);
  if (verdict.decision === 'permit') return permit('consent', verdict.deciding);
  return verdict.decision === 'deny'
    ? deny(DENY_REASONS.deniedByConsent, verdict.deciding)
    : deny(DENY_REASONS.defaultDeny);
}

function decideTreatment(input: AccessInput, record: RecordFacts): RecordDecision {
  const verdict = consentVerdict(input, record);
  if (verdict.decision === 'deny') return deny(DENY_REASONS.deniedByConsent, verdict.deciding);
  if (verdict.decision === 'permit') return permit('consent', verdict.deciding);
  const { mspId } = input.requester;
  if (input.action === 'access' && input.patient.homeOrg === mspId && record.custodian === mspId) {
    return permit('treatment-relationship');
  }
  return deny(DENY_REASONS.defaultDeny);
}

/** ETREAT is first evaluated like any purpose; otherwise an active break-glass grant overrides consent (§2.3). */
function decideEmergency(input: AccessInput, record: RecordFacts): RecordDecision {
  const verdict = consentVerdict(input, record);
  if (verdict.decision === 'permit') return permit('consent', verdict.deciding);
  if (isGrantActive(input.emergencyGrant, input.time)) return permit('emergency-grant', [], input.emergencyGrant.id);
  return verdict.decision === 'deny'
    ? deny(DENY_REASONS.deniedByConsent, verdict.deciding)
    : deny(DENY_REASONS.defaultDeny);
}

function decideResearch(input: AccessInput, record: RecordFacts): RecordDecision {
  const { study } = input;
  // A public-health surveillance programme (purpose PUBHLTH) is never a research study.
  if (
    !isStudyActive(study, input.time) ||
    study.proposer.mspId !== input.requester.mspId ||
    study.purpose === 'PUBHLTH'
  ) {
    return deny(DENY_REASONS.studyNotApproved);
  }
  if (!study.resourceTypes.includes(record.resourceType)) return deny(DENY_REASONS.outsideStudyScope);
  // Consents are matched against the study's own purpose (e.g. CLINTRCH); a consent for HRESCH covers it.
  return consentOnly(input, record, study.purpose);
}

/** Public health sees aggregates over everyone who has not objected, and never single records. */
function decidePublicHealth(input: AccessInput, record: RecordFacts): RecordDecision {
  if (input.action !== 'use') return deny(DENY_REASONS.aggregateOnly);
  const verdict = consentVerdict(input, record);
  if (verdict.decision === 'deny') return deny(DENY_REASONS.deniedByConsent, verdict.deciding);
  return permit(verdict.decision === 'permit' ? 'consent' : 'public-health-aggregate', verdict.deciding);
}

export interface WriteInput {
  readonly requester: Requester;
  readonly patient: PatientRecord;
  readonly time: number;
  readonly consents: readonly ConsentRecord[];
}

/**
 * May this caller register a record for this patient? A clinician of the home organisation may; a clinician of
 * another organisation needs an active consent permitting `collect`, or treatment `access`, for the record.
 */
export function decideRecordWrite(input: WriteInput, record: RecordFacts): RecordDecision {
  if (input.requester.role !== 'clinician') return deny(DENY_REASONS.purposeNotAllowed);
  if (input.patient.homeOrg === input.requester.mspId) return permit('treatment-relationship');
  for (const action of ['collect', 'access'] as const) {
    const verdict = combineConsents(
      input.consents,
      { requester: input.requester, action, purpose: 'TREAT', time: input.time },
      record,
    );
    if (verdict.decision === 'deny') return deny(DENY_REASONS.deniedByConsent, verdict.deciding);
    if (verdict.decision === 'permit') return permit('consent', verdict.deciding);
  }
  return deny(DENY_REASONS.defaultDeny);
}

/** What the custodian needs to release one permitted record: its identity, version and hashes. */
export interface PermittedRecord {
  readonly recordId: string;
  readonly resourceType: string;
  readonly version: number;
  readonly custodian: string;
  readonly ciphertextSha256: string;
  readonly plaintextHmac: string;
  readonly basis: AccessBasis;
}

/**
 * AuthorizeAccess's answer to the caller (and what a custodian reads back from the committed transaction). It never
 * says whether records were withheld or whether the patient exists (principle 7): a refusal and an empty result look
 * the same. Only a purpose the caller's role may not assert is reported, since that says nothing about the data.
 */
export interface AuthorizeAccessResult {
  readonly auditEventId: string;
  readonly txId: string;
  readonly purposeAccepted: boolean;
  readonly records: readonly PermittedRecord[];
}
