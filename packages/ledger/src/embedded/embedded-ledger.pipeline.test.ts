import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import { Context, Contract, Returns, Transaction } from 'fabric-contract-api';
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
});
