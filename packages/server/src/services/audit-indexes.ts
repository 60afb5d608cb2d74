import type { Logger } from '../logger.js';
import type { LedgerGateway } from './ledger-gateway.js';

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
  for (let remaining = true; remaining;) {
    const { value } = await gateway.submit<MigrationPage>(account, 'MigrateAuditIndexes', {});
    migrated += value.migrated;
    remaining = value.remaining;
  }
  log.info({ migrated }, 'migrated the audit indexes of a ledger written by an earlier version');
  return migrated;
}
