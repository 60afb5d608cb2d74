import { createHash } from 'node:crypto';
import { canonicalJson, DomainError, isOneOf, PATTERNS, requesterReferences, ROLES } from '@medledger/core';
import type { CallerIdentity, Requester } from '@medledger/core';
import type { Context } from 'fabric-contract-api';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One transaction's view of the ledger: typed JSON state access, composite keys, the caller from the certificate,
 * the transaction time and ids derived from the tx id. Everything here is deterministic, so every endorsing peer
 * produces the same read-write set.
 */
export class Tx {
  readonly #ctx: Context;
  readonly caller: CallerIdentity;
  readonly txId: string;
  /** Transaction time as an ISO instant (from the proposal timestamp, never the wall clock). */
  readonly time: string;
  readonly timeMs: number;
  #idCounter = 0;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.caller = callerFromCertificate(ctx);
    this.txId = ctx.stub.getTxID();
    this.timeMs = ctx.stub.getDateTimestamp().getTime();
    this.time = new Date(this.timeMs).toISOString();
  }

  /** A caller's FHIR identities (Practitioner or Patient, Organization, Group). */
  requester(patientId?: string): Requester {
    const { mspId, role, uid } = this.caller;
    return { mspId, role, uid, references: requesterReferences(mspId, role, uid, patientId) };
  }

  /** A fresh id for something this transaction creates: a hash of the tx id and a per-transaction counter. */
  newId(prefix: string): string {
    const digest = createHash('sha256')
      .update(`${this.txId}\u0000${String(this.#idCounter++)}`)
      .digest('hex');
    return `${prefix}-${digest.slice(0, 24)}`;
  }

  key(objectType: string, ...attributes: string[]): string {
    return this.#ctx.stub.createCompositeKey(objectType, attributes);
  }

  // State values are canonical JSON this contract wrote itself, so the caller names their type.
  async get<T>(key: string): Promise<T | undefined> {
    const bytes = await this.#ctx.stub.getState(key);
    return bytes.length === 0 ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.#ctx.stub.putState(key, encoder.encode(canonicalJson(value)));
  }

  /** Writes one value under several keys, encoding it once. */
  async putEach(keys: readonly string[], value: unknown): Promise<void> {
    const bytes = encoder.encode(canonicalJson(value));
    for (const key of keys) await this.#ctx.stub.putState(key, bytes);
  }

  async delete(key: string): Promise<void> {
    await this.#ctx.stub.deleteState(key);
  }

  /** All values under a partial composite key, in key order. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async list<T>(objectType: string, ...attributes: string[]): Promise<Array<{ key: string; value: T }>> {
    return this.first<T>(objectType, attributes, Infinity);
  }

  /**
   * The first `limit` values under a partial composite key, in key order. Unlike `page`, a transaction may write after
   * it: Fabric refuses writes in a transaction that ran a paginated query.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async first<T>(objectType: string, attributes: string[], limit: number): Promise<Array<{ key: string; value: T }>> {
    const iterator = await this.#ctx.stub.getStateByPartialCompositeKey(objectType, attributes);
    const out: Array<{ key: string; value: T }> = [];
    try {
      while (out.length < limit) {
        const next = await iterator.next();
        if (next.done) break;
        out.push({ key: next.value.key, value: JSON.parse(decoder.decode(next.value.value)) as T });
      }
    } finally {
      await iterator.close();
    }
    return out;
  }

  /** One page of values under a partial composite key, with Fabric's bookmark. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async page<T>(
    objectType: string,
    attributes: string[],
    pageSize: number,
    bookmark: string,
  ): Promise<{ items: T[]; bookmark: string }> {
    const { iterator, metadata } = await this.#ctx.stub.getStateByPartialCompositeKeyWithPagination(
      objectType,
      attributes,
      pageSize,
      bookmark,
    );
    const items: T[] = [];
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        items.push(JSON.parse(decoder.decode(next.value.value)) as T);
      }
    } finally {
      await iterator.close();
    }
    return { items, bookmark: metadata.bookmark };
  }

  /** Emits the transaction's chaincode event. Fabric keeps one event per transaction: the last one set. */
  emit(name: string, payload: unknown): void {
    this.#ctx.stub.setEvent(name, encoder.encode(canonicalJson(payload)));
  }
}

/**
 * The caller, from the certificate only: MSP id plus the Fabric CA attributes `role` and `uid`. A certificate without
 * them is not a Medledger user.
 */
export function callerFromCertificate(ctx: Context): CallerIdentity {
  const identity = ctx.clientIdentity;
  const mspId = identity.getMSPID();
  const role = identity.getAttributeValue('role');
  const uid = identity.getAttributeValue('uid');
  if (!isOneOf(ROLES, role))
    throw new DomainError('UNAUTHENTICATED', 'certificate has no valid Medledger role attribute');
  if (uid === null || !PATTERNS.uid.test(uid)) {
    throw new DomainError('UNAUTHENTICATED', 'certificate has no valid uid attribute');
  }
  if (role === 'patient' && !PATTERNS.patientUid.test(uid)) {
    throw new DomainError('UNAUTHENTICATED', 'a patient certificate must carry a pseudonymous uid');
  }
  if (!PATTERNS.mspId.test(mspId)) throw new DomainError('UNAUTHENTICATED', 'invalid MSP id');
  return { mspId, role, uid };
}

/** SHA-256 hex of text, for keys that must not spell out an identifier. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
