import { DomainError, MAX_BATCH_RECORDS, PATTERNS } from '@medledger/core';
import type { RecordMetadata } from '@medledger/core';
import type { FhirResource, PutRecordResult } from '@medledger/vault';
import { recordFacts } from '../fhir/resource-facts.js';
import type { RecordFactsInput } from '../fhir/resource-facts.js';
import type { EmbeddedNetwork } from '../network/embedded-network.js';
import type { IndexedRecord, PendingWrite, ServerStore } from '../store/server-store.js';
import type { Logger } from '../logger.js';
import { serviceLabel } from '../network/embedded-network.js';
import type { AccessGate } from './authorization.js';
import { newId } from './caller.js';
import type { Caller } from './caller.js';
import type { LedgerGateway } from './ledger-gateway.js';

/** A resource to store: new, or a new version of the current record `replaces`. */
export interface RecordWrite {
  readonly resource: FhirResource;
  readonly replaces?: IndexedRecord;
  /** A record id reserved earlier with newId('r') (a Bundle resolves references to it before writing). */
  readonly recordId?: string;
}

export interface StoredRecord {
  readonly fhirId: string;
  readonly recordId: string;
  readonly version: number;
  readonly resource: FhirResource;
}

interface PreparedWrite {
  readonly recordId: string;
  readonly fhirId: string;
  readonly version: number;
  readonly resource: FhirResource;
  readonly facts: RecordFactsInput;
  readonly replaces: IndexedRecord | undefined;
}

/** Largest number of records one ledger transaction registers (RegisterRecords' limit). */
export const MAX_RECORDS_PER_TRANSACTION = MAX_BATCH_RECORDS;

/**
 * The write, read and erase paths of clinical records (DESIGN.md data flows). A write is journaled, encrypted into the
 * custodian's vault, then registered on the ledger in one transaction; if the ledger refuses, the ciphertexts are
 * removed, and if the process dies in between, `recover()` settles the journal on the next start.
 */
export class RecordService {
  constructor(
    private readonly store: ServerStore,
    private readonly network: EmbeddedNetwork,
    private readonly gateway: LedgerGateway,
    private readonly gate: AccessGate,
    private readonly clock: () => Date,
    private readonly log: Logger,
    private readonly hashText: (text: string) => string,
  ) {}

  /** A pseudonymous patient id no patient has (derived from the deployment's storage key). */
  private get decoyPatientId(): string {
    return `pt-${this.hashText('medledger decoy patient').slice(0, 24)}`;
  }

  // Updates and erasures of one record run one at a time, so an erasure cannot miss a version an update just added.
  private readonly locks = new Map<string, Promise<unknown>>();

  private async exclusive<T>(fhirId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(fhirId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(fhirId, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(fhirId) === next) this.locks.delete(fhirId);
    }
  }

  /** Stores records all-or-nothing: one ledger transaction for all of them. */
  async write(caller: Caller, writes: readonly RecordWrite[]): Promise<StoredRecord[]> {
    const replaced = writes.flatMap((w) => (w.replaces === undefined ? [] : [w.replaces.fhirId]));
    if (replaced.length === 0) return this.writeNow(caller, writes);
    if (replaced.length > 1) throw new DomainError('INVALID_ARGUMENT', 'update one record at a time');
    return this.exclusive(replaced[0] ?? '', async () => {
      const target = writes.find((w) => w.replaces !== undefined)?.replaces;
      const current = target === undefined ? undefined : this.store.currentRecord(target.fhirId);
      // Another update or an erasure got there first: this one would supersede a version that is gone.
      if (current?.recordId !== target?.recordId || current?.erased === true) {
        throw notFound(target?.resourceType ?? 'Resource', target?.fhirId ?? '');
      }
      return this.writeNow(caller, writes);
    });
  }

  private async writeNow(caller: Caller, writes: readonly RecordWrite[]): Promise<StoredRecord[]> {
    if (writes.length === 0) return [];
    if (writes.length > MAX_RECORDS_PER_TRANSACTION) {
      throw new DomainError('INVALID_ARGUMENT', `at most ${MAX_RECORDS_PER_TRANSACTION} records per transaction`);
    }
    const { username, mspId } = caller.account;
    const now = this.clock().toISOString();
    const batchId = newId('b');
    const vault = this.network.vault(mspId);
    const prepared = writes.map((write) => this.prepare(write, now));
    this.store.addPendingWrites(
      prepared.map((p) => ({
        batchId,
        recordId: p.recordId,
        version: p.version,
        custodian: mspId,
        username,
        createdAt: now,
      })),
    );
    try {
      // One database transaction for the whole batch: all ciphertexts or none.
      const stored: PutRecordResult[] = await vault.putMany(
        prepared.map((p) => ({ recordId: p.recordId, version: p.version, custodian: mspId, resource: p.resource })),
      );
      const inputs = prepared.map((p, i) => ({
        recordId: p.recordId,
        patientId: p.facts.patientId,
        resourceType: p.resource.resourceType,
        category: p.facts.category,
        securityLabels: p.facts.securityLabels,
        codes: p.facts.codes,
        ...(p.facts.clinicalDate === undefined ? {} : { clinicalDate: p.facts.clinicalDate }),
        related: p.facts.related,
        ciphertextSha256: stored[i]?.ciphertextSha256,
        plaintextHmac: stored[i]?.plaintextHmac,
        ...(p.replaces === undefined ? {} : { supersedes: p.replaces.recordId }),
      }));
      const metadata =
        inputs.length === 1
          ? [(await this.gateway.submit<RecordMetadata>(username, 'RegisterRecord', inputs[0])).value]
          : (await this.gateway.submit<{ records: RecordMetadata[] }>(username, 'RegisterRecords', { records: inputs }))
              .value.records;
      this.store.transaction(() => {
        prepared.forEach((p, i) => {
          const version = metadata[i]?.version ?? p.version;
          this.store.indexRecord(
            {
              fhirId: p.fhirId,
              recordId: p.recordId,
              resourceType: p.resource.resourceType,
              patientId: p.facts.patientId,
              custodian: mspId,
              version,
              current: true,
              erased: false,
              lastUpdated: now,
            },
            p.replaces?.recordId,
          );
        });
        this.store.removePendingWrites(batchId);
      });
    } catch (error) {
      // The ledger is the truth: a failure may come after the commit (or hide one), so ask it before undoing anything.
      const outcome = await this.settle(this.store.pendingWrites().filter((w) => w.batchId === batchId)).catch(
        (settleError: unknown) => {
          this.log.error(
            { err: settleError, batchId },
            'ALERT: a failed write could not be settled; recovery retries on start',
          );
          return 'unsettled' as const;
        },
      );
      if (outcome !== 'committed') throw error;
    }
    return prepared.map((p) => ({ fhirId: p.fhirId, recordId: p.recordId, version: p.version, resource: p.resource }));
  }

  private prepare(write: RecordWrite, now: string): PreparedWrite {
    const recordId = write.recordId ?? newId('r');
    const fhirId = write.replaces?.fhirId ?? recordId;
    const version = write.replaces === undefined ? 1 : write.replaces.version + 1;
    const meta = (write.resource.meta ?? {}) as Record<string, unknown>;
    const resource: FhirResource = {
      ...write.resource,
      id: fhirId,
      meta: {
        ...(meta.security === undefined ? {} : { security: meta.security }),
        versionId: String(version),
        lastUpdated: now,
      },
    };
    return { recordId, fhirId, version, resource, facts: recordFacts(resource), replaces: write.replaces };
  }

  /**
   * Settles one journaled batch against the ledger: committed records are indexed, uncommitted ones lose their
   * ciphertext, and the journal entry goes. A batch is one ledger transaction, so it is all one or all the other.
   */
  private async settle(writes: readonly PendingWrite[]): Promise<'committed' | 'removed'> {
    const first = writes[0];
    if (first === undefined) return 'removed';
    let committed = false;
    for (const write of writes) {
      const metadata = await this.committedMetadata(write.custodian, write.recordId);
      if (metadata === undefined) {
        await this.network.vault(write.custodian).remove(write.recordId, write.version);
        continue;
      }
      committed = true;
      const resource = (await this.network.vault(write.custodian).get(write.recordId, write.version)).resource;
      this.store.indexRecord(
        {
          fhirId: typeof resource.id === 'string' ? resource.id : write.recordId,
          recordId: write.recordId,
          resourceType: metadata.resourceType,
          patientId: metadata.patientId,
          custodian: metadata.custodian,
          version: metadata.version,
          current: metadata.status === 'active',
          erased: metadata.status === 'erased',
          lastUpdated: metadata.createdAt,
        },
        metadata.supersedes,
      );
    }
    this.store.removePendingWrites(first.batchId);
    return committed ? 'committed' : 'removed';
  }

  /**
   * Settles writes and erasures a crash interrupted. Runs on start, before the server accepts requests; what cannot
   * be settled now (e.g. the ledger refuses) is logged as an ALERT for an operator and retried on the next start, but
   * never stops the server from starting.
   */
  async recover(): Promise<{ committed: number; removed: number; erasures: number; unsettled: number }> {
    const counts = { committed: 0, removed: 0, erasures: 0, unsettled: 0 };
    const batches = new Map<string, PendingWrite[]>();
    for (const write of this.store.pendingWrites()) {
      batches.set(write.batchId, [...(batches.get(write.batchId) ?? []), write]);
    }
    for (const [batchId, writes] of batches) {
      try {
        counts[await this.settle(writes)] += writes.length;
      } catch (error) {
        counts.unsettled += writes.length;
        this.log.error({ err: error, batchId }, 'ALERT: an interrupted write could not be settled; needs an operator');
      }
    }
    for (const pending of this.store.pendingErasures()) {
      try {
        await this.finishErasure(pending);
        counts.erasures += 1;
      } catch (error) {
        counts.unsettled += 1;
        this.log.error(
          { err: error, recordId: pending.recordId },
          'ALERT: an interrupted erasure could not be finished; needs an operator',
        );
      }
    }
    if (counts.committed + counts.removed + counts.erasures + counts.unsettled > 0) {
      this.log.warn(counts, 'recovered writes and erasures interrupted by a crash');
    }
    return counts;
  }

  /** The ledger's metadata of a record, asked as the custodian organisation's service identity. */
  private async committedMetadata(custodian: string, recordId: string): Promise<RecordMetadata | undefined> {
    try {
      return await this.gateway.evaluate<RecordMetadata>(serviceLabel(custodian), 'GetRecordMetadata', { recordId });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The current record behind a FHIR id, if the server knows it (routing only: access is decided on the ledger). */
  current(resourceType: string, fhirId: string): IndexedRecord | undefined {
    const record = this.store.currentRecord(fhirId);
    return record !== undefined && record.resourceType === resourceType && !record.erased ? record : undefined;
  }

  async read(caller: Caller, resourceType: string, fhirId: string): Promise<FhirResource> {
    const record = this.current(resourceType, fhirId);
    if (record === undefined) {
      // An id of the right form that does not exist costs the same committed authorization as a forbidden one, so
      // the two cannot be told apart by timing (principle 7): the contract decides the decoy patient nobody has like a
      // hidden one (same reads, range queries and audit writes) and audits it as an unknown patient id.
      if (PATTERNS.recordId.test(fhirId)) {
        await this.gate.authorize(caller, {
          patientId: this.decoyPatientId,
          resourceTypes: [resourceType],
          recordIds: [fhirId],
          interaction: 'read',
        });
      }
      throw notFound(resourceType, fhirId);
    }
    const authorization = await this.gate.authorize(caller, {
      patientId: record.patientId,
      resourceTypes: [resourceType],
      recordIds: [record.recordId],
      interaction: 'read',
    });
    const permitted = authorization.result.records.find((r) => r.recordId === record.recordId);
    const resource = permitted === undefined ? undefined : await this.gate.release(authorization, permitted);
    if (resource === undefined) throw notFound(resourceType, fhirId);
    return resource;
  }

  /** Every record of the patient the caller may see, of the given types (all when empty), released by custodians. */
  async search(
    caller: Caller,
    patientId: string,
    resourceTypes: readonly string[],
    fhirIds?: readonly string[],
  ): Promise<FhirResource[]> {
    const recordIds = fhirIds
      ?.map((id) => this.store.currentRecord(id))
      .filter((r): r is IndexedRecord => r !== undefined && r.patientId === patientId && !r.erased)
      .map((r) => r.recordId);
    if (recordIds?.length === 0) return [];
    const authorization = await this.gate.authorize(caller, {
      patientId,
      resourceTypes,
      ...(recordIds === undefined ? {} : { recordIds }),
      interaction: 'search',
    });
    return this.gate.releaseAll(authorization);
  }

  /**
   * Erases a record (principle 5): the contract is asked first whether the caller may erase it (a simulation), the
   * intent is journaled, the data keys and ciphertexts are destroyed, then the erasure receipt is committed.
   */
  async erase(
    caller: Caller,
    resourceType: string,
    fhirId: string,
    patientRequest?: string,
  ): Promise<Record<string, string>> {
    return this.exclusive(fhirId, () => this.eraseNow(caller, resourceType, fhirId, patientRequest));
  }

  private async eraseNow(
    caller: Caller,
    resourceType: string,
    fhirId: string,
    patientRequest: string | undefined,
  ): Promise<Record<string, string>> {
    // A write the ledger may have committed but the index does not know yet could be a newer version of this record:
    // settle every pending write first, so that the erasure covers the head and every version.
    await this.settlePending();
    const record = this.current(resourceType, fhirId);
    if (record === undefined) throw notFound(resourceType, fhirId);
    const input = {
      recordId: record.recordId,
      ...(patientRequest === undefined ? {} : { patientRequestHash: this.hashText(patientRequest) }),
    };
    try {
      await this.gateway.evaluate(caller.account.username, 'EraseRecord', input);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') throw notFound(resourceType, fhirId);
      throw error;
    }
    this.store.addPendingErasure(
      record.recordId,
      caller.account.username,
      input.patientRequestHash,
      this.clock().toISOString(),
    );
    await this.shredAll(fhirId);
    // The content is gone from here on: no read and no new version may find the record, even if the receipt below
    // fails (recovery resubmits it from the journal).
    this.store.markErased(fhirId);
    const receipt = await this.gateway.submit<Record<string, string>>(caller.account.username, 'EraseRecord', input);
    this.store.removePendingErasure(record.recordId);
    return receipt.value;
  }

  /** Settles every journaled write now. @throws DomainError LEDGER_UNAVAILABLE when one cannot be settled yet */
  private async settlePending(): Promise<void> {
    const batches = new Map<string, PendingWrite[]>();
    for (const write of this.store.pendingWrites()) {
      batches.set(write.batchId, [...(batches.get(write.batchId) ?? []), write]);
    }
    for (const writes of batches.values()) {
      try {
        await this.settle(writes);
      } catch (error) {
        throw new DomainError('LEDGER_UNAVAILABLE', 'an earlier write is not settled yet; try again', { cause: error });
      }
    }
  }

  /** Destroys the data keys and ciphertexts of every version of a record that the vault still holds. */
  private async shredAll(fhirId: string): Promise<void> {
    for (const version of this.store.versionsOf(fhirId)) {
      const vault = this.network.vault(version.custodian);
      if ((await vault.versions(version.recordId)).length > 0) await vault.shred(version.recordId);
    }
  }

  private async finishErasure(pending: { recordId: string; username: string; requestHash?: string }): Promise<void> {
    const indexed = this.store.recordVersion(pending.recordId);
    if (indexed !== undefined) await this.shredAll(indexed.fhirId);
    try {
      await this.gateway.submit(pending.username, 'EraseRecord', {
        recordId: pending.recordId,
        ...(pending.requestHash === undefined ? {} : { patientRequestHash: pending.requestHash }),
      });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'CONFLICT')) throw error;
    }
    this.store.transaction(() => {
      if (indexed !== undefined) this.store.markErased(indexed.fhirId);
      this.store.removePendingErasure(pending.recordId);
    });
  }
}

/** The one answer for a record that does not exist and one the caller may not see (principle 7). */
export function notFound(resourceType: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${resourceType}/${id} is not known`);
}
