import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { DomainError, isOneOf, ROLES } from '@medledger/core';
// The shared suite lives with the contract; chaincode exports only its production entry point, so import the source.
import { describeContractBehaviour } from '../../../chaincode/src/testing/contract-suite.js';
import { contractFixture, FIXTURE_START_TIME } from '../../../chaincode/src/testing/contract-fixture.js';
import type { ContractFixture, RawSubmission } from '../../../chaincode/src/testing/contract-fixture.js';
import { createTestCa, testPatientUid } from '../../../chaincode/src/testing/test-ca.js';
import type { SigningIdentity } from '../ledger-client.js';
import { EmbeddedLedger } from './embedded-ledger.js';

const TEST_KEY = { passphrase: 'contract-suite' };

/** Closes every fixture opened so far: its ledger (and signature workers) and its temp dir. */
const openFixtures: Array<() => Promise<void>> = [];
const closeOpenFixtures = async (): Promise<void> => {
  await Promise.all(openFixtures.splice(0).map((close) => close()));
};
// Each test opens its own fixture: close it when the test ends, and whatever is left when the file ends.
afterEach(closeOpenFixtures);
after(closeOpenFixtures);

/**
 * The Medledger contract on a real embedded ledger: five organisations' CAs and peers, MAJORITY endorsement, an
 * orderer and the SQLite store, in a fresh temp dir. Transactions are stamped (via the client's proposal clock) from
 * the harness's start instant, one second apart, so consent periods and expiry match the simulated stub.
 */
async function createEmbeddedFixture(): Promise<ContractFixture<SigningIdentity>> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-contract-suite-'));
  let ledger: EmbeddedLedger;
  try {
    ledger = await EmbeddedLedger.open({
      dataDir: dir,
      key: TEST_KEY,
      unsafeScryptLogN: 10,
      batch: { timeoutMs: 1 },
      // The suite replays the harness's fixed 2025 timeline, so proposal times are far from the wall clock on purpose.
      maxClockSkewMs: null,
    });
  } catch (err: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  openFixtures.push(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startMillis = Date.parse(FIXTURE_START_TIME);
  let calls = 0;
  /** As the harness: every call takes the next second, also when it is made at an explicit time. */
  const nextClock = (isoTime?: string): { clock: () => Date } => {
    const millis = startMillis + calls++ * 1000;
    const at = isoTime === undefined ? millis : Date.parse(isoTime);
    return { clock: () => new Date(at) };
  };

  const identities = new Map<string, Promise<SigningIdentity>>();
  const id = (mspId: string, role: string, label: string): Promise<SigningIdentity> => {
    const uid = role === 'patient' ? testPatientUid(label) : label;
    const key = JSON.stringify([mspId, role, uid]);
    let identity = identities.get(key);
    if (identity === undefined) {
      identity = (async () => {
        if (!isOneOf(ROLES, role)) throw new DomainError('INVALID_ARGUMENT', `not a Medledger role: ${role}`);
        const registered = ledger.ca(mspId).registration(uid);
        if (registered !== undefined && registered.role !== role) {
          throw new DomainError('CONFLICT', `${uid} is already registered at ${mspId} as ${registered.role}`);
        }
        return ledger.enroll(mspId, role, uid);
      })();
      identities.set(key, identity);
    }
    return identity;
  };

  const submit = async (
    identity: SigningIdentity,
    tx: string,
    args: readonly string[],
    isoTime?: string,
  ): Promise<RawSubmission> => {
    const client = ledger.connect(identity, nextClock(isoTime));
    try {
      const { txId, result, blockNumber } = await client.submit(tx, ...args);
      const committed = ledger.block(blockNumber).transactions.find((envelope) => envelope.proposal.txId === txId);
      if (committed === undefined) throw new DomainError('INTERNAL', `${txId} is not in block ${String(blockNumber)}`);
      const event = committed.response.event;
      return {
        txId,
        result,
        event: event === null ? null : { name: event.name, payload: Buffer.from(event.payload, 'base64') },
      };
    } finally {
      client.close();
    }
  };

  const evaluate = async (identity: SigningIdentity, tx: string, args: readonly string[]): Promise<string> => {
    const client = ledger.connect(identity, nextClock());
    try {
      return await client.evaluate(tx, ...args);
    } finally {
      client.close();
    }
  };

  return contractFixture<SigningIdentity, RawSubmission>({
    id,
    // The embedded CAs issue only Medledger roles, so a certificate with another role comes from a CA this network
    // does not know (the chaincode's test CA); the MSP refuses it before the chaincode runs, also UNAUTHENTICATED.
    identityWithoutMedledgerRole: async () =>
      (await createTestCa('HospitalAMSP')).issue({ uid: 'x', role: 'superuser' }),
    submit,
    evaluate,
  });
}

describeContractBehaviour('embedded ledger', createEmbeddedFixture);
