import type { Logger } from '../logger.js';
import type { LedgerGateway } from './ledger-gateway.js';

/** Pages of 200 legacy entries one start migrates at most (20 million entries). */
const MAX_PAGES = 100_000;

/** What one MigrateAuditIndexes call did, or, evaluated, would do. */
interface MigrationPage {
  readonly migrated: number;
  /** The page of legacy entries was full: more may be left. */
  readonly remaining: boolean;
}

/**
 * Start-up step for a ledger written before the contract kept newest-first audit indexes: moves its audit events to
 * those indexes (MigrateAuditIndexes, a page at a time) so that the AuditEvent search lists them again. It asks first
 * with an evaluate, which commits nothing, so a fresh or already migrated ledger gets no transaction.
 *
 * @param account - the wallet label of an admin identity (an organisation's service identity)
 * @returns the number of events migrated
 */
export async function migrateLegacyAuditIndexes(
  gateway: Pick<LedgerGateway, 'evaluate' | 'submit'>,
  account: string,
  log: Logger,
): Promise<number> {
  const probe = await gateway.evaluate<MigrationPage>(account, 'MigrateAuditIndexes', { pageSize: 1 });
  if (!probe.remaining) return 0;
  let migrated = 0;
  let remaining = true;
  // Each committed page deletes the legacy keys it read, so this ends; the bound only guards against a contract bug.
  for (let pages = 0; remaining && pages < MAX_PAGES; pages += 1) {
    const { value } = await gateway.submit<MigrationPage>(account, 'MigrateAuditIndexes', {});
    migrated += value.migrated;
    remaining = value.remaining;
  }
  if (remaining) throw new Error(`legacy audit index entries remain after ${String(MAX_PAGES)} pages`);
  log.info({ migrated }, 'migrated the audit indexes of a ledger written by an earlier version');
  return migrated;
}
