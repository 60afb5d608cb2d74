import { DomainError, expectString, onlyKnownKeys, optionalString, parseJsonObject, PATTERNS } from '@medledger/core';
import type { AuditRecord } from '@medledger/core';
import { callerPatientId, findAudit, KEYS } from './store.js';
import type { Tx } from './tx.js';

export interface AuditTrailQuery {
  readonly patientId?: string;
  readonly pageSize: number;
  readonly bookmark: string;
}

const MAX_PAGE = 500;

export function parseAuditTrailQuery(text: string): AuditTrailQuery {
  const input = parseJsonObject(text, 'GetAuditTrail input');
  onlyKnownKeys(input, ['patientId', 'pageSize', 'bookmark'], 'GetAuditTrail input');
  const patientId = optionalString(input.patientId, PATTERNS.fhirId, 'patientId');
  const pageSize = input.pageSize === undefined ? 100 : input.pageSize;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
    throw new DomainError('INVALID_ARGUMENT', `pageSize must be an integer in 1..${MAX_PAGE}`);
  }
  const bookmark = input.bookmark === undefined ? '' : expectString(input.bookmark, /^[\s\S]{0,1024}$/, 'bookmark');
  return { ...(patientId === undefined ? {} : { patientId }), pageSize, bookmark };
}

/**
 * A patient sees every event about themself; a privacy officer sees the events that involve their organisation
 * (optionally for one patient); nobody else sees audit data.
 */
export async function getAuditTrail(
  tx: Tx,
  query: AuditTrailQuery,
): Promise<{ events: AuditRecord[]; bookmark: string }> {
  const selfPatient = await callerPatientId(tx);
  if (selfPatient !== undefined) {
    if (query.patientId !== undefined && query.patientId !== selfPatient) {
      throw new DomainError('ACCESS_DENIED', 'patients see only their own audit trail');
    }
    const page = await tx.page<AuditRecord>(KEYS.audit, [selfPatient], query.pageSize, query.bookmark);
    return { events: page.items, bookmark: page.bookmark };
  }
  if (tx.caller.role !== 'privacy-officer') throw new DomainError('ACCESS_DENIED', 'no access to audit data');
  const page = await tx.page<{ patientId: string; recorded: string; id: string }>(
    KEYS.auditByOrg,
    [tx.caller.mspId],
    query.pageSize,
    query.bookmark,
  );
  const events: AuditRecord[] = [];
  for (const ref of page.items) {
    if (query.patientId !== undefined && ref.patientId !== query.patientId) continue;
    const event = await findAudit(tx, ref.patientId, ref.recorded, ref.id);
    if (event) events.push(event);
  }
  return { events, bookmark: page.bookmark };
}
