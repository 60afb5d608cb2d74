import { compareKeys } from '@medledger/chaincode';
import type { HistoryEntry, StateEntry, StateReader, Version, VersionedValue } from '@medledger/chaincode';

/**
 * Committed state plus the writes of the transactions validated earlier in the same block, which is what Fabric's
 * validator checks read versions against: a later transaction that read a key an earlier valid one wrote is a conflict.
 */
export class OverlayState implements StateReader {
  readonly #base: StateReader;
  readonly #pending = new Map<string, { value: Uint8Array | null; version: Version }>();

  constructor(base: StateReader) {
    this.#base = base;
  }

  apply(writes: ReadonlyArray<{ key: string; value: Uint8Array | null }>, version: Version): void {
    for (const write of writes) this.#pending.set(write.key, { value: write.value, version });
  }

  get(key: string): VersionedValue | undefined {
    const pending = this.#pending.get(key);
    if (pending) return pending.value === null ? undefined : { value: pending.value, version: pending.version };
    return this.#base.get(key);
  }

  *range(startKey: string, endKey: string): Iterable<StateEntry> {
    const inRange = (key: string): boolean =>
      (startKey === '' || compareKeys(key, startKey) >= 0) && (endKey === '' || compareKeys(key, endKey) < 0);
    const merged = new Map<string, StateEntry>();
    for (const entry of this.#base.range(startKey, endKey)) merged.set(entry.key, entry);
    for (const [key, pending] of this.#pending) {
      if (!inRange(key)) continue;
      if (pending.value === null) merged.delete(key);
      else merged.set(key, { key, value: pending.value, version: pending.version });
    }
    yield* [...merged.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  history(key: string): readonly HistoryEntry[] {
    return this.#base.history(key);
  }
}
