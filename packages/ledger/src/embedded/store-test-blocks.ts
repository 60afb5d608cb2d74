import type { ValidationCode } from '../ledger-client.js';
import type { Block, Creator, TransactionEnvelope } from './block.js';
import { computeTxId, dataHash, sha256Hex } from './block.js';
import type { StateUpdate } from './store-state.js';
import { validUpdates } from './store-state.js';

/**
 * Test fixtures for the ledger store: structurally complete blocks with placeholder signatures (the store does not
 * check signatures; the validator and `verify()` do).
 */

const CREATOR: Creator = {
  mspId: 'HospitalAMSP',
  certPem: '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n',
};

export interface FixtureWrite {
  readonly key: string;
  /** UTF-8 text stored as the value; null deletes. */
  readonly value: string | null;
}

export interface FixtureTx {
  readonly writes: readonly FixtureWrite[];
  readonly validation?: ValidationCode;
  /** Defaults to a nonce derived from the block and tx numbers. */
  readonly nonce?: string;
  readonly timestamp?: string;
}

export function fixtureTx(
  blockNum: number,
  txNum: number,
  tx: FixtureTx,
): { envelope: TransactionEnvelope; validation: ValidationCode } {
  const nonce = tx.nonce ?? `nonce-${blockNum}-${txNum}`;
  const txId = computeTxId(nonce, CREATOR);
  const writes = [...tx.writes]
    .sort((a, b) => Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8')))
    .map((write) => ({
      key: write.key,
      value: write.value === null ? null : Buffer.from(write.value, 'utf8').toString('base64'),
    }));
  const proposal = {
    txId,
    channelId: 'medledger',
    chaincodeName: 'medledger',
    fcn: 'Put',
    args: [],
    timestamp: tx.timestamp ?? new Date(Date.UTC(2025, 0, 1) + blockNum * 1000 + txNum).toISOString(),
    nonce,
    creator: CREATOR,
  };
  const envelope: TransactionEnvelope = {
    proposal,
    proposalSignature: 'c2lnbmF0dXJl',
    response: {
      proposalHash: sha256Hex(txId),
      status: 200,
      result: '',
      event: null,
      rwset: { reads: [], rangeQueries: [], writes },
    },
    endorsements: [{ endorser: CREATOR, signature: 'c2lnbmF0dXJl' }],
  };
  return { envelope, validation: tx.validation ?? 'VALID' };
}

/** Block number `previous.height` with `txs`, linked to `previous.hash` (empty for block 0). */
export function fixtureBlock(
  previous: { readonly height: number; readonly hash: string },
  txs: readonly FixtureTx[],
): { block: Block; updates: StateUpdate[] } {
  const built = txs.map((tx, txNum) => fixtureTx(previous.height, txNum, tx));
  const transactions = built.map((b) => b.envelope);
  const block: Block = {
    header: {
      number: previous.height,
      previousHash: previous.hash,
      dataHash: dataHash(transactions),
      timestamp: new Date(Date.UTC(2025, 0, 1) + previous.height * 1000).toISOString(),
    },
    transactions,
    ordererSignature: { signer: { mspId: 'OrdererMSP', certPem: CREATOR.certPem }, signature: 'c2lnbmF0dXJl' },
    validation: built.map((b) => b.validation),
  };
  return { block, updates: validUpdates(block) };
}

/** What `fixtureBlock` needs from a store to build the next block. */
export interface ChainTip {
  height(): number;
  lastBlockHash(): string;
}

export function nextBlock(store: ChainTip, txs: readonly FixtureTx[]): { block: Block; updates: StateUpdate[] } {
  return fixtureBlock({ height: store.height(), hash: store.lastBlockHash() }, txs);
}
