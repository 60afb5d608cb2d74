import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { Context, Contract, Returns, Transaction } from 'fabric-contract-api';

import { createContractHarness } from './contract-harness.js';
import type { TestNetwork } from './test-ca.js';
import { createTestNetwork } from './test-ca.js';

class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
}

class NotesContract extends Contract {
  readonly calls: string[] = [];

  constructor() {
    super('NotesContract');
  }

  override async beforeTransaction(ctx: Context): Promise<void> {
    this.calls.push(`before:${ctx.stub.getFunctionAndParameters().fcn}`);
    return Promise.resolve();
  }

  override async afterTransaction(_ctx: Context, result: unknown): Promise<void> {
    this.calls.push(`after:${JSON.stringify(result ?? null)}`);
    return Promise.resolve();
  }

  @Transaction()
  async Put(ctx: Context, id: string, text: string): Promise<void> {
    const key = ctx.stub.createCompositeKey('note', [id]);
    await ctx.stub.putState(
      key,
      Buffer.from(JSON.stringify({ text, by: ctx.clientIdentity.getAttributeValue('uid') })),
    );
    ctx.stub.setEvent('NotePut', Buffer.from(JSON.stringify({ id })));
  }

  @Transaction(false)
  @Returns('string')
  async Get(ctx: Context, id: string): Promise<string> {
    const bytes = await ctx.stub.getState(ctx.stub.createCompositeKey('note', [id]));
    if (bytes.length === 0) {
      throw new NotFoundError(`[NOT_FOUND] note ${id}`);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  @Transaction()
  async PutThenFail(ctx: Context, id: string): Promise<void> {
    await ctx.stub.putState(ctx.stub.createCompositeKey('note', [id]), Buffer.from('{}'));
    throw new NotFoundError('[NOT_FOUND] always');
  }

  @Transaction(false)
  @Returns('string')
  async WhoAmI(ctx: Context): Promise<string> {
    const time = ctx.stub.getTxTimestamp().seconds.toNumber();
    return Promise.resolve(
      JSON.stringify({
        mspId: ctx.clientIdentity.getMSPID(),
        role: ctx.clientIdentity.getAttributeValue('role'),
        txId: ctx.stub.getTxID(),
        time: new Date(time * 1000).toISOString(),
      }),
    );
  }

  @Transaction(false)
  async Raw(): Promise<Buffer> {
    return Promise.resolve(Buffer.from('raw'));
  }

  async helperNotATransaction(): Promise<string> {
    return Promise.resolve('hidden');
  }
}

let network: Promise<TestNetwork> | undefined;
const testNetwork = (): Promise<TestNetwork> => (network ??= createTestNetwork());

describe('contract harness', () => {
  it('submits a transaction: runs the hooks, commits its writes and event, then serves reads', async () => {
    const { identity } = await testNetwork();
    const clinician = await identity('HospitalAMSP', 'clinician', 'dr-jones');
    const contract = new NotesContract();
    const harness = createContractHarness(contract);

    const put = await harness.invoke(clinician, 'Put', 'n1', 'hello');
    const get = await harness.invoke(clinician, 'Get', 'n1');

    assert.equal(put.result, '');
    assert.equal(put.event?.name, 'NotePut');
    assert.deepEqual(
      put.writes.map((write) => write.key),
      ['\x00note\x00n1\x00'],
    );
    assert.deepEqual(JSON.parse(get.result), { text: 'hello', by: 'dr-jones' });
    assert.deepEqual(contract.calls, ['before:Put', 'after:null', 'before:Get', `after:${JSON.stringify(get.result)}`]);
    assert.equal(harness.state.history('\x00note\x00n1\x00').length, 1);
  });

  it('evaluates without committing', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const clinician = await identity('HospitalAMSP', 'clinician', 'dr-jones');

    const evaluated = await harness.evaluate(clinician, 'Put', 'n1', 'draft');

    assert.equal(evaluated.writes.length, 1);
    assert.equal(harness.state.get('\x00note\x00n1\x00'), undefined);
    await assert.rejects(harness.invoke(clinician, 'Get', 'n1'), { code: 'NOT_FOUND' });
  });

  it("rethrows the contract's own error and commits nothing", async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const clinician = await identity('HospitalAMSP', 'clinician', 'dr-jones');

    await assert.rejects(harness.invoke(clinician, 'PutThenFail', 'n2'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.message, '[NOT_FOUND] always');
      return true;
    });
    assert.equal(harness.state.lastCommit, null);
  });

  it('refuses functions that are not declared transactions, as the dispatcher does', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const clinician = await identity('HospitalAMSP', 'clinician', 'dr-jones');

    await assert.rejects(
      harness.invoke(clinician, 'helperNotATransaction'),
      /You've asked to invoke a function that does not exist: helperNotATransaction/,
    );
  });

  it('refuses more or fewer arguments than a transaction declares, as the DataMarshall does, and commits nothing', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const clinician = await identity('HospitalAMSP', 'clinician', 'dr-jones');

    // Under tsx there is no design-type metadata, so the count comes from the methods themselves (minus the context).
    await assert.rejects(
      harness.invoke(clinician, 'WhoAmI', 'Jane Doe'),
      /Expected 0 parameters, but 1 have been supplied/,
    );
    await assert.rejects(harness.invoke(clinician, 'Put', 'n1'), /Expected 2 parameters, but 1 have been supplied/);
    await assert.rejects(harness.invoke(clinician, 'Put', 'n1', 'a', 'b'), /Expected 2 parameters, but 3 have been/);
    await assert.rejects(harness.invoke(clinician, 'Raw', 'x'), /Expected 0 parameters, but 1 have been supplied/);
    assert.equal(harness.state.lastCommit, null);
    assert.deepEqual(harness.allWrittenBytes(), []);
  });

  it('reads the caller from the real certificate, with deterministic tx ids and a 1 s clock', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const insurer = await identity('InsurerMSP', 'insurer', 'claims-1');

    const first = JSON.parse((await harness.evaluate(insurer, 'WhoAmI')).result) as Record<string, unknown>;
    const second = JSON.parse((await harness.evaluate(insurer, 'WhoAmI')).result) as Record<string, unknown>;
    const pinned = await harness.invokeWith(
      { identity: insurer, txId: 'fixed', time: '2030-01-02T03:04:05Z', commit: false },
      'WhoAmI',
    );

    assert.deepEqual(first, {
      mspId: 'InsurerMSP',
      role: 'insurer',
      txId: createHash('sha256').update('0').digest('hex'),
      time: '2025-03-01T10:00:00.000Z',
    });
    assert.equal(second.time, '2025-03-01T10:00:01.000Z');
    assert.equal(second.txId, createHash('sha256').update('1').digest('hex'));
    assert.deepEqual(JSON.parse(pinned.result), {
      mspId: 'InsurerMSP',
      role: 'insurer',
      txId: 'fixed',
      time: '2030-01-02T03:04:05.000Z',
    });
  });

  it('refuses a Buffer return value, which Fabric would not send as raw bytes', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());

    await assert.rejects(
      harness.evaluate(await identity('ResearchMSP', 'researcher', 'r-1'), 'Raw'),
      /return a string/,
    );
  });

  it('collects every committed byte string for the no-PHI scan: keys, values, history, events, args', async () => {
    const { identity } = await testNetwork();
    const harness = createContractHarness(new NotesContract());
    const clinician = await identity('HospitalBMSP', 'clinician', 'dr-who');
    await harness.invoke(clinician, 'Put', 'n1', 'first text');
    await harness.invoke(clinician, 'Put', 'n1', 'second text');
    await harness.evaluate(clinician, 'Put', 'n1', 'never committed');

    const text = harness
      .allWrittenBytes()
      .map((bytes) => Buffer.from(bytes).toString('utf8'))
      .join('\n');

    assert.match(text, /first text/);
    assert.match(text, /second text/);
    assert.match(text, /NotePut/);
    assert.ok(text.includes('\x00note\x00n1\x00'));
    assert.doesNotMatch(text, /never committed/);
  });
});
