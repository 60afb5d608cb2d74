import type {
  BlockEvent,
  ChaincodeEvent,
  CloseableAsyncIterable,
  EventStreamOptions,
  LedgerClient,
  SigningIdentity,
  SubmitResult,
} from '../ledger-client.js';
import { invalidTransactionError, LedgerPipeline } from './ledger-pipeline.js';
import type { Block, Proposal } from './block.js';
import { blockEventOf, chaincodeEventsOf } from './ledger-pipeline.js';
import { DomainError } from '@medledger/core';

/** Reads committed blocks from a height, for event replay. */
export type BlockReader = (fromBlock: number) => Iterable<Block>;

/**
 * One identity's connection to the embedded ledger. Like a fabric-gateway client it signs proposals with the
 * identity's key; the embedded "peers" and orderer check that signature like real ones would.
 */
export class EmbeddedClient implements LedgerClient {
  readonly #identity: SigningIdentity;
  readonly #pipeline: LedgerPipeline;
  readonly #readBlocks: BlockReader;
  readonly #height: () => number;
  readonly #clock: () => Date;
  readonly #mvccRetries: number;
  #closed = false;

  constructor(
    identity: SigningIdentity,
    pipeline: LedgerPipeline,
    readBlocks: BlockReader,
    height: () => number,
    clock: () => Date = () => new Date(),
    mvccRetries = 0,
  ) {
    this.#mvccRetries = mvccRetries;
    this.#identity = identity;
    this.#pipeline = pipeline;
    this.#readBlocks = readBlocks;
    this.#height = height;
    this.#clock = clock;
  }

  get mspId(): string {
    return this.#identity.mspId;
  }

  #ensureOpen(): void {
    if (this.#closed) throw new DomainError('LEDGER_UNAVAILABLE', 'the ledger client is closed');
  }

  /** A proposal for `transaction`, signed with this client's identity and stamped with its clock. */
  #propose(transaction: string, args: readonly string[]): { proposal: Proposal; signature: string } {
    return LedgerPipeline.propose(this.#identity, this.#pipeline.config, transaction, args, this.#clock());
  }

  async submit(transaction: string, ...args: string[]): Promise<SubmitResult> {
    for (let attempt = 0; ; attempt += 1) {
      this.#ensureOpen();
      const { proposal, signature } = this.#propose(transaction, args);
      const { envelope, blockNumber, code } = await this.#pipeline.submit(proposal, signature);
      if (code === 'VALID') return { result: envelope.response.result, txId: proposal.txId, blockNumber };
      const conflict = code === 'MVCC_READ_CONFLICT' || code === 'PHANTOM_READ_CONFLICT';
      if (!conflict || attempt >= this.#mvccRetries) throw invalidTransactionError(code, proposal.txId);
      // A short, growing, jittered pause so that conflicting submitters do not meet again in the next block.
      await new Promise((resolve) => setTimeout(resolve, (attempt + 1) * (2 + Math.random() * 8)));
    }
  }

  async evaluate(transaction: string, ...args: string[]): Promise<string> {
    this.#ensureOpen();
    const { proposal, signature } = this.#propose(transaction, args);
    return this.#pipeline.evaluate(proposal, signature);
  }

  chaincodeEvents(options: EventStreamOptions = {}): CloseableAsyncIterable<ChaincodeEvent> {
    this.#ensureOpen();
    return this.#pipeline.chaincodeEvents.subscribe(
      (from) => [...this.#readBlocks(from)].flatMap(chaincodeEventsOf),
      options.startBlock,
      this.#height(),
    );
  }

  blockEvents(options: EventStreamOptions = {}): CloseableAsyncIterable<BlockEvent> {
    this.#ensureOpen();
    return this.#pipeline.blockEvents.subscribe(
      (from) => [...this.#readBlocks(from)].map(blockEventOf),
      options.startBlock,
      this.#height(),
    );
  }

  close(): void {
    this.#closed = true;
  }
}
