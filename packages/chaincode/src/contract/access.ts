import {
  decideRecordAccess,
  DENY_REASONS,
  DomainError,
  isGrantActive,
  isStudyActive,
  roleMayAssert,
  studyOwnerRole,
} from '@medledger/core';
import type {
  AuthorizeAccessResult,
  PermittedRecord,
  AuditedRecord,
  AuditOutcome,
  AuthorizeAccessInput,
  AuthorizeCohortInput,
  ConsentAction,
  PatientRecord,
  Purpose,
  RecordDecision,
  RecordMetadata,
  StudyRecord,
} from '@medledger/core';
import { recordFacts } from './records.js';
import {
  audit,
  callerPatientId,
  findPatient,
  findRecord,
  findStudy,
  listConsents,
  listEmergencyGrants,
  listPatientRecords,
} from './store.js';
import type { Tx } from './tx.js';

interface PatientDecision {
  readonly permitted: PermittedRecord[];
  readonly decisions: Array<{ record: RecordMetadata; decision: RecordDecision }>;
}

async function decidePatient(
  tx: Tx,
  patient: PatientRecord | undefined,
  candidates: RecordMetadata[],
  context: { purpose: Purpose; action: ConsentAction; study?: StudyRecord | undefined },
): Promise<PatientDecision> {
  if (!patient) return { permitted: [], decisions: [] };
  const selfPatient = await callerPatientId(tx);
  const { uid, mspId } = tx.caller;
  const grant = (await listEmergencyGrants(tx, patient.id)).find(
    (candidate) =>
      candidate.clinician.uid === uid && candidate.clinician.mspId === mspId && isGrantActive(candidate, tx.timeMs),
  );
  const input = {
    requester: tx.requester(selfPatient),
    callerPatientId: selfPatient,
    patient,
    purpose: context.purpose,
    action: context.action,
    time: tx.timeMs,
    consents: await listConsents(tx, patient.id),
    ...(grant ? { emergencyGrant: grant } : {}),
    ...(context.study ? { study: context.study } : {}),
  };
  const decisions = candidates
    .filter((record) => record.status === 'active' && record.patientId === patient.id)
    .map((record) => ({ record, decision: decideRecordAccess(input, recordFacts(record)) }));
  const permitted = decisions.flatMap(({ record, decision }) =>
    decision.permit
      ? [
          {
            recordId: record.id,
            resourceType: record.resourceType,
            version: record.version,
            custodian: record.custodian,
            ciphertextSha256: record.ciphertextSha256,
            plaintextHmac: record.plaintextHmac,
            basis: decision.basis,
          },
        ]
      : [],
  );
  return { permitted, decisions };
}

function outcomeOf(result: PatientDecision, purposeAccepted: boolean): { outcome: AuditOutcome; outcomeDesc?: string } {
  const denied = result.decisions.filter(({ decision }) => !decision.permit);
  if (!purposeAccepted) return { outcome: '8', outcomeDesc: DENY_REASONS.purposeNotAllowed };
  if (denied.length === 0) return { outcome: '0' };
  const firstDenied = denied[0]?.decision;
  const reason = firstDenied && !firstDenied.permit ? firstDenied.reason : DENY_REASONS.defaultDeny;
  return result.permitted.length > 0
    ? { outcome: '4', outcomeDesc: `${denied.length} record(s) withheld: ${reason}` }
    : { outcome: '8', outcomeDesc: reason };
}

function auditedRecords(result: PatientDecision): AuditedRecord[] {
  return result.decisions
    .filter(({ decision }) => decision.permit)
    .map(({ record }) => ({
      reference: `${record.resourceType}/${record.id}/_history/${record.version}`,
      securityLabels: record.securityLabels,
    }));
}

function decidingConsents(result: PatientDecision): string[] {
  return [...new Set(result.decisions.flatMap(({ decision }) => decision.consents))].sort();
}

function grantUsed(result: PatientDecision): string | undefined {
  for (const { decision } of result.decisions)
    if (decision.permit && decision.grantId !== undefined) return decision.grantId;
  return undefined;
}

/** How an access to a patient id the ledger does not know is audited: a denial, labelled as such for the reviewer. */
export const UNKNOWN_PATIENT = 'unknown patient id: no such patient';

/**
 * The home "organisation" of an unknown patient id. Not an MSP id (those start with a letter), so no privacy officer's
 * audit view and no treatment relationship can ever match it; its audit index entry is what a hidden patient's home
 * organisation gets.
 */
export const NO_SUCH_PATIENT_ORG = '-no-such-patient';

/**
 * The patient an unknown id is decided as (principle 7): the contract then makes the same reads, range queries,
 * decisions and audit writes for an id that does not exist as for a patient the caller may not see, so the two cost
 * the same.
 */
function standInPatient(tx: Tx, patientId: string): PatientRecord {
  return { id: patientId, homeOrg: NO_SUCH_PATIENT_ORG, registeredBy: '', registeredAt: tx.time, txId: tx.txId };
}

/** One stand-in per requested record id, of the requested type and held by the caller's organisation. */
function standInRecords(tx: Tx, input: AuthorizeAccessInput): RecordMetadata[] {
  return input.recordIds.map((id) => ({
    id,
    patientId: input.patientId,
    resourceType: input.resourceTypes[0] ?? 'Resource',
    category: '',
    securityLabels: [],
    codes: [],
    related: [],
    ciphertextSha256: '',
    plaintextHmac: '',
    custodian: tx.caller.mspId,
    author: '',
    version: 1,
    status: 'active',
    createdAt: tx.time,
    updatedAt: tx.time,
    txId: tx.txId,
  }));
}

async function loadCandidates(tx: Tx, input: AuthorizeAccessInput): Promise<RecordMetadata[]> {
  if (input.recordIds.length === 0) return listPatientRecords(tx, input.patientId, input.resourceTypes);
  const records: RecordMetadata[] = [];
  for (const id of input.recordIds) {
    const record = await findRecord(tx, id);
    if (record && (input.resourceTypes.length === 0 || input.resourceTypes.includes(record.resourceType))) {
      records.push(record);
    }
  }
  return records;
}

interface AccessDecision {
  /** The patient, or the stand-in of an unknown id; none when the purpose was refused. */
  readonly patient: PatientRecord | undefined;
  readonly result: PatientDecision;
  readonly outcome: { outcome: AuditOutcome; outcomeDesc?: string };
}

async function decideAccess(tx: Tx, input: AuthorizeAccessInput, purposeAccepted: boolean): Promise<AccessDecision> {
  const found = purposeAccepted ? await findPatient(tx, input.patientId) : undefined;
  const unknown = purposeAccepted && found === undefined;
  const patient = found ?? (unknown ? standInPatient(tx, input.patientId) : undefined);
  const study = input.studyId === undefined ? undefined : await findStudy(tx, input.studyId);
  const candidates = patient ? await loadCandidates(tx, input) : [];
  const result = await decidePatient(tx, patient, unknown ? standInRecords(tx, input) : candidates, {
    purpose: input.purpose,
    // Research reads are "use" of the data under a study (what research consents and approved requests grant).
    action: input.purpose === 'HRESCH' ? 'use' : 'access',
    ...(study ? { study } : {}),
  });
  if (!unknown) return { patient, result, outcome: outcomeOf(result, purposeAccepted) };
  // What was decided over the stand-in is neither released nor audited as a record: it only cost the same.
  const nothing: PatientDecision = { permitted: [], decisions: [] };
  return { patient, result: nothing, outcome: { outcome: '8', outcomeDesc: UNKNOWN_PATIENT } };
}

/**
 * The read gate. Decides every candidate record inside the contract from the caller's certificate and the patient's
 * consents, and always records an audit event, permitted or not. A refusal is a normal result, not an error, so that
 * the denial is committed with the transaction.
 */
export async function authorizeAccess(tx: Tx, input: AuthorizeAccessInput): Promise<AuthorizeAccessResult> {
  const purposeAccepted = roleMayAssert(tx.caller.role, input.purpose);
  const { patient, result, outcome } = await decideAccess(tx, input, purposeAccepted);
  const grantId = grantUsed(result);
  const event = await audit(tx, {
    kind: outcome.outcome === '8' ? 'access-denied' : input.interaction === 'search' ? 'search' : 'read',
    patientId: input.patientId,
    ...outcome,
    purpose: input.purpose,
    requestId: input.requestId,
    records: auditedRecords(result),
    withheld: result.decisions.length - result.permitted.length,
    consents: decidingConsents(result),
    grantId,
    studyId: input.studyId,
    orgs: [...(patient ? [patient.homeOrg] : []), ...result.decisions.map(({ record }) => record.custodian)],
  });
  tx.emit('AccessAuthorized', {
    auditEventId: event.id,
    patientId: input.patientId,
    outcome: outcome.outcome,
    emergency: grantId !== undefined,
  });
  return { auditEventId: event.id, txId: tx.txId, purposeAccepted, records: result.permitted };
}

export interface CohortMember {
  readonly patientId: string;
  readonly auditEventId: string;
  readonly records: readonly PermittedRecord[];
}

export interface AuthorizeCohortResult {
  readonly txId: string;
  readonly purposeAccepted: boolean;
  /** Only patients with at least one permitted record. */
  readonly members: readonly CohortMember[];
}

/**
 * Only the study's own team draws its cohort, and only while the study is approved. Anyone else is refused once, as if
 * the study did not exist, instead of a refusal written to every patient's trail under a study that is not theirs; the
 * team's own study that is not (or no longer) approved is refused once too.
 */
function requireOwnActiveStudy(tx: Tx, study: StudyRecord | undefined): asserts study is StudyRecord {
  if (
    study === undefined ||
    tx.caller.role !== studyOwnerRole(study.purpose) ||
    tx.caller.mspId !== study.proposer.mspId
  ) {
    throw new DomainError('NOT_FOUND', 'study not found');
  }
  if (!isStudyActive(study, tx.timeMs)) {
    throw new DomainError('STUDY_NOT_APPROVED', 'study is not approved or has ended');
  }
}

/**
 * The record types a cohort draws: those asked for, which must lie within what the study or programme was approved
 * for, or else all of those. A request outside the approval is refused once, not written as a refusal per patient.
 */
function cohortTypes(input: AuthorizeCohortInput, study: StudyRecord): readonly string[] {
  if ((input.purpose === 'PUBHLTH') !== (study.purpose === 'PUBHLTH')) {
    throw new DomainError('INVALID_ARGUMENT', `study ${study.id} is not a ${input.purpose} study or programme`);
  }
  const outside = input.resourceTypes.filter((type) => !study.resourceTypes.includes(type));
  if (outside.length > 0) {
    throw new DomainError('ACCESS_DENIED', `the study was not approved for ${outside.join(', ')}`);
  }
  return input.resourceTypes.length > 0 ? input.resourceTypes : study.resourceTypes;
}

/**
 * Consent-gated cohort extraction for research (under an approved study) and public-health aggregates. Decides each
 * patient's records with action `use` and writes one audit event per patient, so each patient sees the use.
 */
export async function authorizeCohort(tx: Tx, input: AuthorizeCohortInput): Promise<AuthorizeCohortResult> {
  const purposeAccepted = roleMayAssert(tx.caller.role, input.purpose);
  const study = await findStudy(tx, input.studyId);
  requireOwnActiveStudy(tx, study);
  const types = cohortTypes(input, study);
  const members: CohortMember[] = [];
  for (const patientId of input.patientIds) {
    const member = await authorizeCohortMember(tx, input, patientId, { purposeAccepted, types, study });
    if (member.records.length > 0) members.push(member);
  }
  tx.emit('CohortAuthorized', { purpose: input.purpose, studyId: input.studyId, members: members.length });
  return { txId: tx.txId, purposeAccepted, members };
}

async function authorizeCohortMember(
  tx: Tx,
  input: AuthorizeCohortInput,
  patientId: string,
  scope: { purposeAccepted: boolean; types: readonly string[]; study: StudyRecord },
): Promise<CohortMember> {
  const patient = scope.purposeAccepted ? await findPatient(tx, patientId) : undefined;
  const candidates = patient ? await listPatientRecords(tx, patientId, scope.types) : [];
  const result = await decidePatient(tx, patient, candidates, {
    purpose: input.purpose,
    action: 'use',
    study: scope.study,
  });
  const event = await audit(tx, {
    kind: input.purpose === 'HRESCH' ? 'research-use' : 'public-health-use',
    patientId,
    ...outcomeOf(result, scope.purposeAccepted),
    purpose: input.purpose,
    requestId: input.requestId,
    records: auditedRecords(result),
    withheld: result.decisions.length - result.permitted.length,
    consents: decidingConsents(result),
    studyId: input.studyId,
    orgs: [...(patient ? [patient.homeOrg] : []), ...result.decisions.map(({ record }) => record.custodian)],
  });
  return { patientId, auditEventId: event.id, records: result.permitted };
}
