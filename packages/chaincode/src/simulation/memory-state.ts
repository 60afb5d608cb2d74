import type { RangeQueryRead, SimulationResult } from './simulated-stub.js';
import type { HistoryEntry, StateEntry, StateReader, TxTimestamp, Version, VersionedValue } from './state-reader.js';
import { compareKeys, inRange, sameVersion } from './state-reader.js';

/** Fabric's validation codes for the checks a single-namespace, public-data transaction can fail. */
export type ValidationCode = 'VALID' | 'MVCC_READ_CONFLICT' | 'PHANTOM_READ_CONFLICT';

export interface CommitInfo {
  readonly blockNum: number;
  readonly txNum: number;
  readonly txId: string;
  readonly timestamp: TxTimestamp;
}

/**
 * Checks a simulation's read set against committed state as Fabric's validator does: every key read must still have
 * the version seen (MVCC), and every range query re-executed must return the same keys with the same versions
 * (phantom). Reusable over any {@link StateReader}.
 */
export function validateSimulation(state: StateReader, result: SimulationResult): ValidationCode {
  for (const read of result.reads) {
    if (!sameVersion(state.get(read.key)?.version ?? null, read.version)) {
      return 'MVCC_READ_CONFLICT';
    }
  }
  for (const query of result.rangeQueries) {
    if (!sameRangeResults(state, query)) {
      return 'PHANTOM_READ_CONFLICT';
    }
  }
  return 'VALID';
}

function* reexecute(state: StateReader, query: RangeQueryRead): Generator<StateEntry> {
  yield* state.range(query.startKey, query.endKey);
  // Not exhausted: endKey is the last key the peer pulled, and it belongs to the range.
  if (!query.exhausted && query.endKey !== '') {
    const last = state.get(query.endKey);
    if (last !== undefined) {
      yield { key: query.endKey, value: last.value, version: last.version };
    }
  }
}

function sameRangeResults(state: StateReader, query: RangeQueryRead): boolean {
  const current = reexecute(state, query);
  try {
    for (const item of query.itemsRead) {
      const next = current.next();
      if (next.done === true || next.value.key !== item.key || !sameVersion(next.value.version, item.version)) {
        return false;
      }
    }
    return current.next().done === true;
  } finally {
    current.return(undefined);
  }
}

interface StoredValue {
  readonly value: Uint8Array;
  readonly version: Version;
}

/** In-memory committed world state and history, for tests and the contract harness. */
export class MemoryState implements StateReader {
  readonly #entries = new Map<string, StoredValue>();
  readonly #history = new Map<string, HistoryEntry[]>();
  // Kept sorted on every write: re-sorting on each range query made replaying a long chain quadratic (verify). A commit
  // that adds or removes keys replaces the array (copy on write), so a range iteration still open sees its snapshot.
  #sortedKeys: readonly string[] = [];
  #lastCommit: Version | null = null;

  get(key: string): VersionedValue | undefined {
    return this.#entries.get(key);
  }

  *range(startKey: string, endKey: string): Generator<StateEntry> {
    const keys = this.#sortedKeys;
    for (let i = lowerBound(keys, startKey); i < keys.length; i++) {
      const key = keys[i];
      if (key === undefined || !inRange(key, startKey, endKey)) {
        return;
      }
      const stored = this.#entries.get(key);
      if (stored !== undefined) {
        yield { key, value: stored.value, version: stored.version };
      }
    }
  }

  history(key: string): readonly HistoryEntry[] {
    return [...(this.#history.get(key) ?? [])];
  }

  /** Every key ever written with its history, oldest entry first. */
  *allHistory(): Generator<readonly [string, readonly HistoryEntry[]]> {
    for (const [key, entries] of this.#history) {
      yield [key, [...entries]];
    }
  }

  /** Height of the last applied transaction, or null when nothing has been committed. */
  get lastCommit(): Version | null {
    return this.#lastCommit;
  }

  validate(result: SimulationResult): ValidationCode {
    return validateSimulation(this, result);
  }

  /**
   * Commits a simulation's writes at the given height (callers validate first). Every write, delete of an absent
   * key included, appends a history entry, as Fabric's history database does.
   *
   * @throws Error when the height does not follow the last commit.
   */
  apply(result: SimulationResult, commit: Readonly<CommitInfo>): void {
    const version: Version = { blockNum: commit.blockNum, txNum: commit.txNum };
    if (this.#lastCommit !== null && compareVersions(version, this.#lastCommit) <= 0) {
      throw new Error(`commit height ${formatVersion(version)} does not follow ${formatVersion(this.#lastCommit)}`);
    }
    const timestamp = { seconds: commit.timestamp.seconds, nanos: commit.timestamp.nanos };
    let keys: string[] | undefined;
    for (const write of result.writes) {
      const value = write.value === null ? null : Uint8Array.from(write.value);
      const existed = this.#entries.has(write.key);
      if (value === null) {
        this.#entries.delete(write.key);
        if (existed) {
          keys ??= [...this.#sortedKeys];
          keys.splice(lowerBound(keys, write.key), 1);
        }
      } else {
        this.#entries.set(write.key, { value, version });
        if (!existed) {
          keys ??= [...this.#sortedKeys];
          keys.splice(lowerBound(keys, write.key), 0, write.key);
        }
      }
      this.#appendHistory(write.key, {
        txId: commit.txId,
        timestamp,
        isDelete: value === null,
        value: value ?? new Uint8Array(0),
      });
    }
    if (keys !== undefined) this.#sortedKeys = keys;
    this.#lastCommit = version;
  }

  #appendHistory(key: string, entry: HistoryEntry): void {
    const entries = this.#history.get(key);
    if (entries === undefined) {
      this.#history.set(key, [entry]);
    } else {
      entries.push(entry);
    }
  }
}

function formatVersion(version: Version): string {
  return `${version.blockNum}:${version.txNum}`;
}

function compareVersions(a: Version, b: Version): number {
  return a.blockNum === b.blockNum ? a.txNum - b.txNum : a.blockNum - b.blockNum;
}

function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = keys[middle];
    if (candidate !== undefined && compareKeys(candidate, key) < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}
