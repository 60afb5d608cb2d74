import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError, ORGANIZATIONS } from '@medledger/core';
import type { Role } from '@medledger/core';
import { EmbeddedLedger, FileWallet } from '@medledger/ledger';
import type { ConnectOptions, Ledger, LedgerClient, SigningIdentity, X509Identity } from '@medledger/ledger';
import { createVault } from '@medledger/vault';
import type { IntegrityFailureEvent, Vault } from '@medledger/vault';

/** The enrolment uid of each organisation's own service identity (custodian checks, recovery). */
const SERVICE_UID = 'medledger-custodian-service';
const MVCC_RETRIES = 8;

/** Wallet label of an organisation's service identity; never a login (no account may take this label: accounts.ts reserves the svc. prefix). */
export function serviceLabel(mspId: string): string {
  return `svc.${mspId.toLowerCase()}`;
}

export interface NetworkOptions {
  readonly dataDir: string;
  readonly storageKey: Buffer;
  readonly databaseUrl?: string;
  readonly vaultKek?: string;
  readonly clock?: () => Date;
  readonly onIntegrityFailure: (event: IntegrityFailureEvent & { readonly custodian: string }) => void;
  /** TESTS ONLY: cheaper scrypt for at-rest keys. */
  readonly unsafeScryptLogN?: number;
}

/**
 * The organisations this server acts for, with their ledger, vaults and the wallet of enrolled identities. In the
 * embedded mode that is the whole network of DESIGN.md in one process: five organisations, each the custodian of its
 * own vault (its own KEKs), sharing one ledger.
 */
export class EmbeddedNetwork {
  private readonly clients = new Map<string, LedgerClient>();
  // Decrypting a wallet entry costs more than a ledger round trip; identities stay in memory once loaded.
  private readonly identities = new Map<string, X509Identity>();

  private constructor(
    readonly ledger: EmbeddedLedger,
    private readonly vaults: ReadonlyMap<string, Vault>,
    private readonly wallet: FileWallet,
    private readonly clock: (() => Date) | undefined,
  ) {}

  static async open(options: NetworkOptions): Promise<EmbeddedNetwork> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const scrypt = options.unsafeScryptLogN === undefined ? {} : { unsafeScryptLogN: options.unsafeScryptLogN };
    const key = { rawKey: options.storageKey };
    const ledger = await EmbeddedLedger.open({ dataDir: join(options.dataDir, 'ledger'), key, ...scrypt });
    const vaults = new Map<string, Vault>();
    try {
      for (const mspId of ORGANIZATIONS) {
        vaults.set(
          mspId,
          await createVault({
            ...(options.databaseUrl === undefined
              ? { dataDir: join(options.dataDir, 'vault', mspId) }
              : {
                  databaseUrl: options.databaseUrl,
                  // Each custodian organisation keeps its own tables and KEKs, even in a shared database.
                  databaseSchema: `vault_${mspId.toLowerCase()}`,
                }),
            ...(options.vaultKek === undefined
              ? options.databaseUrl === undefined
                ? {}
                : { keyDir: join(options.dataDir, 'vault-keys', mspId) }
              : { kek: options.vaultKek }),
            ...(options.clock === undefined ? {} : { clock: options.clock }),
            onIntegrityFailure: (event) => {
              options.onIntegrityFailure({ ...event, custodian: mspId });
            },
          }),
        );
      }
      const wallet = await FileWallet.open({ directory: join(options.dataDir, 'wallet'), key, ...scrypt });
      const network = new EmbeddedNetwork(ledger, vaults, wallet, options.clock);
      for (const mspId of ORGANIZATIONS) {
        const label = serviceLabel(mspId);
        if ((await wallet.get(label)) === undefined) await network.enroll(label, mspId, 'admin', SERVICE_UID);
      }
      return network;
    } catch (error) {
      for (const vault of vaults.values()) await vault.close();
      await ledger.close();
      throw error;
    }
  }

  get organizations(): readonly string[] {
    return ORGANIZATIONS;
  }

  /** The custodian's vault. */
  vault(mspId: string): Vault {
    const vault = this.vaults.get(mspId);
    if (vault === undefined) throw new DomainError('NOT_FOUND', `no vault for organisation ${mspId}`);
    return vault;
  }

  /** Registers and enrolls an identity at the organisation's CA and keeps it, encrypted, in the wallet. */
  async enroll(label: string, mspId: string, role: Role, uid: string): Promise<X509Identity> {
    const identity = await this.ledger.enroll(mspId, role, uid);
    await this.wallet.put(label, identity);
    this.forget(label);
    return identity;
  }

  async identity(label: string): Promise<X509Identity> {
    const cached = this.identities.get(label);
    if (cached !== undefined) return cached;
    const identity = await this.wallet.get(label);
    if (identity === undefined) throw new DomainError('UNAUTHENTICATED', 'no enrolled identity for this account');
    this.identities.set(label, identity);
    return identity;
  }

  private forget(label: string): void {
    this.identities.delete(label);
    this.clients.get(label)?.close();
    this.clients.delete(label);
  }

  async revoke(label: string): Promise<void> {
    const identity = await this.identity(label);
    await this.ledger.revoke(identity);
    this.forget(label);
  }

  /** The ledger connection that signs as this account (one per account, reused). */
  async client(label: string): Promise<LedgerClient> {
    const existing = this.clients.get(label);
    if (existing !== undefined) return existing;
    const identity: SigningIdentity = await this.identity(label);
    // Concurrent requests on one patient conflict at commit (a read's audit or a consent change moves what another
    // transaction read); like a Fabric application, the server endorses such a transaction again.
    const options: ConnectOptions = {
      mvccRetries: MVCC_RETRIES,
      ...(this.clock === undefined ? {} : { clock: this.clock }),
    };
    const client = this.ledger.connect(identity, options);
    this.clients.set(label, client);
    return client;
  }

  asLedger(): Ledger {
    return this.ledger;
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.identities.clear();
    this.wallet.close();
    for (const vault of this.vaults.values()) await vault.close();
    await this.ledger.close();
  }
}
