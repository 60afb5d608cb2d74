import { DomainError } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';
import { newId } from '../services/caller.js';
import type { PatientEntry } from '../store/server-store.js';
import { MAX_RECORDS_PER_TRANSACTION } from '../services/records.js';
import { outcomeFor } from '../http/operation-outcome.js';
import { isRecordType, recordFacts } from './resource-facts.js';
import { validateFhirResource } from './validation.js';
import { requireScope } from '../http/caller.js';

type Json = Record<string, unknown>;

interface Entry {
  readonly fullUrl?: string;
  readonly resource?: Json;
  readonly request: { readonly method: string; readonly url: string };
}

function entriesOf(bundle: Json): Entry[] {
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) throw new DomainError('INVALID_ARGUMENT', 'Bundle.entry must be an array');
  return entries.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new DomainError('INVALID_ARGUMENT', `Bundle.entry[${i}] must be an object`);
    }
    const entry = raw as Json;
    const request = entry.request as Json | undefined;
    if (typeof request?.method !== 'string' || typeof request.url !== 'string') {
      throw new DomainError('INVALID_ARGUMENT', `Bundle.entry[${i}].request needs method and url`);
    }
    return {
      ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}),
      ...(typeof entry.resource === 'object' && entry.resource !== null ? { resource: entry.resource as Json } : {}),
      request: { method: request.method, url: request.url },
    };
  });
}

/** Replaces every `reference` that names a Bundle entry's fullUrl by that entry's new server reference. */
function resolveReferences(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, map));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === 'reference' && typeof child === 'string' ? (map.get(child) ?? child) : resolveReferences(child, map);
  }
  return out;
}

function response(status: string, resource?: Json): Json {
  if (resource === undefined) return { response: { status } };
  const versionId = (resource.meta as { versionId?: string } | undefined)?.versionId ?? '1';
  const location = `${String(resource.resourceType)}/${String(resource.id)}/_history/${versionId}`;
  return { response: { status, location }, resource };
}

/** Gives each record entry its record id now, so that references between entries can be resolved before writing. */
function reserveRecordIds(records: readonly Entry[], references: Map<string, string>): Map<Entry, string> {
  const reserved = new Map<Entry, string>();
  for (const entry of records) {
    const recordId = newId('r');
    reserved.set(entry, recordId);
    if (entry.fullUrl !== undefined)
      references.set(entry.fullUrl, `${String(entry.resource?.resourceType)}/${recordId}`);
  }
  return reserved;
}

function requireTransactionEntry(entry: Entry, i: number): void {
  const type = entry.resource?.resourceType;
  if (entry.request.method !== 'POST' || typeof type !== 'string' || (type !== 'Patient' && !isRecordType(type))) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `Bundle.entry[${i}]: a transaction may only POST Patient and clinical record resources (got ${entry.request.method} ${String(type)})`,
    );
  }
}

/** A syntactically valid patient id standing in for a patient the Bundle has not registered yet. */
const PENDING_PATIENT = `Patient/pt-${'0'.repeat(24)}`;

/**
 * Derives every record's ledger facts (patient reference, codes, dates) with the Bundle's references resolved, before
 * anything is written: a record that would fail them must not leave its Bundle's patients registered on the ledger.
 */
function requireRecordFacts(
  entries: readonly Entry[],
  records: readonly Entry[],
  references: Map<string, string>,
): void {
  const resolved = new Map(references);
  for (const entry of entries) {
    if (entry.resource?.resourceType === 'Patient' && entry.fullUrl !== undefined)
      resolved.set(entry.fullUrl, PENDING_PATIENT);
  }
  for (const entry of records) {
    try {
      recordFacts(resolveReferences(entry.resource, resolved) as FhirResource);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      throw new DomainError(error.code, `Bundle.entry[${entries.indexOf(entry)}]: ${error.message}`);
    }
  }
}

/**
 * A `transaction` Bundle: POST entries of Patient and clinical record types, urn:uuid references resolved, all or
 * nothing. Patients are registered first; every record is then registered in ONE ledger transaction, so either all
 * are committed or none (and the new patients' demographics are removed again).
 */
export async function processTransaction(medledger: Medledger, caller: Caller, bundle: Json): Promise<Json> {
  const entries = entriesOf(bundle);
  entries.forEach(requireTransactionEntry);
  const records = entries.filter((e) => e.resource?.resourceType !== 'Patient');
  if (records.length > MAX_RECORDS_PER_TRANSACTION) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `a transaction may hold at most ${MAX_RECORDS_PER_TRANSACTION} records; split it or use a batch`,
    );
  }
  const references = new Map<string, string>();
  const reserved = reserveRecordIds(records, references);
  // Check scopes and validate everything before the first ledger transaction.
  for (const entry of entries) {
    requireScope(caller, String(entry.resource?.resourceType), 'c');
    validateFhirResource(entry.resource);
  }
  requireRecordFacts(entries, records, references);
  const created: PatientEntry[] = [];
  const results = new Map<Entry, Json>();
  const firstRecord = records[0] === undefined ? undefined : reserved.get(records[0]);
  const journal = { bundleId: newId('b'), ...(firstRecord === undefined ? {} : { commitRecordId: firstRecord }) };
  try {
    for (const entry of entries.filter((e) => e.resource?.resourceType === 'Patient')) {
      const { id: _id, ...patient } = entry.resource as Json;
      const { entry: registered, resource } = await medledger.patients.create(caller, patient as FhirResource, journal);
      created.push(registered);
      if (entry.fullUrl !== undefined) references.set(entry.fullUrl, `Patient/${registered.patientId}`);
      results.set(entry, response('201 Created', resource));
    }
    const writes = records.map((entry) => {
      const { id: _id, ...body } = resolveReferences(entry.resource, references) as Json;
      return { resource: body as FhirResource, recordId: reserved.get(entry) as string };
    });
    const stored = await medledger.records.write(caller, writes);
    records.forEach((entry, i) => results.set(entry, response('201 Created', stored[i]?.resource)));
    medledger.store.removePendingBundle(journal.bundleId);
  } catch (error) {
    // If the records' fate is still open (their write is journaled, unsettled), the patients stay journaled too and
    // recovery decides for both; otherwise the records are not on the ledger and the new patients go.
    const unsettled = medledger.store.pendingWrites().some((w) => w.recordId === journal.commitRecordId);
    if (!unsettled) {
      for (const patient of created) {
        await medledger.patients.discard(patient).catch((discardError: unknown) => {
          medledger.log.error(
            { err: discardError, patientId: patient.patientId },
            'ALERT: could not remove the demographics of a failed Bundle; recovery retries',
          );
        });
      }
      if (created.every((patient) => medledger.store.patient(patient.patientId) === undefined)) {
        medledger.store.removePendingBundle(journal.bundleId);
      }
    }
    throw error;
  }
  return { resourceType: 'Bundle', type: 'transaction-response', entry: entries.map((e) => results.get(e)) };
}

/** A `batch` Bundle: each entry on its own (POST, PUT, GET, DELETE), each with its own status. */
export async function processBatch(
  caller: Caller,
  bundle: Json,
  handle: (
    caller: Caller,
    method: string,
    url: string,
    resource: Json | undefined,
  ) => Promise<{ status: number; body: Json }>,
): Promise<Json> {
  const entries = entriesOf(bundle);
  const out: Json[] = [];
  for (const entry of entries) {
    try {
      const { status, body } = await handle(caller, entry.request.method, entry.request.url, entry.resource);
      out.push(response(`${status}`, body));
    } catch (error) {
      const outcome = outcomeFor(error);
      out.push({ response: { status: String(outcome.status), outcome: outcome.body } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}
