import { MedledgerContract } from '../contract/medledger-contract.js';
import { createContractHarness } from './contract-harness.js';
import type { ContractHarness, InvokeResult } from './contract-harness.js';
import { contractFixture, FIXTURE_START_TIME } from './contract-fixture.js';
import type { ContractFixture } from './contract-fixture.js';
import { createTestNetwork } from './test-ca.js';
import type { TestIdentity, TestNetwork } from './test-ca.js';

// The adapter-neutral fixture and the FHIR helpers, for the tests that import them from here.
export * from './contract-fixture.js';

/** The harness-backed fixture: the neutral operations plus the simulated stub's harness and test CAs. */
export interface MedledgerFixture extends ContractFixture<TestIdentity, InvokeResult> {
  readonly harness: ContractHarness;
  readonly network: TestNetwork;
}

/** The contract over the simulated stub (`createContractHarness`) with the test CAs of `createTestNetwork`. */
export async function createMedledgerFixture(options: { startTime?: string } = {}): Promise<MedledgerFixture> {
  const network = await createTestNetwork();
  const harness = createContractHarness(new MedledgerContract(), {
    startTime: options.startTime ?? FIXTURE_START_TIME,
  });
  const fixture = contractFixture<TestIdentity, InvokeResult>({
    id: (mspId, role, label) => network.identity(mspId, role, label),
    // The test CA issues any role; the contract itself refuses one outside the Medledger set.
    identityWithoutMedledgerRole: () => network.ca('HospitalAMSP').issue({ uid: 'x', role: 'superuser' }),
    submit: (identity, tx, args, isoTime) =>
      isoTime === undefined
        ? harness.invoke(identity, tx, ...args)
        : harness.invokeWith({ identity, time: isoTime }, tx, ...args),
    evaluate: async (identity, tx, args) => (await harness.evaluate(identity, tx, ...args)).result,
  });
  return { ...fixture, harness, network };
}
