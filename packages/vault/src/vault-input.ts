import { DomainError, isDomainError } from '@medledger/core';
import type { RecordBinding } from './envelope.js';
import type { AnchoredHashes, FhirResource, IntegrityCheck } from './vault-types.js';

/**
 * Input checks of the vault API. Messages name the field and the expected form, never the value: a caller's
 * mistake (a name passed as an id) must not put PHI into logs.
 */

/** Record ids are pseudonymous ledger ids (e.g. `r-` + 24 hex digits); the vault accepts any such token. */
const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Custodians are MSP ids. */
const CUSTODIAN = /^[A-Za-z][A-Za-z0-9.-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Versions fit a 32-bit integer column in both stores. */
const MAX_VERSION = 2_147_483_647;

export function expectRecordId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !RECORD_ID.test(value)) {
    throw new DomainError('INVALID_ARGUMENT', 'recordId must be an id token (letters, digits, . _ : -; at most 128)');
  }
}

export function expectVersion(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_VERSION) {
    throw new DomainError('INVALID_ARGUMENT', `version must be an integer from 1 to ${MAX_VERSION}`);
  }
}

export function expectCustodian(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !CUSTODIAN.test(value)) {
    throw new DomainError('INVALID_ARGUMENT', 'custodian must be an MSP id');
  }
}

export function expectBinding(input: unknown): RecordBinding {
  if (typeof input !== 'object' || input === null) {
    throw new DomainError('INVALID_ARGUMENT', 'put needs { recordId, version, custodian, resource }');
  }
  const { recordId, version, custodian } = input as Partial<Record<keyof RecordBinding, unknown>>;
  expectRecordId(recordId);
  expectVersion(version);
  expectCustodian(custodian);
  return { recordId, version, custodian };
}

export function expectResource(value: unknown): FhirResource {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainError('INVALID_ARGUMENT', 'resource must be a FHIR resource (a JSON object)');
  }
  const { resourceType } = value as { resourceType?: unknown };
  if (typeof resourceType !== 'string' || !/^[A-Z][A-Za-z]{0,63}$/.test(resourceType)) {
    throw new DomainError('INVALID_ARGUMENT', 'resource.resourceType must be a FHIR resource type name');
  }
  return value as FhirResource;
}

export function expectAnchoredHashes(value: unknown): asserts value is AnchoredHashes {
  const hashes = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<string, unknown>>;
  for (const field of ['ciphertextSha256', 'plaintextHmac']) {
    const hash = hashes[field];
    if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
      throw new DomainError('INVALID_ARGUMENT', `expected.${field} must be 64 lowercase hex digits`);
    }
  }
}

/** Internal signal of a failed read check; the vault turns it into a DomainError or a verify result. */
export class IntegrityViolation extends Error {
  constructor(readonly check: IntegrityCheck) {
    super(`integrity check failed: ${check}`);
    this.name = 'IntegrityViolation';
  }
}

/** The error a refused read throws: INTERNAL, with `details.integrity` naming the check that failed. */
export function integrityError(recordId: string, version: number, check: IntegrityCheck): DomainError {
  return new DomainError(
    'INTERNAL',
    `record ${recordId} version ${version} failed the vault integrity check (${check}); it is not served`,
    { details: { integrity: check, recordId, version } },
  );
}

/** Whether an error is a vault integrity failure (tampering, a swapped ciphertext, a hash mismatch). */
export function isIntegrityError(error: unknown): error is DomainError {
  return isDomainError(error) && error.code === 'INTERNAL' && typeof error.details?.integrity === 'string';
}
