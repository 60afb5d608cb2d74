import { createHash } from 'node:crypto';
import { SYSTEMS } from '@medledger/core';
import type { ConsentRecord, RecordMetadata } from '@medledger/core';

// The adapter-neutral part of the contract test fixture. It loads neither the harness nor fabric-shim, so the
// embedded ledger's tests (@medledger/ledger) run the shared suite without them; medledger-fixture.ts re-exports it.

/** The chaincode event a committed transaction carried. */
export interface FixtureEvent {
  readonly name: string;
  readonly payload: Uint8Array;
}

/** What a submitted transaction gave back, on any adapter. */
export interface RawSubmission {
  readonly txId: string;
  /** The response payload as the client receives it (UTF-8). */
  readonly result: string;
  /** The transaction's chaincode event, as committed. */
  readonly event: FixtureEvent | null;
}

/** A patient identity and the pseudonymous id the contract bound it to. */
export interface FixturePatient<Identity> {
  readonly identity: Identity;
  readonly patientId: string;
}

/**
 * A fresh ledger running the Medledger contract for the five test organisations, independent of what runs it (the
 * in-memory simulated stub here, the embedded ledger in @medledger/ledger). Errors are rethrown as the adapter's
 * client sees them, with the stable `code`.
 *
 * Transaction time: the first call happens at 2025-03-01T10:00:00Z and every call (submit or evaluate) one second
 * after the previous one, unless it is made with `submitAt`.
 */
export interface ContractFixture<Identity, Raw extends RawSubmission = RawSubmission> {
  /**
   * The identity of `label` with `role` at `mspId`'s CA, issued once per (mspId, role, label). Patients' uids are
   * pseudonymous (`testPatientUid(label)`); other roles use the label as uid.
   */
  readonly id: (mspId: string, role: string, label: string) => Promise<Identity>;
  /** Submits a transaction with one JSON argument (or none) and parses the JSON response. */
  readonly submit: <T = unknown>(identity: Identity, tx: string, input?: unknown) => Promise<T>;
  /** Like `submit`, returning the raw response and the committed chaincode event. */
  readonly submitRaw: (identity: Identity, tx: string, input?: unknown) => Promise<Raw>;
  /** Like `submit`, at the given transaction time (ISO instant) instead of the fixture's clock. */
  readonly submitAt: <T = unknown>(identity: Identity, isoTime: string, tx: string, input?: unknown) => Promise<T>;
  /** Submits with these exact string arguments (for malformed input). */
  readonly submitRawArgs: (identity: Identity, tx: string, ...args: string[]) => Promise<Raw>;
  /** Evaluates (never commits) and parses the JSON response. */
  readonly evaluate: <T = unknown>(identity: Identity, tx: string, input?: unknown) => Promise<T>;
  /** A certificate that carries no valid Medledger role; the network must not let it act (UNAUTHENTICATED). */
  readonly identityWithoutMedledgerRole: () => Promise<Identity>;
  /** Registers a self-enrolled patient identity of `homeMsp` and returns it with its pseudonymous id. */
  readonly patient: (label: string, homeMsp?: string) => Promise<FixturePatient<Identity>>;
  /** A clinician of the custodian org registers a record (hashes derived from the record id). */
  readonly record: (clinician: Identity, patientId: string, fields?: Partial<RecordFields>) => Promise<RecordMetadata>;
  /** The patient records a consent with the given provision (FHIR JSON) and policy rule. */
  readonly consent: (
    patient: FixturePatient<Identity>,
    provision: unknown,
    options?: { policyRule?: 'OPTIN' | 'OPTOUT'; id?: string; status?: string },
  ) => Promise<ConsentRecord>;
}

/** What an adapter provides; `contractFixture` builds the rest of a `ContractFixture` on it. */
export interface FixtureTransport<Identity, Raw extends RawSubmission = RawSubmission> {
  readonly id: ContractFixture<Identity, Raw>['id'];
  readonly identityWithoutMedledgerRole: () => Promise<Identity>;
  /** Submits and waits for the commit; `isoTime` overrides the fixture's clock for this transaction. */
  readonly submit: (identity: Identity, tx: string, args: readonly string[], isoTime?: string) => Promise<Raw>;
  /** Evaluates and returns the response payload. */
  readonly evaluate: (identity: Identity, tx: string, args: readonly string[]) => Promise<string>;
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

/** Default start of a fixture's transaction clock (each later call is 1 s after the previous one). */
export const FIXTURE_START_TIME = '2025-03-01T10:00:00Z';

let recordCounter = 0;

/** Builds the JSON-level operations and the patient / record / consent helpers over an adapter's transport. */
export function contractFixture<Identity, Raw extends RawSubmission>(
  transport: FixtureTransport<Identity, Raw>,
): ContractFixture<Identity, Raw> {
  const args = (input: unknown): string[] => (input === undefined ? [] : [JSON.stringify(input)]);
  const submitRaw = (identity: Identity, tx: string, input?: unknown): Promise<Raw> =>
    transport.submit(identity, tx, args(input));
  const submit = async <T>(identity: Identity, tx: string, input?: unknown): Promise<T> =>
    JSON.parse((await submitRaw(identity, tx, input)).result) as T;
  const submitAt = async <T>(identity: Identity, isoTime: string, tx: string, input?: unknown): Promise<T> =>
    JSON.parse((await transport.submit(identity, tx, args(input), isoTime)).result) as T;
  const evaluate = async <T>(identity: Identity, tx: string, input?: unknown): Promise<T> =>
    JSON.parse(await transport.evaluate(identity, tx, args(input))) as T;

  const patient = async (label: string, homeMsp = 'HospitalAMSP'): Promise<FixturePatient<Identity>> => {
    const identity = await transport.id(homeMsp, 'patient', label);
    const { patientId } = await submit<{ patientId: string }>(identity, 'RegisterPatient', {});
    return { identity, patientId };
  };

  const record = async (
    clinician: Identity,
    patientId: string,
    fields: Partial<RecordFields> = {},
  ): Promise<RecordMetadata> => {
    const recordId = fields.recordId ?? testRecordId(`fixture record ${String(++recordCounter)}`);
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

  const consent: ContractFixture<Identity, Raw>['consent'] = (owner, provision, consentOptions = {}) =>
    submit<ConsentRecord>(owner.identity, 'PutConsent', consentResource(owner.patientId, provision, consentOptions));

  return {
    id: transport.id,
    submit,
    submitRaw,
    submitAt,
    submitRawArgs: (identity, tx, ...rawArgs) => transport.submit(identity, tx, rawArgs),
    evaluate,
    identityWithoutMedledgerRole: transport.identityWithoutMedledgerRole,
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

/** A record id in the form the custodian's server generates (`r-` and 24 hex digits), derived from a label. */
export function testRecordId(label: string): string {
  return `r-${sha256(`record ${label}`).slice(0, 24)}`;
}

/** An X-Request-Id in the form the API server generates (32 hex digits), derived from a label. */
export function testRequestId(label: string): string {
  return sha256(`request ${label}`).slice(0, 32);
}
