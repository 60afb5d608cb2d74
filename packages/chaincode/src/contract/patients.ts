import { DomainError } from '@medledger/core';
import type { PatientRecord, RegisterPatientInput } from '@medledger/core';
import { callerPatientId, findPatient, identityKey, KEYS } from './store.js';
import type { Tx } from './tx.js';

export interface RegisterPatientResult {
  readonly patientId: string;
  readonly homeOrg: string;
  readonly created: boolean;
}

/**
 * A clinician or admin registers a patient of their organisation (by the patient's login uid at their CA), or a
 * patient registers themself. The binding is (MSP, uid) → pseudonymous id, so another organisation's CA cannot
 * claim the patient by issuing a certificate with the same uid. Registering again returns the existing id.
 */
export async function registerPatient(tx: Tx, input: RegisterPatientInput): Promise<RegisterPatientResult> {
  const { role, mspId, uid } = tx.caller;
  let patientUid: string;
  if (role === 'patient') {
    if (input.patientUid !== undefined && input.patientUid !== uid) {
      throw new DomainError('ACCESS_DENIED', 'a patient may register only themself');
    }
    patientUid = uid;
  } else if (role === 'clinician' || role === 'admin') {
    if (input.patientUid === undefined) throw new DomainError('INVALID_ARGUMENT', 'patientUid is required');
    patientUid = input.patientUid;
  } else {
    throw new DomainError('ACCESS_DENIED', `role ${role} may not register patients`);
  }
  const bindingKey = identityKey(tx, mspId, patientUid);
  const existing = await tx.get<{ patientId: string }>(bindingKey);
  if (existing) return { patientId: existing.patientId, homeOrg: mspId, created: false };

  const id = tx.newId('pt');
  const patient: PatientRecord = {
    id,
    homeOrg: mspId,
    registeredBy: role === 'patient' ? `Patient/${id}` : `Practitioner/${uid}`,
    registeredAt: tx.time,
    txId: tx.txId,
  };
  await tx.put(tx.key(KEYS.patient, id), patient);
  await tx.put(bindingKey, { patientId: id });
  tx.emit('PatientRegistered', { patientId: id, homeOrg: mspId });
  return { patientId: id, homeOrg: mspId, created: true };
}

export interface WhoAmIResult {
  readonly mspId: string;
  readonly role: string;
  readonly uid: string;
  readonly patientId?: string;
}

/** The caller as the ledger sees them, with their patient id when they are a registered patient. */
export async function whoAmI(tx: Tx): Promise<WhoAmIResult> {
  const patientId = await callerPatientId(tx);
  const patient = patientId === undefined ? undefined : await findPatient(tx, patientId);
  return { ...tx.caller, ...(patient ? { patientId: patient.id } : {}) };
}
