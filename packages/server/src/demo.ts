import type { Role } from '@medledger/core';
import type { Medledger } from './medledger.js';
import { newRequestId } from './services/caller.js';
import type { Caller } from './services/caller.js';

/** The shared password of every demo account (README); demo accounts are refused in production. */
export const DEMO_PASSWORD = 'medledger-demo';

interface DemoPerson {
  readonly username: string;
  readonly displayName: string;
  readonly mspId: string;
  readonly role: Role;
}

export const DEMO_STAFF: readonly DemoPerson[] = [
  { username: 'admin.hospa', displayName: 'HospitalA administrator', mspId: 'HospitalAMSP', role: 'admin' },
  { username: 'admin.hospb', displayName: 'HospitalB administrator', mspId: 'HospitalBMSP', role: 'admin' },
  { username: 'admin.insurer', displayName: 'Insurer administrator', mspId: 'InsurerMSP', role: 'admin' },
  {
    username: 'admin.health',
    displayName: 'HealthAuthority administrator',
    mspId: 'HealthAuthorityMSP',
    role: 'admin',
  },
  { username: 'admin.research', displayName: 'Research administrator', mspId: 'ResearchMSP', role: 'admin' },
  { username: 'dr.grey', displayName: 'Dr. Meredith Grey', mspId: 'HospitalAMSP', role: 'clinician' },
  { username: 'dr.house', displayName: 'Dr. Gregory House', mspId: 'HospitalBMSP', role: 'clinician' },
  { username: 'po.hospa', displayName: 'Pat Okafor (privacy officer)', mspId: 'HospitalAMSP', role: 'privacy-officer' },
  {
    username: 'po.hospb',
    displayName: 'Quinn Reyes (privacy officer)',
    mspId: 'HospitalBMSP',
    role: 'privacy-officer',
  },
  { username: 'claims.ivy', displayName: 'Ivy Claims', mspId: 'InsurerMSP', role: 'insurer' },
  { username: 'ph.olive', displayName: 'Olive Public-Health', mspId: 'HealthAuthorityMSP', role: 'public-health' },
  { username: 'res.rosa', displayName: 'Rosa Researcher', mspId: 'ResearchMSP', role: 'researcher' },
  { username: 'irb.ines', displayName: 'Ines (ethics board)', mspId: 'ResearchMSP', role: 'ethics' },
];

const DEMO_PATIENTS = [
  {
    username: 'alice',
    registrar: 'dr.grey',
    mspId: 'HospitalAMSP',
    resource: {
      resourceType: 'Patient',
      name: [{ family: 'Anders', given: ['Alice'] }],
      gender: 'female',
      birthDate: '1985-02-14',
      address: [{ line: ['12 Harbour Lane'], city: 'Springfield', postalCode: '02139', country: 'US' }],
      telecom: [{ system: 'phone', value: '555-0142' }],
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '999-12-3456' }],
    },
  },
  {
    username: 'bob',
    registrar: 'dr.house',
    mspId: 'HospitalBMSP',
    resource: {
      resourceType: 'Patient',
      name: [{ family: 'Baker', given: ['Bob'] }],
      gender: 'male',
      birthDate: '1979-11-03',
      address: [{ line: ['4 Elm Street'], city: 'Princeton', postalCode: '08540', country: 'US' }],
      telecom: [{ system: 'email', value: 'bob.baker@example.org' }],
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '999-98-7654' }],
    },
  },
] as const;

function callerFor(medledger: Medledger, username: string): Caller {
  const account = medledger.accounts.get(username);
  if (account === undefined) throw new Error(`demo account ${username} is missing`);
  const purpose = account.role === 'clinician' ? 'TREAT' : account.role === 'patient' ? 'PATRQT' : 'HOPERAT';
  return { account, purpose, requestId: newRequestId(), scope: 'user/*.cruds' };
}

/**
 * Creates the demo organisations' accounts, the patients alice (HospitalA) and bob (HospitalB) with a few records,
 * once: an existing data directory is left as it is.
 */
export async function provisionDemo(medledger: Medledger): Promise<boolean> {
  if (medledger.accounts.get('alice') !== undefined) return false;
  for (const person of DEMO_STAFF) {
    if (medledger.accounts.get(person.username) === undefined) {
      await medledger.accounts.create({ ...person, password: DEMO_PASSWORD, demo: true });
    }
  }
  for (const demo of DEMO_PATIENTS) {
    const registrar = callerFor(medledger, demo.registrar);
    const { entry } = await medledger.patients.create(registrar, structuredClone(demo.resource));
    await medledger.records.write(registrar, [
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          category: [
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
          ],
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
          subject: { reference: `Patient/${entry.patientId}` },
          effectiveDateTime: '2026-10-01T09:30:00Z',
          valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
        },
      },
      {
        resource: {
          resourceType: 'Condition',
          clinicalStatus: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
          },
          category: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' },
              ],
            },
          ],
          code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
          subject: { reference: `Patient/${entry.patientId}` },
          onsetDateTime: '2024-05-20',
        },
      },
    ]);
    await medledger.accounts.create({
      username: demo.username,
      displayName: `${demo.resource.name[0].given[0]} ${demo.resource.name[0].family}`,
      mspId: demo.mspId,
      role: 'patient',
      password: DEMO_PASSWORD,
      demo: true,
      patient: { patientId: entry.patientId, uid: entry.uid, homeOrg: entry.homeOrg },
    });
  }
  return true;
}
