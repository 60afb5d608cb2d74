import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, describe, it } from 'node:test';

import Database from 'better-sqlite3';
import fc from 'fast-check';
import { compareKeys, createSimulatedStub, MemoryState, validateSimulation } from '@medledger/chaincode';
import { canonicalJson, isDomainError } from '@medledger/core';
import type { ErrorCode } from '@medledger/core';

import { blockHash } from './block.js';
import type { Block } from './block.js';
import { openLedgerStore } from './ledger-store.js';
import type { LedgerStore, LedgerStoreOptions } from './ledger-store.js';
import { nextBlock } from './store-test-blocks.js';
import type { FixtureTx } from './store-test-blocks.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CRASH_CHILD = join(__dirname, 'testing-crash-child.ts');
const TEMP = mkdtempSync(join(tmpdir(), 'ledger-store-test-'));
const open: LedgerStore[] = [];
let files = 0;

after(() => {
  rmSync(TEMP, { recursive: true, force: true });
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

function freshPath(): string {
  files += 1;
  return join(TEMP, `ledger-${files}.db`);
}

function openStore(path: string, options?: LedgerStoreOptions): LedgerStore {
  const store = openLedgerStore(path, options);
  open.push(store);
  return store;
}

/** A second, plain connection to the file: what someone editing it behind the store's back would use. */
function behindItsBack(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    if (params.length === 0) db.exec(sql);
    else db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

function commit(store: LedgerStore, txs: readonly FixtureTx[]): Block {
  const { block, updates } = nextBlock(store, txs);
  store.commitBlock(block, updates);
  return block;
}

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}

function throwsCode(code: ErrorCode): (err: unknown) => boolean {
  return (err) => isDomainError(err) && err.code === code;
}

function keysOf(store: LedgerStore, start: string, end: string): string[] {
  return [...store.range(start, end)].map((entry) => entry.key);
}

function snapshot(store: LedgerStore): unknown {
  return {
    height: store.height(),
    stateHeight: store.stateHeight(),
    hash: store.lastBlockHash(),
    state: [...store.stateEntries()].map((e) => [e.key, text(e.value), e.version]),
    digest: store.stateDigest(),
  };
}

const COMPOSITE_1 = '\u0000asset\u0000p1\u0000';
const COMPOSITE_2 = '\u0000asset\u0000\uFF01x\u0000';
const COMPOSITE_3 = '\u0000asset\u0000\u{1F600}\u0000';

describe('LedgerStore', () => {
  it('commits a block and reads the values back with their versions', () => {
    const store = openStore(freshPath());
    assert.equal(store.height(), 0);
    assert.equal(store.lastBlockHash(), '');
    const block0 = commit(store, [{ writes: [{ key: 'a', value: 'one' }] }]);
    const block1 = commit(store, [
      { writes: [{ key: 'b', value: 'two' }] },
      {
        writes: [
          { key: 'a', value: 'three' },
          { key: COMPOSITE_1, value: 'four' },
        ],
      },
    ]);

    assert.equal(store.height(), 2);
    assert.equal(store.stateHeight(), 2);
    assert.equal(store.lastBlockHash(), blockHash(block1.header));
    assert.equal(text(store.get('a')?.value), 'three');
    assert.deepEqual(store.get('a')?.version, { blockNum: 1, txNum: 1 });
    assert.deepEqual(store.get('b')?.version, { blockNum: 1, txNum: 0 });
    assert.deepEqual(store.get(COMPOSITE_1)?.version, { blockNum: 1, txNum: 1 });
    assert.equal(store.get('missing'), undefined);
    assert.deepEqual(store.getBlock(0), block0);
    assert.deepEqual(store.getBlock(1), block1);
    assert.throws(() => store.getBlock(2), throwsCode('NOT_FOUND'));
    const txId = block1.transactions[1]!.proposal.txId;
    assert.deepEqual(store.transaction(txId), { blockNum: 1, txNum: 1, validationCode: 'VALID' });
    assert.equal(store.hasTransaction(txId), true);
    assert.equal(store.hasTransaction('unknown'), false);
    assert.deepEqual(
      [...store.blocks()].map((b) => b.header.number),
      [0, 1],
    );
    assert.deepEqual(
      [...store.blocks(1, 2)].map((b) => b.header.number),
      [1],
    );
  });

  it('stores the canonical bytes of each block and the hash of its header', () => {
    const store = openStore(freshPath());
    const block = commit(store, [{ writes: [{ key: 'k', value: 'v' }] }]);
    const raw = store.rawBlock(0)!;
    assert.equal(store.rawBlockBytes(0)!.toString('utf8'), canonicalJson(block));
    assert.equal(raw.hash, blockHash(block.header));
    assert.equal(raw.previousHash, '');
    assert.equal(store.rawBlockBytes(1), undefined);
  });

  it('serves range queries in UTF-8 byte order, composite keys and non-BMP characters included', () => {
    const store = openStore(freshPath());
    const keys = [
      'b',
      'a',
      '\uFF01',
      '\u{1F600}',
      '\uE000',
      'a\u0000',
      COMPOSITE_1,
      COMPOSITE_2,
      COMPOSITE_3,
      'ab',
      'z',
    ];
    commit(store, [{ writes: keys.map((key) => ({ key, value: key })) }]);

    const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(keysOf(store, '', ''), byteOrder);
    assert.deepEqual(byteOrder, [...keys].sort(compareKeys));
    // U+FF01 sorts below U+1F600 in bytes although its UTF-16 unit is above the surrogate.
    assert.deepEqual(keysOf(store, '\u0001', ''), ['a', 'a\u0000', 'ab', 'b', 'z', '\uE000', '\uFF01', '\u{1F600}']);
    // End is exclusive.
    assert.deepEqual(keysOf(store, 'a', 'b'), ['a', 'a\u0000', 'ab']);
    assert.deepEqual(keysOf(store, 'a\u0000', 'ab'), ['a\u0000']);
    // A partial composite key query, as getStateByPartialCompositeKey('asset', []) issues it.
    assert.deepEqual(keysOf(store, '\u0000asset\u0000', '\u0000asset\u0000\u{10FFFF}'), [
      COMPOSITE_1,
      COMPOSITE_2,
      COMPOSITE_3,
    ]);
    assert.deepEqual(keysOf(store, '\u0000asset\u0000', '\u0000asset\u0000\uFF01'), [COMPOSITE_1]);
  });

  it('pages through ranges larger than one page', () => {
    const store = openStore(freshPath());
    const keys = Array.from({ length: 700 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    commit(store, [{ writes: keys.map((key) => ({ key, value: 'v' })) }]);
    assert.deepEqual(keysOf(store, '', ''), keys);
    assert.deepEqual(keysOf(store, 'k0100', 'k0600'), keys.slice(100, 600));
  });

  it('orders ranges exactly as compareKeys and inRange do, for any keys and bounds (lone surrogates in bounds)', () => {
    const keyUnits = [
      'a',
      'b',
      '\u0000',
      '\u0001',
      'é',
      '\uD7FF',
      '\uE000',
      '\uFF01',
      '\uFFFF',
      '\u{10000}',
      '\u{1F600}',
      '\u{10FFFF}',
    ];
    const boundUnits = [...keyUnits, '\uD800', '\uD83D', '\uDBFF', '\uDC00', '\uDE00'];
    const key = fc.array(fc.constantFrom(...keyUnits), { minLength: 1, maxLength: 4 }).map((units) => units.join(''));
    const bound = fc.array(fc.constantFrom(...boundUnits), { maxLength: 4 }).map((units) => units.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 25 }), bound, bound, (keys, start, end) => {
        const store = openStore(':memory:');
        const memory = new MemoryState();
        const writes = keys.map((k) => ({ key: k, value: k }));
        commit(store, [{ writes }]);
        memory.apply(
          {
            reads: [],
            rangeQueries: [],
            writes: writes.map((w) => ({ key: w.key, value: Buffer.from(w.value) })),
            event: null,
          },
          { blockNum: 0, txNum: 0, txId: 't', timestamp: { seconds: 0, nanos: 0 } },
        );
        assert.deepEqual(
          keysOf(store, start, end),
          [...memory.range(start, end)].map((e) => e.key),
        );
        assert.equal(store.get(start)?.version.blockNum, memory.get(start)?.version.blockNum);
        store.close();
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the history of a key oldest first, deletes included, with the proposal timestamps', () => {
    const store = openStore(freshPath());
    const blocks = [
      commit(store, [{ writes: [{ key: 'k', value: 'v1' }] }]),
      commit(store, [{ writes: [{ key: 'other', value: 'x' }] }, { writes: [{ key: 'k', value: 'v2' }] }]),
      commit(store, [{ writes: [{ key: 'k', value: null }] }]),
      commit(store, [{ writes: [{ key: 'k', value: 'v3' }], timestamp: '2025-06-01T12:00:00.123Z' }]),
    ];
    const txIds = [blocks[0]!, blocks[1]!, blocks[2]!, blocks[3]!].map(
      (b, i) => b.transactions[i === 1 ? 1 : 0]!.proposal.txId,
    );
    const history = store.history('k');
    assert.deepEqual(
      history.map((h) => [h.txId, h.isDelete, text(h.value)]),
      [
        [txIds[0], false, 'v1'],
        [txIds[1], false, 'v2'],
        [txIds[2], true, ''],
        [txIds[3], false, 'v3'],
      ],
    );
    assert.deepEqual(history[3]!.timestamp, { seconds: Date.UTC(2025, 5, 1, 12) / 1000, nanos: 123_000_000 });
    assert.deepEqual(store.history('never'), []);
    assert.deepEqual(store.get('k')?.version, { blockNum: 3, txNum: 0 });
  });

  it('refuses a block with a wrong number or previous hash and writes nothing', () => {
    const store = openStore(freshPath());
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    const before = snapshot(store);
    const { block, updates } = nextBlock(store, [
      {
        writes: [
          { key: 'a', value: '2' },
          { key: 'b', value: '2' },
        ],
      },
    ]);

    const skipped = { ...block, header: { ...block.header, number: 2 } };
    assert.throws(() => {
      store.commitBlock(skipped, updates);
    }, throwsCode('CONFLICT'));
    const replayed = { ...block, header: { ...block.header, number: 0, previousHash: '' } };
    assert.throws(() => {
      store.commitBlock(replayed, updates);
    }, throwsCode('CONFLICT'));
    const unlinked = { ...block, header: { ...block.header, previousHash: 'ab'.repeat(32) } };
    assert.throws(() => {
      store.commitBlock(unlinked, updates);
    }, throwsCode('CONFLICT'));

    assert.deepEqual(snapshot(store), before);
    assert.equal(store.hasTransaction(block.transactions[0]!.proposal.txId), false);
    store.commitBlock(block, updates);
    assert.equal(text(store.get('b')?.value), '2');
  });

  it('refuses updates that are not the writes of the block’s valid transactions', () => {
    const store = openStore(freshPath());
    const { block, updates } = nextBlock(store, [
      { writes: [{ key: 'a', value: '1' }] },
      { writes: [{ key: 'b', value: '1' }], validation: 'MVCC_READ_CONFLICT' },
    ]);
    const before = snapshot(store);
    const tampered = [{ ...updates[0]!, writes: [{ key: 'a', value: Buffer.from('9').toString('base64') }] }];
    assert.throws(() => {
      store.commitBlock(block, tampered);
    }, throwsCode('INVALID_ARGUMENT'));
    assert.throws(() => {
      store.commitBlock(block, []);
    }, throwsCode('INVALID_ARGUMENT'));
    const withInvalid = [...updates, { txNum: 1, txId: block.transactions[1]!.proposal.txId, writes: [] }];
    assert.throws(() => {
      store.commitBlock(block, withInvalid);
    }, throwsCode('INVALID_ARGUMENT'));
    assert.throws(() => {
      store.commitBlock({ ...block, validation: ['VALID'] }, updates);
    }, throwsCode('INVALID_ARGUMENT'));
    assert.deepEqual(snapshot(store), before);
  });

  it('rolls the whole block back when a write fails halfway through the commit', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    const before = snapshot(store);
    behindItsBack(
      path,
      `CREATE TRIGGER fail_on_z BEFORE INSERT ON history WHEN NEW.key = X'7a'
       BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
    );
    const { block, updates } = nextBlock(store, [
      {
        writes: [
          { key: 'a', value: '2' },
          { key: 'b', value: '2' },
        ],
      },
      { writes: [{ key: 'z', value: '2' }] },
    ]);
    assert.throws(() => {
      store.commitBlock(block, updates);
    }, /injected failure/);
    assert.deepEqual(snapshot(store), before);
    assert.deepEqual(store.history('a').length, 1);
    assert.equal(store.hasTransaction(block.transactions[0]!.proposal.txId), false);

    behindItsBack(path, 'DROP TRIGGER fail_on_z');
    store.commitBlock(block, updates);
    assert.equal(text(store.get('z')?.value), '2');
    assert.equal(store.compareStateWithBlocks().ok, true);
  });

  it('does not apply the writes of invalid transactions but indexes them with their code', () => {
    const store = openStore(freshPath());
    commit(store, [{ writes: [{ key: 'a', value: 'kept' }] }]);
    const block = commit(store, [
      { writes: [{ key: 'a', value: 'conflicting' }], validation: 'MVCC_READ_CONFLICT' },
      { writes: [{ key: 'b', value: 'valid' }] },
      { writes: [{ key: 'c', value: 'forged' }], validation: 'BAD_CREATOR_SIGNATURE' },
    ]);
    assert.equal(text(store.get('a')?.value), 'kept');
    assert.equal(text(store.get('b')?.value), 'valid');
    assert.equal(store.get('c'), undefined);
    assert.equal(store.history('a').length, 1);
    assert.deepEqual(store.history('c'), []);
    const [conflicting, valid, forged] = block.transactions.map((tx) => store.transaction(tx.proposal.txId));
    assert.deepEqual(conflicting, { blockNum: 1, txNum: 0, validationCode: 'MVCC_READ_CONFLICT' });
    assert.deepEqual(valid, { blockNum: 1, txNum: 1, validationCode: 'VALID' });
    assert.deepEqual(forged, { blockNum: 1, txNum: 2, validationCode: 'BAD_CREATOR_SIGNATURE' });
  });

  it('keeps the first location of a transaction id that appears again', () => {
    const store = openStore(freshPath());
    const first = commit(store, [{ writes: [{ key: 'a', value: '1' }], nonce: 'same' }]);
    commit(store, [
      { writes: [{ key: 'a', value: '2' }], nonce: 'same', validation: 'DUPLICATE_TXID' },
      { writes: [{ key: 'a', value: '3' }], nonce: 'same', validation: 'DUPLICATE_TXID' },
    ]);
    assert.deepEqual(store.transaction(first.transactions[0]!.proposal.txId), {
      blockNum: 0,
      txNum: 0,
      validationCode: 'VALID',
    });
    assert.equal(text(store.get('a')?.value), '1');
    assert.equal(store.compareStateWithBlocks().ok, true);
  });

  it('applies a delete and treats an empty value as a delete, as Fabric does', () => {
    const store = openStore(freshPath());
    commit(store, [
      {
        writes: [
          { key: 'a', value: '1' },
          { key: 'b', value: '1' },
        ],
      },
    ]);
    const { block } = nextBlock(store, [{ writes: [{ key: 'a', value: null }] }]);
    const tx = block.transactions[0]!;
    const writes = [
      { key: 'a', value: null },
      { key: 'b', value: '' },
    ];
    const withEmpty: Block = {
      ...block,
      transactions: [{ ...tx, response: { ...tx.response, rwset: { ...tx.response.rwset, writes } } }],
    };
    store.commitBlock(withEmpty, [{ txNum: 0, txId: tx.proposal.txId, writes }]);
    assert.deepEqual(keysOf(store, '', ''), []);
    assert.deepEqual(
      store.history('b').map((h) => h.isDelete),
      [false, true],
    );
  });

  it('keeps everything across close and reopen', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [
      {
        writes: [
          { key: 'a', value: '1' },
          { key: COMPOSITE_2, value: 'c' },
        ],
      },
    ]);
    commit(store, [{ writes: [{ key: 'a', value: null }] }, { writes: [{ key: 'b', value: '2' }] }]);
    const before = snapshot(store);
    const history = store.history('a');
    const txId = store.getBlock(1).transactions[1]!.proposal.txId;
    store.close();

    const reopened = openStore(path);
    assert.deepEqual(reopened.recovery, { reason: undefined, rebuilt: false, replayedBlocks: 0, done: true });
    assert.deepEqual(snapshot(reopened), before);
    assert.deepEqual(reopened.history('a'), history);
    assert.deepEqual(reopened.transaction(txId), { blockNum: 1, txNum: 1, validationCode: 'VALID' });
    commit(reopened, [{ writes: [{ key: 'c', value: '3' }] }]);
    assert.equal(reopened.height(), 3);
  });

  it('replays the blocks when the state tables are emptied behind its back', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [
      {
        writes: [
          { key: 'a', value: '1' },
          { key: COMPOSITE_1, value: 'c' },
        ],
      },
    ]);
    commit(store, [
      { writes: [{ key: 'a', value: '2' }] },
      { writes: [{ key: 'x', value: 'no' }], validation: 'ENDORSEMENT_POLICY_FAILURE' },
    ]);
    const before = snapshot(store);
    const history = store.history('a');
    store.close();

    behindItsBack(path, 'DELETE FROM state; DELETE FROM history; DELETE FROM transactions;');
    const reopened = openStore(path);
    assert.equal(reopened.recovery.rebuilt, true);
    assert.equal(reopened.recovery.replayedBlocks, 2);
    assert.match(reopened.recovery.reason ?? '', /state has 0 rows/);
    assert.deepEqual(snapshot(reopened), before);
    assert.deepEqual(reopened.history('a'), history);
    assert.equal(
      reopened.transaction(reopened.getBlock(1).transactions[1]!.proposal.txId)?.validationCode,
      'ENDORSEMENT_POLICY_FAILURE',
    );
  });

  it('recreates and refills derived tables that were dropped', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    const before = snapshot(store);
    store.close();

    behindItsBack(path, 'DROP TABLE state; DROP TABLE meta;');
    const reopened = openStore(path);
    assert.match(reopened.recovery.reason ?? '', /missing: state, meta/);
    assert.deepEqual(snapshot(reopened), before);
  });

  it('replays only the blocks after a lagging savepoint', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    commit(store, [{ writes: [{ key: 'b', value: '1' }] }]);
    commit(store, [{ writes: [{ key: 'c', value: '1' }] }]);
    const before = snapshot(store);
    store.close();

    // What a store that wrote blocks ahead of state would leave: block 2 stored, its effects not yet applied.
    behindItsBack(
      path,
      `DELETE FROM state WHERE block_num = 2; DELETE FROM history WHERE block_num = 2;
       DELETE FROM transactions WHERE block_num = 2;
       UPDATE meta SET value = '1' WHERE name = 'state_savepoint';
       UPDATE meta SET value = CAST(CAST(value AS INTEGER) - 1 AS TEXT)
         WHERE name IN ('state_rows', 'history_rows', 'transaction_rows');`,
    );
    const reopened = openStore(path);
    assert.deepEqual(reopened.recovery, {
      reason: 'state savepoint is block 1, the last stored block is 2',
      rebuilt: false,
      replayedBlocks: 1,
      done: true,
    });
    assert.deepEqual(snapshot(reopened), before);
  });

  it('can be opened without recovering, and then refuses commits until rebuilt', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    store.close();
    behindItsBack(path, 'DELETE FROM state');

    const stale = openStore(path, { autoRecover: false });
    assert.equal(stale.recovery.done, false);
    assert.equal(stale.get('a'), undefined);
    const { block, updates } = nextBlock(stale, [{ writes: [{ key: 'b', value: '1' }] }]);
    assert.throws(() => {
      stale.commitBlock(block, updates);
    }, throwsCode('LEDGER_UNAVAILABLE'));
    assert.equal(stale.rebuildState(), 1);
    assert.equal(stale.recovery.done, true);
    stale.commitBlock(block, updates);
    assert.equal(text(stale.get('a')?.value), '1');
  });

  it('refuses to open a file whose state is ahead of its blocks', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [{ writes: [{ key: 'a', value: '1' }] }]);
    commit(store, [{ writes: [{ key: 'b', value: '1' }] }]);
    store.close();
    behindItsBack(path, 'PRAGMA foreign_keys = OFF; DELETE FROM blocks WHERE number = 1;');
    assert.throws(() => openLedgerStore(path), throwsCode('INTERNAL'));
  });

  it('refuses to open a file written by a newer schema version', () => {
    const path = freshPath();
    openStore(path).close();
    behindItsBack(path, "INSERT INTO schema_version VALUES (99, 'future', '2030-01-01T00:00:00Z')");
    assert.throws(() => openLedgerStore(path), throwsCode('INTERNAL'));
  });

  it('recomputes the state from the blocks and names the first changed key and the block that wrote it', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [
      {
        writes: [
          { key: 'a', value: '1' },
          { key: 'b', value: '1' },
        ],
      },
    ]);
    commit(store, [{ writes: [{ key: 'c', value: '1' }] }, { writes: [{ key: 'b', value: '2' }] }]);
    const clean = store.compareStateWithBlocks();
    assert.equal(clean.ok, true);
    assert.equal(clean.blocksReplayed, 2);
    assert.equal(clean.recomputedStateDigest, clean.storedStateDigest);
    assert.equal(store.recomputeStateDigest(), store.stateDigest());

    behindItsBack(path, 'UPDATE state SET value = ? WHERE key = ?', Buffer.from('forged'), Buffer.from('b'));
    const changed = store.compareStateWithBlocks();
    assert.equal(changed.ok, false);
    assert.notEqual(changed.storedStateDigest, changed.recomputedStateDigest);
    assert.equal(store.recomputeStateDigest(), clean.storedStateDigest);
    assert.equal(changed.mismatch?.table, 'state');
    assert.equal(changed.mismatch.key, 'b');
    assert.deepEqual(changed.mismatch.lastWrittenBy, {
      blockNum: 1,
      txNum: 1,
      txId: store.getBlock(1).transactions[1]!.proposal.txId,
    });
    assert.doesNotMatch(changed.mismatch.detail, /forged/);
  });

  it('finds a transaction through the index, or in a given block, duplicates included', () => {
    const store = openStore(freshPath());
    const first = commit(store, [{ writes: [{ key: 'a', value: '1' }] }, { writes: [], nonce: 'same' }]);
    const later = commit(store, [
      { writes: [{ key: 'b', value: '1' }], validation: 'MVCC_READ_CONFLICT' },
      { writes: [], nonce: 'same', validation: 'DUPLICATE_TXID' },
    ]);
    const same = first.transactions[1]!.proposal.txId;
    const conflicted = later.transactions[0]!.proposal.txId;

    const found = store.findTransaction(same);
    assert.deepEqual(found && { ...found, envelope: found.envelope.proposal.txId }, {
      blockNum: 0,
      txNum: 1,
      validationCode: 'VALID',
      envelope: same,
    });
    assert.deepEqual(found?.envelope, first.transactions[1]);
    assert.equal(store.findTransaction(same, 0)?.validationCode, 'VALID');
    const duplicate = store.findTransaction(same, 1);
    assert.deepEqual([duplicate?.blockNum, duplicate?.txNum, duplicate?.validationCode], [1, 1, 'DUPLICATE_TXID']);
    assert.deepEqual(store.findTransaction(conflicted)?.validationCode, 'MVCC_READ_CONFLICT');
    assert.equal(store.findTransaction(conflicted, 0), undefined, 'not in an earlier block');
    assert.equal(store.findTransaction(first.transactions[0]!.proposal.txId, 1), undefined, 'not in a later block');
    assert.equal(store.findTransaction(conflicted, 2), undefined, 'no such block');
    assert.equal(store.findTransaction('0'.repeat(64)), undefined);
  });

  it('refuses to answer from an index row that disagrees with its block', () => {
    const path = freshPath();
    const store = openStore(path);
    const block = commit(store, [{ writes: [{ key: 'a', value: '1' }] }, { writes: [{ key: 'b', value: '1' }] }]);
    const [tx0, tx1] = block.transactions.map((tx) => tx.proposal.txId);
    behindItsBack(path, "UPDATE transactions SET validation_code = 'MVCC_READ_CONFLICT' WHERE tx_id = ?", tx0);
    assert.throws(() => store.findTransaction(tx0!), throwsCode('INTERNAL'));
    behindItsBack(path, 'UPDATE transactions SET tx_num = 0 WHERE tx_id = ?', tx1);
    assert.throws(() => store.findTransaction(tx1!), throwsCode('INTERNAL'));
  });

  it('reports keys no block wrote, and tampered history and index rows', () => {
    const path = freshPath();
    const store = openStore(path);
    commit(store, [
      { writes: [{ key: 'a', value: '1' }] },
      { writes: [{ key: 'b', value: '1' }], validation: 'MVCC_READ_CONFLICT' },
    ]);

    behindItsBack(path, "INSERT INTO state VALUES (X'00', X'01', 0, 0)");
    const injected = store.compareStateWithBlocks().mismatch;
    assert.equal(injected?.key, '\u0000');
    assert.equal(injected.lastWrittenBy, undefined);
    assert.match(injected.detail, /which the blocks do not give/);
    behindItsBack(path, "DELETE FROM state WHERE key = X'00'");

    behindItsBack(path, "UPDATE history SET is_delete = 1 WHERE key = X'61'");
    assert.deepEqual(
      [store.compareStateWithBlocks().mismatch?.table, store.compareStateWithBlocks().mismatch?.key],
      ['history', 'a'],
    );
    behindItsBack(path, "UPDATE history SET is_delete = 0 WHERE key = X'61'");

    behindItsBack(path, "UPDATE transactions SET validation_code = 'VALID' WHERE tx_num = 1");
    const index = store.compareStateWithBlocks().mismatch;
    assert.equal(index?.table, 'transactions');
    assert.equal(index.key, store.getBlock(0).transactions[1]!.proposal.txId);
    assert.deepEqual(index.lastWrittenBy, { blockNum: 0, txNum: 1, txId: index.key });
  });

  it('runs a chaincode simulation against committed state and validates it', async () => {
    const store = openStore(freshPath());
    commit(store, [
      {
        writes: [
          { key: 'a', value: '1' },
          { key: COMPOSITE_1, value: 'p1' },
        ],
      },
    ]);
    const simulate = async (work: (stub: ReturnType<typeof createSimulatedStub>) => Promise<void>) => {
      const stub = createSimulatedStub({
        state: store,
        txId: 'tx-sim',
        channelId: 'medledger',
        timestamp: { seconds: 1_740_823_200, nanos: 0 },
        creator: { mspid: 'HospitalAMSP', idBytes: new TextEncoder().encode('cert') },
        fcn: 'Test',
        args: [],
      });
      await work(stub);
      return stub.simulationResult();
    };
    const pointRead = await simulate(async (stub) => {
      assert.equal((await stub.getState('a')).toString(), '1');
      await stub.putState('b', Buffer.from('2'));
    });
    const rangeRead = await simulate(async (stub) => {
      const found: string[] = [];
      for await (const entry of stub.getStateByPartialCompositeKey('asset', [])) found.push(entry.key);
      assert.deepEqual(found, [COMPOSITE_1]);
    });
    assert.deepEqual(pointRead.reads, [{ key: 'a', version: { blockNum: 0, txNum: 0 } }]);
    assert.equal(validateSimulation(store, pointRead), 'VALID');
    assert.equal(validateSimulation(store, rangeRead), 'VALID');

    commit(store, [
      {
        writes: [
          { key: 'a', value: '3' },
          { key: COMPOSITE_2, value: 'p2' },
        ],
      },
    ]);
    assert.equal(validateSimulation(store, pointRead), 'MVCC_READ_CONFLICT');
    assert.equal(validateSimulation(store, rangeRead), 'PHANTOM_READ_CONFLICT');
  });

  it('puts the file in WAL mode with synchronous=FULL and foreign keys on', () => {
    const path = freshPath();
    const store = openStore(path);
    assert.deepEqual(store.settings(), {
      journalMode: 'wal',
      synchronous: 'FULL',
      foreignKeys: true,
      schemaVersion: 1,
    });
    store.close();
    const db = new Database(path, { readonly: true });
    try {
      // WAL is recorded in the file; synchronous and foreign_keys are per connection (checked above).
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('loses no reported commit and keeps the chain and state consistent when killed at random points', async () => {
    const lanes = 2;
    const killsPerLane = 11;
    const results = await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const path = freshPath();
        let lastHeight = 0;
        let midCommitKills = 0;
        for (let round = 0; round < killsPerLane; round++) {
          // Most kills land while blocks are being committed; some during start-up (open, migration, recovery).
          const duringStartup = round % 5 === 4;
          const delay = duringStartup ? Math.random() * 400 : Math.random() * 120;
          const run = await runChildUntilKilled(path, duringStartup, delay);
          assert.equal(run.signal, 'SIGKILL', `lane ${lane} round ${round}: child ended on its own: ${run.stderr}`);
          if (!duringStartup) midCommitKills += 1;
          lastHeight = checkAfterCrash(path, Math.max(run.reported, lastHeight));
        }
        return { midCommitKills, height: lastHeight };
      }),
    );
    const kills = results.reduce((sum, r) => sum + r.midCommitKills, 0);
    assert.ok(kills >= 18, `only ${kills} kills while committing`);
    assert.ok(results.every((r) => r.height > 0));
  });
});

interface ChildRun {
  readonly reported: number;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts the crash child on `path`, SIGKILLs exactly that process after `delayMs` (counted from its first report). */
async function runChildUntilKilled(path: string, fromStart: boolean, delayMs: number): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CRASH_CHILD, path], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let reported = 0;
  let pending = '';
  let stderr = '';
  let firstReport: () => void = () => undefined;
  const reportedOnce = new Promise<void>((resolve) => (firstReport = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) reported = Math.max(reported, Number(line));
    firstReport();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => {
      resolve(signal);
    }),
  );
  if (!fromStart) await Promise.race([reportedOnce, closed, sleep(10_000, undefined, { ref: false })]);
  await sleep(delayMs);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const signal = await closed;
  return { reported, signal, stderr };
}

/** Reopens after a crash: every reported height is there, the chain links, state is at the tip and matches the blocks. */
function checkAfterCrash(path: string, mustHave: number): number {
  const store = openLedgerStore(path);
  try {
    const height = store.height();
    assert.ok(height >= mustHave, `height ${height} after the child reported ${mustHave}`);
    assert.equal(store.stateHeight(), height);
    let previousHash = '';
    let count = 0;
    for (const block of store.blocks()) {
      const stored = store.rawBlock(count)!;
      assert.equal(block.header.number, count);
      assert.equal(block.header.previousHash, previousHash);
      assert.equal(stored.previousHash, previousHash);
      assert.equal(stored.hash, blockHash(block.header));
      previousHash = stored.hash;
      count += 1;
    }
    assert.equal(count, height);
    assert.equal(store.lastBlockHash(), previousHash);
    const comparison = store.compareStateWithBlocks();
    assert.equal(comparison.ok, true, comparison.mismatch?.detail);
    return height;
  } finally {
    store.close();
  }
}
