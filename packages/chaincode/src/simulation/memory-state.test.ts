import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { MemoryState } from './memory-state.js';
import { compareKeys, inRange } from './state-reader.js';
import type { StateEntry } from './state-reader.js';

describe('MemoryState range queries', () => {
  it('answer like a sorted reference map after any sequence of writes and deletes (same transaction too)', () => {
    const key = fc.constantFrom('a', 'b', 'ab', 'b\u0000x', 'z', '\uff01', '\u{1f600}', 'c', 'ca', '');
    const write = fc.record({ key: key.filter((k) => k !== ''), value: fc.option(fc.string(), { nil: null }) });
    fc.assert(
      fc.property(fc.array(fc.array(write, { maxLength: 5 }), { maxLength: 30 }), key, key, (txs, start, end) => {
        const state = new MemoryState();
        const model = new Map<string, string>();
        txs.forEach((writes, txNum) => {
          state.apply(
            {
              reads: [],
              rangeQueries: [],
              writes: writes.map((w) => ({ key: w.key, value: w.value === null ? null : Buffer.from(w.value) })),
              event: null,
            },
            { blockNum: 1, txNum, txId: `tx-${txNum}`, timestamp: { seconds: 1, nanos: 0 } },
          );
          for (const w of writes) {
            if (w.value === null) model.delete(w.key);
            else model.set(w.key, w.value);
          }
          const expected = [...model.keys()].filter((k) => inRange(k, start, end)).sort(compareKeys);
          assert.deepEqual(
            [...state.range(start, end)].map((e) => e.key),
            expected,
          );
        });
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('a range iteration still open when a commit adds and removes keys goes on over the state it started on', () => {
    const state = new MemoryState();
    const put = (txNum: number, writes: Array<[string, string | null]>): void => {
      state.apply(
        {
          reads: [],
          rangeQueries: [],
          writes: writes.map(([key, value]) => ({ key, value: value === null ? null : Buffer.from(value) })),
          event: null,
        },
        { blockNum: 1, txNum, txId: `tx-${txNum}`, timestamp: { seconds: 1, nanos: 0 } },
      );
    };
    put(0, [
      ['a', '1'],
      ['c', '1'],
      ['e', '1'],
    ]);
    const open: Iterator<StateEntry, undefined> = state.range('', '')[Symbol.iterator]();
    assert.equal(open.next().value?.key, 'a');
    put(1, [
      ['b', '2'],
      ['c', null],
    ]);
    // The snapshot's keys, read as they are now: c is gone (skipped), b was not there when the iteration began.
    assert.deepEqual(
      [...{ [Symbol.iterator]: () => open }].map((e) => e.key),
      ['e'],
    );
    assert.deepEqual(
      [...state.range('', '')].map((e) => e.key),
      ['a', 'b', 'e'],
    );
  });
});
