import { MemoryState } from '@medledger/chaincode';
import type { StateEntry } from '@medledger/chaincode';
import type { VerifyReport } from '../ledger-client.js';
import { blockHash, dataHash, headerBytes } from './block.js';
import type { Block, ChannelConfig } from './block.js';
import { validateBlock } from './validator.js';
import type { IdentityVerifier } from './validator.js';

export interface ChainSource {
  height(): number;
  /** The stored block, parsed; throws when it cannot be read or parsed. */
  getBlock(blockNumber: number): Block;
  /** The hash columns stored beside a block (the next commit links to them). */
  rawBlock(blockNumber: number): { readonly hash: string; readonly previousHash: string } | undefined;
  /** All stored world-state entries in key order. */
  stateEntries(): Iterable<StateEntry>;
  /** Replays the stored blocks and compares state, key history and the transaction index with what is stored. */
  compareStateWithBlocks(): {
    readonly ok: boolean;
    readonly mismatch?:
      | {
          readonly table: string;
          readonly key: string;
          readonly detail: string;
          readonly lastWrittenBy?: { readonly blockNum: number } | undefined;
        }
      | undefined;
  };
}

/** What the caller knew of the chain before (e.g. recorded from an earlier report): it must still be there. */
export interface ExpectedTip {
  readonly height: number;
  readonly hash: string;
}

class Problem extends Error {
  constructor(
    readonly blockNumber: number,
    message: string,
  ) {
    super(message);
  }
}

function checkHeader(
  block: Block,
  expectedNumber: number,
  previousHash: string,
  verifier: IdentityVerifier,
  stored: { readonly hash: string; readonly previousHash: string } | undefined,
): void {
  const n = expectedNumber;
  if (stored?.hash !== blockHash(block.header) || stored.previousHash !== block.header.previousHash) {
    throw new Problem(n, `block ${n} stored hash columns do not match its header`);
  }
  if (block.header.number !== n) throw new Problem(n, `block ${n} carries number ${block.header.number}`);
  if (block.header.previousHash !== previousHash) throw new Problem(n, `block ${n} does not link to block ${n - 1}`);
  if (block.header.dataHash !== dataHash(block.transactions, block.config)) {
    throw new Problem(n, `block ${n} data hash does not match its transactions`);
  }
  const { signer, signature } = block.ordererSignature;
  if (!verifier.verifySignature(signer.certPem, headerBytes(block.header), signature)) {
    throw new Problem(n, `block ${n} orderer signature does not verify`);
  }
}

/**
 * Re-validates a block's transactions against the state replayed so far (their recorded validation codes must come
 * out the same), then applies the valid ones' writes to that state.
 */
function revalidateAndReplay(
  block: Block,
  context: {
    config: ChannelConfig;
    identities: IdentityVerifier;
    replayed: MemoryState;
    committedTxIds: ReadonlySet<string>;
  },
): void {
  const n = block.header.number;
  const { codes, updates } = validateBlock(block.transactions, {
    config: context.config,
    identities: context.identities,
    state: context.replayed,
    isCommitted: (txId) => context.committedTxIds.has(txId),
    timeMs: Date.parse(block.header.timestamp),
  });
  codes.forEach((code, i) => {
    if (block.validation[i] !== code) {
      throw new Problem(
        n,
        `block ${n} transaction ${i} is recorded ${String(block.validation[i])} but validates ${code}`,
      );
    }
  });
  for (const update of updates) {
    const millis = Date.parse(block.transactions[update.txNum]?.proposal.timestamp ?? '');
    const seconds = Math.floor(millis / 1000);
    const writes = update.writes.map((write) => ({
      key: write.key,
      value: write.value === null ? null : Buffer.from(write.value, 'base64'),
    }));
    context.replayed.apply(
      { reads: [], rangeQueries: [], writes, event: null },
      {
        blockNum: n,
        txNum: update.txNum,
        txId: update.txId,
        timestamp: { seconds, nanos: (millis - seconds * 1000) * 1e6 },
      },
    );
  }
}

function readBlock(source: ChainSource, n: number): Block {
  try {
    return source.getBlock(n);
  } catch (err: unknown) {
    throw new Problem(n, `block ${n} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Re-walks the chain from the genesis block: numbering, hash links, data hashes, orderer signatures (against the
 * orderer named in the genesis configuration), then re-validates every transaction (creator and endorser signatures,
 * policy, MVCC) while replaying the valid ones into a fresh state, and finally compares that state with the stored
 * world state. Reports the first bad block and why.
 */
export function verifyChain(source: ChainSource, identities: IdentityVerifier, expected?: ExpectedTip): VerifyReport {
  let blocksChecked = 0;
  let transactionsChecked = 0;
  const replayed = new MemoryState();
  const committedTxIds = new Set<string>();
  try {
    const height = source.height();
    if (height === 0) return { ok: true, blocksChecked: 0, transactionsChecked: 0, problems: [] };
    const genesis = readBlock(source, 0);
    const config: ChannelConfig | undefined = genesis.config;
    if (!config) throw new Problem(0, 'block 0 carries no channel configuration');
    const orderer = config.orderer.node;
    let previousHash = '';
    for (let n = 0; n < height; n++) {
      const block = n === 0 ? genesis : readBlock(source, n);
      if (block.ordererSignature.signer.certPem !== orderer.certPem)
        throw new Problem(n, `block ${n} was not signed by the channel orderer`);
      checkHeader(block, n, previousHash, identities, source.rawBlock(n));
      if (
        identities.validateCertificate(config.orderer.mspId, orderer.certPem, Date.parse(block.header.timestamp)) !==
        'VALID'
      ) {
        throw new Problem(n, `block ${n} was signed when the orderer's certificate was not valid`);
      }
      revalidateAndReplay(block, { config, identities, replayed, committedTxIds });
      for (const tx of block.transactions) committedTxIds.add(tx.proposal.txId);
      previousHash = blockHash(block.header);
      blocksChecked++;
      transactionsChecked += block.transactions.length;
    }
    compareState(replayed, source, height);
    compareDerivedTables(source, height);
    if (expected) checkExpectedTip(source, expected, height);
    return { ok: true, blocksChecked, transactionsChecked, problems: [] };
  } catch (err: unknown) {
    if (!(err instanceof Problem)) throw err;
    return { ok: false, blocksChecked, transactionsChecked, firstBadBlock: err.blockNumber, problems: [err.message] };
  }
}

/** Key history and the transaction index are derived from the blocks too; chaincode reads the first, and duplicate
 * transaction detection relies on the second. */
function compareDerivedTables(source: ChainSource, height: number): void {
  const comparison = source.compareStateWithBlocks();
  if (comparison.ok) return;
  const mismatch = comparison.mismatch;
  const blockNumber = mismatch?.lastWrittenBy?.blockNum ?? height - 1;
  throw new Problem(
    blockNumber,
    `stored ${mismatch?.table ?? 'derived data'} differs from the blocks at ${JSON.stringify(mismatch?.key ?? '')}: ${mismatch?.detail ?? 'unknown'}`,
  );
}

/** Catches a chain cut back at its tail (and rebuilt), which nothing inside the store can reveal. */
function checkExpectedTip(source: ChainSource, expected: ExpectedTip, height: number): void {
  const n = expected.height - 1;
  if (expected.height > height)
    throw new Problem(height, `the chain is shorter (${height}) than the expected height ${expected.height}`);
  if (n >= 0 && blockHash(source.getBlock(n).header) !== expected.hash) {
    throw new Problem(n, `block ${n} is not the expected block (hash differs)`);
  }
}

function sameEntry(a: StateEntry | undefined, b: StateEntry | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.key === b.key &&
    Buffer.from(a.value).equals(Buffer.from(b.value)) &&
    a.version.blockNum === b.version.blockNum &&
    a.version.txNum === b.version.txNum
  );
}

function compareState(replayed: MemoryState, source: ChainSource, height: number): void {
  const expected = [...replayed.range('', '')];
  const actual = [...source.stateEntries()];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i];
    const have = actual[i];
    if (sameEntry(want, have)) continue;
    const entry = want ?? have;
    const blockNumber = entry?.version.blockNum ?? height - 1;
    throw new Problem(
      blockNumber,
      `world state differs from the replayed chain at key ${JSON.stringify(entry?.key ?? '')} (last written in block ${blockNumber})`,
    );
  }
}
