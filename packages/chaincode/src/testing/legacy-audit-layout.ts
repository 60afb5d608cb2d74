import { createHash } from 'node:crypto';
import { canonicalJson } from '@medledger/core';
import type { AuditRecord } from '@medledger/core';
import type { MemoryState } from '../simulation/memory-state.js';
import { createCompositeKey } from '../simulation/simulated-stub.js';
import type { KeyWrite } from '../simulation/simulated-stub.js';
import type { StateEntry } from '../simulation/state-reader.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every committed entry whose composite key has this object type. */
function entriesOf(state: MemoryState, objectType: string): StateEntry[] {
  const prefix = createCompositeKey(objectType, []);
  // U+0001 sorts right after the U+0000 that ends the object type: the end of this object type's keys.
  return [...state.range(prefix, `${prefix.slice(0, -1)}\u0001`)];
}

/** What the previous contract version's organisation index pointed at: the event's own key parts. */
export interface LegacyAuditRef {
  readonly patientId: string;
  readonly recorded: string;
  readonly id: string;
}

function legacyWrite(org: string, ref: LegacyAuditRef): KeyWrite {
  return {
    key: createCompositeKey('audit-by-org', [org, ref.recorded, ref.id]),
    value: encoder.encode(canonicalJson({ patientId: ref.patientId, recorded: ref.recorded, id: ref.id })),
  };
}

/**
 * Simulates a ledger written by the contract version before the newest-first audit indexes: every audit event on the
 * ledger loses its `audit-newest` and `audit-by-org-newest` references and gets, instead, the reference that version
 * wrote per involved organisation, `audit-by-org/{org}/{recorded}/{event}` → `{patientId, recorded, id}`. The events
 * themselves (`audit/{patient}/{recorded}/{event}`) stay. Committed directly to the state as one block, since no
 * transaction of the current contract writes that layout.
 *
 * @returns the number of events rewritten.
 */
export function rewriteAuditIntoLegacyLayout(state: MemoryState): number {
  const writes = new Map<string, Uint8Array | null>();
  for (const { key } of [...entriesOf(state, 'audit-newest'), ...entriesOf(state, 'audit-by-org-newest')]) {
    writes.set(key, null);
  }
  const events = entriesOf(state, 'audit').map(({ value }) => JSON.parse(decoder.decode(value)) as AuditRecord);
  for (const event of events) {
    for (const org of event.orgs) {
      const { key, value } = legacyWrite(org, event);
      writes.set(key, value);
    }
  }
  commitDirectly(
    state,
    [...writes].map(([key, value]) => ({ key, value })),
  );
  return events.length;
}

/** Commits one legacy organisation-index entry as the previous version wrote it, whether or not its event exists. */
export function putLegacyAuditRef(state: MemoryState, org: string, ref: LegacyAuditRef): void {
  commitDirectly(state, [legacyWrite(org, ref)]);
}

/** The legacy organisation-index keys on the ledger. */
export function legacyAuditKeys(state: MemoryState): string[] {
  return entriesOf(state, 'audit-by-org').map((entry) => entry.key);
}

function commitDirectly(state: MemoryState, writes: readonly KeyWrite[]): void {
  const blockNum = (state.lastCommit?.blockNum ?? 0) + 1;
  const txId = createHash('sha256')
    .update(`legacy audit layout ${String(blockNum)}`)
    .digest('hex');
  state.apply(
    { reads: [], rangeQueries: [], writes: [...writes].sort((a, b) => (a.key < b.key ? -1 : 1)), event: null },
    { blockNum, txNum: 0, txId, timestamp: { seconds: 0, nanos: 0 } },
  );
}
