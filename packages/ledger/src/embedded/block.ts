import { createHash } from 'node:crypto';
import { canonicalJson } from '@medledger/core';
import type { ValidationCode } from '../ledger-client.js';

/** A serialized identity as Fabric carries it: MSP id + PEM certificate. */
export interface Creator {
  readonly mspId: string;
  readonly certPem: string;
}

export interface StoredVersion {
  readonly blockNum: number;
  readonly txNum: number;
}

/** The read-write set an endorser produced by simulating the chaincode against committed state. */
export interface ReadWriteSet {
  readonly reads: ReadonlyArray<{ readonly key: string; readonly version: StoredVersion | null }>;
  readonly rangeQueries: ReadonlyArray<{
    readonly startKey: string;
    readonly endKey: string;
    readonly itemsRead: ReadonlyArray<{ readonly key: string; readonly version: StoredVersion }>;
    readonly exhausted: boolean;
  }>;
  /** Sorted by key; `value` is base64, `null` for a delete. */
  readonly writes: ReadonlyArray<{ readonly key: string; readonly value: string | null }>;
}

/** What the client signs: the proposal (Fabric's SignedProposal payload). */
export interface Proposal {
  readonly txId: string;
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly fcn: string;
  readonly args: readonly string[];
  /** Client-chosen proposal time (Fabric's channel header timestamp), ISO instant with ms. */
  readonly timestamp: string;
  readonly nonce: string;
  readonly creator: Creator;
}

/** What each endorser signs: the proposal hash, the chaincode response and the read-write set. */
export interface ProposalResponsePayload {
  readonly proposalHash: string;
  readonly status: number;
  /** Chaincode response payload (UTF-8). */
  readonly result: string;
  readonly event: { readonly name: string; readonly payload: string } | null;
  readonly rwset: ReadWriteSet;
}

export interface Endorsement {
  readonly endorser: Creator;
  /** base64 DER ECDSA signature over the canonical ProposalResponsePayload bytes. */
  readonly signature: string;
}

/** A transaction as the orderer receives it (Fabric's Envelope). */
export interface TransactionEnvelope {
  readonly proposal: Proposal;
  /** base64 signature of the creator over the canonical proposal bytes. */
  readonly proposalSignature: string;
  readonly response: ProposalResponsePayload;
  readonly endorsements: readonly Endorsement[];
}

export interface BlockHeader {
  readonly number: number;
  /** Hex SHA-256 of the previous block's header (empty for block 0). */
  readonly previousHash: string;
  /** Hex SHA-256 over the transactions' canonical bytes. */
  readonly dataHash: string;
  /** When the orderer cut the block (ISO instant); certificates are checked for expiry and revocation at this time. */
  readonly timestamp: string;
}

/** The channel's configuration, carried by the genesis block (block 0) so that it is hash-anchored. */
export interface ChannelConfig {
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly organizations: ReadonlyArray<{
    readonly mspId: string;
    readonly rootCertPem: string;
    readonly peer: Creator;
  }>;
  readonly orderer: { readonly mspId: string; readonly rootCertPem: string; readonly node: Creator };
  readonly endorsementPolicy: EndorsementPolicy;
  /**
   * How far a proposal's timestamp (which chaincode reads as the transaction time) may be from the block's time;
   * default 5 minutes; null turns the check off (for replaying a fixed timeline in tests).
   */
  readonly maxClockSkewMs?: number | null;
}

export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Whether a client-chosen proposal time is acceptable at `nowMs` under the channel's skew bound. */
export function withinClockSkew(config: ChannelConfig, proposalTimestamp: string, nowMs: number): boolean {
  const proposalMs = Date.parse(proposalTimestamp);
  if (Number.isNaN(proposalMs)) return false;
  const bound = config.maxClockSkewMs === undefined ? DEFAULT_MAX_CLOCK_SKEW_MS : config.maxClockSkewMs;
  return bound === null || Math.abs(proposalMs - nowMs) <= bound;
}

/** Fabric's implicit-meta style policies over the application organisations. */
export type EndorsementPolicy =
  | { readonly rule: 'MAJORITY' }
  | { readonly rule: 'ANY' }
  | { readonly rule: 'ALL' }
  | { readonly rule: 'OUT_OF'; readonly count: number };

export interface Block {
  readonly header: BlockHeader;
  /** Only in block 0. */
  readonly config?: ChannelConfig;
  readonly transactions: readonly TransactionEnvelope[];
  /** The orderer's signature over the canonical header. */
  readonly ordererSignature: { readonly signer: Creator; readonly signature: string };
  /** Set by the committing peer, as Fabric's TRANSACTIONS_FILTER (not covered by the orderer's signature). */
  readonly validation: readonly ValidationCode[];
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// Proposals and responses are never mutated once built, and their bytes are needed several times per transaction
// (signing, endorsement comparison, hashing, validation), so each object's canonical bytes are computed once.
const canonicalBytes = new WeakMap<object, Buffer>();

function bytesOf(value: object): Buffer {
  let bytes = canonicalBytes.get(value);
  if (!bytes) {
    bytes = Buffer.from(canonicalJson(value));
    canonicalBytes.set(value, bytes);
  }
  return bytes;
}

export function proposalBytes(proposal: Proposal): Buffer {
  return bytesOf(proposal);
}

export function responseBytes(response: ProposalResponsePayload): Buffer {
  return bytesOf(response);
}

export function envelopeBytes(envelope: TransactionEnvelope): Buffer {
  return bytesOf(envelope);
}

/**
 * The canonical JSON of a whole block, assembled from the transactions' cached bytes: the same bytes as
 * `canonicalJson(block)` (members in sorted order: config, header, ordererSignature, transactions, validation),
 * without encoding every transaction a second time at commit.
 */
export function blockBytes(block: Block): Buffer {
  const parts: Buffer[] = [Buffer.from('{')];
  if (block.config !== undefined) parts.push(Buffer.from(`"config":${canonicalJson(block.config)},`));
  parts.push(
    Buffer.from(
      `"header":${canonicalJson(block.header)},"ordererSignature":${canonicalJson(block.ordererSignature)},"transactions":[`,
    ),
  );
  block.transactions.forEach((tx, i) => {
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(envelopeBytes(tx));
  });
  parts.push(Buffer.from(`],"validation":${canonicalJson(block.validation)}}`));
  return Buffer.concat(parts);
}

export function headerBytes(header: BlockHeader): Buffer {
  return Buffer.from(canonicalJson(header));
}

export function blockHash(header: BlockHeader): string {
  return sha256Hex(headerBytes(header));
}

export function dataHash(transactions: readonly TransactionEnvelope[], config?: ChannelConfig): string {
  const hash = createHash('sha256');
  if (config) hash.update(canonicalJson(config)).update('\n');
  for (const tx of transactions) hash.update(envelopeBytes(tx)).update('\n');
  return hash.digest('hex');
}

/** How many distinct organisations must endorse under `policy` when the channel has `orgCount` organisations. */
export function requiredEndorsements(policy: EndorsementPolicy, orgCount: number): number {
  switch (policy.rule) {
    case 'MAJORITY':
      return Math.floor(orgCount / 2) + 1;
    case 'ANY':
      return 1;
    case 'ALL':
      return orgCount;
    case 'OUT_OF':
      return Math.min(Math.max(policy.count, 1), orgCount);
  }
}

/** Fabric's tx id: SHA-256 of nonce ‖ creator. */
export function computeTxId(nonce: string, creator: Creator): string {
  return sha256Hex(`${nonce}${canonicalJson(creator)}`);
}
