import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isDomainError } from '@medledger/core';
import type {
  BlockTransactionSummary,
  ChaincodeEvent,
  Ledger,
  SigningIdentity,
  SubmitResult,
} from '../ledger-client.js';

/**
 * What an adapter gives the shared behaviour suite: the ledger, enrolment of users, revocation, and the attacks
 * a real network must withstand. The Fabric adapter provides the same hooks against a real network.
 */
export interface LedgerUnderTest {
  readonly ledger: Ledger;
  /** Registers and enrolls a user at an organisation's CA (role and uid as certificate attributes). */
  enroll(mspId: string, role: string, uid: string): Promise<SigningIdentity>;
  /** Revokes a user's certificate at its CA; later transactions by it must be rejected. */
  revoke(identity: SigningIdentity): Promise<void>;
  /** An identity whose certificate comes from a CA the network does not know. */
  foreignIdentity(mspId: string): Promise<SigningIdentity>;
  /** Submits with endorsements from only these organisations (to break the endorsement policy). */
  submitWithEndorsers(
    identity: SigningIdentity,
    orgs: readonly string[],
    tx: string,
    ...args: string[]
  ): Promise<SubmitResult>;
  /** Submits a transaction whose creator signature was forged (signed by another key). */
  submitWithForgedSignature(
    identity: SigningIdentity,
    impostorKey: SigningIdentity,
    tx: string,
    ...args: string[]
  ): Promise<SubmitResult>;
  close(): Promise<void>;
}

async function expectCode(promise: Promise<unknown>, codes: readonly string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isDomainError(err), `expected a DomainError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `expected ${codes.join('|')}, got ${err.code}: ${err.message}`);
    return true;
  });
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Patients enrol with pseudonymous uids (`pu-` + 32 hex digits). */
const pseudonym = (label: string): string => `pu-${sha256(label).slice(0, 32)}`;

/**
 * The guarantees every LedgerClient adapter must give, run against a real ledger: commit and read back, MVCC
 * conflicts, the endorsement policy, revoked and foreign identities, forged signatures, events once and in order.
 */
export function describeLedgerBehaviour(name: string, create: () => Promise<LedgerUnderTest>): void {
  describe(`ledger behaviour: ${name}`, () => {
    let subject: LedgerUnderTest;
    let clinician: SigningIdentity;
    let patientId: string;

    before(async () => {
      subject = await create();
      clinician = await subject.enroll('HospitalAMSP', 'clinician', 'dr-behaviour');
      const client = subject.ledger.connect(clinician);
      const { result } = await client.submit(
        'RegisterPatient',
        JSON.stringify({ patientUid: pseudonym('behaviour-patient') }),
      );
      patientId = (JSON.parse(result) as { patientId: string }).patientId;
    });

    after(async () => {
      await subject.close();
    });

    /** The transactions committed from block `start` to the current tip that satisfy `wanted`, via block replay. */
    async function committedSince(
      start: number,
      wanted: (tx: BlockTransactionSummary) => boolean,
    ): Promise<Array<BlockTransactionSummary & { blockNumber: number }>> {
      const tip = (await subject.ledger.height()) - 1;
      const stream = subject.ledger.connect(clinician).blockEvents({ startBlock: start });
      const found: Array<BlockTransactionSummary & { blockNumber: number }> = [];
      try {
        for await (const block of stream) {
          for (const tx of block.transactions) if (wanted(tx)) found.push({ ...tx, blockNumber: block.blockNumber });
          if (block.blockNumber >= tip) break;
        }
      } finally {
        stream.close();
      }
      return found;
    }

    it('commits a transaction and reads its effect back', async () => {
      const patient = await subject.enroll('HospitalAMSP', 'patient', pseudonym('behaviour-patient'));
      const client = subject.ledger.connect(patient);
      const who = JSON.parse(await client.evaluate('WhoAmI')) as { patientId?: string };
      assert.equal(who.patientId, patientId);
      const height = await subject.ledger.height();
      const committed = await client.submit('RegisterPatient', JSON.stringify({}));
      assert.ok(committed.blockNumber >= height - 1);
      assert.match(committed.txId, /^[0-9a-f]{64}$/);
    });

    it('returns chaincode errors with their code and commits nothing', async () => {
      const client = subject.ledger.connect(clinician);
      const height = await subject.ledger.height();
      await expectCode(client.submit('RegisterPatient', '{}'), ['INVALID_ARGUMENT']);
      await expectCode(client.submit('NoSuchTransaction', '{}'), ['INVALID_ARGUMENT']);
      assert.equal(await subject.ledger.height(), height);
    });

    it('invalidates the second of two conflicting transactions (MVCC)', async () => {
      const researcher = await subject.enroll('ResearchMSP', 'researcher', 'res-behaviour');
      const ethics = await subject.enroll('ResearchMSP', 'ethics', 'irb-behaviour');
      const research = subject.ledger.connect(researcher);
      const study = JSON.parse(
        (
          await research.submit(
            'ProposeStudy',
            JSON.stringify({ resourceTypes: ['Observation'], protocolHash: sha256('p'), epsilonBudget: 1 }),
          )
        ).result,
      ) as { id: string };
      await subject.ledger
        .connect(ethics)
        .submit('DecideStudy', JSON.stringify({ studyId: study.id, decision: 'approve' }));
      const start = await subject.ledger.height();
      const spend = (query: string) =>
        research.submit(
          'SpendPrivacyBudget',
          JSON.stringify({ studyId: study.id, epsilon: 0.1, queryHash: sha256(query) }),
        );
      const outcomes = await Promise.allSettled([spend('a'), spend('b')]);
      const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
      const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(fulfilled.length, 1, 'exactly one of two conflicting spends commits');
      assert.equal(rejected.length, 1);
      assert.ok(isDomainError(rejected[0]?.reason) && rejected[0].reason.code === 'MVCC_READ_CONFLICT');

      // The invalidated spend is committed too, with its code, and can be looked up as its block holds it.
      const [conflicted] = await committedSince(start, (tx) => tx.validationCode === 'MVCC_READ_CONFLICT');
      assert.ok(conflicted, 'a block holds the conflicting spend');
      const found = await subject.ledger.committedTransaction(conflicted.txId);
      assert.equal(found?.validationCode, 'MVCC_READ_CONFLICT');
      assert.equal(found.fcn, 'SpendPrivacyBudget');
      assert.equal(found.blockNumber, conflicted.blockNumber);
      assert.equal(found.creator.certPem, researcher.certPem);
      assert.deepEqual(await subject.ledger.committedTransaction(conflicted.txId, conflicted.blockNumber), found);
    });

    it('looks up a committed transaction as its block holds it', async () => {
      const at = new Date(Date.now() - 60_000);
      const client = subject.ledger.connect(clinician, { clock: () => at });
      const args = [JSON.stringify({ patientUid: pseudonym('looked-up') })];
      const submitted = await client.submit('RegisterPatient', ...args);
      const found = await subject.ledger.committedTransaction(submitted.txId);
      assert.ok(found, 'found as soon as submit resolved');
      assert.equal(found.txId, submitted.txId);
      assert.equal(found.blockNumber, submitted.blockNumber);
      assert.equal(found.validationCode, 'VALID');
      assert.equal(found.fcn, 'RegisterPatient');
      assert.deepEqual(found.args, args);
      assert.deepEqual(found.creator, { mspId: clinician.mspId, certPem: clinician.certPem });
      assert.equal(found.timestamp, at.toISOString());
      assert.equal(found.result, submitted.result);
      assert.ok(found.channelId.length > 0 && found.chaincodeName.length > 0);
      assert.deepEqual(await subject.ledger.committedTransaction(submitted.txId, submitted.blockNumber), found);
    });

    it('finds nothing for an unknown id, a wrong block, or an id that cannot be one', async () => {
      const { txId, blockNumber } = await subject.ledger
        .connect(clinician)
        .submit('RegisterPatient', JSON.stringify({ patientUid: pseudonym('not-there') }));
      const height = await subject.ledger.height();
      const { ledger } = subject;
      assert.equal(await ledger.committedTransaction(sha256('never submitted')), undefined);
      assert.equal(await ledger.committedTransaction(txId, blockNumber - 1), undefined, 'an earlier block');
      assert.equal(await ledger.committedTransaction(txId, 0), undefined, 'the genesis block');
      assert.equal(await ledger.committedTransaction(txId, height), undefined, 'past the tip');
      assert.equal(await ledger.committedTransaction(txId, Number.MAX_SAFE_INTEGER), undefined);
      assert.equal(await ledger.committedTransaction(txId, -1), undefined);
      for (const notAnId of [txId.toUpperCase(), `${txId}0`, txId.slice(1), '', 'x'.repeat(1_000_000)]) {
        assert.equal(await ledger.committedTransaction(notAnId), undefined);
      }
      await expectCode(ledger.committedTransaction(42 as unknown as string), ['INVALID_ARGUMENT']);
      await expectCode(ledger.committedTransaction(txId, 1.5), ['INVALID_ARGUMENT']);
      await expectCode(ledger.committedTransaction(txId, Number.NaN), ['INVALID_ARGUMENT']);
    });

    it('rejects a transaction that does not meet the endorsement policy', async () => {
      await expectCode(
        subject.submitWithEndorsers(
          clinician,
          ['HospitalAMSP'],
          'RegisterPatient',
          JSON.stringify({ patientUid: pseudonym('policy-1') }),
        ),
        ['POLICY_FAILURE'],
      );
    });

    it('rejects a revoked identity', async () => {
      const leaving = await subject.enroll('HospitalAMSP', 'clinician', 'dr-leaving');
      const client = subject.ledger.connect(leaving);
      await client.submit('RegisterPatient', JSON.stringify({ patientUid: pseudonym('before-revocation') }));
      await subject.revoke(leaving);
      await expectCode(
        client.submit('RegisterPatient', JSON.stringify({ patientUid: pseudonym('after-revocation') })),
        ['IDENTITY_REVOKED'],
      );
    });

    it('rejects a forged signature and a certificate from an unknown CA', async () => {
      const impostor = await subject.enroll('HospitalBMSP', 'clinician', 'dr-impostor');
      await expectCode(
        subject.submitWithForgedSignature(
          clinician,
          impostor,
          'RegisterPatient',
          JSON.stringify({ patientUid: pseudonym('forged') }),
        ),
        ['UNAUTHENTICATED'],
      );
      const foreign = await subject.foreignIdentity('HospitalAMSP');
      await expectCode(
        subject.ledger.connect(foreign).submit('RegisterPatient', JSON.stringify({ patientUid: pseudonym('foreign') })),
        ['UNAUTHENTICATED'],
      );
    });

    it('delivers chaincode events once each, in commit order, replayable from a block', async () => {
      const client = subject.ledger.connect(clinician);
      const start = await subject.ledger.height();
      const live = client.chaincodeEvents();
      const uids = ['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5'];
      const committed: SubmitResult[] = [];
      for (const uid of uids)
        committed.push(await client.submit('RegisterPatient', JSON.stringify({ patientUid: pseudonym(uid) })));
      const received: ChaincodeEvent[] = [];
      for await (const event of live) {
        received.push(event);
        if (received.length === uids.length) break;
      }
      live.close();
      assert.deepEqual(
        received.map((e) => e.txId),
        committed.map((c) => c.txId),
      );
      assert.ok(received.every((e) => e.eventName === 'PatientRegistered'));
      const replay = client.chaincodeEvents({ startBlock: start });
      const replayed: ChaincodeEvent[] = [];
      for await (const event of replay) {
        replayed.push(event);
        if (replayed.length === uids.length) break;
      }
      replay.close();
      assert.deepEqual(
        replayed.map((e) => e.txId),
        committed.map((c) => c.txId),
      );
    });

    it('verifies the whole chain', async () => {
      const report = await subject.ledger.verify();
      assert.equal(report.ok, true, report.problems.join('; '));
      assert.ok(report.blocksChecked > 1);
    });
  });
}
