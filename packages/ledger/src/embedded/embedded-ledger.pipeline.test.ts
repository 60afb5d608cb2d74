import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import { Context, Contract, Returns, Transaction } from 'fabric-contract-api';
import Database from 'better-sqlite3';
import { EmbeddedLedger } from './embedded-ledger.js';

/** A deliberately broken chaincode: its result depends on which peer runs it. Test-only. */
class NondeterministicContract extends Contract {
  constructor() {
    super('nondeterministic');
  }

  @Transaction()
  @Returns('string')
  async Roll(ctx: Context): Promise<string> {
    const value = String(Math.random());
    await ctx.stub.putState('roll', Buffer.from(value));
    return value;
  }
}

const dirs: string[] = [];
const open = async (options: Partial<Parameters<typeof EmbeddedLedger.open>[0]> = {}): Promise<EmbeddedLedger> => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-pipeline-'));
  dirs.push(dir);
  return EmbeddedLedger.open({ dataDir: dir, key: { passphrase: 'pipeline' }, unsafeScryptLogN: 10, ...options });
};

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('embedded ledger pipeline', () => {
  it('fails a transaction whose endorsers disagree, and commits nothing', async () => {
    const ledger = await open({ contract: new NondeterministicContract() });
    try {
      const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-roll'));
      const height = await ledger.height();
      await assert.rejects(
        client.submit('Roll'),
        (err: unknown) => isDomainError(err) && err.code === 'ENDORSEMENT_FAILURE',
      );
      assert.equal(await ledger.height(), height);
    } finally {
      await ledger.close();
    }
  });

  it('cuts blocks at the configured maximum number of transactions', async () => {
    const ledger = await open({ batch: { maxTransactions: 3, timeoutMs: 1000 } });
    try {
      const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-batch'));
      const start = await ledger.height();
      const uids = Array.from({ length: 7 }, (_, i) => `pu-${String(i).padStart(32, 'a')}`);
      const results = await Promise.all(
        uids.map((uid) => client.submit('RegisterPatient', JSON.stringify({ patientUid: uid }))),
      );
      const blocks = new Map<number, number>();
      for (const r of results) blocks.set(r.blockNumber, (blocks.get(r.blockNumber) ?? 0) + 1);
      assert.deepEqual([...blocks.values()].sort(), [1, 3, 3]);
      assert.equal(await ledger.height(), start + 3);
      for (let n = start; n < start + 3; n++) assert.ok(ledger.block(n).transactions.length <= 3);
    } finally {
      await ledger.close();
    }
  });

  it('cuts a partial block when its timeout fires', async () => {
    const ledger = await open({ batch: { maxTransactions: 100, timeoutMs: 20 } });
    try {
      const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-timeout'));
      const result = await client.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'b'.repeat(32)}` }));
      assert.equal(ledger.block(result.blockNumber).transactions.length, 1);
    } finally {
      await ledger.close();
    }
  });

  it('refuses a proposal whose timestamp is far from the ledger clock (backdating a break-glass grant)', async () => {
    const ledger = await open();
    try {
      const clinician = await ledger.enroll('HospitalAMSP', 'clinician', 'dr-backdate');
      const backdated = ledger.connect(clinician, { clock: () => new Date(Date.now() - 60 * 60 * 1000) });
      await assert.rejects(
        backdated.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'c'.repeat(32)}` })),
        (err: unknown) => isDomainError(err) && err.code === 'INVALID_ARGUMENT',
      );
      const onTime = ledger.connect(clinician);
      await onTime.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'c'.repeat(32)}` }));
    } finally {
      await ledger.close();
    }
  });

  it('lets in-flight submissions commit when the ledger closes, and refuses new ones', async () => {
    const ledger = await open({ batch: { maxTransactions: 10, timeoutMs: 20 } });
    const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-close'));
    const pending = client.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'d'.repeat(32)}` })).then(
      () => 'committed',
      (err: unknown) => (isDomainError(err) ? err.code : 'other'),
    );
    await ledger.close();
    // A submission in flight when close() begins is let finish and committed; nothing new is accepted after.
    assert.equal(await pending, 'committed');
    await assert.rejects(
      client.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'e'.repeat(32)}` })),
      (err: unknown) => isDomainError(err) && err.code === 'LEDGER_UNAVAILABLE',
    );
  });

  it('answers submitters with LEDGER_UNAVAILABLE when their block cannot be committed, and recovers after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medledger-pipeline-'));
    dirs.push(dir);
    const ledger = await EmbeddedLedger.open({ dataDir: dir, key: { passphrase: 'pipeline' }, unsafeScryptLogN: 10 });
    try {
      const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-locked'));
      const height = await ledger.height();
      // A real fault: another process holds the database's write lock past the store's busy timeout.
      const intruder = new Database(join(dir, 'ledger.sqlite'));
      intruder.exec('BEGIN EXCLUSIVE');
      try {
        await assert.rejects(
          client.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'f'.repeat(32)}` })),
          (err: unknown) => isDomainError(err) && err.code === 'LEDGER_UNAVAILABLE',
        );
      } finally {
        intruder.exec('ROLLBACK');
        intruder.close();
      }
      assert.equal(await ledger.height(), height);
      await client.submit('RegisterPatient', JSON.stringify({ patientUid: `pu-${'f'.repeat(32)}` }));
      assert.equal((await ledger.verify()).ok, true);
    } finally {
      await ledger.close();
    }
  });
});
