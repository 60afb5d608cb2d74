import { DomainError, expectPositiveNumber, isGrantActive, onlyKnownKeys, parseJsonObject } from '@medledger/core';
import type { BreakGlassInput, EmergencyGrant, ReviewEmergencyInput, RevokeEmergencyInput } from '@medledger/core';
import { audit, findPatient, KEYS, listEmergencyGrants, requireCallerPatient } from './store.js';
import type { Tx } from './tx.js';

/** Break-glass grants last four hours unless the clinician's organisation configured otherwise. */
export const DEFAULT_EMERGENCY_MINUTES = 240;
const MAX_EMERGENCY_MINUTES = 24 * 60;
const MIN_EMERGENCY_MINUTES = 15;

interface EmergencyPolicy {
  readonly durationMinutes: number;
  readonly setBy: string;
  readonly setAt: string;
}

function policyKey(tx: Tx, mspId: string): string {
  return tx.key(KEYS.config, 'emergency', mspId);
}

/**
 * Break-glass (purpose ETREAT): a clinician overrides consent for a time-boxed grant. The reason is required; its text
 * stays off-chain and only its hash is recorded. The grant is flagged to the patient (audit event + chaincode event)
 * and queued for review by a privacy officer of the patient's home organisation: the custodian whose records were opened
 * under the override, and not the organisation whose clinician is being reviewed (which sees the events in its audit
 * trail).
 */
export async function breakGlass(tx: Tx, input: BreakGlassInput): Promise<EmergencyGrant> {
  const { role, mspId } = tx.caller;
  if (role !== 'clinician') throw new DomainError('ACCESS_DENIED', 'only clinicians may break the glass');
  const patient = await findPatient(tx, input.patientId);
  if (!patient) throw new DomainError('NOT_FOUND', 'patient not found');
  const policy = await tx.get<EmergencyPolicy>(policyKey(tx, mspId));
  const minutes = policy?.durationMinutes ?? DEFAULT_EMERGENCY_MINUTES;
  const grant: EmergencyGrant = {
    id: tx.newId('eg'),
    patientId: patient.id,
    clinician: tx.caller,
    reasonHash: input.reasonHash,
    reasonCode: input.reasonCode,
    startedAt: tx.time,
    expiresAt: new Date(tx.timeMs + minutes * 60_000).toISOString(),
    review: 'pending',
    txId: tx.txId,
  };
  await tx.put(tx.key(KEYS.emergency, patient.id, grant.id), grant);
  await tx.put(tx.key(KEYS.emergencyReview, patient.homeOrg, grant.id), { patientId: patient.id, grantId: grant.id });
  await audit(tx, {
    kind: 'break-glass-start',
    patientId: patient.id,
    outcome: '0',
    purpose: 'ETREAT',
    grantId: grant.id,
    orgs: [patient.homeOrg],
  });
  tx.emit('BreakGlass', { grantId: grant.id, patientId: patient.id, mspId, expiresAt: grant.expiresAt });
  return grant;
}

/** A privacy officer of the patient's home organisation records whether a break-glass access was justified. */
export async function reviewEmergencyAccess(tx: Tx, input: ReviewEmergencyInput): Promise<EmergencyGrant> {
  const { role, mspId, uid } = tx.caller;
  const grant = await tx.get<EmergencyGrant>(tx.key(KEYS.emergency, input.patientId, input.grantId));
  const patient = grant ? await findPatient(tx, grant.patientId) : undefined;
  if (role !== 'privacy-officer' || !grant || !patient || patient.homeOrg !== mspId) {
    throw new DomainError('NOT_FOUND', 'emergency grant not found');
  }
  if (grant.review !== 'pending') throw new DomainError('CONFLICT', 'emergency grant was already reviewed');
  const reviewed: EmergencyGrant = {
    ...grant,
    review: input.outcome,
    reviewedBy: `Practitioner/${uid}`,
    reviewedAt: tx.time,
    reviewNoteHash: input.noteHash,
  };
  await tx.put(tx.key(KEYS.emergency, grant.patientId, grant.id), reviewed);
  await tx.delete(tx.key(KEYS.emergencyReview, mspId, grant.id));
  await audit(tx, {
    kind: 'emergency-review',
    patientId: grant.patientId,
    outcome: '0',
    outcomeDesc: `break-glass reviewed: ${input.outcome}`,
    grantId: grant.id,
    // The clinician's organisation learns the outcome of the review of its staff member.
    orgs: [patient.homeOrg, grant.clinician.mspId],
  });
  tx.emit('EmergencyReviewed', { grantId: grant.id, patientId: grant.patientId, outcome: input.outcome });
  return reviewed;
}

/**
 * The patient ends a break-glass grant on their own data before it expires. Only the patient themself (the grant is
 * looked up under the caller's own patient id, so anyone else finds nothing). The clinician's next read falls back to
 * the consents; the grant stays in the privacy officer's queue, since what was opened under it still needs review.
 */
export async function revokeEmergencyAccess(tx: Tx, input: RevokeEmergencyInput): Promise<EmergencyGrant> {
  const patient = await requireCallerPatient(tx);
  const grant = await tx.get<EmergencyGrant>(tx.key(KEYS.emergency, patient.id, input.grantId));
  if (!grant) throw new DomainError('NOT_FOUND', 'emergency grant not found');
  if (!isGrantActive(grant, tx.timeMs)) throw new DomainError('CONFLICT', 'the emergency access has already ended');
  const ended: EmergencyGrant = {
    ...grant,
    endedAt: tx.time,
    endedBy: `Patient/${patient.id}`,
    endReason: 'revoked-by-patient',
  };
  await tx.put(tx.key(KEYS.emergency, patient.id, grant.id), ended);
  await audit(tx, {
    kind: 'break-glass-end',
    patientId: patient.id,
    outcome: '0',
    outcomeDesc: 'emergency access revoked by the patient',
    purpose: 'ETREAT',
    grantId: grant.id,
    // The home organisation reviews the grant; the clinician's organisation learns that its staff member lost access.
    orgs: [patient.homeOrg, grant.clinician.mspId],
  });
  tx.emit('EmergencyAccessRevoked', { grantId: grant.id, patientId: patient.id, mspId: grant.clinician.mspId });
  return ended;
}

/** The calling patient's break-glass grants (active, expired and ended), in key order. */
export async function getMyEmergencyGrants(tx: Tx): Promise<EmergencyGrant[]> {
  const patient = await requireCallerPatient(tx);
  return listEmergencyGrants(tx, patient.id);
}

/** The privacy officer's queue: unreviewed break-glass grants on their organisation's patients. */
export async function listPendingEmergencyReviews(tx: Tx): Promise<EmergencyGrant[]> {
  const { role, mspId } = tx.caller;
  if (role !== 'privacy-officer') throw new DomainError('ACCESS_DENIED', 'only privacy officers review break-glass');
  const queue = await tx.list<{ patientId: string; grantId: string }>(KEYS.emergencyReview, mspId);
  const grants: EmergencyGrant[] = [];
  for (const { value } of queue) {
    const grant = await tx.get<EmergencyGrant>(tx.key(KEYS.emergency, value.patientId, value.grantId));
    if (grant) grants.push(grant);
  }
  return grants;
}

export function parseEmergencyPolicy(text: string): { durationMinutes: number } {
  const input = parseJsonObject(text, 'SetEmergencyPolicy input');
  onlyKnownKeys(input, ['durationMinutes'], 'SetEmergencyPolicy input');
  const minutes = expectPositiveNumber(input.durationMinutes, 'durationMinutes', MAX_EMERGENCY_MINUTES);
  if (!Number.isInteger(minutes) || minutes < MIN_EMERGENCY_MINUTES) {
    throw new DomainError('INVALID_ARGUMENT', `durationMinutes must be a whole number ≥ ${MIN_EMERGENCY_MINUTES}`);
  }
  return { durationMinutes: minutes };
}

/** An organisation's admin sets how long its clinicians' break-glass grants last. */
export async function setEmergencyPolicy(tx: Tx, input: { durationMinutes: number }): Promise<EmergencyPolicy> {
  if (tx.caller.role !== 'admin') throw new DomainError('ACCESS_DENIED', 'only an admin may set the emergency policy');
  const policy: EmergencyPolicy = {
    durationMinutes: input.durationMinutes,
    setBy: `Practitioner/${tx.caller.uid}`,
    setAt: tx.time,
  };
  await tx.put(policyKey(tx, tx.caller.mspId), policy);
  tx.emit('EmergencyPolicyChanged', { mspId: tx.caller.mspId, durationMinutes: input.durationMinutes });
  return policy;
}
