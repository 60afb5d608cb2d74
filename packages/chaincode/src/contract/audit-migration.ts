import { DomainError, onlyKnownKeys, parseJsonObject } from '@medledger/core';
import type { AuditRecord } from '@medledger/core';
import { parsePageSize } from './audit-trail.js';
import { findAudit, KEYS, putAuditIndexes } from './store.js';
import type { AuditRef } from './store.js';
import type { Tx } from './tx.js';

export interface MigrateAuditIndexesInput {
  readonly pageSize: number;
}

export interface AuditMigrationResult {
  /** Events moved to the newest-first indexes by this call. */
  readonly migrated: number;
  /** The page of legacy keys was full: call again. */
  readonly remaining: boolean;
}

const DEFAULT_PAGE = 200;

export function parseMigrateAuditIndexes(text: string): MigrateAuditIndexesInput {
  const input = parseJsonObject(text, 'MigrateAuditIndexes input');
  onlyKnownKeys(input, ['pageSize'], 'MigrateAuditIndexes input');
  return { pageSize: parsePageSize(input.pageSize, DEFAULT_PAGE) };
}

/**
 * Moves one page of audit events from the organisation index of earlier contract versions (`audit-by-org`) to the
 * newest-first indexes that GetAuditTrail reads, and removes their legacy keys. Each call reads from the first legacy
 * key: the keys it handled are gone once it commits, so no bookmark is needed and running it again is harmless.
 * Evaluated, it is a dry run: `remaining` of `{pageSize: 1}` says whether any legacy key is left.
 */
export async function migrateAuditIndexes(tx: Tx, input: MigrateAuditIndexesInput): Promise<AuditMigrationResult> {
  if (tx.caller.role !== 'admin') throw new DomainError('ACCESS_DENIED', 'only an admin may migrate the audit indexes');
  const page = await tx.first<AuditRef>(KEYS.legacyAuditByOrg, [], input.pageSize);
  const migrated = new Set<string>();
  for (const { key, value: ref } of page) {
    // Every key read goes, whether or not its event exists, so that a dangling entry cannot stall the migration.
    await tx.delete(key);
    // An event involving several organisations has a legacy key per organisation, often in the same page.
    const event = migrated.has(ref.id) ? undefined : await findAudit(tx, ref.patientId, ref.recorded, ref.id);
    if (event) {
      await moveToNewestFirstIndexes(tx, event);
      migrated.add(event.id);
    }
  }
  const result: AuditMigrationResult = { migrated: migrated.size, remaining: page.length === input.pageSize };
  if (page.length > 0) tx.emit('AuditIndexesMigrated', { mspId: tx.caller.mspId, ...result });
  return result;
}

async function moveToNewestFirstIndexes(tx: Tx, event: AuditRecord): Promise<void> {
  await putAuditIndexes(tx, event);
  for (const org of event.orgs) await tx.delete(tx.key(KEYS.legacyAuditByOrg, org, event.recorded, event.id));
}
