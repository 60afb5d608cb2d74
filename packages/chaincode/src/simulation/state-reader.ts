/** Height of the transaction that last wrote a key, as Fabric's `version.Height`. */
export interface Version {
  readonly blockNum: number;
  readonly txNum: number;
}

export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: Version;
}

export interface StateEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly version: Version;
}

/** Timestamp of the proposal that wrote a value (the client's `ChannelHeader.timestamp`). */
export interface TxTimestamp {
  readonly seconds: number;
  readonly nanos: number;
}

export interface HistoryEntry {
  readonly txId: string;
  readonly timestamp: TxTimestamp;
  readonly isDelete: boolean;
  /** Empty for a delete. */
  readonly value: Uint8Array;
}

/**
 * Committed world state, read-only. A simulation reads only through this, so a transaction never sees its own
 * writes.
 *
 * Key order is UTF-8 byte order (see {@link compareKeys}), which is what Fabric's LevelDB state database uses and
 * what SQLite's default BINARY collation gives for TEXT keys.
 */
export interface StateReader {
  get(key: string): VersionedValue | undefined;
  /** Entries with `startKey <= key < endKey` in {@link compareKeys} order; an empty `endKey` means no upper bound. */
  range(startKey: string, endKey: string): Iterable<StateEntry>;
  /** Every committed write of `key`, oldest first, deletes included. */
  history(key: string): readonly HistoryEntry[];
}

/**
 * Compares keys in UTF-8 byte order (= code point order). Plain `<` on JS strings compares UTF-16 code units, which
 * puts U+E000..U+FFFF after supplementary characters; that would, for instance, drop a composite key whose attribute
 * starts with U+FF01 from a partial-key query whose end bound is U+10FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      return codePointOrderUnit(x) - codePointOrderUnit(y);
    }
  }
  return a.length - b.length;
}

// Moves surrogates (D800-DFFF) above E000-FFFF so the first differing UTF-16 unit orders like the code points.
function codePointOrderUnit(unit: number): number {
  if (unit >= 0xe000) {
    return unit - 0x800;
  }
  if (unit >= 0xd800) {
    return unit + 0x2000;
  }
  return unit;
}

export function sameVersion(a: Version | null | undefined, b: Version | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a ?? null) === (b ?? null);
  }
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** Whether `key` lies in `[startKey, endKey)`, an empty `endKey` meaning no upper bound. */
export function inRange(key: string, startKey: string, endKey: string): boolean {
  return compareKeys(key, startKey) >= 0 && (endKey === '' || compareKeys(key, endKey) < 0);
}
