import { MedledgerContract } from './contract/medledger-contract.js';

export { MedledgerContract };
export type { AuthorizeCohortResult, CohortMember } from './contract/access.js';
export type { AuthorizeAccessResult, PermittedRecord } from '@medledger/core';
export type { ErasureReceipt } from './contract/records.js';
export type { BudgetReceipt } from './contract/studies.js';

/** The contracts fabric-chaincode-node serves from this package. */
export const contracts = [MedledgerContract];
export * from './simulation/index.js';
