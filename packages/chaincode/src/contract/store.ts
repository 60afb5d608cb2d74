import { DomainError } from '@medledger/core';
import type {
  AccessRequestRecord,
  AuditRecord,
  ConsentRecord,
  EmergencyGrant,
  PatientRecord,
  RecordMetadata,
  StudyRecord,
} from '@medledger/core';
import { sha256Hex } from './tx.js';
import type { Tx } from './tx.js';

/**
 * World-state layout. Every key is a composite key whose first attribute spreads writes (patient id, org, record id),
 * so concurrent transactions of different patients never touch the same key: no global counters.
 */
export const KEYS = {
  patient: 'patient',
  patientIdentity: 'patient-identity',
  consent: 'consent',
  consentVersion: 'consent-version',
  consentByRecipient: 'consent-by-recipient',
  record: 'record',
  recordByPatient: 'record-by-patient',
  emergency: 'emergency',
  emergencyReview: 'emergency-review',
  accessRequest: 'access-request',
  accessRequestByRequester: 'access-request-by-requester',
  audit: 'audit',
  auditNewest: 'audit-newest',
  auditByOrgNewest: 'audit-by-org-newest',
  // The organisation index of earlier contract versions (oldest first). Nothing writes it any more; only
  // MigrateAuditIndexes reads it, moving each event to the two newest-first indexes above.
  legacyAuditByOrg: 'audit-by-org',
  study: 'study',
  config: 'config',
} as const;

/** Fixed-width version numbers so that versions sort in key order. */
export function versionKey(version: number): string {
  return String(version).padStart(9, '0');
}

export function identityKey(tx: Tx, mspId: string, uid: string): string {
  // The uid is an account name; the ledger keeps only its hash.
  return tx.key(KEYS.patientIdentity, sha256Hex(`${mspId}\n${uid}`));
}

export async function findPatient(tx: Tx, patientId: string): Promise<PatientRecord | undefined> {
  return tx.get<PatientRecord>(tx.key(KEYS.patient, patientId));
}

const callerPatients = new WeakMap<Tx, Promise<string | undefined>>();

/** The patient the caller is, when the caller is a registered patient (looked up once per transaction). */
export function callerPatientId(tx: Tx): Promise<string | undefined> {
  let found = callerPatients.get(tx);
  if (!found) {
    found =
      tx.caller.role === 'patient'
        ? tx
            .get<{ patientId: string }>(identityKey(tx, tx.caller.mspId, tx.caller.uid))
            .then((binding) => binding?.patientId)
        : Promise.resolve(undefined);
    callerPatients.set(tx, found);
  }
  return found;
}

/** The caller's own patient id; only patients have one. */
export async function requireCallerPatient(tx: Tx): Promise<PatientRecord> {
  const patientId = await callerPatientId(tx);
  const patient = patientId === undefined ? undefined : await findPatient(tx, patientId);
  if (!patient) throw new DomainError('ACCESS_DENIED', 'caller is not a registered patient');
  return patient;
}

export async function listConsents(tx: Tx, patientId: string): Promise<ConsentRecord[]> {
  return (await tx.list<ConsentRecord>(KEYS.consent, patientId)).map((entry) => entry.value);
}

export async function saveConsent(tx: Tx, consent: ConsentRecord): Promise<void> {
  await tx.putEach(
    [
      tx.key(KEYS.consent, consent.patientId, consent.id),
      tx.key(KEYS.consentVersion, consent.patientId, consent.id, versionKey(consent.version)),
    ],
    consent,
  );
}

export async function findRecord(tx: Tx, recordId: string): Promise<RecordMetadata | undefined> {
  return tx.get<RecordMetadata>(tx.key(KEYS.record, recordId));
}

export async function saveRecord(tx: Tx, record: RecordMetadata): Promise<void> {
  await tx.put(tx.key(KEYS.record, record.id), record);
  await tx.put(tx.key(KEYS.recordByPatient, record.patientId, record.resourceType, record.id), { id: record.id });
}

/** The patient's records of the given types (all types when empty), in key order. */
export async function listPatientRecords(
  tx: Tx,
  patientId: string,
  resourceTypes: readonly string[],
): Promise<RecordMetadata[]> {
  const refs: Array<{ value: { id: string } }> = [];
  if (resourceTypes.length === 0) refs.push(...(await tx.list<{ id: string }>(KEYS.recordByPatient, patientId)));
  for (const type of resourceTypes)
    refs.push(...(await tx.list<{ id: string }>(KEYS.recordByPatient, patientId, type)));
  const records: RecordMetadata[] = [];
  for (const ref of refs) {
    const record = await findRecord(tx, ref.value.id);
    if (record) records.push(record);
  }
  return records;
}

export async function listEmergencyGrants(tx: Tx, patientId: string): Promise<EmergencyGrant[]> {
  return (await tx.list<EmergencyGrant>(KEYS.emergency, patientId)).map((entry) => entry.value);
}

export async function findAccessRequest(
  tx: Tx,
  patientId: string,
  requestId: string,
): Promise<AccessRequestRecord | undefined> {
  return tx.get<AccessRequestRecord>(tx.key(KEYS.accessRequest, patientId, requestId));
}

export async function findStudy(tx: Tx, studyId: string): Promise<StudyRecord | undefined> {
  return tx.get<StudyRecord>(tx.key(KEYS.study, studyId));
}

/** The largest millisecond time an audit key can hold (year 2286): 13 digits. */
const LAST_MILLISECOND = 9_999_999_999_999;

/**
 * An event time as a key part that sorts newest first: Fabric's range queries run in ascending key order only, and
 * audit readers want the newest events, so the index holds the milliseconds left until {@link LAST_MILLISECOND}.
 */
export function newestFirstTime(recorded: string): string {
  return String(LAST_MILLISECOND - Date.parse(recorded)).padStart(13, '0');
}

/** What an audit index entry points at: the event's own key (patient, time, id). */
export interface AuditRef {
  readonly patientId: string;
  readonly recorded: string;
  readonly id: string;
}

/**
 * Appends an audit event under the patient, and a reference to it in two newest-first indexes: the patient's and
 * that of every organisation involved. Keys start with the patient (or org) and the time, so timelines read in
 * order without a global sequence, and a reader of the newest events reads only those.
 */
export async function appendAudit(tx: Tx, event: AuditRecord): Promise<void> {
  await tx.put(tx.key(KEYS.audit, event.patientId, event.recorded, event.id), event);
  await putAuditIndexes(tx, event);
}

/** References an audit event in the patient's newest-first index and in that of every organisation involved. */
export async function putAuditIndexes(tx: Tx, event: AuditRecord): Promise<void> {
  const ref: AuditRef = { patientId: event.patientId, recorded: event.recorded, id: event.id };
  const newest = newestFirstTime(event.recorded);
  await tx.putEach(
    [
      tx.key(KEYS.auditNewest, event.patientId, newest, event.id),
      ...event.orgs.map((org) => tx.key(KEYS.auditByOrgNewest, org, newest, event.id)),
    ],
    ref,
  );
}

export async function findAudit(
  tx: Tx,
  patientId: string,
  recorded: string,
  id: string,
): Promise<AuditRecord | undefined> {
  return tx.get<AuditRecord>(tx.key(KEYS.audit, patientId, recorded, id));
}

type AuditFields = Omit<
  AuditRecord,
  'id' | 'recorded' | 'txId' | 'agent' | 'orgs' | 'records' | 'withheld' | 'consents'
> &
  Partial<Pick<AuditRecord, 'records' | 'withheld' | 'consents'>> & { readonly orgs?: readonly string[] };

async function agentReference(tx: Tx): Promise<string> {
  const selfPatient = await callerPatientId(tx);
  return selfPatient === undefined ? `Practitioner/${tx.caller.uid}` : `Patient/${selfPatient}`;
}

/** Builds and appends an audit event for this transaction, with the caller as the agent. */
export async function audit(tx: Tx, fields: AuditFields): Promise<AuditRecord> {
  const { mspId, role, uid } = tx.caller;
  const event: AuditRecord = {
    records: [],
    withheld: 0,
    consents: [],
    ...fields,
    id: tx.newId('ae'),
    recorded: tx.time,
    txId: tx.txId,
    agent: { mspId, role, uid, reference: await agentReference(tx) },
    orgs: [...new Set([mspId, ...(fields.orgs ?? [])])].sort(),
  };
  await appendAudit(tx, event);
  return event;
}
