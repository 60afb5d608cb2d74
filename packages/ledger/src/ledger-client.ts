import type { KeyObject } from 'node:crypto';

/**
 * An enrolled identity: the X.509 certificate (with the Fabric CA attribute extension carrying `role` and `uid`) and
 * the private key that signs for it. The key never leaves the process that holds it.
 */
export interface SigningIdentity {
  readonly mspId: string;
  readonly certPem: string;
  readonly privateKey: KeyObject;
}

/** What a committed transaction gave back. */
export interface SubmitResult {
  /** The chaincode's response payload (UTF-8; Medledger returns canonical JSON). */
  readonly result: string;
  readonly txId: string;
  /** The block the transaction was committed in. */
  readonly blockNumber: number;
}

export interface ChaincodeEvent {
  readonly blockNumber: number;
  readonly txId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

export type ValidationCode =
  | 'VALID'
  | 'MVCC_READ_CONFLICT'
  | 'PHANTOM_READ_CONFLICT'
  | 'ENDORSEMENT_POLICY_FAILURE'
  | 'BAD_CREATOR_SIGNATURE'
  | 'BAD_ENDORSER_SIGNATURE'
  | 'CERTIFICATE_UNKNOWN'
  | 'CERTIFICATE_REVOKED'
  | 'CERTIFICATE_EXPIRED'
  | 'DUPLICATE_TXID'
  | 'BAD_PAYLOAD';

export interface BlockTransactionSummary {
  readonly txId: string;
  readonly creatorMspId: string;
  readonly fcn: string;
  readonly validationCode: ValidationCode;
}

export interface BlockEvent {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly previousHash: string;
  readonly transactions: readonly BlockTransactionSummary[];
}

/**
 * A transaction as a committed block holds it: what a custodian checks, against its own copy of the ledger, before
 * releasing data under it. Invalid transactions are committed too, with their code (Fabric's TRANSACTIONS_FILTER).
 */
export interface CommittedTransaction {
  readonly txId: string;
  readonly blockNumber: number;
  /** As committed: only VALID transactions changed the world state. */
  readonly validationCode: ValidationCode;
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly fcn: string;
  readonly args: readonly string[];
  /** The identity that signed the proposal. */
  readonly creator: { readonly mspId: string; readonly certPem: string };
  /** The proposal timestamp (ISO instant): the transaction time the chaincode saw. */
  readonly timestamp: string;
  /** The endorsed chaincode response payload (what `SubmitResult.result` gave the submitter). */
  readonly result: string;
}

/** A transaction id: 64 lowercase hex digits (SHA-256 of nonce and creator, as Fabric's). */
export const TX_ID_PATTERN = /^[0-9a-f]{64}$/;

/** The outcome of `verify()`: where the chain first stops being trustworthy, and why. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly blocksChecked: number;
  readonly transactionsChecked: number;
  /** The first bad block, when `ok` is false. */
  readonly firstBadBlock?: number;
  readonly problems: readonly string[];
  /** Things that are not chain corruption but deserve an operator's eye (e.g. derived tables rebuilt on open). */
  readonly warnings?: readonly string[];
  /** The chain's tip when verified: record it, and pass it to a later `verify` to detect a truncated chain. */
  readonly tip?: ChainTip;
}

export interface ChainTip {
  readonly height: number;
  readonly hash: string;
}

export interface EventStreamOptions {
  /** Replay from this block (inclusive); by default only events committed after the call. */
  readonly startBlock?: number;
}

/** An async stream that must be closed when no longer read. */
export interface CloseableAsyncIterable<T> extends AsyncIterable<T> {
  close(): void;
}

/**
 * One identity's connection to the ledger, shaped after `@hyperledger/fabric-gateway`'s Contract + Network: submit
 * waits for the commit (like `submitTransaction`), evaluate never commits (like `evaluateTransaction`), and events
 * can be replayed from a block (like `getChaincodeEvents` with a start block).
 *
 * Errors are `DomainError`s: chaincode errors keep their code; `ENDORSEMENT_FAILURE` when endorsers fail or
 * disagree; `MVCC_READ_CONFLICT`, `POLICY_FAILURE`, `IDENTITY_REVOKED` when the committed transaction was invalidated.
 */
export interface LedgerClient {
  readonly mspId: string;
  submit(transaction: string, ...args: string[]): Promise<SubmitResult>;
  evaluate(transaction: string, ...args: string[]): Promise<string>;
  chaincodeEvents(options?: EventStreamOptions): CloseableAsyncIterable<ChaincodeEvent>;
  blockEvents(options?: EventStreamOptions): CloseableAsyncIterable<BlockEvent>;
  close(): void;
}

export interface ConnectOptions {
  /**
   * The clock the client stamps proposals with (Fabric's channel-header timestamp, which chaincode reads as the
   * transaction time). Default: the wall clock. Tests use it to act at a given time.
   */
  readonly clock?: () => Date;
  /**
   * How many times `submit` re-proposes a transaction that was invalidated by an MVCC or phantom read conflict (a
   * concurrent transaction changed what it read), as a Fabric application resubmits: endorsed anew against the current
   * state, with a new transaction id. Default 0: the conflict is the caller's error.
   */
  readonly mvccRetries?: number;
}

/** A ledger (a network, or the embedded one) that identities connect to. */
export interface Ledger {
  connect(identity: SigningIdentity, options?: ConnectOptions): LedgerClient;
  /** Number of committed blocks (the next block number). */
  height(): Promise<number>;
  /**
   * Re-walks the whole chain: hashes, links, signatures, validation outcomes and the world state. With `expectedTip`
   * (from an earlier report) it also proves the chain was not cut back since.
   */
  verify(options?: { readonly expectedTip?: ChainTip }): Promise<VerifyReport>;
  /**
   * A committed transaction, read from this ledger's own blocks; undefined when no committed block holds `txId`.
   * Without `blockNumber`, the block where the id first appeared (a later DUPLICATE_TXID copy does not count); with
   * it, that block's copy, or undefined when the block does not exist or does not hold the id. Found as soon as its
   * `submit` has resolved (or been rejected as invalidated at commit); a transaction still being ordered is not found.
   * A `txId` that does not match {@link TX_ID_PATTERN} gives undefined without a read: no valid transaction has such
   * an id (a transaction whose id is not the hash of its nonce and creator is committed as BAD_PAYLOAD).
   * @throws DomainError INVALID_ARGUMENT when `txId` is not a string or `blockNumber` not a safe integer.
   */
  committedTransaction(txId: string, blockNumber?: number): Promise<CommittedTransaction | undefined>;
  close(): Promise<void>;
}
