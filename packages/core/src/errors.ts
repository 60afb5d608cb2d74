/**
 * Stable error codes. They cross process boundaries (chaincode → gateway → server → client), so a code is never
 * renamed or reused; add new ones instead.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNPROCESSABLE',
  'UNAUTHENTICATED',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT',
  'CONSENT_NOT_ACTIVE',
  'REQUEST_EXPIRED',
  'STUDY_NOT_APPROVED',
  'BUDGET_EXHAUSTED',
  'MVCC_READ_CONFLICT',
  'ENDORSEMENT_FAILURE',
  'POLICY_FAILURE',
  'IDENTITY_REVOKED',
  'LEDGER_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DomainErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error type of Medledger. `message` never contains PHI: it may be written to logs and to the ledger. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = DomainError.name;
    this.code = code;
    this.details = options.details;
  }
}

/**
 * @returns true when `value` is a DomainError (also across module copies, where `instanceof` fails).
 */
export function isDomainError(value: unknown): value is DomainError {
  if (value instanceof DomainError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  return candidate.name === DomainError.name && isErrorCode(candidate.code);
}

/** @returns true when `value` is one of the stable error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The message form chaincode uses on the wire: `[CODE] message`. */
export function toCodedMessage(error: DomainError): string {
  return `[${error.code}] ${error.message}`;
}

const CODED_MESSAGE = /\[([A-Z][A-Z_]+)\]\s*([\s\S]*)$/;

/**
 * Recovers a DomainError from text that carries a `[CODE] message` (as chaincode errors do after a trip through
 * a peer). Text without a known code becomes `fallback`.
 */
export function fromCodedMessage(text: string, fallback: ErrorCode = 'INTERNAL'): DomainError {
  const match = CODED_MESSAGE.exec(text);
  const code = match?.[1];
  if (match && isErrorCode(code)) return new DomainError(code, (match[2] ?? '').trim());
  return new DomainError(fallback, text);
}

export interface ErrorPresentation {
  /** HTTP status the API answers with. */
  readonly httpStatus: number;
  /** FHIR `OperationOutcome.issue.code` (http://hl7.org/fhir/issue-type). */
  readonly fhirIssueCode: string;
}

/**
 * The one table that maps codes to HTTP and FHIR. ACCESS_DENIED on a resource read is answered as NOT_FOUND by the
 * API (principle 7: forbidden and nonexistent look the same); this table gives the status for operations where the
 * caller is entitled to know they were refused (e.g. granting a consent for someone else).
 */
export const ERROR_PRESENTATION: Readonly<Record<ErrorCode, ErrorPresentation>> = {
  INVALID_ARGUMENT: { httpStatus: 400, fhirIssueCode: 'invalid' },
  UNPROCESSABLE: { httpStatus: 422, fhirIssueCode: 'processing' },
  UNAUTHENTICATED: { httpStatus: 401, fhirIssueCode: 'login' },
  ACCESS_DENIED: { httpStatus: 403, fhirIssueCode: 'forbidden' },
  NOT_FOUND: { httpStatus: 404, fhirIssueCode: 'not-found' },
  ALREADY_EXISTS: { httpStatus: 409, fhirIssueCode: 'duplicate' },
  CONFLICT: { httpStatus: 409, fhirIssueCode: 'conflict' },
  CONSENT_NOT_ACTIVE: { httpStatus: 409, fhirIssueCode: 'business-rule' },
  REQUEST_EXPIRED: { httpStatus: 410, fhirIssueCode: 'business-rule' },
  STUDY_NOT_APPROVED: { httpStatus: 403, fhirIssueCode: 'business-rule' },
  BUDGET_EXHAUSTED: { httpStatus: 429, fhirIssueCode: 'throttled' },
  MVCC_READ_CONFLICT: { httpStatus: 409, fhirIssueCode: 'conflict' },
  ENDORSEMENT_FAILURE: { httpStatus: 502, fhirIssueCode: 'transient' },
  POLICY_FAILURE: { httpStatus: 403, fhirIssueCode: 'security' },
  IDENTITY_REVOKED: { httpStatus: 401, fhirIssueCode: 'security' },
  LEDGER_UNAVAILABLE: { httpStatus: 503, fhirIssueCode: 'transient' },
  INTERNAL: { httpStatus: 500, fhirIssueCode: 'exception' },
};
