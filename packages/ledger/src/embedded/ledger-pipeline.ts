import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { StateReader } from '@medledger/chaincode';
import { DomainError, fromCodedMessage } from '@medledger/core';
import type { ErrorCode } from '@medledger/core';
import type { Contract } from 'fabric-contract-api';
import type { BlockEvent, ChaincodeEvent, SigningIdentity, ValidationCode } from '../ledger-client.js';
import {
  blockHash,
  computeTxId,
  dataHash,
  headerBytes,
  proposalBytes,
  requiredEndorsements,
  responseBytes,
  withinClockSkew,
} from './block.js';
import type { Block, ChannelConfig, Creator, Proposal, ProposalResponsePayload, TransactionEnvelope } from './block.js';
import { BlockCutter } from './block-cutter.js';
import type { BatchOptions } from './block-cutter.js';
import { simulateProposal } from './chaincode-runtime.js';
import { EventHub } from './event-hub.js';
import { signData } from '../identity/index.js';
import { signatureKey } from './signature-pool.js';
import type { SignatureCheck, SignaturePool } from './signature-pool.js';
import { validateBlock } from './validator.js';
import type { CertificateStatus, IdentityVerifier } from './validator.js';

/** What the pipeline needs from storage. */
export interface BlockStore extends StateReader {
  height(): number;
  commitBlock(
    block: Block,
    updates: Array<{
      txNum: number;
      txId: string;
      writes: Block['transactions'][number]['response']['rwset']['writes'];
    }>,
  ): void;
  hasTransaction(txId: string): boolean;
  getBlock(blockNumber: number): Block;
}

/** A node that signs: a peer or the orderer. */
export interface NodeSigner {
  readonly creator: Creator;
  readonly privateKey: KeyObject;
}

const INVALID_TX_ERRORS: Record<Exclude<ValidationCode, 'VALID'>, ErrorCode> = {
  MVCC_READ_CONFLICT: 'MVCC_READ_CONFLICT',
  PHANTOM_READ_CONFLICT: 'MVCC_READ_CONFLICT',
  ENDORSEMENT_POLICY_FAILURE: 'POLICY_FAILURE',
  BAD_ENDORSER_SIGNATURE: 'POLICY_FAILURE',
  BAD_CREATOR_SIGNATURE: 'UNAUTHENTICATED',
  CERTIFICATE_UNKNOWN: 'UNAUTHENTICATED',
  CERTIFICATE_EXPIRED: 'UNAUTHENTICATED',
  CERTIFICATE_REVOKED: 'IDENTITY_REVOKED',
  DUPLICATE_TXID: 'CONFLICT',
  BAD_PAYLOAD: 'INVALID_ARGUMENT',
};

/** The error a submitter sees when their committed transaction was invalidated. */
export function invalidTransactionError(code: Exclude<ValidationCode, 'VALID'>, txId: string): DomainError {
  return new DomainError(INVALID_TX_ERRORS[code], `transaction ${txId} was invalidated at commit: ${code}`, {
    details: { validationCode: code, txId },
  });
}

/**
 * A chaincode failure as the caller sees it: the contract's own error, code and message (`[CODE] text`) unchanged,
 * as the in-process harness gives it. Text without a known code becomes INTERNAL.
 */
function chaincodeError(message: string): DomainError {
  return new DomainError(fromCodedMessage(message).code, message);
}

interface Waiter {
  resolve: (outcome: { blockNumber: number; code: ValidationCode }) => void;
  reject: (error: DomainError) => void;
}

export interface PipelineOptions {
  readonly contract: Contract;
  readonly config: ChannelConfig;
  readonly store: BlockStore;
  readonly identities: IdentityVerifier;
  readonly peers: ReadonlyMap<string, NodeSigner>;
  readonly orderer: NodeSigner;
  readonly batch: BatchOptions;
  /** Verifies signatures off the main thread; without it everything is verified inline. */
  readonly signatures?: SignaturePool;
}

/** The signatures a committing peer checks for one transaction: the creator's and each endorsement. */
function signatureChecks(envelope: TransactionEnvelope): SignatureCheck[] {
  const response = responseBytes(envelope.response);
  return [
    {
      certPem: envelope.proposal.creator.certPem,
      data: proposalBytes(envelope.proposal),
      signature: envelope.proposalSignature,
    },
    ...envelope.endorsements.map((e) => ({ certPem: e.endorser.certPem, data: response, signature: e.signature })),
  ];
}

/** The MSP's checks, except that signatures a worker already verified (exact same bytes) are not verified again. */
class PreverifiedIdentities implements IdentityVerifier {
  constructor(
    private readonly inner: IdentityVerifier,
    private readonly verified: ReadonlySet<string>,
  ) {}

  validateCertificate(mspId: string, certPem: string, atMs: number): CertificateStatus {
    return this.inner.validateCertificate(mspId, certPem, atMs);
  }

  verifySignature(certPem: string, data: Uint8Array, signatureBase64: string): boolean {
    return (
      this.verified.has(signatureKey({ certPem, data, signature: signatureBase64 })) ||
      this.inner.verifySignature(certPem, data, signatureBase64)
    );
  }
}

/**
 * Execute–order–validate in one process. Endorsers simulate against committed state under a shared lock; the
 * committer takes the lock exclusively, so a simulation never sees a half-applied block (as a peer's state lock).
 */
export class LedgerPipeline {
  readonly #options: PipelineOptions;
  readonly #cutter: BlockCutter;
  readonly #waiters = new Map<string, Waiter>();
  readonly #preverified = new WeakMap<TransactionEnvelope, Promise<string[]>>();
  readonly chaincodeEvents = new EventHub<ChaincodeEvent>();
  readonly blockEvents = new EventHub<BlockEvent>();
  /** The tip's hash, computed from its header (never read back from a stored column that could have been edited). */
  #lastHash: string | undefined;
  #simulations = 0;
  #closing = false;
  #running = 0;
  #idle: (() => void) | undefined;
  #simulationsDone: (() => void) | undefined;
  #committing: Promise<void> | undefined;

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.#cutter = new BlockCutter(options.batch, (batch) => this.#commitBatch(batch));
  }

  get config(): ChannelConfig {
    return this.#options.config;
  }

  /** A client builds and signs a proposal (Fabric's SignedProposal). */
  static propose(
    identity: SigningIdentity,
    config: ChannelConfig,
    fcn: string,
    args: readonly string[],
    now: Date,
  ): { proposal: Proposal; signature: string } {
    const creator = { mspId: identity.mspId, certPem: identity.certPem };
    const nonce = randomBytes(24).toString('hex');
    const proposal: Proposal = {
      txId: computeTxId(nonce, creator),
      channelId: config.channelId,
      chaincodeName: config.chaincodeName,
      fcn,
      args: [...args],
      timestamp: now.toISOString(),
      nonce,
      creator,
    };
    return { proposal, signature: signData(identity.privateKey, proposalBytes(proposal)) };
  }

  /** The endorsers a gateway would pick: the caller's own organisation first, then the others in order. */
  endorsersFor(mspId: string): string[] {
    const orgs = this.#options.config.organizations.map((org) => org.mspId);
    const needed = requiredEndorsements(this.#options.config.endorsementPolicy, orgs.length);
    return [...orgs.filter((org) => org === mspId), ...orgs.filter((org) => org !== mspId)].slice(0, needed);
  }

  /** Checks the proposal's creator as an endorsing peer does, before running anything for it. */
  async #checkProposal(proposal: Proposal, signature: string): Promise<void> {
    const { identities, signatures } = this.#options;
    const status = identities.validateCertificate(proposal.creator.mspId, proposal.creator.certPem, Date.now());
    if (status === 'CERTIFICATE_REVOKED') throw new DomainError('IDENTITY_REVOKED', 'the identity has been revoked');
    if (status !== 'VALID') throw new DomainError('UNAUTHENTICATED', `the identity is not valid here: ${status}`);
    if (!withinClockSkew(this.#options.config, proposal.timestamp, Date.now())) {
      throw new DomainError('INVALID_ARGUMENT', "the proposal timestamp is too far from the ledger's clock");
    }
    const check = { certPem: proposal.creator.certPem, data: proposalBytes(proposal), signature };
    // A worker's "no" is re-checked inline, so a worker that died cannot turn into a false rejection.
    const valid =
      (signatures !== undefined && (await signatures.verify([check]))[0] === true) ||
      identities.verifySignature(check.certPem, check.data, check.signature);
    if (!valid) throw new DomainError('UNAUTHENTICATED', 'the proposal signature does not verify');
  }

  async #simulate(proposal: Proposal, peerMspId: string): Promise<ProposalResponsePayload> {
    while (this.#committing) await this.#committing;
    this.#simulations++;
    try {
      return await simulateProposal(this.#options.contract, this.#options.store, proposal, peerMspId);
    } finally {
      if (--this.#simulations === 0) this.#simulationsDone?.();
    }
  }

  /** Runs a proposal on one peer without ordering it (Fabric's evaluate). */
  async evaluate(proposal: Proposal, signature: string): Promise<string> {
    return this.#track(() => this.#evaluate(proposal, signature));
  }

  async #evaluate(proposal: Proposal, signature: string): Promise<string> {
    await this.#checkProposal(proposal, signature);
    const [peer] = this.endorsersFor(proposal.creator.mspId);
    const response = await this.#simulate(proposal, peer ?? proposal.creator.mspId);
    if (response.status !== 200) throw chaincodeError(response.result);
    return response.result;
  }

  /**
   * Endorsement: each chosen peer simulates independently and signs its response; responses that differ fail the
   * transaction, and a chaincode error is returned to the client without ordering anything.
   */
  async endorse(proposal: Proposal, signature: string): Promise<TransactionEnvelope> {
    return this.#track(() => this.#endorse(proposal, signature));
  }

  /** Endorse, order and wait for the commit, as one unit that `close` lets finish. */
  async submit(
    proposal: Proposal,
    signature: string,
  ): Promise<{ envelope: TransactionEnvelope; blockNumber: number; code: ValidationCode }> {
    return this.#track(async () => {
      const envelope = await this.#endorse(proposal, signature);
      return { envelope, ...(await this.#order(envelope)) };
    });
  }

  async #endorse(proposal: Proposal, signature: string): Promise<TransactionEnvelope> {
    await this.#checkProposal(proposal, signature);
    const peers = this.endorsersFor(proposal.creator.mspId);
    const responses = await Promise.all(peers.map((peer) => this.#simulate(proposal, peer)));
    const first = responses[0];
    if (!first) throw new DomainError('ENDORSEMENT_FAILURE', 'no endorsing peers');
    if (first.status !== 200) throw chaincodeError(first.result);
    const bytes = responseBytes(first);
    if (responses.some((response) => !responseBytes(response).equals(bytes))) {
      throw new DomainError(
        'ENDORSEMENT_FAILURE',
        'endorsing peers returned different results (non-deterministic chaincode)',
      );
    }
    const endorsements = peers.map((mspId) => {
      const peer = this.#options.peers.get(mspId);
      if (!peer) throw new DomainError('ENDORSEMENT_FAILURE', `no peer for ${mspId}`);
      return { endorser: peer.creator, signature: signData(peer.privateKey, bytes) };
    });
    return { proposal, proposalSignature: signature, response: first, endorsements };
  }

  /** Hands an endorsed transaction to the ordering service; resolves when its block is committed. */
  order(envelope: TransactionEnvelope): Promise<{ blockNumber: number; code: ValidationCode }> {
    if (this.#closing) return Promise.reject(new DomainError('LEDGER_UNAVAILABLE', 'the ledger is closing'));
    return this.#order(envelope);
  }

  #order(envelope: TransactionEnvelope): Promise<{ blockNumber: number; code: ValidationCode }> {
    const { signatures } = this.#options;
    if (signatures) {
      // Start checking signatures now, on another core, while the transaction waits for its block.
      const checks = signatureChecks(envelope);
      this.#preverified.set(
        envelope,
        signatures.verify(checks).then((results) => checks.filter((_, i) => results[i]).map(signatureKey)),
      );
    }
    return new Promise((resolve, reject) => {
      this.#waiters.set(envelope.proposal.txId, { resolve, reject });
      this.#cutter.enqueue(envelope);
    });
  }

  /** Refuses new work, then waits until everything already ordered has been committed (or has failed). */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#running > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    await this.#cutter.flush();
  }

  /** Runs an endorsement or evaluation, counted so that `close` can wait for it instead of cutting it off. */
  async #track<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing) throw new DomainError('LEDGER_UNAVAILABLE', 'the ledger is closing');
    this.#running++;
    try {
      return await work();
    } finally {
      if (--this.#running === 0) this.#idle?.();
    }
  }

  async flush(): Promise<void> {
    await this.#cutter.flush();
  }

  async #exclusive(work: () => void): Promise<void> {
    let release!: () => void;
    this.#committing = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.#simulations > 0) await new Promise<void>((resolve) => (this.#simulationsDone = resolve));
      this.#simulationsDone = undefined;
      work();
    } finally {
      this.#committing = undefined;
      release();
    }
  }

  /** Commits one batch; if that fails, every submitter of the batch gets the error instead of waiting forever. */
  async #commitBatch(transactions: TransactionEnvelope[]): Promise<void> {
    try {
      await this.#validateAndCommit(transactions);
    } catch (err: unknown) {
      const error = new DomainError('LEDGER_UNAVAILABLE', 'the block could not be committed', { cause: err });
      for (const tx of transactions) {
        this.#waiters.get(tx.proposal.txId)?.reject(error);
        this.#waiters.delete(tx.proposal.txId);
      }
    }
  }

  async #validateAndCommit(transactions: TransactionEnvelope[]): Promise<void> {
    const verified = new Set(
      (await Promise.all(transactions.map((tx) => this.#preverified.get(tx) ?? Promise.resolve([])))).flat(),
    );
    const identities = new PreverifiedIdentities(this.#options.identities, verified);
    await this.#exclusive(() => {
      const { store, config, orderer } = this.#options;
      const number = store.height();
      const cutAt = new Date();
      const header = {
        number,
        previousHash: this.#previousHash(),
        dataHash: dataHash(transactions),
        timestamp: cutAt.toISOString(),
      };
      const { codes, updates } = validateBlock(transactions, {
        config,
        identities,
        state: store,
        isCommitted: (txId) => store.hasTransaction(txId),
        timeMs: cutAt.getTime(),
      });
      const block: Block = {
        header,
        transactions,
        ordererSignature: { signer: orderer.creator, signature: signData(orderer.privateKey, headerBytes(header)) },
        validation: codes,
      };
      store.commitBlock(block, updates);
      this.#lastHash = blockHash(header);
      this.#publish(block);
    });
  }

  #previousHash(): string {
    const { store } = this.#options;
    const height = store.height();
    this.#lastHash ??= height === 0 ? '' : blockHash(store.getBlock(height - 1).header);
    return this.#lastHash;
  }

  #publish(block: Block): void {
    const blockNumber = block.header.number;
    block.transactions.forEach((tx, index) => {
      const code = block.validation[index] ?? 'BAD_PAYLOAD';
      const waiter = this.#waiters.get(tx.proposal.txId);
      if (waiter) {
        this.#waiters.delete(tx.proposal.txId);
        waiter.resolve({ blockNumber, code });
      }
    });
    for (const event of chaincodeEventsOf(block)) this.chaincodeEvents.publish(event);
    this.blockEvents.publish(blockEventOf(block));
  }
}

export function chaincodeEventsOf(block: Block): ChaincodeEvent[] {
  return block.transactions.flatMap((tx, index) => {
    const event = tx.response.event;
    if (block.validation[index] !== 'VALID' || !event) return [];
    return [
      {
        blockNumber: block.header.number,
        txId: tx.proposal.txId,
        chaincodeName: tx.proposal.chaincodeName,
        eventName: event.name,
        payload: Buffer.from(event.payload, 'base64'),
      },
    ];
  });
}

export function blockEventOf(block: Block): BlockEvent {
  return {
    blockNumber: block.header.number,
    blockHash: blockHash(block.header),
    previousHash: block.header.previousHash,
    transactions: block.transactions.map((tx, index) => ({
      txId: tx.proposal.txId,
      creatorMspId: tx.proposal.creator.mspId,
      fcn: tx.proposal.fcn,
      validationCode: block.validation[index] ?? 'BAD_PAYLOAD',
    })),
  };
}
