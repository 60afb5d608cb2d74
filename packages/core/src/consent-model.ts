import type { ActorRole, ConsentAction, ConsentStatus, PolicyRule } from './codes.js';

export interface Coding {
  readonly system: string;
  readonly code: string;
}

export interface Period {
  readonly start?: string;
  readonly end?: string;
}

export interface ProvisionActor {
  readonly role: ActorRole;
  /**
   * A caller identity: `Practitioner/{uid}`, `Organization/{MSP}`, `Group/{MSP}-{role}` or `Patient/pt-…`, e.g.
   * `Practitioner/dr-lee`, `Organization/HospitalBMSP`, `Group/HospitalBMSP-clinician`.
   */
  readonly reference: string;
}

export type DataMeaning = 'instance' | 'related' | 'authoredby';

export interface ProvisionData {
  readonly meaning: DataMeaning;
  readonly reference: string;
}

/**
 * A consent provision in Medledger's normalized form: codes only (no display text), arrays sorted and de-duplicated,
 * `BTG` read as `ETREAT`, `PRCP` kept as written but matched as `IRCP`. Empty arrays mean "no constraint".
 */
export interface Provision {
  readonly type: 'permit' | 'deny';
  readonly period?: Period;
  readonly actor: readonly ProvisionActor[];
  readonly action: readonly ConsentAction[];
  readonly purpose: readonly string[];
  readonly class: readonly string[];
  readonly code: readonly Coding[];
  readonly securityLabel: readonly Coding[];
  readonly dataPeriod?: Period;
  readonly data: readonly ProvisionData[];
  readonly provision: readonly Provision[];
}

/** What a patient submits: the decision-relevant part of a FHIR Consent. */
export interface ConsentInput {
  /** An existing consent of the patient to version; a new consent gets its id from the contract. */
  readonly id?: string;
  readonly status: ConsentStatus;
  readonly policyRule: PolicyRule;
  readonly patientId: string;
  readonly provision: Provision;
}

/** A consent version as stored on the ledger. */
export interface ConsentRecord {
  readonly id: string;
  readonly version: number;
  readonly patientId: string;
  readonly status: ConsentStatus;
  readonly policyRule: PolicyRule;
  /** Transaction time of this version. */
  readonly dateTime: string;
  /** Who recorded this version (`Patient/{id}`). */
  readonly performer: string;
  /** The custodian that recorded the consent: the patient's home organisation (MSP id). */
  readonly organization: string;
  readonly provision: Provision;
  readonly txId: string;
}
