import type { ConsentAction, Purpose, Role } from './codes.js';
import type { Coding } from './consent-model.js';

/** The caller as its certificate says: MSP id plus the `role` and `uid` CA attributes. */
export interface CallerIdentity {
  readonly mspId: string;
  readonly role: Role;
  readonly uid: string;
}

/** A patient's network-wide pseudonymous id and the organisation that registered them. Holds no PHI. */
export interface PatientRecord {
  readonly id: string;
  /** MSP id of the registering (home) organisation. */
  readonly homeOrg: string;
  /** `Practitioner/{uid}` of the registering clinician/admin, or `Patient/{id}` for self-registration. */
  readonly registeredBy: string;
  readonly registeredAt: string;
  readonly txId: string;
}

export type RecordStatus = 'active' | 'superseded' | 'erased';

/** The ledger's index entry for one off-chain record: hashes and coarse facts only. */
export interface RecordMetadata {
  readonly id: string;
  readonly patientId: string;
  readonly resourceType: string;
  /** Coarse category code, e.g. `vital-signs`, `laboratory`, `encounter`. */
  readonly category: string;
  readonly securityLabels: readonly Coding[];
  readonly codes: readonly Coding[];
  readonly clinicalDate?: string;
  readonly related: readonly string[];
  /** SHA-256 (hex) of the stored ciphertext. */
  readonly ciphertextSha256: string;
  /** Keyed hash (HMAC-SHA-256, hex) of the canonical plaintext; the key stays with the custodian. */
  readonly plaintextHmac: string;
  readonly custodian: string;
  readonly author: string;
  readonly version: number;
  readonly supersedes?: string;
  readonly status: RecordStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly txId: string;
}

export type ReviewOutcome = 'pending' | 'justified' | 'unjustified';

export interface EmergencyGrant {
  readonly id: string;
  readonly patientId: string;
  readonly clinician: CallerIdentity;
  /** SHA-256 of the free-text reason, which stays off-chain. */
  readonly reasonHash: string;
  readonly reasonCode?: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly review: ReviewOutcome;
  readonly reviewedBy?: string;
  readonly reviewedAt?: string;
  readonly reviewNoteHash?: string;
  /** Set when the grant was ended before it expired; an ended grant permits nothing (the review still happens). */
  readonly endedAt?: string;
  /** `Patient/{id}` of the patient who ended it. */
  readonly endedBy?: string;
  readonly endReason?: EmergencyEndReason;
  readonly txId: string;
}

/** Why a grant ended before its expiry. */
export type EmergencyEndReason = 'revoked-by-patient';

export type AccessRequestStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface AccessRequestRecord {
  readonly id: string;
  readonly patientId: string;
  readonly requester: CallerIdentity;
  readonly purpose: Purpose;
  readonly action: ConsentAction;
  readonly resourceTypes: readonly string[];
  /** Sensitivity labels explicitly requested; without them sensitive data stays excluded. */
  readonly sensitiveLabels: readonly Coding[];
  readonly periodEnd?: string;
  readonly reasonCode: string;
  readonly reasonHash?: string;
  readonly studyId?: string;
  readonly status: AccessRequestStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly respondedAt?: string;
  readonly consentId?: string;
  readonly txId: string;
}

export type StudyStatus = 'proposed' | 'approved' | 'rejected';

export interface StudyRecord {
  readonly id: string;
  readonly proposer: CallerIdentity;
  readonly purpose: string;
  readonly resourceTypes: readonly string[];
  readonly protocolHash: string;
  /** Budgets are integers in micro-epsilon so that every peer computes the same balance. */
  readonly epsilonBudgetMicro: number;
  readonly epsilonSpentMicro: number;
  /**
   * The δ of (ε, δ)-DP releases (Gaussian), in whole 10⁻¹² units, summed like ε (basic composition). Absent on studies
   * proposed before δ was accounted: their budget is DEFAULT_STUDY_DELTA and nothing is spent yet.
   */
  readonly deltaBudgetPico?: number;
  readonly deltaSpentPico?: number;
  readonly status: StudyStatus;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly periodEnd?: string;
  readonly createdAt: string;
  readonly txId: string;
}
