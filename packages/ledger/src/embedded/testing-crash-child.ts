/**
 * Crash-safety test helper (run by ledger-store.test.ts): commits blocks to the ledger file given as argument until
 * killed, printing each committed height on its own line only after `commitBlock` returned.
 */
import { writeSync } from 'node:fs';
import { openLedgerStore } from './ledger-store.js';
import type { FixtureTx } from './store-test-blocks.js';
import { nextBlock } from './store-test-blocks.js';

const KEYS = 40;
const MAX_BLOCKS = 1_000_000;

function transactionsFor(height: number): FixtureTx[] {
  const count = 1 + (height % 4);
  return Array.from({ length: count }, (_, txNum) => {
    const seed = height * 7 + txNum * 13;
    const writes = [0, 1, 2].map((i) => ({
      key: i === 2 ? `\u0000asset\u0000${(seed + i) % KEYS}\u0000` : `key-${(seed * (i + 3)) % KEYS}`,
      value: (seed + i) % 5 === 0 ? null : `v${height}.${txNum}.${i}`,
    }));
    const unique = [...new Map(writes.map((w) => [w.key, w])).values()];
    return { writes: unique, validation: seed % 6 === 0 ? 'MVCC_READ_CONFLICT' : 'VALID' };
  });
}

const path = process.argv[2];
if (path === undefined) {
  throw new Error('usage: testing-crash-child.ts <ledger file>');
}
const store = openLedgerStore(path);
for (let i = 0; i < MAX_BLOCKS; i++) {
  const { block, updates } = nextBlock(store, transactionsFor(store.height()));
  store.commitBlock(block, updates);
  writeSync(1, `${block.header.number + 1}\n`);
}
store.close();
