import {
  DomainError,
  fhirInstantRange,
  invalid,
  isStudyActive,
  roleMayAssert,
  SENSITIVITY_CODES,
  SYSTEMS,
} from '@medledger/core';
import type {
  AccessRequestRecord,
  Coding,
  ConsentRecord,
  Provision,
  RequestAccessInput,
  RespondToAccessRequestInput,
} from '@medledger/core';
import { storeConsentVersion } from './consents.js';
import {
  audit,
  callerPatientId,
  findAccessRequest,
  findPatient,
  findStudy,
  KEYS,
  requireCallerPatient,
} from './store.js';
import type { Tx } from './tx.js';

/** Pending requests expire after a week. */
export const ACCESS_REQUEST_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A pending request past its expiry reads as expired; nothing needs to run to expire it. */
export function effectiveStatus(request: AccessRequestRecord, timeMs: number): AccessRequestRecord['status'] {
  return request.status === 'pending' && timeMs >= Date.parse(request.expiresAt) ? 'expired' : request.status;
}

/** A clinician (TREAT), insurer (HPAYMT) or researcher (HRESCH, under an approved study) asks a patient for access. */
export async function requestAccess(tx: Tx, input: RequestAccessInput): Promise<AccessRequestRecord> {
  const { role, mspId, uid } = tx.caller;
  if (
    !['clinician', 'insurer', 'researcher'].includes(role) ||
    input.purpose === 'ETREAT' ||
    !roleMayAssert(role, input.purpose)
  ) {
    throw new DomainError('ACCESS_DENIED', `role ${role} may not request access for this purpose`);
  }
  if (input.purpose === 'HRESCH') {
    const study = input.studyId === undefined ? undefined : await findStudy(tx, input.studyId);
    if (!isStudyActive(study, tx.timeMs) || study.proposer.mspId !== mspId) {
      throw new DomainError('STUDY_NOT_APPROVED', 'research access needs an approved study of your organisation');
    }
  }
  if (input.periodEnd !== undefined && fhirInstantRange(input.periodEnd, 'periodEnd').end < tx.timeMs) {
    throw invalid('periodEnd is in the past');
  }
  const patient = await findPatient(tx, input.patientId);
  if (!patient) throw new DomainError('NOT_FOUND', 'patient not found');
  const request: AccessRequestRecord = {
    id: tx.newId('ar'),
    patientId: patient.id,
    requester: tx.caller,
    purpose: input.purpose,
    action: input.purpose === 'HRESCH' ? 'use' : 'access',
    resourceTypes: input.resourceTypes,
    sensitiveLabels: input.sensitiveLabels,
    periodEnd: input.periodEnd,
    reasonCode: input.reasonCode,
    reasonHash: input.reasonHash,
    studyId: input.studyId,
    status: 'pending',
    createdAt: tx.time,
    expiresAt: new Date(tx.timeMs + ACCESS_REQUEST_TTL_MS).toISOString(),
    txId: tx.txId,
  };
  await tx.put(tx.key(KEYS.accessRequest, patient.id, request.id), request);
  await tx.put(tx.key(KEYS.accessRequestByRequester, mspId, uid, request.id), {
    patientId: patient.id,
    requestId: request.id,
  });
  await audit(tx, {
    kind: 'access-request',
    patientId: patient.id,
    outcome: '0',
    purpose: input.purpose,
    accessRequestId: request.id,
    orgs: [patient.homeOrg],
  });
  tx.emit('AccessRequested', { requestId: request.id, patientId: patient.id, purpose: input.purpose });
  return request;
}

export interface AccessResponseResult {
  readonly request: AccessRequestRecord;
  readonly consent?: ConsentRecord;
}

/**
 * The patient approves (optionally narrower: fewer resource types, fewer sensitive labels, an earlier end) or denies
 * a pending request. Approval creates an opt-in consent for exactly what was approved.
 */
export async function respondToAccessRequest(
  tx: Tx,
  input: RespondToAccessRequestInput,
): Promise<AccessResponseResult> {
  const patient = await requireCallerPatient(tx);
  const request = await findAccessRequest(tx, patient.id, input.requestId);
  if (!request) throw new DomainError('NOT_FOUND', 'access request not found');
  const status = effectiveStatus(request, tx.timeMs);
  if (status === 'expired') throw new DomainError('REQUEST_EXPIRED', 'the access request has expired');
  if (status !== 'pending') throw new DomainError('CONFLICT', `the access request is already ${status}`);

  let consent: ConsentRecord | undefined;
  if (input.decision === 'approve') {
    consent = await storeConsentVersion(tx, patient, {
      status: 'active',
      policyRule: 'OPTIN',
      patientId: patient.id,
      provision: approvedProvision(request, input, tx.timeMs),
    });
  }
  const answered: AccessRequestRecord = {
    ...request,
    status: input.decision === 'approve' ? 'approved' : 'denied',
    respondedAt: tx.time,
    ...(consent ? { consentId: consent.id } : {}),
  };
  await tx.put(tx.key(KEYS.accessRequest, patient.id, request.id), answered);
  await audit(tx, {
    kind: 'access-response',
    patientId: patient.id,
    outcome: '0',
    outcomeDesc: `access request ${answered.status}`,
    purpose: request.purpose,
    accessRequestId: request.id,
    consents: consent ? [`Consent/${consent.id}/_history/${consent.version}`] : [],
    orgs: [patient.homeOrg, request.requester.mspId],
  });
  tx.emit('AccessRequestAnswered', { requestId: request.id, patientId: patient.id, status: answered.status });
  return { request: answered, ...(consent ? { consent } : {}) };
}

/** Checks that an approval only narrows a request. An empty requested type list means "all types". */
function narrower<T>(
  approved: readonly T[] | undefined,
  requested: readonly T[],
  same: (a: T, b: T) => boolean,
  what: string,
  emptyMeansAll: boolean,
): readonly T[] {
  if (approved === undefined) return requested;
  if (emptyMeansAll && requested.length === 0) return approved;
  if (!approved.every((item) => requested.some((candidate) => same(item, candidate)))) {
    throw invalid(`${what} may only narrow what was requested`);
  }
  return approved;
}

function approvedEnd(
  request: AccessRequestRecord,
  input: RespondToAccessRequestInput,
  timeMs: number,
): string | undefined {
  const end = input.periodEnd ?? request.periodEnd;
  if (end === undefined) return undefined;
  const endMs = fhirInstantRange(end, 'periodEnd').end;
  if (request.periodEnd !== undefined && endMs > fhirInstantRange(request.periodEnd, 'periodEnd').end) {
    throw invalid('periodEnd may only shorten what was requested');
  }
  if (endMs < timeMs) throw invalid('periodEnd is in the past');
  return end;
}

const EMPTY_PROVISION = {
  actor: [],
  action: [],
  purpose: [],
  class: [],
  code: [],
  securityLabel: [],
  data: [],
  provision: [],
};

/** The opt-in provision for an approved request: deny by default, permit exactly the approved scope. */
function approvedProvision(
  request: AccessRequestRecord,
  input: RespondToAccessRequestInput,
  timeMs: number,
): Provision {
  const types = narrower(input.resourceTypes, request.resourceTypes, (a, b) => a === b, 'resourceTypes', true);
  if (request.resourceTypes.length > 0 && types.length === 0) {
    throw invalid('approve at least one resource type, or deny');
  }
  const labels = narrower(
    input.sensitiveLabels,
    request.sensitiveLabels,
    (a, b) => a.code === b.code,
    'sensitiveLabels',
    false,
  );
  const end = approvedEnd(request, input, timeMs);
  const { role, uid, mspId } = request.requester;
  // Clinicians are granted as individuals; insurers and researchers work as organisations.
  const actor = role === 'clinician' ? `Practitioner/${uid}` : `Organization/${mspId}`;
  const excluded: Coding[] = SENSITIVITY_CODES.filter((code) => !labels.some((label) => label.code === code)).map(
    (code) => ({ system: SYSTEMS.actCode, code }),
  );
  if (labels.length === 0) excluded.push({ system: SYSTEMS.confidentiality, code: 'R' });
  const permit: Provision = {
    ...EMPTY_PROVISION,
    type: 'permit',
    period: end === undefined ? undefined : { end },
    actor: [{ role: 'IRCP', reference: actor }],
    action: [request.action],
    purpose: [request.purpose],
    class: [...types],
  };
  const exclusions: Provision[] =
    excluded.length > 0 ? [{ ...EMPTY_PROVISION, type: 'deny', securityLabel: sortCodings(excluded) }] : [];
  return { ...EMPTY_PROVISION, type: 'deny', provision: [permit, ...exclusions] };
}

function sortCodings(codings: Coding[]): Coding[] {
  const key = (coding: Coding): string => `${coding.system}|${coding.code}`;
  return [...codings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A patient sees the requests made to them; a requester sees their own. */
export async function listAccessRequests(tx: Tx): Promise<AccessRequestRecord[]> {
  const selfPatient = await callerPatientId(tx);
  let requests: AccessRequestRecord[];
  if (selfPatient !== undefined) {
    requests = (await tx.list<AccessRequestRecord>(KEYS.accessRequest, selfPatient)).map((entry) => entry.value);
  } else {
    const refs = await tx.list<{ patientId: string; requestId: string }>(
      KEYS.accessRequestByRequester,
      tx.caller.mspId,
      tx.caller.uid,
    );
    requests = [];
    for (const { value } of refs) {
      const request = await findAccessRequest(tx, value.patientId, value.requestId);
      if (request) requests.push(request);
    }
  }
  return requests.map((request) => ({ ...request, status: effectiveStatus(request, tx.timeMs) }));
}
