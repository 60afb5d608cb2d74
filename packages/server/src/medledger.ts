import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ORGANIZATIONS } from '@medledger/core';
import { TokenService } from './auth/token-service.js';
import type { ServerConfig } from './config.js';
import { EmbeddedNetwork, serviceLabel } from './network/embedded-network.js';
import { lockDataDir } from './data-dir-lock.js';
import { loadStorageKey, textHasher } from './secrets.js';
import { AccessService } from './services/access.js';
import { AccountService } from './services/accounts.js';
import { migrateLegacyAuditIndexes } from './services/audit-indexes.js';
import { IntegrityService } from './services/integrity.js';
import { AccessGate } from './services/authorization.js';
import { ConsentService } from './services/consents.js';
import { Custodian } from './services/custodian.js';
import { LedgerGateway } from './services/ledger-gateway.js';
import { PatientService } from './services/patients.js';
import { RecordService } from './services/records.js';
import { ServerStore } from './store/server-store.js';

import type { Logger } from './logger.js';

export type { Logger } from './logger.js';

export interface OpenOptions {
  readonly clock?: () => Date;
  readonly log: Logger;
  /** TESTS ONLY: cheaper scrypt for at-rest keys and passwords. */
  readonly unsafeFastKdf?: boolean;
}

/** The running product behind the HTTP layer: store, network, and the services that act on them. */
export class Medledger {
  private constructor(
    readonly config: ServerConfig,
    readonly store: ServerStore,
    readonly network: EmbeddedNetwork,
    readonly tokens: TokenService,
    readonly accounts: AccountService,
    readonly records: RecordService,
    readonly patients: PatientService,
    readonly consents: ConsentService,
    readonly access: AccessService,
    readonly integrity: IntegrityService,
    readonly clock: () => Date,
    readonly log: Logger,
    private readonly unlock: () => void,
  ) {}

  static async open(config: ServerConfig, options: OpenOptions): Promise<Medledger> {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const unlock = lockDataDir(config.dataDir);
    try {
      return await Medledger.openLocked(config, options, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }

  private static async openLocked(config: ServerConfig, options: OpenOptions, unlock: () => void): Promise<Medledger> {
    const clock = options.clock ?? (() => new Date());
    const storageKey = loadStorageKey(config.dataDir, config.storageKey);
    const log = options.log;
    const network = await EmbeddedNetwork.open({
      dataDir: config.dataDir,
      storageKey,
      ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
      ...(config.vaultKek === undefined ? {} : { vaultKek: config.vaultKek }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.unsafeFastKdf === true ? { unsafeScryptLogN: 4 } : {}),
      onIntegrityFailure: (event) => {
        log.error({ alert: 'vault-integrity', ...event }, 'ALERT: a stored record failed its integrity check');
      },
    });
    const store = new ServerStore(join(config.dataDir, 'server.sqlite'));
    try {
      const tokens = await TokenService.open({
        dataDir: config.dataDir,
        issuer: config.publicUrl,
        ttlSeconds: config.tokenTtlSeconds,
        clock,
      });
      const gateway = new LedgerGateway(network);
      const hashText = textHasher(storageKey);
      const custodians = new Map(
        ORGANIZATIONS.map((mspId) => [mspId, new Custodian(mspId, network.asLedger(), network.vault(mspId), clock)]),
      );
      const gate = new AccessGate(network, gateway, custodians, (recordId) => {
        log.error(
          { alert: 'missing-ciphertext', recordId },
          'ALERT: a committed record has no ciphertext in its vault',
        );
      });
      const medledger = new Medledger(
        config,
        store,
        network,
        tokens,
        new AccountService(store, network, clock, options.unsafeFastKdf === true ? 10 : undefined),
        new RecordService(store, network, gateway, gate, clock, log, hashText),
        new PatientService(store, network, gateway, gate, clock),
        new ConsentService(gateway),
        new AccessService(store, gateway, storageKey, hashText, clock),
        new IntegrityService(store, network, gateway),
        clock,
        log,
        unlock,
      );
      await Medledger.settleOnStart(medledger, gateway);
      return medledger;
    } catch (error) {
      store.close();
      await network.close();
      throw error;
    }
  }

  /**
   * Before the server accepts requests: settles what a crash interrupted, then brings a ledger of an earlier version
   * up to date. Only a failure of the records' recovery stops the start; the rest is logged as an ALERT.
   */
  private static async settleOnStart(medledger: Medledger, gateway: LedgerGateway): Promise<void> {
    const { log } = medledger;
    await medledger.records.recover();
    try {
      const discarded = await medledger.patients.recover();
      if (discarded > 0) log.warn({ discarded }, 'removed patients of transaction Bundles interrupted by a crash');
    } catch (error) {
      log.error({ err: error }, 'ALERT: patients of an interrupted Bundle could not be settled; needs an operator');
    }
    try {
      // Any organisation's admin may migrate; the ledger is shared, so one of them does it for all.
      await migrateLegacyAuditIndexes(gateway, serviceLabel(ORGANIZATIONS[0]), log);
    } catch (error) {
      log.error(
        { err: error },
        'ALERT: the audit indexes of an earlier ledger could not be migrated; older events stay out of AuditEvent search until a start completes it',
      );
    }
  }

  async close(): Promise<void> {
    try {
      await this.network.close();
      this.store.close();
    } finally {
      this.unlock();
    }
  }
}
