import {
  batchItemError,
  DomainError,
  decideRecordWrite,
  invalid,
  parseJsonObject,
  PATTERNS,
  expectString,
  optionalString,
  onlyKnownKeys,
} from '@medledger/core';
import type {
  ConsentRecord,
  PatientRecord,
  RecordFacts,
  RecordMetadata,
  RegisterRecordInput,
  RegisterRecordsInput,
} from '@medledger/core';
import { audit, callerPatientId, findPatient, findRecord, listConsents, saveRecord } from './store.js';
import type { Tx } from './tx.js';

/** The consent-relevant facts of a ledger record. */
export function recordFacts(record: RecordMetadata): RecordFacts {
  return {
    recordId: record.id,
    resourceType: record.resourceType,
    securityLabels: record.securityLabels,
    codes: record.codes,
    clinicalDate: record.clinicalDate,
    custodian: record.custodian,
    author: record.author,
    related: record.related,
  };
}

/** The active record a new version replaces: same patient, same custodian, same type. */
async function supersededRecord(
  tx: Tx,
  input: RegisterRecordInput,
  patientId: string,
): Promise<RecordMetadata | undefined> {
  if (input.supersedes === undefined) return undefined;
  const previous = await findRecord(tx, input.supersedes);
  if (
    !previous ||
    previous.patientId !== patientId ||
    previous.custodian !== tx.caller.mspId ||
    previous.status !== 'active'
  ) {
    throw new DomainError('CONFLICT', 'supersedes must name an active record of the same patient held by the caller');
  }
  if (previous.resourceType !== input.resourceType) throw invalid('a new version must keep the resource type');
  return previous;
}

const WRITE_DENIED = 'no permission to register records for this patient';

/** What a write is decided on: the patient and their consents (undefined for an unknown patient). */
interface WriteSubject {
  readonly patient: PatientRecord;
  readonly consents: readonly ConsentRecord[];
}

async function writeSubject(tx: Tx, patientId: string): Promise<WriteSubject | undefined> {
  const patient = await findPatient(tx, patientId);
  return patient ? { patient, consents: await listConsents(tx, patient.id) } : undefined;
}

/**
 * Decides and writes one record with its audit event; emits nothing. An unknown patient and a refused one give the
 * same answer, and permission is decided before the record id is looked up.
 */
async function writeRecord(
  tx: Tx,
  input: RegisterRecordInput,
  subject: WriteSubject | undefined,
): Promise<RecordMetadata> {
  const { mspId, uid } = tx.caller;
  if (!subject) throw new DomainError('ACCESS_DENIED', WRITE_DENIED);
  const { patient, consents } = subject;
  // Permission first: an unpermitted caller must not learn which record ids exist (principle 7).
  const decision = decideRecordWrite(
    { requester: tx.requester(), patient, time: tx.timeMs, consents },
    {
      recordId: input.recordId,
      resourceType: input.resourceType,
      securityLabels: input.securityLabels,
      codes: input.codes,
      clinicalDate: input.clinicalDate,
      custodian: mspId,
      author: `Practitioner/${uid}`,
      related: input.related,
    },
  );
  if (!decision.permit) throw new DomainError('ACCESS_DENIED', WRITE_DENIED);
  if (await findRecord(tx, input.recordId)) throw new DomainError('ALREADY_EXISTS', 'record already exists');

  const previous = await supersededRecord(tx, input, patient.id);
  const version = previous ? previous.version + 1 : 1;
  const record: RecordMetadata = {
    id: input.recordId,
    patientId: patient.id,
    resourceType: input.resourceType,
    category: input.category,
    securityLabels: input.securityLabels,
    codes: input.codes,
    clinicalDate: input.clinicalDate,
    related: input.related,
    ciphertextSha256: input.ciphertextSha256,
    plaintextHmac: input.plaintextHmac,
    custodian: mspId,
    author: `Practitioner/${uid}`,
    version,
    supersedes: input.supersedes,
    status: 'active',
    createdAt: tx.time,
    updatedAt: tx.time,
    txId: tx.txId,
  };

  if (previous) await saveRecord(tx, { ...previous, status: 'superseded', updatedAt: tx.time });
  await saveRecord(tx, record);
  await audit(tx, {
    kind: 'record-create',
    patientId: patient.id,
    outcome: '0',
    records: [
      { reference: `${record.resourceType}/${record.id}/_history/${version}`, securityLabels: record.securityLabels },
    ],
    consents: decision.consents,
    orgs: [patient.homeOrg],
  });
  return record;
}

/** What the record events say about a registered record. */
function registered(record: RecordMetadata): Record<string, unknown> {
  return { recordId: record.id, patientId: record.patientId, custodian: record.custodian, version: record.version };
}

/**
 * Indexes an off-chain record. The custodian is the caller's organisation; the clinician must be of the patient's
 * home organisation or hold a consent permitting `collect` or treatment access. An unknown patient and a refused
 * one give the same answer.
 */
export async function registerRecord(tx: Tx, input: RegisterRecordInput): Promise<RecordMetadata> {
  const record = await writeRecord(tx, input, await writeSubject(tx, input.patientId));
  tx.emit('RecordRegistered', registered(record));
  return record;
}

/**
 * Indexes up to 500 records in one transaction, all or nothing: each record exactly as RegisterRecord would, in
 * input order; the first refusal fails the whole transaction with its code and the item's index (`records[i]: …`),
 * so nothing is written. One audit event per record, and one `RecordsRegistered` event (Fabric keeps one chaincode
 * event per transaction). Records may be of different patients; each patient and their consents are read once.
 */
export async function registerRecords(tx: Tx, input: RegisterRecordsInput): Promise<{ records: RecordMetadata[] }> {
  const subjects = new Map<string, WriteSubject | undefined>();
  const records: RecordMetadata[] = [];
  for (const [index, item] of input.records.entries()) {
    try {
      if (!subjects.has(item.patientId)) subjects.set(item.patientId, await writeSubject(tx, item.patientId));
      records.push(await writeRecord(tx, item, subjects.get(item.patientId)));
    } catch (err: unknown) {
      throw batchItemError(index, err);
    }
  }
  tx.emit('RecordsRegistered', { records: records.map(registered) });
  return { records };
}

export interface EraseRecordInput {
  readonly recordId: string;
  /** SHA-256 of the patient's erasure request, required when the custodian erases on the patient's behalf. */
  readonly patientRequestHash?: string;
}

export function parseEraseRecord(text: string): EraseRecordInput {
  const input = parseJsonObject(text, 'EraseRecord input');
  onlyKnownKeys(input, ['recordId', 'patientRequestHash'], 'EraseRecord input');
  const patientRequestHash = optionalString(input.patientRequestHash, PATTERNS.sha256Hex, 'patientRequestHash');
  return {
    recordId: expectString(input.recordId, PATTERNS.recordId, 'recordId'),
    patientRequestHash,
  };
}

export interface ErasureReceipt {
  readonly receiptId: string;
  readonly recordId: string;
  readonly patientId: string;
  readonly custodian: string;
  readonly erasedAt: string;
  readonly txId: string;
}

/** Who may erase: the patient themself, or the custodian's privacy officer or admin. */
async function erasureRole(tx: Tx, record: RecordMetadata): Promise<'patient' | 'custodian' | undefined> {
  if ((await callerPatientId(tx)) === record.patientId) return 'patient';
  const { role, mspId } = tx.caller;
  return (role === 'privacy-officer' || role === 'admin') && record.custodian === mspId ? 'custodian' : undefined;
}

/**
 * Marks a record erased (the custodian then destroys its data key and ciphertext). The patient may erase their own
 * record; the custodian's privacy officer or admin may, on the patient's documented request. The record's audit
 * trail stays.
 */
export async function eraseRecord(tx: Tx, input: EraseRecordInput): Promise<ErasureReceipt> {
  const record = await findRecord(tx, input.recordId);
  const eraser = record ? await erasureRole(tx, record) : undefined;
  if (!record || !eraser) throw new DomainError('NOT_FOUND', 'record not found');
  if (eraser === 'custodian' && input.patientRequestHash === undefined) {
    throw invalid('patientRequestHash is required when the custodian erases a record');
  }
  if (record.status === 'erased') throw new DomainError('CONFLICT', 'record is already erased');
  const patient = await findPatient(tx, record.patientId);
  await saveRecord(tx, { ...record, status: 'erased', updatedAt: tx.time });
  const event = await audit(tx, {
    kind: 'record-erase',
    patientId: record.patientId,
    outcome: '0',
    records: [
      {
        reference: `${record.resourceType}/${record.id}/_history/${record.version}`,
        securityLabels: record.securityLabels,
      },
    ],
    orgs: [record.custodian, ...(patient ? [patient.homeOrg] : [])],
  });
  tx.emit('RecordErased', {
    recordId: record.id,
    patientId: record.patientId,
    custodian: record.custodian,
    receiptId: event.id,
  });
  return {
    receiptId: event.id,
    recordId: record.id,
    patientId: record.patientId,
    custodian: record.custodian,
    erasedAt: tx.time,
    txId: tx.txId,
  };
}

/** Record metadata (hashes, status) for the patient themself and for members of the custodian organisation. */
export async function getRecordMetadata(tx: Tx, recordId: string): Promise<RecordMetadata> {
  const record = await findRecord(tx, recordId);
  const selfPatient = await callerPatientId(tx);
  const ofCustodian = record?.custodian === tx.caller.mspId && tx.caller.role !== 'patient';
  if (!record || (record.patientId !== selfPatient && !ofCustodian)) {
    throw new DomainError('NOT_FOUND', 'record not found');
  }
  return record;
}
