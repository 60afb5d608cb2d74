import { tryGetDataType } from '@medplum/core';
import { DomainError } from '@medledger/core';

type Json = Readonly<Record<string, unknown>>;

interface SchemaElement {
  readonly type?: ReadonlyArray<{ readonly code: string }>;
}

const MAX_DEPTH = 32;

/** The type of a member: a plain element's single type, or the type a choice element's suffix names. */
function memberType(elements: Readonly<Record<string, SchemaElement>>, key: string): string | undefined {
  const direct = elements[key];
  if (direct !== undefined) return direct.type?.length === 1 ? direct.type[0]?.code : undefined;
  for (const [name, element] of Object.entries(elements)) {
    if (!name.endsWith('[x]') || !key.startsWith(name.slice(0, -3))) continue;
    const suffix = key.slice(name.length - 3);
    return element.type?.find((t) => t.code.toLowerCase() === suffix.toLowerCase())?.code;
  }
  return undefined;
}

function isComplex(type: string): boolean {
  return /^[A-Z]/.test(type) && type !== 'Resource';
}

function checkObject(value: Json, typeName: string, path: string, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const schema = tryGetDataType(typeName) as { elements: Readonly<Record<string, SchemaElement>> } | undefined;
  if (schema === undefined) return;
  for (const [key, child] of Object.entries(value)) {
    const type = key === 'resourceType' ? undefined : memberType(schema.elements, key);
    if (type === undefined || !isComplex(type)) continue;
    const items: unknown[] = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      const where = `${path}.${key}${Array.isArray(child) ? `[${i}]` : ''}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new DomainError(
          'INVALID_ARGUMENT',
          `invalid ${path.split('.')[0] ?? ''}: ${where} must be a ${type} object`,
        );
      }
      checkObject(item as Json, type, where, depth + 1);
    });
  }
}

/**
 * Medplum's validator accepts a primitive where a complex type (CodeableConcept, Reference, …) belongs; this walk
 * over the same StructureDefinitions refuses that.
 * @throws DomainError INVALID_ARGUMENT naming the element
 */
export function checkComplexShapes(resource: Json & { readonly resourceType: string }): void {
  checkObject(resource, resource.resourceType, resource.resourceType, 0);
}

// Required bindings (R4) of the coded elements the supported types carry; Medplum does not check value sets.
const REQUIRED_CODES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Observation: {
    status: ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'],
  },
  Encounter: {
    status: [
      'planned',
      'arrived',
      'triaged',
      'in-progress',
      'onleave',
      'finished',
      'cancelled',
      'entered-in-error',
      'unknown',
    ],
  },
  Procedure: {
    status: [
      'preparation',
      'in-progress',
      'not-done',
      'on-hold',
      'stopped',
      'completed',
      'entered-in-error',
      'unknown',
    ],
  },
  MedicationRequest: {
    status: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
    intent: ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  },
  AllergyIntolerance: { type: ['allergy', 'intolerance'], criticality: ['low', 'high', 'unable-to-assess'] },
  Immunization: { status: ['completed', 'entered-in-error', 'not-done'] },
  DiagnosticReport: {
    status: [
      'registered',
      'partial',
      'preliminary',
      'final',
      'amended',
      'corrected',
      'appended',
      'cancelled',
      'entered-in-error',
      'unknown',
    ],
  },
  DocumentReference: { status: ['current', 'superseded', 'entered-in-error'] },
  Coverage: { status: ['active', 'cancelled', 'draft', 'entered-in-error'] },
  Claim: {
    status: ['active', 'cancelled', 'draft', 'entered-in-error'],
    use: ['claim', 'preauthorization', 'predetermination'],
  },
  Patient: { gender: ['male', 'female', 'other', 'unknown'] },
  Consent: { status: ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'] },
};

/** @throws DomainError INVALID_ARGUMENT for a code outside an element's required value set */
export function checkRequiredCodes(resource: Json & { readonly resourceType: string }): void {
  const bindings = REQUIRED_CODES[resource.resourceType] ?? {};
  for (const [element, codes] of Object.entries(bindings)) {
    const value = resource[element];
    if (value !== undefined && (typeof value !== 'string' || !codes.includes(value))) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `invalid ${resource.resourceType}: ${resource.resourceType}.${element} must be one of ${codes.join(', ')}`,
      );
    }
  }
}
