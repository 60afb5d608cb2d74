import { DomainError } from './errors.js';

/**
 * Small, strict validators for transaction input. Ledger input accepts codes and identifiers only, never free text,
 * so every string is checked against a pattern and every object against a list of known members.
 */
export const PATTERNS = {
  fhirId: /^[A-Za-z0-9\-.]{1,64}$/,
  uid: /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
  /**
   * A patient's enrolment uid is pseudonymous: it is in every certificate the patient signs with, and so in blocks.
   * Their login name and hospital identifiers stay off-chain, mapped to this uid by the custodian.
   */
  patientUid: /^pu-[0-9a-f]{32}$/,
  mspId: /^[A-Za-z][A-Za-z0-9.-]{0,63}$/,
  sha256Hex: /^[0-9a-f]{64}$/,
  code: /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/,
  system: /^(https?:\/\/|urn:)[A-Za-z0-9._~:/?#[\]@!$&'()*+,;=%-]{1,200}$/,
  fhirDate: /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/,
  fhirDateTime:
    /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/,
  requestId: /^[A-Za-z0-9._:-]{1,128}$/,
} as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

/** Parses a transaction argument that must be a JSON object. */
export function parseJsonObject(text: string, what: string): JsonObject {
  if (text.length > 256 * 1024) throw invalid(`${what} is larger than 256 KiB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err: unknown) {
    throw new DomainError('INVALID_ARGUMENT', `${what} is not valid JSON`, { cause: err });
  }
  return expectObject(parsed, what);
}

export function invalid(message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message);
}

export function expectObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return value as JsonObject;
}

/** Rejects members that are not listed: an unknown member could carry free text (and so PHI) onto the ledger. */
export function onlyKnownKeys(object: JsonObject, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw invalid(`${what} has unsupported element(s): ${unknown.sort().join(', ')}`);
}

export function expectString(value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(`${what} is missing or malformed`);
  return value;
}

export function optionalString(value: unknown, pattern: RegExp, what: string): string | undefined {
  return value === undefined ? undefined : expectString(value, pattern, what);
}

export function expectOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${what} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function expectArray(value: unknown, what: string, maxItems = 100): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be an array`);
  if (value.length > maxItems) throw invalid(`${what} has more than ${maxItems} items`);
  return value as unknown[];
}

export function optionalArray(value: unknown, what: string, maxItems = 100): unknown[] {
  return value === undefined ? [] : expectArray(value, what, maxItems);
}

export function expectPositiveNumber(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw invalid(`${what} must be a number in (0, ${max}]`);
  }
  return value;
}

/** Removes duplicates and sorts, so that equal sets give identical ledger bytes. */
export function uniqueSorted<T extends string>(values: readonly T[]): T[] {
  return [...new Set(values)].sort();
}
