/** Shapes of Medledger's `/api` answers that the portals use (see docs/api.md). */

export type Role =
  'patient' | 'clinician' | 'insurer' | 'researcher' | 'ethics' | 'public-health' | 'privacy-officer' | 'admin';

export interface Whoami {
  readonly username: string;
  readonly displayName: string;
  readonly organization: string;
  readonly role: Role;
  readonly defaultPurpose?: string;
  /** `Patient/{id}` for a patient. */
  readonly patient?: string;
  readonly demo?: boolean;
}

export interface CallerIdentity {
  readonly mspId: string;
  readonly uid: string;
  readonly role: Role;
}

export interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}

export interface AccessRequest {
  readonly id: string;
  readonly patientId: string;
  readonly requester: CallerIdentity;
  readonly purpose: string;
  readonly action: string;
  readonly resourceTypes: readonly string[];
  readonly sensitiveLabels: readonly Coding[];
  readonly periodEnd?: string;
  readonly reasonCode: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly consentId?: string;
}

export interface EmergencyGrant {
  readonly id: string;
  readonly patientId: string;
  readonly clinician: CallerIdentity;
  readonly reasonCode: string;
  readonly reason?: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly review: string;
}

export interface Account {
  readonly username: string;
  readonly displayName: string;
  readonly mspId: string;
  readonly role: Role;
  readonly status: string;
  readonly kind?: string;
}

export interface NetworkStatus {
  readonly organizations: readonly unknown[];
  readonly blockHeight: number;
}
