import { createMedledgerFixture } from '../testing/medledger-fixture.js';
import { describeContractBehaviour } from '../testing/contract-suite.js';

describeContractBehaviour('simulated stub', createMedledgerFixture);
