import type { ChaincodeStub } from 'fabric-shim';

import type { HistoryEntry, StateEntry, StateReader, TxTimestamp, Version } from './state-reader.js';
import { compareKeys } from './state-reader.js';

const COMPOSITE_KEY_NAMESPACE = '\x00';
const MIN_UNICODE_RUNE = '\x00';
const MAX_UNICODE_RUNE = '\u{10FFFF}';
// fabric-shim sends this instead of an empty start key, which is what keeps composite keys (0x00...) out of
// simple range queries.
const EMPTY_KEY_SUBSTITUTE = '\x01';
// The peer hands range results to the chaincode in batches of this size and records in the read set every key it
// pulled from the state database, not only the ones the chaincode consumed.
const PEER_QUERY_BATCH_SIZE = 100;
// core.yaml ledger.state.totalQueryLimit: a non-paginated query silently stops after this many results.
const DEFAULT_TOTAL_QUERY_LIMIT = 100_000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface SimulatedStubOptions {
  readonly state: StateReader;
  readonly txId: string;
  readonly channelId: string;
  readonly timestamp: TxTimestamp;
  /** The submitter: what `ClientIdentity` parses. `idBytes` is the PEM certificate as UTF-8. */
  readonly creator: { readonly mspid: string; readonly idBytes: Uint8Array };
  readonly fcn: string;
  readonly args: readonly string[];
  readonly transient?: ReadonlyMap<string, Uint8Array>;
  /** What `getMspID()` returns: the endorsing peer's MSP (CORE_PEER_LOCALMSPID), not the caller's. */
  readonly peerMspId?: string;
  readonly totalQueryLimit?: number;
}

export interface KeyRead {
  readonly key: string;
  /** The committed version seen; null when the key was absent. */
  readonly version: Version | null;
}

export interface RangeQueryRead {
  readonly startKey: string;
  /** As Fabric records it: the requested end key when exhausted, otherwise the last key read (inclusive). */
  readonly endKey: string;
  readonly itemsRead: readonly { readonly key: string; readonly version: Version }[];
  readonly exhausted: boolean;
}

export interface KeyWrite {
  readonly key: string;
  /** null is a delete. */
  readonly value: Uint8Array | null;
}

export interface ChaincodeEvent {
  readonly name: string;
  readonly payload: Uint8Array;
}

/** The read-write set of one simulated transaction, shaped like Fabric's `KVRWSet` for a single namespace. */
export interface SimulationResult {
  /** Sorted by key. */
  readonly reads: readonly KeyRead[];
  /** In the order the queries were opened. */
  readonly rangeQueries: readonly RangeQueryRead[];
  /** Last write per key, sorted by key. */
  readonly writes: readonly KeyWrite[];
  readonly event: ChaincodeEvent | null;
}

export interface SimulationRecorder {
  /** Ends the simulation: closes open iterators, freezes the read-write set; later state calls throw. */
  simulationResult(): SimulationResult;
}

/**
 * The stub as contracts see it (`ctx.stub`) plus the recorder the ledger reads.
 *
 * Typed as fabric-shim's `ChaincodeStub`, whose declarations differ from its own runtime in places; this object
 * follows the runtime: `getTxTimestamp().seconds` is Long-like (`toNumber()`, `low`/`high`), range results are
 * `{ key, value }` without `namespace`, `splitCompositeKey` gives `objectType: null` for a simple key.
 */
export type SimulatedStub = ChaincodeStub & SimulationRecorder;

export interface QueryKeyValue {
  readonly key: string;
  readonly value: Buffer;
}

export interface KeyModification {
  readonly txId: string;
  readonly value: Buffer;
  readonly isDelete: boolean;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
}

export type QueryIteratorResult<T> = { readonly value: T; readonly done: false } | { readonly done: true };

export interface QueryIterator<T> {
  next(): Promise<QueryIteratorResult<T>>;
  close(): Promise<void>;
}

export interface QueryResponseMetadata {
  readonly fetchedRecordsCount: number;
  readonly bookmark: string;
}

export interface PaginatedQueryResponse<T> {
  readonly iterator: QueryIterator<T>;
  readonly metadata: QueryResponseMetadata;
}

export interface SplitCompositeKey {
  readonly objectType: string | null;
  readonly attributes: string[];
}

/**
 * Creates a simulated chaincode stub over committed state: reads see only committed state, writes are recorded.
 * Fabric semantics are followed where they differ from intuition (see {@link SimulatedStub}).
 */
export function createSimulatedStub(options: Readonly<SimulatedStubOptions>): SimulatedStub {
  // The one cast: this class implements, with fabric-shim's runtime shapes, every ChaincodeStub method a contract
  // may call; private data, rich queries and chaincode-to-chaincode calls throw instead. fabric-shim's declarations
  // (a real Long for timestamps, `namespace` on results) cannot be met structurally without lying at runtime.
  return new SimulatedChaincodeStub(options) as unknown as SimulatedStub;
}

/** fabric-shim's `createCompositeKey`, byte for byte, plus the Go shim's checks for U+0000, U+10FFFF and UTF-8. */
export function createCompositeKey(objectType: string, attributes: readonly string[]): string {
  validateCompositeKeyPart(objectType);
  if (!Array.isArray(attributes)) {
    throw new Error('attributes must be an array');
  }
  let compositeKey = COMPOSITE_KEY_NAMESPACE + objectType + MIN_UNICODE_RUNE;
  for (const attribute of attributes) {
    validateCompositeKeyPart(attribute);
    compositeKey += attribute + MIN_UNICODE_RUNE;
  }
  return compositeKey;
}

/** fabric-shim's `splitCompositeKey`: `objectType` is null when the key is not a composite key. */
export function splitCompositeKey(compositeKey: string): SplitCompositeKey {
  if (compositeKey.length <= 1 || !compositeKey.startsWith(COMPOSITE_KEY_NAMESPACE)) {
    return { objectType: null, attributes: [] };
  }
  const parts = compositeKey.substring(1).split(MIN_UNICODE_RUNE);
  const objectType = parts[0] ?? '';
  parts.pop();
  return { objectType, attributes: parts.length > 1 ? parts.slice(1) : [] };
}

export function isCompositeKey(key: string): boolean {
  return key.startsWith(COMPOSITE_KEY_NAMESPACE);
}

function validateCompositeKeyPart(part: unknown): asserts part is string {
  if (typeof part !== 'string' || part.length === 0) {
    throw new Error('object type or attribute not a non-zero length string');
  }
  if (part.includes(MIN_UNICODE_RUNE) || part.includes(MAX_UNICODE_RUNE)) {
    throw new Error(`object type or attribute [${JSON.stringify(part)}] contains U+0000 or U+10FFFF, not allowed`);
  }
  if (LONE_SURROGATE.test(part)) {
    throw new Error(`object type or attribute [${JSON.stringify(part)}] is not valid UTF-8`);
  }
}

function validateWriteKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw new Error('key must not be an empty string');
  }
  // A lone surrogate becomes U+FFFD on the wire, so two different JS keys would collide on a real peer.
  if (LONE_SURROGATE.test(key)) {
    throw new Error(`key [${JSON.stringify(key)}] is not valid UTF-8`);
  }
  if (isCompositeKey(key) && !isWellFormedCompositeKey(key)) {
    throw new Error(`key [${JSON.stringify(key)}] starts with U+0000 but is not a valid composite key`);
  }
}

function isWellFormedCompositeKey(key: string): boolean {
  if (key.length < 3 || !key.endsWith(MIN_UNICODE_RUNE)) {
    return false;
  }
  return key
    .slice(1, -1)
    .split(MIN_UNICODE_RUNE)
    .every((part) => part !== '' && !part.includes(MAX_UNICODE_RUNE));
}

// fabric-shim's validateSimpleKeys, applied to range bounds.
function validateSimpleKeys(...keys: string[]): void {
  for (const key of keys) {
    if (key.startsWith(COMPOSITE_KEY_NAMESPACE)) {
      throw new Error(`first character of the key [${key}] contains a null character which is not allowed`);
    }
  }
}

function toBytes(value: unknown, what: string): Buffer {
  if (typeof value === 'string') {
    return Buffer.from(value, 'utf8');
  }
  if (value instanceof Uint8Array) {
    return Buffer.from(value);
  }
  throw new TypeError(`${what} must be a Uint8Array or a string`);
}

function unsupported(feature: string): Error {
  return new Error(`not supported by the simulated stub: ${feature}`);
}

/** Mirrors the unsigned `Long` fabric-shim puts in `getTxTimestamp().seconds`, and also converts with `Number()`. */
export class TimestampSeconds {
  readonly low: number;
  readonly high: number;
  readonly unsigned = true;

  constructor(seconds: number) {
    this.low = (seconds % 2 ** 32) | 0;
    this.high = (seconds / 2 ** 32) | 0;
  }

  toNumber(): number {
    return (this.high >>> 0) * 2 ** 32 + (this.low >>> 0);
  }

  valueOf(): number {
    return this.toNumber();
  }

  toString(): string {
    return String(this.toNumber());
  }
}

interface Batch<T> {
  readonly items: readonly T[];
  readonly hasMore: boolean;
}

class SimulatedQueryIterator<T> implements QueryIterator<T> {
  #items: readonly T[];
  #position = 0;
  #hasMore: boolean;
  #closed = false;
  readonly #fetchMore: () => Batch<T>;
  readonly #onClose: () => void;

  constructor(first: Batch<T>, fetchMore: () => Batch<T>, onClose: () => void) {
    this.#items = first.items;
    this.#hasMore = first.hasMore;
    this.#fetchMore = fetchMore;
    this.#onClose = onClose;
  }

  // Not `async`: the state calls are synchronous, and a rejected promise is still what callers see on error.
  next(): Promise<QueryIteratorResult<T>> {
    try {
      return Promise.resolve(this.#nextSync());
    } catch (err: unknown) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#onClose();
    return Promise.resolve();
  }

  #nextSync(): QueryIteratorResult<T> {
    if (this.#position >= this.#items.length && this.#hasMore) {
      if (this.#closed) {
        throw new Error('query iterator has been closed');
      }
      const batch = this.#fetchMore();
      this.#items = batch.items;
      this.#hasMore = batch.hasMore;
      this.#position = 0;
    }
    const value = this.#items[this.#position];
    if (this.#position >= this.#items.length || value === undefined) {
      return { done: true };
    }
    this.#position++;
    return { value, done: false };
  }
}

/** The peer's side of one range query: pulls from committed state and records what it pulled. */
class RangeScan {
  readonly #source: Iterator<StateEntry>;
  readonly #requestedEndKey: string;
  readonly #limit: number;
  readonly #paginated: boolean;
  readonly #itemsRead: { key: string; version: Version }[] = [];
  #carried: StateEntry | undefined;
  #returned = 0;
  #closed = false;
  #endKey: string;
  #exhausted = false;
  readonly startKey: string;

  constructor(state: StateReader, startKey: string, endKey: string, limit: number, paginated: boolean) {
    this.#source = state.range(startKey, endKey)[Symbol.iterator]();
    this.startKey = startKey;
    this.#requestedEndKey = endKey;
    this.#endKey = endKey;
    this.#limit = limit;
    this.#paginated = paginated;
  }

  fetchBatch(): Batch<StateEntry> {
    const batch: StateEntry[] = [];
    if (this.#carried !== undefined) {
      batch.push(this.#carried);
      this.#carried = undefined;
    }
    while (!this.#closed && this.#returned < this.#limit) {
      const next = this.#source.next();
      if (next.done === true) {
        this.#exhausted = true;
        this.#endKey = this.#requestedEndKey;
        this.close();
        break;
      }
      this.#itemsRead.push({ key: next.value.key, version: { ...next.value.version } });
      this.#endKey = next.value.key;
      this.#returned++;
      if (!this.#paginated && batch.length === PEER_QUERY_BATCH_SIZE) {
        this.#carried = next.value;
        return { items: batch, hasMore: true };
      }
      batch.push(next.value);
    }
    return { items: batch, hasMore: false };
  }

  /** The pagination bookmark: the next key in range, without recording it as read (LevelDB peeks its iterator). */
  nextKey(): string {
    if (this.#closed) {
      return '';
    }
    const next = this.#source.next();
    return next.done === true ? '' : next.value.key;
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#source.return?.();
    }
  }

  toRecord(): RangeQueryRead {
    return {
      startKey: this.startKey,
      endKey: this.#endKey,
      itemsRead: this.#itemsRead.map((item) => ({ key: item.key, version: { ...item.version } })),
      exhausted: this.#exhausted,
    };
  }
}

type IterablePromise<R, T> = Promise<R> & AsyncIterable<T>;

// fabric-shim's convertToAsyncIterator: the returned promise is also `for await`-able and closes the iterator.
function iterablePromise<R, T>(
  promise: Promise<R>,
  iteratorOf: (response: R) => QueryIterator<T>,
): IterablePromise<R, T> {
  const asyncIterator = (): AsyncIterator<T, undefined> => {
    let iterator: QueryIterator<T> | undefined;
    return {
      next: async (): Promise<IteratorResult<T, undefined>> => {
        iterator ??= iteratorOf(await promise);
        const next = await iterator.next();
        if (next.done) {
          await iterator.close();
          return { done: true, value: undefined };
        }
        return { done: false, value: next.value };
      },
      return: async (): Promise<IteratorResult<T, undefined>> => {
        await iterator?.close();
        return { done: true, value: undefined };
      },
    };
  };
  return Object.assign(promise, { [Symbol.asyncIterator]: asyncIterator });
}

function settle<R>(run: () => R): Promise<R> {
  try {
    return Promise.resolve(run());
  } catch (err: unknown) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function toQueryKeyValue(entry: StateEntry): QueryKeyValue {
  return { key: entry.key, value: Buffer.from(entry.value) };
}

function toKeyValueBatch(batch: Batch<StateEntry>): Batch<QueryKeyValue> {
  return { items: batch.items.map(toQueryKeyValue), hasMore: batch.hasMore };
}

function toKeyModification(entry: HistoryEntry): KeyModification {
  return {
    txId: entry.txId,
    value: Buffer.from(entry.value),
    isDelete: entry.isDelete,
    timestamp: { seconds: entry.timestamp.seconds, nanos: entry.timestamp.nanos },
  };
}

function byKey<T extends { readonly key: string }>(a: T, b: T): number {
  return compareKeys(a.key, b.key);
}

class SimulatedChaincodeStub implements SimulationRecorder {
  readonly #state: StateReader;
  readonly #txId: string;
  readonly #channelId: string;
  readonly #timestamp: TxTimestamp;
  readonly #creator: { readonly mspid: string; readonly idBytes: Uint8Array };
  readonly #fcn: string;
  readonly #args: readonly string[];
  readonly #transient: Map<string, Buffer>;
  readonly #peerMspId: string | undefined;
  readonly #totalQueryLimit: number;
  readonly #reads = new Map<string, Version | null>();
  readonly #writes = new Map<string, Buffer | null>();
  readonly #scans: RangeScan[] = [];
  #event: ChaincodeEvent | null = null;
  #writePerformed = false;
  #paginatedQueryPerformed = false;
  #result: SimulationResult | undefined;

  constructor(options: Readonly<SimulatedStubOptions>) {
    this.#state = options.state;
    this.#txId = options.txId;
    this.#channelId = options.channelId;
    this.#timestamp = { seconds: options.timestamp.seconds, nanos: options.timestamp.nanos };
    this.#creator = { mspid: options.creator.mspid, idBytes: Uint8Array.from(options.creator.idBytes) };
    this.#fcn = options.fcn;
    this.#args = [...options.args];
    this.#transient = new Map([...(options.transient ?? [])].map(([key, value]) => [key, Buffer.from(value)]));
    this.#peerMspId = options.peerMspId;
    this.#totalQueryLimit = options.totalQueryLimit ?? DEFAULT_TOTAL_QUERY_LIMIT;
  }

  /** Like fabric-shim: the function name first, then the parameters. */
  getArgs(): string[] {
    return [this.#fcn, ...this.#args];
  }

  getStringArgs(): string[] {
    return this.getArgs();
  }

  getBufferArgs(): Buffer[] {
    return this.getArgs().map((arg) => Buffer.from(arg, 'utf8'));
  }

  getFunctionAndParameters(): { fcn: string; params: string[] } {
    return { fcn: this.#fcn, params: [...this.#args] };
  }

  getTxID(): string {
    return this.#txId;
  }

  getChannelID(): string {
    return this.#channelId;
  }

  getCreator(): { mspid: string; idBytes: Uint8Array } {
    return this.#creator;
  }

  getMspID(): string {
    if (this.#peerMspId === undefined) {
      throw new Error('CORE_PEER_LOCALMSPID is unset in chaincode process');
    }
    return this.#peerMspId;
  }

  getTransient(): Map<string, Buffer> {
    return this.#transient;
  }

  getSignedProposal(): never {
    throw unsupported('getSignedProposal (not supported in simulation)');
  }

  getBinding(): never {
    throw unsupported('getBinding');
  }

  getTxTimestamp(): { nanos: number; seconds: TimestampSeconds } {
    return { nanos: this.#timestamp.nanos, seconds: new TimestampSeconds(this.#timestamp.seconds) };
  }

  getDateTimestamp(): Date {
    return new Date(this.#timestamp.seconds * 1000 + this.#timestamp.nanos / 1_000_000);
  }

  /** The committed value, or an empty Buffer when the key is absent; never this transaction's own writes. */
  getState(key: string): Promise<Buffer> {
    return settle(() => {
      this.#ensureActive();
      const committed = this.#state.get(key);
      if (!this.#reads.has(key)) {
        this.#reads.set(key, committed ? { ...committed.version } : null);
      }
      return committed ? Buffer.from(committed.value) : Buffer.alloc(0);
    });
  }

  /** An empty value is recorded as a delete, as on a peer (protobuf cannot tell empty bytes from none). */
  putState(key: string, value: Uint8Array | string): Promise<void> {
    return settle(() => {
      this.#ensureActive();
      validateWriteKey(key);
      const bytes = toBytes(value, 'value');
      this.#checkWritePrecondition();
      this.#writes.set(key, bytes.length === 0 ? null : bytes);
    });
  }

  deleteState(key: string): Promise<void> {
    return settle(() => {
      this.#ensureActive();
      validateWriteKey(key);
      this.#checkWritePrecondition();
      this.#writes.set(key, null);
    });
  }

  getStateByRange(startKey: string, endKey: string): IterablePromise<QueryIterator<QueryKeyValue>, QueryKeyValue> {
    const promise = settle(() => {
      const start = startKey || EMPTY_KEY_SUBSTITUTE;
      validateSimpleKeys(start, endKey || '');
      return this.#openScan(start, endKey || '');
    });
    return iterablePromise(promise, (iterator) => iterator);
  }

  getStateByRangeWithPagination(
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark?: string,
  ): IterablePromise<PaginatedQueryResponse<QueryKeyValue>, QueryKeyValue> {
    const promise = settle(() => {
      const start = startKey || EMPTY_KEY_SUBSTITUTE;
      validateSimpleKeys(start, endKey || '');
      return this.#openPage(start, endKey || '', pageSize, bookmark ?? '');
    });
    return iterablePromise(promise, (response) => response.iterator);
  }

  /** Throws synchronously on an invalid object type or attribute, as fabric-shim does. */
  getStateByPartialCompositeKey(
    objectType: string,
    attributes: string[],
  ): IterablePromise<QueryIterator<QueryKeyValue>, QueryKeyValue> {
    const prefix = createCompositeKey(objectType, attributes);
    const promise = settle(() => this.#openScan(prefix, prefix + MAX_UNICODE_RUNE));
    return iterablePromise(promise, (iterator) => iterator);
  }

  getStateByPartialCompositeKeyWithPagination(
    objectType: string,
    attributes: string[],
    pageSize: number,
    bookmark?: string,
  ): IterablePromise<PaginatedQueryResponse<QueryKeyValue>, QueryKeyValue> {
    const prefix = createCompositeKey(objectType, attributes);
    const promise = settle(() => this.#openPage(prefix, prefix + MAX_UNICODE_RUNE, pageSize, bookmark ?? ''));
    return iterablePromise(promise, (response) => response.iterator);
  }

  /** Committed history, newest first (Fabric v2.0+ order); not part of the read set, so never re-validated. */
  getHistoryForKey(key: string): IterablePromise<QueryIterator<KeyModification>, KeyModification> {
    const promise = settle(() => {
      this.#ensureActive();
      const items = [...this.#state.history(key)].reverse().map(toKeyModification);
      return new SimulatedQueryIterator<KeyModification>(
        { items, hasMore: false },
        () => ({ items: [], hasMore: false }),
        () => undefined,
      );
    });
    return iterablePromise(promise, (iterator) => iterator);
  }

  /** Only the last event set in a transaction is kept, as on Fabric. */
  setEvent(name: string, payload: Uint8Array): void {
    this.#ensureActive();
    if (typeof name !== 'string' || name === '') {
      throw new Error('Event name must be a non-empty string');
    }
    // fabric-shim gives the payload to protobuf, which would base64-decode a string: refuse it rather than differ.
    if (!((payload as unknown) instanceof Uint8Array)) {
      throw new TypeError('event payload must be a Uint8Array');
    }
    this.#event = { name, payload: Uint8Array.from(payload) };
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    return createCompositeKey(objectType, attributes);
  }

  splitCompositeKey(compositeKey: string): SplitCompositeKey {
    return splitCompositeKey(compositeKey);
  }

  getQueryResult(): IterablePromise<never, never> {
    return this.#unsupportedQuery('getQueryResult (rich queries need CouchDB)');
  }

  getQueryResultWithPagination(): IterablePromise<never, never> {
    return this.#unsupportedQuery('getQueryResultWithPagination (rich queries need CouchDB)');
  }

  invokeChaincode(): Promise<never> {
    return Promise.reject(unsupported('invokeChaincode'));
  }

  setStateValidationParameter(): Promise<never> {
    return Promise.reject(unsupported('setStateValidationParameter (state-based endorsement)'));
  }

  getStateValidationParameter(): Promise<never> {
    return Promise.reject(unsupported('getStateValidationParameter (state-based endorsement)'));
  }

  getPrivateData(): Promise<never> {
    return Promise.reject(unsupported('getPrivateData'));
  }

  getPrivateDataHash(): Promise<never> {
    return Promise.reject(unsupported('getPrivateDataHash'));
  }

  putPrivateData(): Promise<never> {
    return Promise.reject(unsupported('putPrivateData'));
  }

  deletePrivateData(): Promise<never> {
    return Promise.reject(unsupported('deletePrivateData'));
  }

  purgePrivateData(): Promise<never> {
    return Promise.reject(unsupported('purgePrivateData'));
  }

  setPrivateDataValidationParameter(): Promise<never> {
    return Promise.reject(unsupported('setPrivateDataValidationParameter'));
  }

  getPrivateDataValidationParameter(): Promise<never> {
    return Promise.reject(unsupported('getPrivateDataValidationParameter'));
  }

  getPrivateDataByRange(): IterablePromise<never, never> {
    return this.#unsupportedQuery('getPrivateDataByRange');
  }

  getPrivateDataByPartialCompositeKey(): IterablePromise<never, never> {
    return this.#unsupportedQuery('getPrivateDataByPartialCompositeKey');
  }

  getPrivateDataQueryResult(): IterablePromise<never, never> {
    return this.#unsupportedQuery('getPrivateDataQueryResult');
  }

  simulationResult(): SimulationResult {
    if (this.#result === undefined) {
      for (const scan of this.#scans) {
        scan.close();
      }
      this.#result = Object.freeze({
        reads: [...this.#reads].map(([key, version]) => ({ key, version })).sort(byKey),
        rangeQueries: this.#rangeQueryReads(),
        writes: [...this.#writes].map(([key, value]) => ({ key, value })).sort(byKey),
        event: this.#event,
      });
    }
    return this.#result;
  }

  #rangeQueryReads(): RangeQueryRead[] {
    const seen = new Set<string>();
    const reads: RangeQueryRead[] = [];
    for (const scan of this.#scans) {
      const read = scan.toRecord();
      // Fabric keeps one entry per (start, end, exhausted).
      const identity = JSON.stringify([read.startKey, read.endKey, read.exhausted]);
      if (!seen.has(identity)) {
        seen.add(identity);
        reads.push(read);
      }
    }
    return reads;
  }

  #openScan(startKey: string, endKey: string): SimulatedQueryIterator<QueryKeyValue> {
    this.#ensureActive();
    const scan = new RangeScan(this.#state, startKey, endKey, this.#totalQueryLimit, false);
    this.#scans.push(scan);
    return new SimulatedQueryIterator(
      toKeyValueBatch(scan.fetchBatch()),
      () => {
        this.#ensureActive();
        return toKeyValueBatch(scan.fetchBatch());
      },
      () => {
        scan.close();
      },
    );
  }

  #openPage(
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark: string,
  ): PaginatedQueryResponse<QueryKeyValue> {
    this.#ensureActive();
    if (!Number.isInteger(pageSize) || pageSize <= 0) {
      throw new Error(`pageSize must be a positive integer, got ${String(pageSize)}`);
    }
    if (this.#writePerformed) {
      throw new Error(`txid [${this.#txId}]: paginated queries are supported only in a read-only transaction`);
    }
    this.#paginatedQueryPerformed = true;
    const scan = new RangeScan(this.#state, bookmark === '' ? startKey : bookmark, endKey, pageSize, true);
    this.#scans.push(scan);
    const page = toKeyValueBatch(scan.fetchBatch());
    const nextBookmark = scan.nextKey();
    scan.close();
    return {
      iterator: new SimulatedQueryIterator(
        page,
        () => ({ items: [], hasMore: false }),
        () => undefined,
      ),
      metadata: { fetchedRecordsCount: page.items.length, bookmark: nextBookmark },
    };
  }

  #checkWritePrecondition(): void {
    if (this.#paginatedQueryPerformed) {
      throw new Error(
        `txid [${this.#txId}]: transaction has already performed a paginated query; writes are not allowed`,
      );
    }
    this.#writePerformed = true;
  }

  #ensureActive(): void {
    if (this.#result !== undefined) {
      throw new Error(`transaction ${this.#txId} has completed; its stub can no longer be used`);
    }
  }

  #unsupportedQuery(feature: string): IterablePromise<never, never> {
    return iterablePromise(Promise.reject(unsupported(feature)), (never: never) => never);
  }
}
