import { randomBytes } from 'node:crypto';
import { DomainError, PATTERNS } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import type { EmbeddedNetwork } from '../network/embedded-network.js';
import type { PatientEntry, ServerStore } from '../store/server-store.js';
import type { AccessGate } from './authorization.js';
import { newId } from './caller.js';
import type { Caller } from './caller.js';
import type { LedgerGateway } from './ledger-gateway.js';
import { notFound } from './records.js';

const HOME_STAFF = new Set(['clinician', 'admin', 'privacy-officer']);

/**
 * Patients: a pseudonymous registration on the ledger (RegisterPatient) and demographics (the FHIR Patient) kept
 * only in the home organisation's vault. A Patient read is itself an audited access (AuthorizeAccess) and is released
 * to the patient, to staff of the home organisation, and to anyone the ledger permits at least one of the patient's
 * records.
 */
export class PatientService {
  constructor(
    private readonly store: ServerStore,
    private readonly network: EmbeddedNetwork,
    private readonly gateway: LedgerGateway,
    private readonly gate: AccessGate,
    private readonly clock: () => Date,
  ) {}

  /**
   * Registers a new patient at the caller's organisation and stores their demographics there. Inside a transaction
   * Bundle (`bundle`), the new patient is journaled first, so that a crash before the Bundle's records commit
   * removes the demographics again on the next start (`recover`).
   */
  async create(
    caller: Caller,
    resource: FhirResource,
    bundle?: { readonly bundleId: string; readonly commitRecordId?: string },
  ): Promise<{ entry: PatientEntry; resource: FhirResource }> {
    const uid = `pu-${randomBytes(16).toString('hex')}`;
    const registered = await this.gateway.submit<{ patientId: string; homeOrg: string }>(
      caller.account.username,
      'RegisterPatient',
      { patientUid: uid },
    );
    const { patientId, homeOrg } = registered.value;
    const vaultRecordId = newId('r');
    if (bundle !== undefined) {
      this.store.addPendingBundlePatient({
        bundleId: bundle.bundleId,
        patientId,
        homeOrg,
        vaultRecordId,
        ...(bundle.commitRecordId === undefined ? {} : { commitRecordId: bundle.commitRecordId }),
        createdAt: this.clock().toISOString(),
      });
    }
    return this.storeDemographics({ patientId, uid, homeOrg }, resource, 1, vaultRecordId);
  }

  /**
   * Settles the patients of transaction Bundles a crash interrupted: kept if the Bundle's records committed, removed if
   * they did not, left journaled while their write is itself unsettled (run after the records' recovery).
   */
  async recover(): Promise<number> {
    let removed = 0;
    const unsettled = new Set(this.store.pendingWrites().map((w) => w.recordId));
    const bundles = new Map<string, boolean>();
    for (const pending of this.store.pendingBundlePatients()) {
      if (pending.commitRecordId !== undefined && unsettled.has(pending.commitRecordId)) {
        bundles.set(pending.bundleId, false);
        continue;
      }
      const committed =
        pending.commitRecordId !== undefined && this.store.recordVersion(pending.commitRecordId) !== undefined;
      if (!committed) {
        await this.network.vault(pending.homeOrg).remove(pending.vaultRecordId, 1);
        this.store.deletePatient(pending.patientId);
        removed += 1;
      }
      if (!bundles.has(pending.bundleId)) bundles.set(pending.bundleId, true);
    }
    for (const [bundleId, settled] of bundles) if (settled) this.store.removePendingBundle(bundleId);
    return removed;
  }

  async update(caller: Caller, patientId: string, resource: FhirResource): Promise<FhirResource> {
    const entry = this.store.patient(patientId);
    const mayUpdate =
      entry !== undefined &&
      (caller.account.patientId === patientId ||
        (entry.homeOrg === caller.account.mspId && HOME_STAFF.has(caller.account.role)));
    if (entry === undefined || !mayUpdate) throw notFound('Patient', patientId);
    await this.readAuthorized(caller, entry);
    const updated = await this.storeDemographics(entry, resource, entry.version + 1);
    // Keep one copy of a person's demographics: the previous version's key and ciphertext are destroyed.
    await this.network.vault(entry.homeOrg).shred(entry.vaultRecordId);
    return updated.resource;
  }

  private async storeDemographics(
    who: { patientId: string; uid: string; homeOrg: string },
    resource: FhirResource,
    version: number,
    vaultRecordId = newId('r'),
  ): Promise<{ entry: PatientEntry; resource: FhirResource }> {
    const now = this.clock().toISOString();
    const stored: FhirResource = {
      ...resource,
      id: who.patientId,
      meta: { versionId: String(version), lastUpdated: now },
    };
    await this.network
      .vault(who.homeOrg)
      .put({ recordId: vaultRecordId, version: 1, custodian: who.homeOrg, resource: stored });
    const entry: PatientEntry = { ...who, vaultRecordId, version, lastUpdated: now };
    this.store.putPatient(entry);
    return { entry, resource: stored };
  }

  async read(caller: Caller, patientId: string): Promise<FhirResource> {
    const entry = this.store.patient(patientId);
    if (entry === undefined) {
      // As costly as a refused read (principle 7): the ledger records an attempt on an id that has no patient.
      if (PATTERNS.patientId.test(patientId)) {
        await this.gate.authorize(caller, { patientId, resourceTypes: ['Patient'], interaction: 'read' });
      }
      throw notFound('Patient', patientId);
    }
    if (!(await this.readAuthorized(caller, entry))) throw notFound('Patient', patientId);
    return this.demographics(entry);
  }

  /** Submits the audited authorization for opening the patient's chart; true when demographics may be released. */
  private async readAuthorized(caller: Caller, entry: PatientEntry): Promise<boolean> {
    const self = caller.account.patientId === entry.patientId;
    const homeStaff = caller.account.mspId === entry.homeOrg && HOME_STAFF.has(caller.account.role);
    const authorization = await this.gate.authorize(caller, {
      patientId: entry.patientId,
      resourceTypes: self || homeStaff ? ['Patient'] : [],
      interaction: 'read',
    });
    return self || homeStaff || authorization.result.records.length > 0;
  }

  private async demographics(entry: PatientEntry): Promise<FhirResource> {
    return (await this.network.vault(entry.homeOrg).get(entry.vaultRecordId)).resource;
  }

  /**
   * Patients the caller may look up: a patient finds themself; staff find their organisation's patients. The home
   * organisation matches its own demographics; each Patient returned on the page is an audited read.
   * @returns the page and the number of all matches
   */
  async search(
    caller: Caller,
    matches: (resource: FhirResource) => boolean,
    page: { offset: number; count: number },
  ): Promise<{ page: FhirResource[]; total: number }> {
    const { patientId, mspId, role } = caller.account;
    const candidates = patientId !== undefined ? [patientId] : HOME_STAFF.has(role) ? this.store.patientsOf(mspId) : [];
    const matching: PatientEntry[] = [];
    for (const id of candidates) {
      const entry = this.store.patient(id);
      if (entry !== undefined && matches(await this.demographics(entry))) matching.push(entry);
    }
    const released: FhirResource[] = [];
    for (const entry of matching.slice(page.offset, page.offset + page.count)) {
      if (await this.readAuthorized(caller, entry)) released.push(await this.demographics(entry));
    }
    return { page: released, total: matching.length };
  }

  /** Undoes `create` for a Bundle transaction that failed later: demographics go; the pseudonymous registration stays. */
  async discard(entry: PatientEntry): Promise<void> {
    await this.network.vault(entry.homeOrg).remove(entry.vaultRecordId, 1);
    this.store.deletePatient(entry.patientId);
  }

  entry(patientId: string): PatientEntry | undefined {
    return this.store.patient(patientId);
  }

  /** Throws NOT_FOUND unless the id names a registered patient (for references in writes). */
  requireKnown(patientId: string): PatientEntry {
    const entry = this.store.patient(patientId);
    if (entry === undefined) throw new DomainError('NOT_FOUND', `Patient/${patientId} is not known`);
    return entry;
  }
}
