import type Database from 'better-sqlite3';
import type { HistoryEntry, StateEntry, TxTimestamp, VersionedValue } from '@medledger/chaincode';
import { DomainError } from '@medledger/core';
import type { Block, ReadWriteSet, TransactionEnvelope } from './block.js';
import { boundBytes, isStorableKey, keyBytes, parseTxTimestamp, successor } from './store-keys.js';
import { META } from './store-schema.js';

type Db = Database.Database;
type Statement = Database.Statement;

/** The writes of one valid transaction of a block, as the committing peer applies them. */
export interface StateUpdate {
  readonly txNum: number;
  readonly txId: string;
  readonly writes: ReadWriteSet['writes'];
}

const RANGE_PAGE_SIZE = 256;
const EMPTY = Buffer.alloc(0);

interface StateRow {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly block_num: number;
  readonly tx_num: number;
}

interface HistoryRow {
  readonly tx_id: string;
  readonly is_delete: number;
  readonly value: Buffer;
  readonly ts_seconds: number;
  readonly ts_nanos: number;
}

/** The transactions of `block` marked VALID, with the writes they carry: what {@link DerivedState} applies. */
export function validUpdates(block: Block): StateUpdate[] {
  const updates: StateUpdate[] = [];
  block.transactions.forEach((tx, txNum) => {
    if (block.validation[txNum] === 'VALID') {
      updates.push({ txNum, txId: tx.proposal.txId, writes: tx.response.rwset.writes });
    }
  });
  return updates;
}

/**
 * Why a transaction's writes could not be committed (a lone-surrogate key, a malformed timestamp), or undefined.
 * The validator must mark such a transaction invalid (BAD_PAYLOAD); the store refuses a block that marks it VALID.
 */
export function unstorableReason(tx: TransactionEnvelope): string | undefined {
  if (parseTxTimestamp(tx.proposal.timestamp) === undefined) {
    return `transaction ${tx.proposal.txId} has a malformed timestamp`;
  }
  const bad = tx.response.rwset.writes.find((write) => !isStorableKey(write.key));
  return bad === undefined ? undefined : `transaction ${tx.proposal.txId} writes a key that is not well-formed UTF-16`;
}

/** A write as committed: a null or empty value is a delete, as in Fabric's rwset builder. */
function decodeValue(value: string | null): Buffer | null {
  if (value === null || value === '') {
    return null;
  }
  return Buffer.from(value, 'base64');
}

/** The last write per key, in first-write order (rwsets already have one write per key; this makes sure). */
function lastWritePerKey(writes: ReadWriteSet['writes']): Map<string, string | null> {
  const byKey = new Map<string, string | null>();
  for (const write of writes) {
    byKey.set(write.key, write.value);
  }
  return byKey;
}

interface Deltas {
  state: number;
  history: number;
  transactions: number;
}

/**
 * World state, history, transaction index and savepoint of one SQLite connection: the tables the blocks determine.
 * Mutators must run inside a transaction the caller opened.
 */
export class DerivedState {
  readonly #get: Statement;
  readonly #rangeTo: Statement;
  readonly #rangeOpen: Statement;
  readonly #history: Statement;
  readonly #insertState: Statement;
  readonly #updateState: Statement;
  readonly #deleteState: Statement;
  readonly #insertHistory: Statement;
  readonly #insertTransaction: Statement;
  readonly #readMeta: Statement;
  readonly #setMeta: Statement;
  readonly #addMeta: Statement;

  constructor(db: Db) {
    this.#get = db.prepare('SELECT value, block_num, tx_num FROM state WHERE key = ?');
    this.#rangeTo = db.prepare(
      'SELECT key, value, block_num, tx_num FROM state WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
    );
    this.#rangeOpen = db.prepare('SELECT key, value, block_num, tx_num FROM state WHERE key >= ? ORDER BY key LIMIT ?');
    this.#history = db.prepare(
      `SELECT tx_id, is_delete, value, ts_seconds, ts_nanos FROM history WHERE key = ?
       ORDER BY block_num, tx_num`,
    );
    this.#insertState = db.prepare('INSERT OR IGNORE INTO state (key, value, block_num, tx_num) VALUES (?, ?, ?, ?)');
    this.#updateState = db.prepare('UPDATE state SET value = ?, block_num = ?, tx_num = ? WHERE key = ?');
    this.#deleteState = db.prepare('DELETE FROM state WHERE key = ?');
    this.#insertHistory = db.prepare(
      `INSERT INTO history (key, block_num, tx_num, tx_id, is_delete, value, ts_seconds, ts_nanos)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertTransaction = db.prepare(
      'INSERT OR IGNORE INTO transactions (tx_id, block_num, tx_num, validation_code) VALUES (?, ?, ?, ?)',
    );
    this.#readMeta = db.prepare('SELECT value FROM meta WHERE name = ?').pluck();
    this.#setMeta = db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)');
    this.#addMeta = db.prepare(
      'UPDATE meta SET value = CAST(CAST(value AS INTEGER) + CAST(? AS INTEGER) AS TEXT) WHERE name = ?',
    );
  }

  get(key: string): VersionedValue | undefined {
    const bytes = keyBytes(key);
    const row = bytes && (this.#get.get(bytes) as Omit<StateRow, 'key'> | undefined);
    return row ? { value: row.value, version: { blockNum: row.block_num, txNum: row.tx_num } } : undefined;
  }

  /**
   * Pages through the range, so no SQLite statement stays open between items: the chaincode pulls range results
   * across awaits, and a commit may run in between (the validator's phantom check catches what that changes).
   */
  *range(startKey: string, endKey: string): Generator<StateEntry> {
    const end = endKey === '' ? undefined : boundBytes(endKey);
    let from = boundBytes(startKey);
    for (;;) {
      const page = (
        end === undefined ? this.#rangeOpen.all(from, RANGE_PAGE_SIZE) : this.#rangeTo.all(from, end, RANGE_PAGE_SIZE)
      ) as StateRow[];
      for (const row of page) {
        yield {
          key: row.key.toString('utf8'),
          value: row.value,
          version: { blockNum: row.block_num, txNum: row.tx_num },
        };
      }
      const last = page[page.length - 1];
      if (page.length < RANGE_PAGE_SIZE || last === undefined) {
        return;
      }
      from = successor(last.key);
    }
  }

  history(key: string): HistoryEntry[] {
    const bytes = keyBytes(key);
    const rows = bytes === undefined ? [] : (this.#history.all(bytes) as HistoryRow[]);
    return rows.map((row) => ({
      txId: row.tx_id,
      timestamp: { seconds: row.ts_seconds, nanos: row.ts_nanos },
      isDelete: row.is_delete !== 0,
      value: row.value,
    }));
  }

  /** A meta number, or undefined when the row is missing or not an integer. */
  meta(name: string): number | undefined {
    const text = this.#readMeta.get(name) as string | undefined;
    const value = text === undefined || !/^-?\d+$/.test(text) ? Number.NaN : Number(text);
    return Number.isSafeInteger(value) ? value : undefined;
  }

  setMeta(name: string, value: number): void {
    this.#setMeta.run(name, String(value));
  }

  /** Applies the block's valid writes at versions (block, tx), indexes all its transactions, advances the savepoint. */
  applyBlock(block: Block): void {
    const blockNum = block.header.number;
    const deltas: Deltas = { state: 0, history: 0, transactions: 0 };
    for (const update of validUpdates(block)) {
      const tx = block.transactions[update.txNum];
      const timestamp = tx && parseTxTimestamp(tx.proposal.timestamp);
      if (timestamp === undefined) {
        throw new DomainError('INVALID_ARGUMENT', `transaction ${update.txId} has a malformed timestamp`);
      }
      this.#applyWrites(blockNum, update, timestamp, deltas);
    }
    block.transactions.forEach((tx, txNum) => {
      const code = block.validation[txNum] ?? 'BAD_PAYLOAD';
      deltas.transactions += this.#insertTransaction.run(tx.proposal.txId, blockNum, txNum, code).changes;
    });
    this.#addMeta.run(deltas.state, META.stateRows);
    this.#addMeta.run(deltas.history, META.historyRows);
    this.#addMeta.run(deltas.transactions, META.transactionRows);
    this.setMeta(META.savepoint, blockNum);
  }

  #applyWrites(blockNum: number, update: StateUpdate, timestamp: TxTimestamp, deltas: Deltas): void {
    const { txNum, txId } = update;
    for (const [key, encoded] of lastWritePerKey(update.writes)) {
      const bytes = keyBytes(key);
      if (bytes === undefined) {
        throw new DomainError('INVALID_ARGUMENT', `transaction ${txId} writes a key that is not well-formed UTF-16`);
      }
      const value = decodeValue(encoded);
      if (value === null) {
        deltas.state -= this.#deleteState.run(bytes).changes;
      } else if (this.#insertState.run(bytes, value, blockNum, txNum).changes === 1) {
        deltas.state += 1;
      } else {
        this.#updateState.run(value, blockNum, txNum, bytes);
      }
      this.#insertHistory.run(bytes, blockNum, txNum, txId, value === null ? 1 : 0, value ?? EMPTY, ...ts(timestamp));
      deltas.history += 1;
    }
  }
}

function ts(timestamp: TxTimestamp): [number, number] {
  return [timestamp.seconds, timestamp.nanos];
}
