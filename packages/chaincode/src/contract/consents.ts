import {
  consentRecipients,
  consentRefusesEverything,
  consentSharesForTreatment,
  DomainError,
  expectString,
  onlyKnownKeys,
  parseFhirConsent,
  parseJsonObject,
  PATTERNS,
  ROLES,
} from '@medledger/core';
import type { ConsentInput, ConsentRecord, PatientRecord } from '@medledger/core';
import { audit, KEYS, listConsents, requireCallerPatient, saveConsent } from './store.js';
import type { Tx } from './tx.js';

/**
 * Creates or versions a consent. Only the patient themself, from their certificate, for their own id: the consent's
 * `patient` must be the caller. Every version stays on the ledger.
 */
export async function putConsent(tx: Tx, fhirConsent: unknown): Promise<ConsentRecord> {
  const input = parseFhirConsent(fhirConsent);
  const patient = await requireCallerPatient(tx);
  if (input.patientId !== patient.id) {
    throw new DomainError('ACCESS_DENIED', 'a consent may be recorded only by the patient it is about');
  }
  return storeConsentVersion(tx, patient, input);
}

/** Writes the next version of a consent (or its first) with the audit event and chaincode event it needs. */
export async function storeConsentVersion(tx: Tx, patient: PatientRecord, input: ConsentInput): Promise<ConsentRecord> {
  // A given id versions an existing consent of this patient; only the contract makes new ids, so a client cannot
  // put an identifier of its own (an MRN, a form number) into the consent keys.
  const previous =
    input.id === undefined ? undefined : await tx.get<ConsentRecord>(tx.key(KEYS.consent, patient.id, input.id));
  if (input.id !== undefined && !previous) throw new DomainError('NOT_FOUND', 'consent not found');
  const id = previous?.id ?? tx.newId('c');
  const record: ConsentRecord = {
    id,
    version: previous ? previous.version + 1 : 1,
    patientId: patient.id,
    status: input.status,
    policyRule: input.policyRule,
    dateTime: tx.time,
    performer: `Patient/${patient.id}`,
    organization: patient.homeOrg,
    provision: input.provision,
    txId: tx.txId,
  };
  await saveConsent(tx, record);
  await reindexRecipients(tx, previous, record);
  await audit(tx, {
    kind: previous ? 'consent-update' : 'consent-create',
    patientId: patient.id,
    outcome: '0',
    ...(previous && previous.status !== record.status
      ? { outcomeDesc: `status ${previous.status}→${record.status}` }
      : {}),
    records: [{ reference: `Consent/${id}/_history/${record.version}`, securityLabels: [] }],
    orgs: [patient.homeOrg, ...consentActorOrgs(record)],
  });
  tx.emit('ConsentChanged', { patientId: patient.id, consentId: id, version: record.version, status: record.status });
  return record;
}

/**
 * The recipient index (recipient reference, patient, consent) of active consents, so that a clinician's "shared with
 * me" list reads only the consents that name one of their identities.
 */
async function reindexRecipients(tx: Tx, previous: ConsentRecord | undefined, current: ConsentRecord): Promise<void> {
  const before = previous?.status === 'active' ? consentRecipients(previous) : [];
  const after = current.status === 'active' ? consentRecipients(current) : [];
  const key = (reference: string): string => tx.key(KEYS.consentByRecipient, reference, current.patientId, current.id);
  for (const reference of before) if (!after.includes(reference)) await tx.delete(key(reference));
  // Every current recipient is written, not only new ones: a new version of a consent recorded before this index
  // existed puts it in the index.
  for (const reference of after) await tx.put(key(reference), { patientId: current.patientId, consentId: current.id });
}

export interface SharedPatient {
  readonly patientId: string;
  /** The consent that shares with the caller (when several do, the first found: practitioner, organisation, group). */
  readonly consentId: string;
}

/**
 * The patients whose active consent names the calling clinician, their organisation or their organisation's clinicians
 * as recipients of a treatment permit, by patient id, unless one of the patient's consents refuses the caller outright.
 * Nothing else: only the consents of patients who name the caller are read.
 */
export async function listPatientsSharingWithMe(tx: Tx): Promise<SharedPatient[]> {
  if (tx.caller.role !== 'clinician')
    throw new DomainError('ACCESS_DENIED', 'only clinicians have patients sharing with them');
  const requester = tx.requester();
  const shared = new Map<string, SharedPatient>();
  const refusing = new Set<string>();
  for (const reference of requester.references) {
    for (const { value } of await tx.list<SharedPatient>(KEYS.consentByRecipient, reference)) {
      if (shared.has(value.patientId) || refusing.has(value.patientId)) continue;
      // The patient's consents, read once: the one indexed must share, and no other may object to the requester.
      const consents = await listConsents(tx, value.patientId);
      const consent = consents.find((candidate) => candidate.id === value.consentId);
      if (!consent || !consentSharesForTreatment(consent, requester, tx.timeMs)) continue;
      if (consents.some((other) => consentRefusesEverything(other, requester, tx.timeMs)))
        refusing.add(value.patientId);
      else shared.set(value.patientId, value);
    }
  }
  return [...shared.values()].sort((a, b) => (a.patientId < b.patientId ? -1 : a.patientId > b.patientId ? 1 : 0));
}

/** An actor naming an organisation: `Organization/{MSP}` or `Group/{MSP}-{role}` (roles may contain hyphens). */
const ORG_ACTOR = new RegExp(`^(?:Organization/([^/]+)|Group/(.+?)-(?:${ROLES.join('|')}))$`);

/** Organisations a consent names, so that their privacy officers see grants and revocations that concern them. */
function consentActorOrgs(record: ConsentRecord): string[] {
  const orgs = new Set<string>();
  const visit = (provision: ConsentRecord['provision']): void => {
    for (const actor of provision.actor) {
      const match = ORG_ACTOR.exec(actor.reference);
      const org = match?.[1] ?? match?.[2];
      if (org !== undefined) orgs.add(org);
    }
    provision.provision.forEach(visit);
  };
  visit(record.provision);
  return [...orgs].sort();
}

export function parseConsentId(text: string): string {
  const input = parseJsonObject(text, 'RevokeConsent input');
  onlyKnownKeys(input, ['consentId'], 'RevokeConsent input');
  return expectString(input.consentId, PATTERNS.consentId, 'consentId');
}

/** Revokes a consent: a new version with status inactive. Only the patient, and only an active consent. */
export async function revokeConsent(tx: Tx, consentId: string): Promise<ConsentRecord> {
  const patient = await requireCallerPatient(tx);
  const current = await tx.get<ConsentRecord>(tx.key(KEYS.consent, patient.id, consentId));
  if (!current) throw new DomainError('NOT_FOUND', 'consent not found');
  if (current.status !== 'active') throw new DomainError('CONSENT_NOT_ACTIVE', 'only an active consent can be revoked');
  return storeConsentVersion(tx, patient, {
    id: current.id,
    status: 'inactive',
    policyRule: current.policyRule,
    patientId: patient.id,
    provision: current.provision,
  });
}

/** The caller's own consents (current versions). */
export async function getMyConsents(tx: Tx): Promise<ConsentRecord[]> {
  const patient = await requireCallerPatient(tx);
  return listConsents(tx, patient.id);
}

/** Every version of one of the caller's consents, oldest first. */
export async function getConsentHistory(tx: Tx, consentId: string): Promise<ConsentRecord[]> {
  const patient = await requireCallerPatient(tx);
  const versions = await tx.list<ConsentRecord>(KEYS.consentVersion, patient.id, consentId);
  if (versions.length === 0) throw new DomainError('NOT_FOUND', 'consent not found');
  return versions.map((entry) => entry.value);
}
