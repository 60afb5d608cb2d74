import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

type Db = Database.Database;
type Row = Readonly<Record<string, unknown>>;

/** Where the stored derived tables first differ from what the blocks give. */
export interface StoreMismatch {
  readonly table: 'state' | 'history' | 'transactions';
  /** The state key (state, history) or the transaction id (transactions). */
  readonly key: string;
  /** Human-readable; values appear only as SHA-256 prefixes. */
  readonly detail: string;
  /**
   * Per the blocks: the transaction that last wrote the key (state, history), or that carries the id (transactions);
   * undefined when no block did.
   */
  readonly lastWrittenBy: { readonly blockNum: number; readonly txNum: number; readonly txId: string } | undefined;
}

interface TableSpec {
  readonly table: StoreMismatch['table'];
  readonly select: string;
  readonly order: (a: Row, b: Row) => number;
  readonly same: (a: Row, b: Row) => boolean;
  readonly keyOf: (row: Row) => string;
  readonly describe: (row: Row) => string;
}

function bytesOf(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
}

function sameValue(a: unknown, b: unknown): boolean {
  return Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b;
}

function sameColumns(columns: readonly string[]): (a: Row, b: Row) => boolean {
  return (a, b) => columns.every((column) => sameValue(a[column], b[column]));
}

function compareNumbers(a: unknown, b: unknown): number {
  return Number(a) - Number(b);
}

function fingerprint(value: unknown): string {
  return `${typeof value === 'object' ? '' : `${typeof value} `}sha256:${createHash('sha256').update(bytesOf(value)).digest('hex').slice(0, 16)}`;
}

function version(row: Row): string {
  return `${String(row.block_num)}:${String(row.tx_num)}`;
}

const TABLES: readonly TableSpec[] = [
  {
    table: 'state',
    select: 'SELECT key, value, block_num, tx_num FROM state ORDER BY key',
    order: (a, b) => Buffer.compare(bytesOf(a.key), bytesOf(b.key)),
    same: sameColumns(['key', 'value', 'block_num', 'tx_num']),
    keyOf: (row) => bytesOf(row.key).toString('utf8'),
    describe: (row) => `value ${fingerprint(row.value)} at version ${version(row)}`,
  },
  {
    table: 'history',
    select: `SELECT key, block_num, tx_num, tx_id, is_delete, value, ts_seconds, ts_nanos FROM history
             ORDER BY key, block_num, tx_num`,
    order: (a, b) =>
      Buffer.compare(bytesOf(a.key), bytesOf(b.key)) ||
      compareNumbers(a.block_num, b.block_num) ||
      compareNumbers(a.tx_num, b.tx_num),
    same: sameColumns(['key', 'block_num', 'tx_num', 'tx_id', 'is_delete', 'value', 'ts_seconds', 'ts_nanos']),
    keyOf: (row) => bytesOf(row.key).toString('utf8'),
    describe: (row) =>
      `history entry ${version(row)} (tx ${String(row.tx_id)}, ${row.is_delete === 0 ? 'put' : 'delete'}, ` +
      `value ${fingerprint(row.value)}, time ${String(row.ts_seconds)}.${String(row.ts_nanos)})`,
  },
  {
    table: 'transactions',
    select: 'SELECT tx_id, block_num, tx_num, validation_code FROM transactions ORDER BY tx_id',
    order: (a, b) => Buffer.compare(bytesOf(a.tx_id), bytesOf(b.tx_id)),
    same: sameColumns(['tx_id', 'block_num', 'tx_num', 'validation_code']),
    keyOf: (row) => bytesOf(row.tx_id).toString('utf8'),
    describe: (row) => `index entry ${version(row)} ${String(row.validation_code)}`,
  },
];

interface Difference {
  readonly stored?: Row;
  readonly expected?: Row;
}

function firstDifference(stored: Iterator<Row>, expected: Iterator<Row>, spec: TableSpec): Difference | undefined {
  let s = stored.next();
  let e = expected.next();
  while (s.done !== true || e.done !== true) {
    if (s.done === true) return { expected: e.value as Row };
    if (e.done === true) return { stored: s.value };
    const order = spec.order(s.value, e.value);
    if (order < 0) return { stored: s.value };
    if (order > 0) return { expected: e.value };
    if (!spec.same(s.value, e.value)) return { stored: s.value, expected: e.value };
    s = stored.next();
    e = expected.next();
  }
  return undefined;
}

function walk(storedDb: Db, expectedDb: Db, spec: TableSpec): Difference | undefined {
  const stored = storedDb.prepare(spec.select).iterate() as IterableIterator<Row>;
  const expected = expectedDb.prepare(spec.select).iterate() as IterableIterator<Row>;
  try {
    return firstDifference(stored, expected, spec);
  } finally {
    stored.return?.();
    expected.return?.();
  }
}

function detail(spec: TableSpec, difference: Difference): string {
  if (difference.expected === undefined) {
    return `stored ${spec.table} has ${spec.describe(difference.stored ?? {})}, which the blocks do not give`;
  }
  if (difference.stored === undefined) {
    return `stored ${spec.table} lacks ${spec.describe(difference.expected)}, which the blocks give`;
  }
  return `stored ${spec.table} has ${spec.describe(difference.stored)}, the blocks give ${spec.describe(difference.expected)}`;
}

function writer(expectedDb: Db, spec: TableSpec, key: string): StoreMismatch['lastWrittenBy'] {
  const row = (
    spec.table === 'transactions'
      ? expectedDb.prepare('SELECT block_num, tx_num, tx_id FROM transactions WHERE tx_id = ?').get(key)
      : expectedDb
          .prepare(
            'SELECT block_num, tx_num, tx_id FROM history WHERE key = ? ORDER BY block_num DESC, tx_num DESC LIMIT 1',
          )
          .get(Buffer.from(key, 'utf8'))
  ) as { block_num: number; tx_num: number; tx_id: string } | undefined;
  return row && { blockNum: row.block_num, txNum: row.tx_num, txId: row.tx_id };
}

/**
 * Walks state, history and the transaction index of both databases in key order, row by row.
 * @returns the first difference (state first, then history, then the index), or undefined when they are equal.
 */
export function compareDerivedTables(storedDb: Db, expectedDb: Db): StoreMismatch | undefined {
  for (const spec of TABLES) {
    const difference = walk(storedDb, expectedDb, spec);
    if (difference !== undefined) {
      const key = spec.keyOf(difference.stored ?? difference.expected ?? {});
      return { table: spec.table, key, detail: detail(spec, difference), lastWrittenBy: writer(expectedDb, spec, key) };
    }
  }
  return undefined;
}

function frame(hash: ReturnType<typeof createHash>, value: unknown): void {
  const bytes = bytesOf(value);
  const header = Buffer.alloc(5);
  // The storage class too: a TEXT key or value is not the BLOB it spells (lookups bind BLOBs and miss it).
  header.write(Buffer.isBuffer(value) ? 'B' : 'T');
  header.writeUInt32BE(bytes.length, 1);
  hash.update(header).update(bytes);
}

/** SHA-256 over the world state in key order: each key, value, block number and tx number, length-framed. */
export function stateDigest(db: Db): string {
  const hash = createHash('sha256');
  for (const row of db
    .prepare('SELECT key, value, block_num, tx_num FROM state ORDER BY key')
    .iterate() as Iterable<Row>) {
    frame(hash, row.key);
    frame(hash, row.value);
    frame(hash, JSON.stringify([row.block_num, row.tx_num]));
  }
  return hash.digest('hex');
}
