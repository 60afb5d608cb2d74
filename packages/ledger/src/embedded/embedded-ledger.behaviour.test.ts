import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@medledger/core';
import { EmbeddedCa, signData } from '../identity/index.js';
import type { SigningIdentity } from '../ledger-client.js';
import { describeLedgerBehaviour } from '../testing/ledger-behaviour.js';
import { EmbeddedLedger } from './embedded-ledger.js';
import { invalidTransactionError, LedgerPipeline } from './ledger-pipeline.js';
import { proposalBytes } from './block.js';
import type { TransactionEnvelope } from './block.js';

const TEST_KEY = { passphrase: 'behaviour-suite' };

async function orderOrThrow(
  ledger: EmbeddedLedger,
  envelope: TransactionEnvelope,
): Promise<{ result: string; txId: string; blockNumber: number }> {
  const { blockNumber, code } = await ledger.pipeline.order(envelope);
  if (code !== 'VALID') throw invalidTransactionError(code, envelope.proposal.txId);
  return { result: envelope.response.result, txId: envelope.proposal.txId, blockNumber };
}

describeLedgerBehaviour('embedded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-behaviour-'));
  const ledger = await EmbeddedLedger.open({ dataDir: dir, key: TEST_KEY, unsafeScryptLogN: 10 });
  const endorsed = async (identity: SigningIdentity, tx: string, args: string[]): Promise<TransactionEnvelope> => {
    const { proposal, signature } = LedgerPipeline.propose(identity, ledger.config, tx, args, new Date());
    return ledger.pipeline.endorse(proposal, signature);
  };
  return {
    ledger,
    enroll: (mspId, role, uid) => ledger.enroll(mspId, role as never, uid),
    revoke: (identity) => ledger.revoke(identity),
    foreignIdentity: async (mspId) => {
      const foreign = await EmbeddedCa.open({
        directory: join(dir, 'foreign-ca'),
        mspId,
        key: TEST_KEY,
        unsafeScryptLogN: 10,
      });
      await foreign.register({ uid: 'intruder', role: 'clinician' });
      return foreign.enroll('intruder');
    },
    submitWithEndorsers: async (identity, orgs, tx, ...args) => {
      const envelope = await endorsed(identity, tx, args);
      return orderOrThrow(ledger, {
        ...envelope,
        endorsements: envelope.endorsements.filter((e) => orgs.includes(e.endorser.mspId)),
      });
    },
    submitWithForgedSignature: async (identity, impostor, tx, ...args) => {
      // Endorsed honestly, then the creator signature is replaced by one made with someone else's key.
      const envelope = await endorsed(identity, tx, args);
      const forged = signData(impostor.privateKey, proposalBytes(envelope.proposal));
      if (forged === envelope.proposalSignature)
        throw new DomainError('INTERNAL', 'forgery produced the real signature');
      return orderOrThrow(ledger, { ...envelope, proposalSignature: forged });
    },
    close: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
