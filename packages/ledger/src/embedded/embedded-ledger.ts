import './contract-process-guard.js';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MedledgerContract } from '@medledger/chaincode';
import type { Contract } from 'fabric-contract-api';
import { DomainError, ORGANIZATIONS } from '@medledger/core';
import { EmbeddedCa, FileWallet, MembershipService, signData } from '../identity/index.js';
import type { StorageKeySource, X509Identity } from '../identity/index.js';
import { TX_ID_PATTERN } from '../ledger-client.js';
import type {
  ChainTip,
  CommittedTransaction,
  ConnectOptions,
  Ledger,
  LedgerClient,
  SigningIdentity,
  VerifyReport,
} from '../ledger-client.js';
import { blockHash, dataHash, headerBytes } from './block.js';
import type { Block, ChannelConfig, EndorsementPolicy } from './block.js';
import { DEFAULT_BATCH } from './block-cutter.js';
import type { BatchOptions } from './block-cutter.js';
import { EmbeddedClient } from './embedded-client.js';
import { LedgerPipeline } from './ledger-pipeline.js';
import type { NodeSigner } from './ledger-pipeline.js';
import { openLedgerStore } from './ledger-store.js';
import type { LedgerStore } from './ledger-store.js';
import type { CertificateStatus, IdentityVerifier } from './validator.js';
import { SignaturePool } from './signature-pool.js';
import { verifyChain } from './verify-chain.js';

export const ORDERER_MSP = 'OrdererMSP';
const PEER_NAME = 'peer0';
const ORDERER_NAME = 'orderer0';

export interface EmbeddedLedgerOptions {
  /** Directory for the ledger database, the CAs and the node identities (created 0700). */
  readonly dataDir: string;
  /** Encrypts CA keys and node identities at rest. */
  readonly key: StorageKeySource;
  /** Application organisations (MSP ids); default the five of the Medledger network. Fixed at creation. */
  readonly organizations?: readonly string[];
  /** Default MAJORITY of the organisations. Fixed at creation (it is in the genesis block). */
  readonly endorsementPolicy?: EndorsementPolicy;
  readonly batch?: Partial<BatchOptions>;
  readonly channelId?: string;
  /**
   * How far a proposal's timestamp may be from the ledger's clock; default 5 minutes; null turns the check off (only
   * for tests that replay a fixed timeline). Fixed at creation (it is in the genesis block).
   */
  readonly maxClockSkewMs?: number | null;
  /** The chaincode the peers run; default the Medledger contract. */
  readonly contract?: Contract;
  /** Worker threads that verify signatures; default one per spare core, 0 to verify on the main thread. */
  readonly signatureWorkers?: number;
  /** TESTS ONLY: cheaper scrypt for passphrase keys (see StorageKeyOptions). */
  readonly unsafeScryptLogN?: number;
}

/**
 * The identity checks the ledger uses: the MSP's, except that a certificate revoked *after* the time being checked
 * still counts as valid then, so that re-validating old blocks (verify) gives the outcomes they had at commit.
 */
class RevocationAwareVerifier implements IdentityVerifier {
  constructor(
    private readonly msp: MembershipService,
    private readonly revokedAt: (mspId: string, certPem: string) => number | undefined,
  ) {}

  validateCertificate(mspId: string, certPem: string, atMs: number): CertificateStatus {
    const status = this.msp.validateCertificate(mspId, certPem, atMs);
    if (status !== 'CERTIFICATE_REVOKED') return status;
    const when = this.revokedAt(mspId, certPem);
    return when !== undefined && when > atMs ? 'VALID' : status;
  }

  verifySignature(certPem: string, data: Uint8Array, signatureBase64: string): boolean {
    return this.msp.verifySignature(certPem, data, signatureBase64);
  }
}

/**
 * Medledger's default ledger: the whole network in one process, with Fabric's transaction semantics. Five
 * organisations, each with a CA and an endorsing peer; one orderer; execute–order–validate with real signatures,
 * MAJORITY endorsement, hash-chained signed blocks, and a crash-safe SQLite store.
 */
export class EmbeddedLedger implements Ledger {
  readonly #store: LedgerStore;
  readonly #cas: ReadonlyMap<string, EmbeddedCa>;
  readonly #msp: MembershipService;
  readonly #verifier: IdentityVerifier;
  readonly pipeline: LedgerPipeline;
  readonly config: ChannelConfig;
  readonly #signatures: SignaturePool | undefined;
  #closed = false;

  private constructor(
    store: LedgerStore,
    cas: ReadonlyMap<string, EmbeddedCa>,
    msp: MembershipService,
    config: ChannelConfig,
    pipeline: LedgerPipeline,
    verifier: IdentityVerifier,
    signatures: SignaturePool | undefined,
  ) {
    this.#signatures = signatures;
    this.#store = store;
    this.#cas = cas;
    this.#msp = msp;
    this.config = config;
    this.pipeline = pipeline;
    this.#verifier = verifier;
  }

  static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const keyOptions = {
      key: options.key,
      ...(options.unsafeScryptLogN === undefined ? {} : { unsafeScryptLogN: options.unsafeScryptLogN }),
    };
    const store = openLedgerStore(join(options.dataDir, 'ledger.sqlite'));
    try {
      const wallet = await FileWallet.open({ directory: join(options.dataDir, 'nodes'), ...keyOptions });
      const fresh = store.height() === 0;
      const orgIds = fresh
        ? [...(options.organizations ?? ORGANIZATIONS)]
        : (store.getBlock(0).config?.organizations.map((org) => org.mspId) ?? []);
      const cas = new Map<string, EmbeddedCa>();
      for (const mspId of [...orgIds, ORDERER_MSP]) {
        cas.set(mspId, await EmbeddedCa.open({ directory: join(options.dataDir, 'ca', mspId), mspId, ...keyOptions }));
      }
      const { peers, orderer } = await loadNodes(wallet, cas, orgIds);
      wallet.close();

      const config = fresh ? createGenesis(store, options, cas, peers, orderer) : requireConfig(store);
      const msp = trustChannelMembers(config, cas);
      const verifier = new RevocationAwareVerifier(msp, (mspId, certPem) =>
        revocationTime(cas.get(mspId), msp.serialOf(certPem)),
      );
      const workers = options.signatureWorkers ?? Math.max(1, availableParallelism() - 1);
      const signatures = workers > 0 ? new SignaturePool(workers) : undefined;
      const pipeline = new LedgerPipeline({
        signatures,
        contract: options.contract ?? new MedledgerContract(),
        config,
        store,
        identities: verifier,
        peers,
        orderer,
        batch: { ...DEFAULT_BATCH, ...options.batch },
      });
      return new EmbeddedLedger(store, cas, msp, config, pipeline, verifier, signatures);
    } catch (err: unknown) {
      store.close();
      throw err;
    }
  }

  /** An organisation's certificate authority (register, enroll, revoke users). */
  ca(mspId: string): EmbeddedCa {
    const ca = this.#cas.get(mspId);
    if (!ca || mspId === ORDERER_MSP) throw new DomainError('NOT_FOUND', `no organisation ${mspId}`);
    return ca;
  }

  /** Registers (if new) and enrolls a user; returns a fresh certificate and key. */
  async enroll(mspId: string, role: Parameters<EmbeddedCa['register']>[0]['role'], uid: string): Promise<X509Identity> {
    const ca = this.ca(mspId);
    if (!ca.registration(uid)) await ca.register({ uid, role });
    return ca.enroll(uid);
  }

  /** Revokes an identity's certificate: its CA lists it in the CRL and the ledger rejects it from now on. */
  async revoke(identity: Pick<SigningIdentity, 'mspId' | 'certPem'>): Promise<void> {
    const serial = this.#msp.serialOf(identity.certPem);
    if (serial === null) throw new DomainError('INVALID_ARGUMENT', 'not a certificate');
    await this.ca(identity.mspId).revoke(serial, 'unspecified');
    this.#msp.revoke(identity.mspId, serial);
  }

  connect(identity: SigningIdentity, options: ConnectOptions = {}): LedgerClient {
    this.#ensureOpen();
    return new EmbeddedClient(
      identity,
      this.pipeline,
      (from) => this.#store.blocks(from),
      () => this.#store.height(),
      options.clock,
      options.mvccRetries,
    );
  }

  height(): Promise<number> {
    return Promise.resolve(this.#store.height());
  }

  /** The stored block, parsed. */
  block(blockNumber: number): Block {
    return this.#store.getBlock(blockNumber);
  }

  async verify(options: { readonly expectedTip?: ChainTip } = {}): Promise<VerifyReport> {
    await this.pipeline.flush();
    const report = verifyChain(this.#store, this.#verifier, options.expectedTip);
    const height = this.#store.height();
    const recovery = this.#store.recovery;
    const warnings =
      recovery.reason === undefined
        ? []
        : [
            `derived tables were ${recovery.rebuilt ? 'rebuilt' : 'replayed'} from the blocks when the ledger was opened: ${recovery.reason}`,
          ];
    const tip = height > 0 ? { height, hash: blockHash(this.#store.getBlock(height - 1).header) } : undefined;
    return { ...report, warnings, ...(tip ? { tip } : {}) };
  }

  /**
   * Reads the store directly, without flushing the pipeline: `submit` resolves only after its block was committed
   * (in one SQLite transaction, read here in one read transaction), so a submitted transaction is found from then on,
   * and waiting for transactions still being ordered would only delay the answer.
   */
  committedTransaction(txId: string, blockNumber?: number): Promise<CommittedTransaction | undefined> {
    // Inside the executor, so that a refusal is a rejected promise rather than a synchronous throw.
    return new Promise((resolve) => {
      resolve(this.#committedTransaction(txId, blockNumber));
    });
  }

  #committedTransaction(txId: string, blockNumber: number | undefined): CommittedTransaction | undefined {
    this.#ensureOpen();
    if (typeof txId !== 'string') throw new DomainError('INVALID_ARGUMENT', 'a transaction id must be a string');
    if (blockNumber !== undefined && !Number.isSafeInteger(blockNumber)) {
      throw new DomainError('INVALID_ARGUMENT', 'a block number must be a safe integer');
    }
    if (!TX_ID_PATTERN.test(txId) || (blockNumber !== undefined && blockNumber < 0)) return undefined;
    const stored = this.#store.findTransaction(txId, blockNumber);
    if (stored === undefined) return undefined;
    const { proposal, response } = stored.envelope;
    return {
      txId: proposal.txId,
      blockNumber: stored.blockNum,
      validationCode: stored.validationCode,
      channelId: proposal.channelId,
      chaincodeName: proposal.chaincodeName,
      fcn: proposal.fcn,
      args: [...proposal.args],
      creator: { mspId: proposal.creator.mspId, certPem: proposal.creator.certPem },
      timestamp: proposal.timestamp,
      result: response.result,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pipeline.close();
    this.#store.close();
    await this.#signatures?.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new DomainError('LEDGER_UNAVAILABLE', 'the ledger is closed');
  }
}

/** The peers' and the orderer's signing identities, enrolled at their CAs on first start and kept in the wallet. */
async function loadNodes(
  wallet: FileWallet,
  cas: ReadonlyMap<string, EmbeddedCa>,
  orgIds: readonly string[],
): Promise<{ peers: Map<string, NodeSigner>; orderer: NodeSigner }> {
  const nodeIdentity = async (mspId: string, name: string, type: 'peer' | 'orderer'): Promise<X509Identity> => {
    const label = `${name}.${mspId}`;
    const existing = await wallet.get(label);
    if (existing) return existing;
    const ca = cas.get(mspId);
    if (!ca) throw new DomainError('INTERNAL', `no CA for ${mspId}`);
    const issued = await ca.enrollNode(name, type);
    await wallet.put(label, issued);
    return issued;
  };
  const peers = new Map<string, NodeSigner>();
  for (const mspId of orgIds) {
    const peer = await nodeIdentity(mspId, PEER_NAME, 'peer');
    peers.set(mspId, { creator: { mspId, certPem: peer.certPem }, privateKey: peer.privateKey });
  }
  const node = await nodeIdentity(ORDERER_MSP, ORDERER_NAME, 'orderer');
  return { peers, orderer: { creator: { mspId: ORDERER_MSP, certPem: node.certPem }, privateKey: node.privateKey } };
}

/** The MSP trusts the roots in the genesis block (not whatever is on disk) and knows each CA's revocations. */
function trustChannelMembers(config: ChannelConfig, cas: ReadonlyMap<string, EmbeddedCa>): MembershipService {
  const msp = new MembershipService();
  const members = [...config.organizations, { mspId: config.orderer.mspId, rootCertPem: config.orderer.rootCertPem }];
  for (const org of members) {
    msp.addOrganization({
      mspId: org.mspId,
      caCertPem: org.rootCertPem,
      revokedSerials: cas.get(org.mspId)?.revokedSerials() ?? [],
    });
  }
  return msp;
}

function revocationTime(ca: EmbeddedCa | undefined, serial: string | null): number | undefined {
  if (!ca || serial === null) return undefined;
  const revocation = ca.revocations().find((entry) => entry.serial === serial);
  return revocation ? Date.parse(revocation.revokedAt) : undefined;
}

function requireConfig(store: LedgerStore): ChannelConfig {
  const config = store.getBlock(0).config;
  if (!config) throw new DomainError('INTERNAL', 'the genesis block carries no channel configuration');
  return config;
}

function createGenesis(
  store: LedgerStore,
  options: EmbeddedLedgerOptions,
  cas: ReadonlyMap<string, EmbeddedCa>,
  peers: ReadonlyMap<string, NodeSigner>,
  orderer: NodeSigner,
): ChannelConfig {
  const rootOf = (mspId: string): string => {
    const ca = cas.get(mspId);
    if (!ca) throw new DomainError('INTERNAL', `no CA for ${mspId}`);
    return ca.certPem;
  };
  const config: ChannelConfig = {
    channelId: options.channelId ?? 'medledger',
    chaincodeName: 'medledger',
    organizations: [...peers.entries()].map(([mspId, peer]) => ({
      mspId,
      rootCertPem: rootOf(mspId),
      peer: peer.creator,
    })),
    orderer: { mspId: ORDERER_MSP, rootCertPem: rootOf(ORDERER_MSP), node: orderer.creator },
    endorsementPolicy: options.endorsementPolicy ?? { rule: 'MAJORITY' },
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
  };
  const header = { number: 0, previousHash: '', dataHash: dataHash([], config), timestamp: new Date().toISOString() };
  store.commitBlock(
    {
      header,
      config,
      transactions: [],
      ordererSignature: { signer: orderer.creator, signature: signData(orderer.privateKey, headerBytes(header)) },
      validation: [],
    },
    [],
  );
  return config;
}
