import { ORGANIZATIONS, SYSTEMS } from '@medledger/core';
import type { Account } from '../store/server-store.js';

const ORGANIZATION_NAMES: Readonly<Record<string, string>> = {
  HospitalAMSP: 'Hospital A',
  HospitalBMSP: 'Hospital B',
  InsurerMSP: 'Insurer',
  HealthAuthorityMSP: 'Health Authority',
  ResearchMSP: 'Research Institute',
};

type Json = Record<string, unknown>;

/** The network's organisations: `Organization/{MSP id}`, the references consents use for them. */
export function organizations(): Json[] {
  return ORGANIZATIONS.map((mspId) => ({
    resourceType: 'Organization',
    id: mspId,
    active: true,
    identifier: [{ system: 'urn:medledger:msp', value: mspId }],
    name: ORGANIZATION_NAMES[mspId] ?? mspId,
  }));
}

/** Staff directory entries: `Practitioner/{uid}` (the reference the ledger uses for the person). */
export function practitioner(account: Account): Json {
  return {
    resourceType: 'Practitioner',
    id: account.uid,
    active: account.status === 'active',
    name: [{ text: account.displayName }],
  };
}

export function practitionerRole(account: Account): Json {
  return {
    resourceType: 'PractitionerRole',
    id: `${account.uid}-${account.mspId}`,
    active: account.status === 'active',
    practitioner: { reference: `Practitioner/${account.uid}`, display: account.displayName },
    organization: { reference: `Organization/${account.mspId}` },
    code: [{ coding: [{ system: SYSTEMS.role, code: account.role }] }],
  };
}
