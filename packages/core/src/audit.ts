import type { Coding } from './consent-model.js';
import type { CallerIdentity } from './ledger-records.js';

/** What an audit event is about (FHIR-CONVENTIONS §3 table). */
export type AuditKind =
  | 'read'
  | 'search'
  | 'access-denied'
  | 'break-glass-start'
  | 'break-glass-end'
  | 'emergency-review'
  | 'consent-create'
  | 'consent-update'
  | 'access-request'
  | 'access-response'
  | 'record-create'
  | 'record-erase'
  | 'research-use'
  | 'public-health-use';

/** AuditEvent.outcome: 0 permitted/done, 4 done with records withheld, 8 denied, 12 system failure. */
export type AuditOutcome = '0' | '4' | '8' | '12';

export interface AuditedRecord {
  /** Versioned reference, e.g. `Observation/o-55/_history/1`. */
  readonly reference: string;
  readonly securityLabels: readonly Coding[];
}

/**
 * The ledger's compact form of one AuditEvent. It holds references and codes only; the FHIR AuditEvent is rendered
 * from it. The patient's timeline is keyed by `patientId`; privacy officers see events whose `orgs` include theirs.
 */
export interface AuditRecord {
  readonly id: string;
  readonly kind: AuditKind;
  readonly patientId: string;
  readonly recorded: string;
  readonly txId: string;
  readonly requestId?: string;
  readonly outcome: AuditOutcome;
  readonly outcomeDesc?: string;
  readonly purpose?: string;
  readonly agent: CallerIdentity & { readonly reference: string };
  readonly records: readonly AuditedRecord[];
  readonly withheld: number;
  readonly consents: readonly string[];
  readonly grantId?: string;
  readonly studyId?: string;
  readonly accessRequestId?: string;
  /** Organisations involved: the caller's, the patient's home organisation and every custodian touched. */
  readonly orgs: readonly string[];
}
