import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import { EmbeddedLedger } from './embedded-ledger.js';
import { LedgerPipeline } from './ledger-pipeline.js';

// What the shared behaviour suite cannot cover: reopening a data directory, duplicate tx ids ordered behind the
// client's back, many submitters at once, a closed ledger.

const KEY = { passphrase: 'committed-transaction' };
const dirs: string[] = [];

const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-committed-tx-'));
  dirs.push(dir);
  return dir;
};

const open = (dataDir: string, batch?: { maxTransactions: number; timeoutMs: number }): Promise<EmbeddedLedger> =>
  EmbeddedLedger.open({ dataDir, key: KEY, unsafeScryptLogN: 10, ...(batch ? { batch } : {}) });

const patientUid = (n: number): string => `pu-${String(n).padStart(32, 'c')}`;

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('EmbeddedLedger.committedTransaction', () => {
  it('finds the same transaction after the data directory is closed and reopened', async () => {
    const dir = freshDir();
    const ledger = await open(dir);
    const clinician = await ledger.enroll('HospitalAMSP', 'clinician', 'dr-reopen');
    const submitted = await ledger
      .connect(clinician)
      .submit('RegisterPatient', JSON.stringify({ patientUid: patientUid(1) }));
    const before = await ledger.committedTransaction(submitted.txId);
    assert.equal(before?.channelId, ledger.config.channelId);
    assert.equal(before.chaincodeName, ledger.config.chaincodeName);
    await ledger.close();
    await assert.rejects(
      ledger.committedTransaction(submitted.txId),
      (err: unknown) => isDomainError(err) && err.code === 'LEDGER_UNAVAILABLE',
    );

    const reopened = await open(dir);
    try {
      assert.deepEqual(await reopened.committedTransaction(submitted.txId), before);
      assert.deepEqual(await reopened.committedTransaction(submitted.txId, submitted.blockNumber), before);
      assert.equal(before.result, submitted.result);
    } finally {
      await reopened.close();
    }
  });

  it('answers with the first commit of a tx id, and with a later duplicate only when given its block', async () => {
    const ledger = await open(freshDir());
    try {
      const clinician = await ledger.enroll('HospitalAMSP', 'clinician', 'dr-duplicate');
      const { proposal, signature } = LedgerPipeline.propose(
        clinician,
        ledger.config,
        'RegisterPatient',
        [JSON.stringify({ patientUid: patientUid(2) })],
        new Date(),
      );
      const envelope = await ledger.pipeline.endorse(proposal, signature);
      const first = await ledger.pipeline.order(envelope);
      const replayed = await ledger.pipeline.order(envelope);
      assert.deepEqual([first.code, replayed.code], ['VALID', 'DUPLICATE_TXID']);

      const found = await ledger.committedTransaction(proposal.txId);
      assert.deepEqual([found?.blockNumber, found?.validationCode], [first.blockNumber, 'VALID']);
      const duplicate = await ledger.committedTransaction(proposal.txId, replayed.blockNumber);
      assert.deepEqual([duplicate?.blockNumber, duplicate?.validationCode], [replayed.blockNumber, 'DUPLICATE_TXID']);
      assert.equal(duplicate?.result, found?.result);
    } finally {
      await ledger.close();
    }
  });

  it('finds every transaction as soon as its submit resolves, while others are still being ordered', async () => {
    const ledger = await open(freshDir(), { maxTransactions: 3, timeoutMs: 20 });
    try {
      const client = ledger.connect(await ledger.enroll('HospitalAMSP', 'clinician', 'dr-concurrent'));
      const lookups = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const submitted = await client.submit('RegisterPatient', JSON.stringify({ patientUid: patientUid(100 + i) }));
          return { submitted, found: await ledger.committedTransaction(submitted.txId) };
        }),
      );
      for (const { submitted, found } of lookups) {
        assert.deepEqual(
          [found?.txId, found?.blockNumber, found?.validationCode, found?.result],
          [submitted.txId, submitted.blockNumber, 'VALID', submitted.result],
        );
      }
      assert.ok(new Set(lookups.map((l) => l.submitted.blockNumber)).size >= 4, 'spread over several blocks');
    } finally {
      await ledger.close();
    }
  });
});
