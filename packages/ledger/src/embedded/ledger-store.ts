import Database from 'better-sqlite3';
import type { HistoryEntry, StateEntry, StateReader, VersionedValue } from '@medledger/chaincode';
import { DomainError } from '@medledger/core';
import type { ValidationCode } from '../ledger-client.js';
import type { Block, ReadWriteSet, TransactionEnvelope } from './block.js';
import { blockBytes, blockHash } from './block.js';
import type { StoreMismatch } from './store-compare.js';
import { compareDerivedTables, stateDigest } from './store-compare.js';
import { META, migrate, recreateMissingDerivedTables, schemaVersion, writeInitialMeta } from './store-schema.js';
import type { StateUpdate } from './store-state.js';
import { DerivedState, unstorableReason, validUpdates } from './store-state.js';

export type { StoreMismatch } from './store-compare.js';
export type { StateUpdate } from './store-state.js';
export { unstorableReason, validUpdates } from './store-state.js';
export { isStorableKey, parseTxTimestamp } from './store-keys.js';

type Db = Database.Database;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const REPLAY_CHUNK_BLOCKS = 256;
const BLOCK_PAGE_SIZE = 64;
const SYNCHRONOUS_MODES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export interface LedgerStoreOptions {
  /** Replay the blocks into the derived tables on open when they lag or were lost (default true). */
  readonly autoRecover?: boolean;
  /** How long to wait for another connection's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

/** What `openLedgerStore` found about the derived tables (state, history, transaction index) and did about it. */
export interface RecoveryReport {
  /** Why they were not in step with the blocks; undefined when they were. */
  readonly reason: string | undefined;
  /** True when they were dropped and replayed from block 0, false when only missing blocks were replayed. */
  readonly rebuilt: boolean;
  readonly replayedBlocks: number;
  /** False only with `autoRecover: false` and a recovery needed; the store then refuses commits. */
  readonly done: boolean;
}

/** A block row as stored: what `verify()` re-hashes. */
export interface StoredBlock {
  readonly number: number;
  /** Hex SHA-256 of the canonical header, computed at commit. */
  readonly hash: string;
  readonly previousHash: string;
  /** Canonical JSON (UTF-8) of the whole Block, validation codes included. */
  readonly data: Buffer;
}

export interface TransactionLocation {
  readonly blockNum: number;
  readonly txNum: number;
  readonly validationCode: ValidationCode;
}

/** One transaction of a stored block, with the code the block carries for it. */
export interface StoredTransaction {
  readonly blockNum: number;
  readonly txNum: number;
  readonly validationCode: ValidationCode;
  readonly envelope: TransactionEnvelope;
}

/** Stored derived tables against a replay of every stored block into a fresh in-memory database. */
export interface StateComparison {
  readonly ok: boolean;
  readonly blocksReplayed: number;
  readonly storedStateDigest: string;
  readonly recomputedStateDigest: string;
  /** The first differing row: state first, then history, then the transaction index. */
  readonly mismatch: StoreMismatch | undefined;
}

/** PRAGMA read-backs of the store's own connection. */
export interface StorageSettings {
  readonly journalMode: string;
  readonly synchronous: string;
  readonly foreignKeys: boolean;
  readonly schemaVersion: number;
}

/**
 * Durable storage of the embedded ledger: the block store plus what the blocks determine (world state, key history,
 * transaction index). Every commit is one SQLite transaction, so a crash leaves either all of a block or none of it.
 * Reads are synchronous; it is the {@link StateReader} chaincode simulations run against.
 */
export interface LedgerStore extends StateReader {
  readonly path: string;
  readonly recovery: RecoveryReport;
  /** Number of stored blocks (the next block number). */
  height(): number;
  /** Hash of the last block's header; empty when there is none (block 0's previous hash). */
  lastBlockHash(): string;
  /** Number of blocks whose writes are in the state (the savepoint + 1); equals `height()` once open. */
  stateHeight(): number;
  /**
   * Stores the block and applies the writes of its valid transactions at versions (block, tx), indexes all its
   * transactions with `block.validation`, advances the savepoint: all in one transaction.
   * @param updates the valid transactions' writes, in tx order; must be exactly what `block` carries for its VALID
   *   transactions (see {@link validUpdates}), since recovery replays the blocks.
   * @throws DomainError CONFLICT when the number is not the height or the previous hash not the last block's hash;
   *   INVALID_ARGUMENT for a malformed block or updates that differ from the block. Nothing is written then.
   */
  commitBlock(block: Block, updates: readonly StateUpdate[]): void;
  /**
   * The stored block, parsed.
   * @throws DomainError NOT_FOUND when there is no such block, INTERNAL when its bytes are not JSON.
   */
  getBlock(blockNum: number): Block;
  /** Blocks `from <= n < to`; without `to`, until no next block exists (so it also yields blocks committed meanwhile). */
  blocks(from?: number, to?: number): Generator<Block, void, undefined>;
  /** Every world-state entry in key order (composite keys included). */
  stateEntries(): Generator<StateEntry>;
  rawBlock(blockNum: number): StoredBlock | undefined;
  /** Exactly the stored bytes of a block. */
  rawBlockBytes(blockNum: number): Buffer | undefined;
  /** Where a transaction id first appeared (a later DUPLICATE_TXID does not replace it). */
  transaction(txId: string): TransactionLocation | undefined;
  hasTransaction(txId: string): boolean;
  /**
   * The transaction with this id as a stored block holds it. Without `blockNum`, where the id first appeared (found
   * through the transaction index); with it, that block's first copy (a DUPLICATE_TXID one included), undefined when
   * the block is not stored or does not hold the id. Reads in one SQLite read transaction, so it sees whole blocks.
   * @throws DomainError INTERNAL when the transaction index disagrees with the block it points at (tampering).
   */
  findTransaction(txId: string, blockNum?: number): StoredTransaction | undefined;
  /** Drops state, history and the transaction index and replays every block. @returns blocks replayed. */
  rebuildState(): number;
  /** SHA-256 of the stored world state (key order; keys, values, versions). */
  stateDigest(): string;
  /** The same digest of the world state replayed from the blocks. */
  recomputeStateDigest(): string;
  compareStateWithBlocks(): StateComparison;
  settings(): StorageSettings;
  close(): void;
}

/**
 * Opens (creating if needed) a ledger file: WAL journal, synchronous=FULL, foreign keys on, migrations applied, and
 * the derived tables brought in step with the blocks (see {@link RecoveryReport}).
 * @throws DomainError INTERNAL for a file from a newer version, without a blocks table, or whose state is ahead of its
 *   blocks (blocks lost).
 */
export function openLedgerStore(filePath: string, options: LedgerStoreOptions = {}): LedgerStore {
  const db = new Database(filePath, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  try {
    configure(db, filePath);
    migrate(db);
    const missing = recreateMissingDerivedTables(db);
    return new SqliteLedgerStore(db, filePath, missing, options.autoRecover ?? true);
  } catch (err: unknown) {
    db.close();
    throw err;
  }
}

function configure(db: Db, filePath: string): void {
  const journalMode = db.pragma('journal_mode = WAL', { simple: true });
  if (journalMode !== 'wal' && filePath !== ':memory:') {
    throw new DomainError(
      'INTERNAL',
      `cannot put the ledger file in WAL mode (journal mode is ${String(journalMode)})`,
    );
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

interface BlockRow {
  readonly number: number;
  readonly hash: string;
  readonly previous_hash: string;
  readonly data: Buffer;
}

interface Diagnosis {
  readonly reason: string | undefined;
  readonly rebuild: boolean;
}

function parseBlock(row: Pick<BlockRow, 'number' | 'data'>): Block {
  try {
    return JSON.parse(row.data.toString('utf8')) as Block;
  } catch (err: unknown) {
    throw new DomainError('INTERNAL', `stored block ${row.number} is not JSON`, { cause: err });
  }
}

function sameWrites(a: ReadWriteSet['writes'], b: ReadWriteSet['writes']): boolean {
  return (
    a.length === b.length &&
    a.every((write, i) => {
      const other = b[i];
      return other !== undefined && write.key === other.key && write.value === other.value;
    })
  );
}

function transactionAt(blockNum: number, block: Block, txNum: number): StoredTransaction | undefined {
  const envelope = block.transactions[txNum];
  const validationCode = block.validation[txNum];
  return envelope && validationCode && { blockNum, txNum, validationCode, envelope };
}

/** Refuses what would make the stored state differ from a replay of the stored block. */
function checkBlock(block: Block, updates: readonly StateUpdate[]): void {
  const number = block.header.number;
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new DomainError('INVALID_ARGUMENT', `block number ${String(number)} is not a non-negative integer`);
  }
  if (block.validation.length !== block.transactions.length) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `block ${number} has ${block.validation.length} validation codes for ${block.transactions.length} transactions`,
    );
  }
  const expected = validUpdates(block);
  const matches =
    updates.length === expected.length &&
    expected.every((e, i) => {
      const u = updates[i];
      return u !== undefined && u.txNum === e.txNum && u.txId === e.txId && sameWrites(u.writes, e.writes);
    });
  if (!matches) {
    throw new DomainError('INVALID_ARGUMENT', `block ${number}: updates are not the writes of its VALID transactions`);
  }
  for (const update of expected) {
    const tx = block.transactions[update.txNum];
    const reason = tx && unstorableReason(tx);
    if (reason !== undefined) {
      throw new DomainError('INVALID_ARGUMENT', `block ${number}: ${reason} but is marked VALID`);
    }
  }
}

/** SQLite-backed {@link LedgerStore}. */
class SqliteLedgerStore implements LedgerStore {
  readonly path: string;
  #recovery: RecoveryReport;
  readonly #db: Db;
  readonly #state: DerivedState;
  readonly #tip: Database.Statement;
  readonly #block: Database.Statement;
  readonly #blockPage: Database.Statement;
  readonly #insertBlock: Database.Statement;
  readonly #transaction: Database.Statement;
  readonly #commit: Database.Transaction<(block: Block, hash: string, data: Buffer) => void>;
  readonly #find: Database.Transaction<(txId: string, blockNum?: number) => StoredTransaction | undefined>;

  constructor(db: Db, path: string, missingTables: readonly string[], autoRecover: boolean) {
    this.#db = db;
    this.path = path;
    this.#state = new DerivedState(db);
    this.#tip = db.prepare('SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1');
    this.#block = db.prepare('SELECT number, hash, previous_hash, data FROM blocks WHERE number = ?');
    this.#blockPage = db.prepare(
      'SELECT number, data FROM blocks WHERE number >= ? AND number < ? ORDER BY number LIMIT ?',
    );
    this.#insertBlock = db.prepare('INSERT INTO blocks (number, hash, previous_hash, data) VALUES (?, ?, ?, ?)');
    this.#transaction = db.prepare('SELECT block_num, tx_num, validation_code FROM transactions WHERE tx_id = ?');
    this.#commit = db.transaction((block: Block, hash: string, data: Buffer) => {
      this.#appendBlock(block, hash, data);
    });
    this.#find = db.transaction((txId: string, blockNum?: number) => this.#findTransaction(txId, blockNum));
    this.#recovery = this.#recover(missingTables, autoRecover);
  }

  get recovery(): RecoveryReport {
    return this.#recovery;
  }

  get(key: string): VersionedValue | undefined {
    return this.#state.get(key);
  }

  range(startKey: string, endKey: string): Generator<StateEntry> {
    return this.#state.range(startKey, endKey);
  }

  history(key: string): readonly HistoryEntry[] {
    return this.#state.history(key);
  }

  height(): number {
    const tip = this.#tip.get() as Pick<BlockRow, 'number'> | undefined;
    return tip === undefined ? 0 : tip.number + 1;
  }

  lastBlockHash(): string {
    const tip = this.#tip.get() as Pick<BlockRow, 'hash'> | undefined;
    return tip?.hash ?? '';
  }

  stateHeight(): number {
    return (this.#state.meta(META.savepoint) ?? -1) + 1;
  }

  commitBlock(block: Block, updates: readonly StateUpdate[]): void {
    if (!this.recovery.done) {
      throw new DomainError('LEDGER_UNAVAILABLE', `ledger state needs recovery (${String(this.recovery.reason)})`);
    }
    checkBlock(block, updates);
    // canonicalJson (inside blockBytes) throws DomainError INVALID_ARGUMENT for values JSON cannot carry faithfully.
    const data = blockBytes(block);
    this.#commit.immediate(block, blockHash(block.header), data);
  }

  getBlock(blockNum: number): Block {
    const row = this.rawBlock(blockNum);
    if (row === undefined) {
      throw new DomainError('NOT_FOUND', `block ${blockNum} is not stored (height ${this.height()})`);
    }
    return parseBlock(row);
  }

  stateEntries(): Generator<StateEntry> {
    return this.#state.range('', '');
  }

  *blocks(from = 0, to = Number.MAX_SAFE_INTEGER): Generator<Block, void, undefined> {
    let next = from;
    for (;;) {
      const page = this.#blockPage.all(next, to, BLOCK_PAGE_SIZE) as Pick<BlockRow, 'number' | 'data'>[];
      for (const row of page) {
        yield parseBlock(row);
        next = row.number + 1;
      }
      if (page.length < BLOCK_PAGE_SIZE) {
        return;
      }
    }
  }

  rawBlock(blockNum: number): StoredBlock | undefined {
    const row = this.#block.get(blockNum) as BlockRow | undefined;
    return row && { number: row.number, hash: row.hash, previousHash: row.previous_hash, data: row.data };
  }

  rawBlockBytes(blockNum: number): Buffer | undefined {
    return this.rawBlock(blockNum)?.data;
  }

  transaction(txId: string): TransactionLocation | undefined {
    const row = this.#transaction.get(txId) as
      { block_num: number; tx_num: number; validation_code: ValidationCode } | undefined;
    return row && { blockNum: row.block_num, txNum: row.tx_num, validationCode: row.validation_code };
  }

  hasTransaction(txId: string): boolean {
    return this.transaction(txId) !== undefined;
  }

  findTransaction(txId: string, blockNum?: number): StoredTransaction | undefined {
    return this.#find.deferred(txId, blockNum);
  }

  rebuildState(): number {
    const replayedBlocks = this.#rebuild();
    this.#recovery = { reason: 'rebuildState() was called', rebuilt: true, replayedBlocks, done: true };
    return replayedBlocks;
  }

  stateDigest(): string {
    return stateDigest(this.#db);
  }

  recomputeStateDigest(): string {
    return this.#withReplay((memory) => stateDigest(memory));
  }

  compareStateWithBlocks(): StateComparison {
    return this.#withReplay((memory, blocksReplayed) => {
      const mismatch = compareDerivedTables(this.#db, memory);
      const storedStateDigest = stateDigest(this.#db);
      const recomputedStateDigest = stateDigest(memory);
      return { ok: mismatch === undefined, blocksReplayed, storedStateDigest, recomputedStateDigest, mismatch };
    });
  }

  settings(): StorageSettings {
    const synchronous = this.#db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: SYNCHRONOUS_MODES[synchronous] ?? String(synchronous),
      foreignKeys: this.#db.pragma('foreign_keys', { simple: true }) === 1,
      schemaVersion: schemaVersion(this.#db),
    };
  }

  close(): void {
    if (this.#db.open) {
      this.#db.close();
    }
  }

  /** Runs inside the commit transaction, so the checks and the writes see the same tip. */
  #appendBlock(block: Block, hash: string, data: Buffer): void {
    const tip = this.#tip.get() as Pick<BlockRow, 'number' | 'hash'> | undefined;
    const height = tip === undefined ? 0 : tip.number + 1;
    const previousHash = tip?.hash ?? '';
    const { number } = block.header;
    if (number !== height) {
      throw new DomainError('CONFLICT', `block ${number} refused: the next block number is ${height}`);
    }
    if (block.header.previousHash !== previousHash) {
      throw new DomainError('CONFLICT', `block ${number} refused: its previous hash is not block ${height - 1}'s hash`);
    }
    if (this.stateHeight() !== height) {
      throw new DomainError('LEDGER_UNAVAILABLE', `state is at height ${this.stateHeight()}, blocks at ${height}`);
    }
    this.#insertBlock.run(number, hash, block.header.previousHash, data);
    this.#state.applyBlock(block);
  }

  /** Inside a read transaction: the index lookup and the block read see the same commits. */
  #findTransaction(txId: string, blockNum?: number): StoredTransaction | undefined {
    const first = this.transaction(txId);
    // Every stored copy of an id is at or after its first appearance, which the index holds.
    if (first === undefined || (blockNum !== undefined && blockNum < first.blockNum)) {
      return undefined;
    }
    if (blockNum === undefined || blockNum === first.blockNum) {
      return this.#indexedTransaction(txId, first);
    }
    const row = this.rawBlock(blockNum);
    const block = row && parseBlock(row);
    const txNum = block ? block.transactions.findIndex((tx) => tx.proposal.txId === txId) : -1;
    return block && transactionAt(blockNum, block, txNum);
  }

  /** The transaction where the index says it is, checked against the block (the index is derived, the block is not). */
  #indexedTransaction(txId: string, location: TransactionLocation): StoredTransaction {
    const row = this.rawBlock(location.blockNum);
    const found = row && transactionAt(location.blockNum, parseBlock(row), location.txNum);
    if (found?.envelope.proposal.txId !== txId || found.validationCode !== location.validationCode) {
      throw new DomainError(
        'INTERNAL',
        `the transaction index disagrees with block ${location.blockNum} about transaction ${txId}: run verify()`,
      );
    }
    return found;
  }

  #recover(missingTables: readonly string[], autoRecover: boolean): RecoveryReport {
    const diagnosis = this.#diagnose(missingTables);
    if (diagnosis.reason === undefined) {
      return { reason: undefined, rebuilt: false, replayedBlocks: 0, done: true };
    }
    if (!autoRecover) {
      return { reason: diagnosis.reason, rebuilt: diagnosis.rebuild, replayedBlocks: 0, done: false };
    }
    const replayedBlocks = diagnosis.rebuild
      ? this.#rebuild()
      : this.#replay(this.stateHeight(), this.#state, this.#db);
    return { reason: diagnosis.reason, rebuilt: diagnosis.rebuild, replayedBlocks, done: true };
  }

  #diagnose(missingTables: readonly string[]): Diagnosis {
    if (missingTables.length > 0) {
      return { reason: `derived tables were missing: ${missingTables.join(', ')}`, rebuild: true };
    }
    const savepoint = this.#state.meta(META.savepoint);
    if (savepoint === undefined) {
      return { reason: 'the state savepoint is missing', rebuild: true };
    }
    const counted = this.#countMismatch();
    if (counted !== undefined) {
      return { reason: counted, rebuild: true };
    }
    const height = this.height();
    if (savepoint >= height) {
      throw new DomainError(
        'INTERNAL',
        `state savepoint is block ${savepoint} but the last stored block is ${height - 1}: blocks were lost`,
      );
    }
    if (savepoint < height - 1) {
      return {
        reason: `state savepoint is block ${savepoint}, the last stored block is ${height - 1}`,
        rebuild: false,
      };
    }
    return { reason: undefined, rebuild: false };
  }

  /** Row counts against the counters each commit keeps: catches derived rows deleted or added behind our back. */
  #countMismatch(): string | undefined {
    const tables = [
      ['state', META.stateRows],
      ['history', META.historyRows],
      ['transactions', META.transactionRows],
    ] as const;
    for (const [table, counter] of tables) {
      const expected = this.#state.meta(counter);
      const actual = this.#db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      if (expected !== actual) {
        return `${table} has ${actual} rows, the commits recorded ${expected === undefined ? 'no count' : expected}`;
      }
    }
    return undefined;
  }

  /** Empties state, history and the index (savepoint -1) in one transaction, then replays every block. */
  #rebuild(): number {
    this.#db
      .transaction(() => {
        this.#db.exec('DELETE FROM state; DELETE FROM history; DELETE FROM transactions;');
        writeInitialMeta(this.#db);
      })
      .immediate();
    return this.#replay(0, this.#state, this.#db);
  }

  /** Applies stored blocks from `first` on to `target`, REPLAY_CHUNK_BLOCKS per transaction. @returns blocks applied. */
  #replay(first: number, target: DerivedState, targetDb: Db): number {
    const applyChunk = targetDb.transaction((blocks: readonly Block[]) => {
      for (const block of blocks) {
        target.applyBlock(block);
      }
    });
    let next = first;
    for (;;) {
      const rows = this.#blockPage.all(next, Number.MAX_SAFE_INTEGER, REPLAY_CHUNK_BLOCKS) as BlockRow[];
      const blocks = rows.map((row, i) => {
        const block = parseBlock(row);
        if (row.number !== next + i || block.header.number !== row.number) {
          throw new DomainError('INTERNAL', `cannot replay: block ${next + i} is missing or misnumbered`);
        }
        return block;
      });
      applyChunk.immediate(blocks);
      next += blocks.length;
      if (rows.length < REPLAY_CHUNK_BLOCKS) {
        return next - first;
      }
    }
  }

  #withReplay<T>(use: (memory: Db, blocksReplayed: number) => T): T {
    const memory = new Database(':memory:');
    try {
      memory.pragma('foreign_keys = OFF');
      migrate(memory);
      const replayed = this.#replay(0, new DerivedState(memory), memory);
      return use(memory, replayed);
    } finally {
      memory.close();
    }
  }
}
