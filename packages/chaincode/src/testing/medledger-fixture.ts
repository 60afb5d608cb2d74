import { createHash } from 'node:crypto';
import { SYSTEMS } from '@medledger/core';
import type { ConsentRecord, RecordMetadata } from '@medledger/core';
import { MedledgerContract } from '../contract/medledger-contract.js';
import { createContractHarness } from './contract-harness.js';
import type { ContractHarness, InvokeResult } from './contract-harness.js';
import { createTestNetwork } from './test-ca.js';
import type { TestIdentity, TestNetwork } from './test-ca.js';

/** A fresh ledger running the Medledger contract, with the five test organisations' CAs. */
export interface MedledgerFixture {
  readonly harness: ContractHarness;
  readonly network: TestNetwork;
  readonly id: (mspId: string, role: string, uid: string) => Promise<TestIdentity>;
  /** Submits a transaction with one JSON argument (or none) and parses the JSON response. */
  readonly submit: <T = unknown>(identity: TestIdentity, tx: string, input?: unknown) => Promise<T>;
  /** Like `submit`, also returning the raw invocation (writes, event, reads). */
  readonly submitRaw: (identity: TestIdentity, tx: string, input?: unknown) => Promise<InvokeResult>;
  readonly evaluate: <T = unknown>(identity: TestIdentity, tx: string, input?: unknown) => Promise<T>;
  /** Registers a self-enrolled patient identity of `homeMsp` and returns it with its pseudonymous id. */
  readonly patient: (uid: string, homeMsp?: string) => Promise<{ identity: TestIdentity; patientId: string }>;
  /** A clinician of the custodian org registers a record (hashes derived from the record id). */
  readonly record: (
    clinician: TestIdentity,
    patientId: string,
    fields?: Partial<RecordFields>,
  ) => Promise<RecordMetadata>;
  /** The patient records a consent with the given provision (FHIR JSON) and policy rule. */
  readonly consent: (
    patient: { identity: TestIdentity; patientId: string },
    provision: unknown,
    options?: { policyRule?: 'OPTIN' | 'OPTOUT'; id?: string; status?: string },
  ) => Promise<ConsentRecord>;
}

export interface RecordFields {
  recordId: string;
  resourceType: string;
  category: string;
  securityLabels: Array<{ system: string; code: string }>;
  codes: Array<{ system: string; code: string }>;
  clinicalDate: string;
  related: string[];
  supersedes: string;
}

let recordCounter = 0;

export async function createMedledgerFixture(options: { startTime?: string } = {}): Promise<MedledgerFixture> {
  const network = await createTestNetwork();
  const harness = createContractHarness(new MedledgerContract(), {
    startTime: options.startTime ?? '2025-03-01T10:00:00Z',
  });
  const args = (input: unknown): string[] => (input === undefined ? [] : [JSON.stringify(input)]);
  const submitRaw = (identity: TestIdentity, tx: string, input?: unknown): Promise<InvokeResult> =>
    harness.invoke(identity, tx, ...args(input));
  const submit = async <T>(identity: TestIdentity, tx: string, input?: unknown): Promise<T> =>
    JSON.parse((await submitRaw(identity, tx, input)).result) as T;
  const evaluate = async <T>(identity: TestIdentity, tx: string, input?: unknown): Promise<T> =>
    JSON.parse((await harness.evaluate(identity, tx, ...args(input))).result) as T;

  const patient = async (
    uid: string,
    homeMsp = 'HospitalAMSP',
  ): Promise<{ identity: TestIdentity; patientId: string }> => {
    const identity = await network.identity(homeMsp, 'patient', uid);
    const { patientId } = await submit<{ patientId: string }>(identity, 'RegisterPatient', {});
    return { identity, patientId };
  };

  const record = async (
    clinician: TestIdentity,
    patientId: string,
    fields: Partial<RecordFields> = {},
  ): Promise<RecordMetadata> => {
    const recordId = fields.recordId ?? `rec-${String(++recordCounter)}`;
    const hash = (salt: string): string => createHash('sha256').update(`${salt}:${recordId}`).digest('hex');
    return submit<RecordMetadata>(clinician, 'RegisterRecord', {
      recordId,
      patientId,
      resourceType: fields.resourceType ?? 'Observation',
      category: fields.category ?? 'laboratory',
      securityLabels: fields.securityLabels ?? [],
      codes: fields.codes ?? [],
      clinicalDate: fields.clinicalDate ?? '2024-06-01',
      related: fields.related ?? [],
      supersedes: fields.supersedes,
      ciphertextSha256: hash('ciphertext'),
      plaintextHmac: hash('plaintext'),
    });
  };

  const consent: MedledgerFixture['consent'] = (owner, provision, consentOptions = {}) =>
    submit<ConsentRecord>(owner.identity, 'PutConsent', consentResource(owner.patientId, provision, consentOptions));

  return {
    harness,
    network,
    id: (mspId, role, uid) => network.identity(mspId, role, uid),
    submit,
    submitRaw,
    evaluate,
    patient,
    record,
    consent,
  };
}

/** A FHIR Consent in the shape of FHIR-CONVENTIONS §1.1, around the given provision. */
export function consentResource(
  patientId: string,
  provision: unknown,
  options: { policyRule?: 'OPTIN' | 'OPTOUT'; id?: string; status?: string } = {},
): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    ...(options.id === undefined ? {} : { id: options.id }),
    status: options.status ?? 'active',
    scope: { coding: [{ system: SYSTEMS.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: SYSTEMS.loinc, code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    policyRule: { coding: [{ system: SYSTEMS.actCode, code: options.policyRule ?? 'OPTIN' }] },
    provision,
  };
}

/** Provision helpers that read like FHIR-CONVENTIONS' examples. */
export const fhir = {
  actor: (reference: string, role = 'IRCP') => ({
    role: { coding: [{ system: SYSTEMS.participationType, code: role }] },
    reference: { reference },
  }),
  action: (code: string) => ({ coding: [{ system: SYSTEMS.consentAction, code }] }),
  purpose: (code: string) => ({ system: SYSTEMS.actReason, code }),
  type: (code: string) => ({ system: SYSTEMS.resourceTypes, code }),
  sensitivity: (code: string) => ({ system: SYSTEMS.actCode, code }),
  confidentiality: (code: string) => ({ system: SYSTEMS.confidentiality, code }),
};

/** An opt-in consent body: base deny, one permit child. */
export function optInPermit(child: Record<string, unknown>): Record<string, unknown> {
  return { type: 'deny', provision: [{ type: 'permit', ...child }] };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
