import { DomainError, MAX_AUDIT_PAGE, onlyKnownKeys, optionalString, parseJsonObject, PATTERNS } from '@medledger/core';
import type { AuditRecord } from '@medledger/core';
import { callerPatientId, findAudit, KEYS } from './store.js';
import type { AuditRef } from './store.js';
import type { Tx } from './tx.js';

export interface AuditTrailQuery {
  readonly patientId?: string;
  readonly pageSize: number;
  readonly bookmark: string;
}

const MAX_BOOKMARK = 256;
/** The characters between the U+0000 separators of an audit key: object types, ids, MSP ids and ISO times. */
const KEY_PART = /^[A-Za-z0-9.:-]*$/;

/**
 * A bookmark is the key the next page starts at. Only text an audit key can hold is accepted: query transactions can
 * be submitted too, and then their argument is in a block like any other.
 */
function parseBookmark(value: unknown): string {
  if (value === undefined) return '';
  if (
    typeof value !== 'string' ||
    value.length > MAX_BOOKMARK ||
    !value.split('\u0000').every((p) => KEY_PART.test(p))
  ) {
    throw new DomainError('INVALID_ARGUMENT', 'bookmark must be one returned by GetAuditTrail');
  }
  return value;
}

export function parseAuditTrailQuery(text: string): AuditTrailQuery {
  const input = parseJsonObject(text, 'GetAuditTrail input');
  onlyKnownKeys(input, ['patientId', 'pageSize', 'bookmark'], 'GetAuditTrail input');
  const patientId = optionalString(input.patientId, PATTERNS.patientId, 'patientId');
  const pageSize = parsePageSize(input.pageSize, 100);
  return { ...(patientId === undefined ? {} : { patientId }), pageSize, bookmark: parseBookmark(input.bookmark) };
}

/** A page size of an audit transaction: an integer in 1..500, `fallback` when absent. */
export function parsePageSize(value: unknown, fallback: number): number {
  const pageSize = value === undefined ? fallback : value;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_AUDIT_PAGE) {
    throw new DomainError('INVALID_ARGUMENT', `pageSize must be an integer in 1..${MAX_AUDIT_PAGE}`);
  }
  return pageSize;
}

/** The newest-first time part of an audit index key (see `newestFirstTime`). */
const NEWEST_FIRST_TIME = /^\d{13}$/;

/** Whether `tail` is what follows the owner in an audit index key: the newest-first time and the event id. */
function isAuditKeyTail(tail: string): boolean {
  const [time = '', id = '', end, ...rest] = tail.split('\u0000');
  return NEWEST_FIRST_TIME.test(time) && PATTERNS.auditEventId.test(id) && end === '' && rest.length === 0;
}

/**
 * One page of an audit index, newest first, resolved to the events. A bookmark (the key the page starts at) must be a
 * key of exactly that index: its prefix, then a time and an event id.
 */
async function auditPage(
  tx: Tx,
  objectType: string,
  owner: string,
  query: AuditTrailQuery,
  keep: (ref: AuditRef) => boolean = () => true,
): Promise<{ events: AuditRecord[]; bookmark: string }> {
  const prefix = tx.key(objectType, owner);
  const { bookmark } = query;
  if (bookmark !== '' && !(bookmark.startsWith(prefix) && isAuditKeyTail(bookmark.slice(prefix.length)))) {
    throw new DomainError('INVALID_ARGUMENT', 'bookmark must be one returned by GetAuditTrail for this caller');
  }
  const page = await tx.page<AuditRef>(objectType, [owner], query.pageSize, bookmark);
  const events: AuditRecord[] = [];
  for (const ref of page.items.filter(keep)) {
    const event = await findAudit(tx, ref.patientId, ref.recorded, ref.id);
    if (event) events.push(event);
  }
  return { events, bookmark: page.bookmark };
}

/**
 * A patient sees every event about themself; a privacy officer sees the events that involve their organisation
 * (optionally for one patient); nobody else sees audit data. Newest first, a page at a time: a reader of the latest
 * events reads only those, however long the trail.
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
    return auditPage(tx, KEYS.auditNewest, selfPatient, query);
  }
  if (tx.caller.role !== 'privacy-officer') throw new DomainError('ACCESS_DENIED', 'no access to audit data');
  // One patient's events are picked out of the organisation's own index, never read from the patient's whole trail:
  // what it costs and where its bookmark points then depend only on the organisation's own events, not on what other
  // organisations did with that patient.
  const { patientId } = query;
  return auditPage(tx, KEYS.auditByOrgNewest, tx.caller.mspId, query, (ref) =>
    patientId === undefined ? true : ref.patientId === patientId,
  );
}
