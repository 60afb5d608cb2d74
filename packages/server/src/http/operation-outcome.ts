import type { DomainError } from '@medledger/core';
import { ERROR_PRESENTATION, isDomainError } from '@medledger/core';

export interface OutcomeResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

export function operationOutcome(
  severity: 'error' | 'warning' | 'information',
  code: string,
  diagnostics: string,
  extraIssues: readonly unknown[] = [],
): Record<string, unknown> {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }, ...extraIssues] };
}

interface FastifyLikeError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message?: string;
  readonly validation?: unknown;
}

// Fastify's own errors for bad requests, mapped to FHIR issue codes; their messages are safe to show.
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: string; text?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'not-supported',
    text: 'unsupported media type: send application/fhir+json (or application/json)',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too-costly', text: 'the request body is larger than the limit' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid', text: 'the request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid', text: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'not-supported', text: 'Content-Type is missing' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'not-supported', text: 'Content-Type is invalid' },
  FST_ERR_VALIDATION: { status: 400, code: 'invalid' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid', text: 'the URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'invalid' },
};

/**
 * The one place errors become HTTP answers: DomainErrors by the core's code table, Fastify's request errors by
 * theirs, JSON syntax errors as 400; anything else is a 500 whose body says nothing about the internals.
 */
export function outcomeFor(error: unknown): OutcomeResponse {
  return isDomainError(error) ? domainOutcome(error) : requestOutcome(error as FastifyLikeError);
}

function domainOutcome(error: DomainError): OutcomeResponse {
  const presentation = ERROR_PRESENTATION[error.code];
  const issues = Array.isArray(error.details?.issues) ? (error.details.issues as unknown[]).slice(0, 20) : [];
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="medledger"';
  if (error.code === 'LEDGER_UNAVAILABLE') headers['retry-after'] = '5';
  const message = error.code === 'INTERNAL' ? internalMessage(error) : error.message;
  return {
    status: presentation.httpStatus,
    body: operationOutcome('error', presentation.fhirIssueCode, message, issues),
    headers,
  };
}

function requestOutcome(error: FastifyLikeError): OutcomeResponse {
  const known = error.code === undefined ? undefined : FASTIFY_ERRORS[error.code];
  const message = error.message ?? 'bad request';
  if (known !== undefined) {
    return { status: known.status, body: operationOutcome('error', known.code, known.text ?? message) };
  }
  if (error instanceof SyntaxError) {
    return { status: 400, body: operationOutcome('error', 'structure', `the body is not valid JSON: ${message}`) };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, body: operationOutcome('error', 'invalid', message) };
  }
  return { status: 500, body: operationOutcome('error', 'exception', 'internal server error') };
}

function internalMessage(error: DomainError): string {
  if (error.details?.integrity !== undefined) {
    return 'the record failed its integrity check and was not served; the custodian has been alerted';
  }
  return 'internal server error';
}
