import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';
import { ChaincodeStub as ShimChaincodeStub } from 'fabric-shim';

import { MemoryState } from './memory-state.js';
import type { SimulatedStub, SimulatedStubOptions } from './simulated-stub.js';
import { createCompositeKey, createSimulatedStub, splitCompositeKey, TimestampSeconds } from './simulated-stub.js';
import { compareKeys } from './state-reader.js';

const START_SECONDS = 1_740_823_200; // 2025-03-01T10:00:00Z

function newStub(state: MemoryState, overrides: Partial<SimulatedStubOptions> = {}): SimulatedStub {
  return createSimulatedStub({
    state,
    txId: 'tx-sim',
    channelId: 'medledger',
    timestamp: { seconds: START_SECONDS, nanos: 500_000_000 },
    creator: { mspid: 'HospitalAMSP', idBytes: new TextEncoder().encode('-----BEGIN CERTIFICATE-----') },
    fcn: 'DoIt',
    args: ['a', 'b'],
    ...overrides,
  });
}

let block = 0;

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Commits one transaction that writes `writes` (null deletes) and returns its tx id. */
async function commit(state: MemoryState, writes: Record<string, string | null>): Promise<string> {
  block += 1;
  const txId = `tx-${block}`;
  const stub = newStub(state, { txId });
  for (const [key, value] of Object.entries(writes)) {
    await (value === null ? stub.deleteState(key) : stub.putState(key, Buffer.from(value)));
  }
  state.apply(stub.simulationResult(), {
    blockNum: block,
    txNum: 0,
    txId,
    timestamp: { seconds: START_SECONDS + block, nanos: 0 },
  });
  return txId;
}

async function collectKeys(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of iterable) {
    keys.push(key);
  }
  return keys;
}

// fabric-shim's own implementations; neither touches `this`.
const shimCreateCompositeKey = (objectType: string, attributes: string[]): string =>
  ShimChaincodeStub.prototype.createCompositeKey.call(undefined, objectType, attributes);
const shimSplitCompositeKey = (key: string): unknown =>
  ShimChaincodeStub.prototype.splitCompositeKey.call(undefined, key);

describe('simulated stub: reads and writes', () => {
  it('never shows a transaction its own writes', async () => {
    const state = new MemoryState();
    await commit(state, { a: 'committed' });
    const stub = newStub(state);

    await stub.putState('a', Buffer.from('mine'));
    await stub.putState('b', Buffer.from('new'));
    await stub.deleteState('a');
    await stub.putState('a', Buffer.from('mine again'));

    assert.equal(Buffer.from(await stub.getState('a')).toString(), 'committed');
    assert.equal((await stub.getState('b')).length, 0);
    assert.deepEqual(await collectKeys(stub.getStateByRange('', '')), ['a']);
    const result = stub.simulationResult();
    assert.deepEqual(
      result.writes.map((write) => [write.key, write.value === null ? null : Buffer.from(write.value).toString()]),
      [
        ['a', 'mine again'],
        ['b', 'new'],
      ],
    );
    assert.deepEqual(result.reads, [
      { key: 'a', version: { blockNum: block, txNum: 0 } },
      { key: 'b', version: null },
    ]);
  });

  it('returns values as Buffers (so .toString() works, as with fabric-shim) and empty for absent keys', async () => {
    const state = new MemoryState();
    await commit(state, { k: 'v' });
    const stub = newStub(state);

    const value = await stub.getState('k');
    const absent = await stub.getState('nope');

    assert.ok(Buffer.isBuffer(value));
    assert.equal(value.toString(), 'v');
    assert.ok(Buffer.isBuffer(absent));
    assert.equal(absent.length, 0);
  });

  it('records only the first read of a key, and sorts reads and writes by key', async () => {
    const state = new MemoryState();
    await commit(state, { b: '1' });
    const stub = newStub(state);

    await stub.getState('c');
    await stub.getState('b');
    await stub.getState('b');
    await stub.putState('z', bytes('last'));
    await stub.putState('m', bytes('first'));
    await stub.putState('z', bytes('final'));

    const { reads, writes } = stub.simulationResult();
    assert.deepEqual(
      reads.map((read) => read.key),
      ['b', 'c'],
    );
    assert.deepEqual(
      writes.map((write) => [write.key, Buffer.from(write.value ?? []).toString()]),
      [
        ['m', 'first'],
        ['z', 'final'],
      ],
    );
  });

  it('treats putState with an empty value as a delete, as a peer does', async () => {
    const stub = newStub(new MemoryState());

    await stub.putState('k', new Uint8Array(0));

    assert.deepEqual(stub.simulationResult().writes, [{ key: 'k', value: null }]);
  });

  it('rejects empty keys, non-composite keys starting with U+0000 and lone surrogates', async () => {
    const stub = newStub(new MemoryState());

    await assert.rejects(stub.putState('', bytes('v')), /key must not be an empty string/);
    await assert.rejects(stub.deleteState(''), /key must not be an empty string/);
    await assert.rejects(stub.putState('\x00bad', bytes('v')), /not a valid composite key/);
    await assert.rejects(stub.putState('\x00type\x00\x00', bytes('v')), /not a valid composite key/);
    await assert.rejects(stub.putState('bad\uD800', bytes('v')), /not valid UTF-8/);
    await stub.putState(stub.createCompositeKey('consent', ['p1', 'c1']), bytes('ok'));
    assert.equal(stub.simulationResult().writes.length, 1);
  });

  it('keeps only the last event set in a transaction and copies its payload', () => {
    const stub = newStub(new MemoryState());
    const payload = Buffer.from('second');

    stub.setEvent('First', Buffer.from('first'));
    stub.setEvent('Second', payload);
    payload.fill(0);

    const { event } = stub.simulationResult();
    assert.ok(event);
    assert.equal(event.name, 'Second');
    assert.equal(Buffer.from(event.payload).toString(), 'second');
    assert.throws(() => {
      newStub(new MemoryState()).setEvent('', Buffer.from('x'));
    }, /Event name must be a non-empty string/);
  });

  it('refuses state calls once the simulation result has been taken', async () => {
    const stub = newStub(new MemoryState());
    stub.simulationResult();

    await assert.rejects(stub.getState('k'), /has completed/);
    await assert.rejects(stub.putState('k', bytes('v')), /has completed/);
    assert.equal(stub.simulationResult(), stub.simulationResult());
  });
});

describe('simulated stub: composite keys', () => {
  it("matches fabric-shim's createCompositeKey byte for byte and round-trips through splitCompositeKey", () => {
    const part = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((text) => {
      return !text.includes('\x00') && !text.includes('\u{10FFFF}');
    });
    fc.assert(
      fc.property(part, fc.array(part, { maxLength: 4 }), (objectType, attributes) => {
        const key = createCompositeKey(objectType, attributes);
        assert.equal(key, shimCreateCompositeKey(objectType, attributes));
        assert.deepEqual(splitCompositeKey(key), { objectType, attributes });
        assert.deepEqual(splitCompositeKey(key), shimSplitCompositeKey(key));
      }),
    );
  });

  it('uses U+0000 as namespace and separator', () => {
    assert.equal(createCompositeKey('record', ['p-1', 'r-2']), '\x00record\x00p-1\x00r-2\x00');
    assert.deepEqual(splitCompositeKey('plain'), { objectType: null, attributes: [] });
    for (const odd of ['plain', '', '\x00', '\x00a', '\x00a\x00b', '\x00\x00', '\x00a\x00\x00']) {
      assert.deepEqual(splitCompositeKey(odd), shimSplitCompositeKey(odd), JSON.stringify(odd));
    }
  });

  it('rejects attributes that are empty or contain U+0000 or U+10FFFF', () => {
    assert.throws(() => createCompositeKey('t', ['']), /non-zero length string/);
    assert.throws(() => createCompositeKey('', ['a']), /non-zero length string/);
    assert.throws(() => createCompositeKey('t', ['a\x00b']), /U\+0000 or U\+10FFFF/);
    assert.throws(() => createCompositeKey('t', ['a\u{10FFFF}']), /U\+0000 or U\+10FFFF/);
  });
});

describe('simulated stub: queries', () => {
  it('returns only the keys matching a partial composite key, in key order, via next() and for await', async () => {
    const state = new MemoryState();
    const key = createCompositeKey;
    await commit(state, {
      [key('consent', ['patientA', 'c2'])]: '2',
      [key('consent', ['patientA', 'c1'])]: '1',
      [key('consent', ['patientAB', 'c3'])]: '3',
      [key('consent', ['patientA', '\uFF01wide'])]: '4',
      [key('record', ['patientA', 'r1'])]: 'r',
      simple: 's',
    });
    const stub = newStub(state);

    const iterator = await stub.getStateByPartialCompositeKey('consent', ['patientA']);
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value.key, key('consent', ['patientA', 'c1']));
    assert.ok(Buffer.isBuffer(first.value.value));
    assert.equal(first.value.value.toString(), '1');
    await iterator.close();

    const keys = await collectKeys(stub.getStateByPartialCompositeKey('consent', ['patientA']));
    assert.deepEqual(
      keys.map((k) => stub.splitCompositeKey(k).attributes),
      [
        ['patientA', 'c1'],
        ['patientA', 'c2'],
        ['patientA', '\uFF01wide'],
      ],
    );
  });

  it('ends iteration with { done: true } like fabric-shim', async () => {
    const stub = newStub(new MemoryState());

    const iterator = await stub.getStateByRange('a', 'b');

    assert.deepEqual(await iterator.next(), { done: true });
  });

  it('keeps composite keys out of simple range queries and treats empty bounds as open', async () => {
    const state = new MemoryState();
    await commit(state, { [createCompositeKey('t', ['x'])]: 'c', a: '1', b: '2', c: '3' });
    const stub = newStub(state);

    assert.deepEqual(await collectKeys(stub.getStateByRange('', '')), ['a', 'b', 'c']);
    assert.deepEqual(await collectKeys(stub.getStateByRange('b', '')), ['b', 'c']);
    assert.deepEqual(await collectKeys(stub.getStateByRange('', 'c')), ['a', 'b']);
    await assert.rejects(stub.getStateByRange('\x00t', ''), /null character/);
  });

  it('walks every result exactly once through paginated queries and their bookmarks', async () => {
    const state = new MemoryState();
    const all = Array.from({ length: 7 }, (_, i) => `asset-${String(i)}`);
    await commit(state, Object.fromEntries(all.map((k) => [k, k])));
    await commit(state, { [createCompositeKey('asset', ['x'])]: 'c', zzz: 'outside' });
    const stub = newStub(state);

    const seen: string[] = [];
    const counts: number[] = [];
    let bookmark = '';
    do {
      const { iterator, metadata } = await stub.getStateByRangeWithPagination('asset-', 'asset-~', 3, bookmark);
      counts.push(metadata.fetchedRecordsCount);
      seen.push(...(await collectKeys({ [Symbol.asyncIterator]: () => toAsync(iterator) })));
      bookmark = metadata.bookmark;
    } while (bookmark !== '');

    assert.deepEqual(seen, all);
    assert.deepEqual(counts, [3, 3, 1]);
  });

  it('paginates partial composite key queries and allows for await on the paginated promise', async () => {
    const state = new MemoryState();
    await commit(
      state,
      Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [createCompositeKey('audit', ['p1', id]), id])),
    );
    const stub = newStub(state);

    const first = await stub.getStateByPartialCompositeKeyWithPagination('audit', ['p1'], 2, '');
    const rest = await collectKeys(
      stub.getStateByPartialCompositeKeyWithPagination('audit', ['p1'], 10, first.metadata.bookmark),
    );

    assert.equal(first.metadata.bookmark, createCompositeKey('audit', ['p1', 'c']));
    assert.deepEqual(
      rest.map((k) => splitCompositeKey(k).attributes[1]),
      ['c', 'd'],
    );
  });

  it('allows paginated queries only in read-only transactions, as Fabric does', async () => {
    const writer = newStub(new MemoryState());
    await writer.putState('k', bytes('v'));
    await assert.rejects(writer.getStateByRangeWithPagination('', '', 10), /only in a read-only transaction/);

    const reader = newStub(new MemoryState());
    await reader.getStateByRangeWithPagination('', '', 10);
    await assert.rejects(reader.putState('k', bytes('v')), /writes are not allowed/);
  });

  it('lists committed history newest first (Fabric v2 order), deletes included, never the current tx', async () => {
    const state = new MemoryState();
    const tx1 = await commit(state, { k: 'v1' });
    const tx2 = await commit(state, { k: 'v2' });
    const tx3 = await commit(state, { k: null });
    const stub = newStub(state);
    await stub.putState('k', bytes('uncommitted'));

    const history = [];
    for await (const entry of stub.getHistoryForKey('k')) {
      history.push(entry);
    }

    assert.deepEqual(
      history.map((entry) => [entry.txId, entry.isDelete, entry.value.toString()]),
      [
        [tx3, true, ''],
        [tx2, false, 'v2'],
        [tx1, false, 'v1'],
      ],
    );
    const oldest = history[2];
    assert.ok(oldest);
    assert.deepEqual(oldest.timestamp, { seconds: START_SECONDS + block - 2, nanos: 0 });
    assert.equal(typeof oldest.timestamp.seconds, 'number');
  });
});

describe('simulated stub: transaction context', () => {
  it('gives a Long-like timestamp, a Date and the arguments with the function name first', () => {
    const stub = newStub(new MemoryState());

    const timestamp = stub.getTxTimestamp();

    assert.ok(timestamp.seconds instanceof TimestampSeconds);
    assert.equal(timestamp.seconds.toNumber(), START_SECONDS);
    assert.equal(Number(timestamp.seconds), START_SECONDS);
    assert.equal(timestamp.nanos, 500_000_000);
    assert.equal(JSON.stringify(timestamp.seconds), `{"low":${String(START_SECONDS)},"high":0,"unsigned":true}`);
    assert.equal(stub.getDateTimestamp().toISOString(), '2025-03-01T10:00:00.500Z');
    assert.deepEqual(stub.getArgs(), ['DoIt', 'a', 'b']);
    assert.deepEqual(stub.getFunctionAndParameters(), { fcn: 'DoIt', params: ['a', 'b'] });
    assert.equal(stub.getTxID(), 'tx-sim');
    assert.equal(stub.getChannelID(), 'medledger');
    assert.equal(stub.getCreator().mspid, 'HospitalAMSP');
  });

  it("reports the peer's MSP from getMspID only when configured, like CORE_PEER_LOCALMSPID", () => {
    assert.throws(() => newStub(new MemoryState()).getMspID(), /CORE_PEER_LOCALMSPID is unset/);
    assert.equal(newStub(new MemoryState(), { peerMspId: 'HospitalBMSP' }).getMspID(), 'HospitalBMSP');
  });

  it('exposes transient data as Buffers', () => {
    const stub = newStub(new MemoryState(), { transient: new Map([['secret', new Uint8Array([1, 2])]]) });

    const value = stub.getTransient().get('secret');

    assert.ok(Buffer.isBuffer(value));
    assert.deepEqual([...value], [1, 2]);
  });

  it('throws a clear error for private data, rich queries, chaincode calls and state-based endorsement', async () => {
    const stub = newStub(new MemoryState());

    await assert.rejects(stub.getPrivateData('c', 'k'), /not supported by the simulated stub: getPrivateData/);
    await assert.rejects(stub.putPrivateData('c', 'k', Buffer.from('v')), /not supported by the simulated stub/);
    await assert.rejects(stub.getQueryResult('{}'), /not supported by the simulated stub: getQueryResult/);
    await assert.rejects(stub.invokeChaincode('other', [], ''), /not supported by the simulated stub: invokeChaincode/);
    await assert.rejects(
      stub.setStateValidationParameter('k', Buffer.from('p')),
      /not supported by the simulated stub/,
    );
    assert.throws(() => stub.getSignedProposal(), /not supported in simulation/);
  });
});

describe('MemoryState validation', () => {
  it('reports MVCC_READ_CONFLICT when a key read during simulation changed before commit', async () => {
    const state = new MemoryState();
    await commit(state, { a: '1' });
    const stub = newStub(state);
    await stub.getState('a');
    await stub.getState('absent');
    await stub.putState('b', bytes('x'));
    const result = stub.simulationResult();

    assert.equal(state.validate(result), 'VALID');
    await commit(state, { a: '2' });
    assert.equal(state.validate(result), 'MVCC_READ_CONFLICT');
  });

  it('reports MVCC_READ_CONFLICT when a key read as absent was created', async () => {
    const state = new MemoryState();
    const stub = newStub(state);
    await stub.getState('new');
    const result = stub.simulationResult();

    await commit(state, { new: 'v' });

    assert.equal(state.validate(result), 'MVCC_READ_CONFLICT');
  });

  it('reports PHANTOM_READ_CONFLICT when a range gained a key after simulation', async () => {
    const state = new MemoryState();
    await commit(state, { [createCompositeKey('consent', ['p1', 'c1'])]: '1', other: 'o' });
    const stub = newStub(state);
    await collectKeys(stub.getStateByPartialCompositeKey('consent', ['p1']));
    const result = stub.simulationResult();

    await commit(state, { other: 'changed', [createCompositeKey('consent', ['p2', 'c9'])]: 'elsewhere' });
    assert.equal(state.validate(result), 'VALID');
    await commit(state, { [createCompositeKey('consent', ['p1', 'c2'])]: '2' });
    assert.equal(state.validate(result), 'PHANTOM_READ_CONFLICT');
  });

  it('reports PHANTOM_READ_CONFLICT when a key in a range was updated or deleted', async () => {
    const state = new MemoryState();
    await commit(state, { a: '1', b: '2' });
    const stub = newStub(state);
    await collectKeys(stub.getStateByRange('a', 'c'));
    const result = stub.simulationResult();

    await commit(state, { b: null });

    assert.equal(state.validate(result), 'PHANTOM_READ_CONFLICT');
  });

  it('records what the peer pulled in batches of 100, so a partly read range is checked only that far', async () => {
    const state = new MemoryState();
    const keys = Array.from({ length: 150 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await commit(state, Object.fromEntries(keys.map((k) => [k, k])));
    const stub = newStub(state);
    const iterator = await stub.getStateByRange('k', 'l');
    await iterator.next();
    await iterator.close();
    const result = stub.simulationResult();

    const [query] = result.rangeQueries;
    assert.ok(query);
    assert.equal(query.itemsRead.length, 101);
    assert.equal(query.exhausted, false);
    assert.equal(query.endKey, 'k100');
    await commit(state, { k140: 'changed', k999: 'added' });
    assert.equal(state.validate(result), 'VALID');
    await commit(state, { k100: 'changed' });
    assert.equal(state.validate(result), 'PHANTOM_READ_CONFLICT');
  });

  it('refuses to apply a commit that does not follow the last one', async () => {
    const state = new MemoryState();
    await commit(state, { a: '1' });
    const result = newStub(state).simulationResult();

    assert.throws(() => {
      state.apply(result, { blockNum: 1, txNum: 0, txId: 'old', timestamp: { seconds: 0, nanos: 0 } });
    }, /does not follow/);
  });
});

describe('key order', () => {
  it('sorts keys in UTF-8 byte order, unlike plain string comparison', () => {
    const keys = ['\u{10000}', '\uFF01', 'b', 'a'];

    assert.deepEqual([...keys].sort(compareKeys), ['a', 'b', '\uFF01', '\u{10000}']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
        assert.equal(Math.sign(compareKeys(a, b)), bytes);
      }),
    );
  });
});

function toAsync<T>(iterator: { next(): Promise<{ done: false; value: T } | { done: true }> }): AsyncIterator<T> {
  return {
    next: async (): Promise<IteratorResult<T>> => {
      const next = await iterator.next();
      return next.done ? { done: true, value: undefined } : next;
    },
  };
}
