import { DomainError, isClinicalCode, parseSecurityLabel, PATTERNS, RECORD_CATEGORIES } from '@medledger/core';
import type { Coding, RecordCategory } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';

/** The clinical resource types the API stores as patient records, and where each names its patient. */
export const RECORD_TYPES: Readonly<Record<string, { readonly patient: string; readonly category: RecordCategory }>> = {
  Encounter: { patient: 'subject', category: 'encounter' },
  Observation: { patient: 'subject', category: 'other' },
  Condition: { patient: 'subject', category: 'problem-list-item' },
  Procedure: { patient: 'subject', category: 'procedure' },
  MedicationRequest: { patient: 'subject', category: 'medication' },
  AllergyIntolerance: { patient: 'patient', category: 'allergy' },
  Immunization: { patient: 'patient', category: 'immunization' },
  DiagnosticReport: { patient: 'subject', category: 'diagnostic-report' },
  DocumentReference: { patient: 'subject', category: 'document' },
  Coverage: { patient: 'beneficiary', category: 'coverage' },
  Claim: { patient: 'patient', category: 'claim' },
  Binary: { patient: 'securityContext', category: 'document' },
};

/** What a transaction Bundle from an import may POST: Patient and the record types (Binary, an attachment, excepted). */
export const TRANSACTION_TYPES: ReadonlySet<string> = new Set([
  'Patient',
  ...Object.keys(RECORD_TYPES).filter((type) => type !== 'Binary'),
]);

export function isRecordType(type: string): boolean {
  return Object.hasOwn(RECORD_TYPES, type);
}

/** What the ledger indexes about a record: coarse facts and codes, never content. */
export interface RecordFactsInput {
  readonly patientId: string;
  readonly category: RecordCategory;
  readonly securityLabels: Coding[];
  readonly codes: Coding[];
  readonly clinicalDate?: string;
  readonly related: string[];
}

type Json = Readonly<Record<string, unknown>>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function codingsOf(concept: unknown): Array<{ system?: unknown; code?: unknown }> {
  return array(object(concept)?.coding).flatMap((c) => (object(c) ? [c as { system?: unknown; code?: unknown }] : []));
}

/** The reference a resource gives for its patient, e.g. `Patient/pt-…`. */
export function patientReferenceOf(resource: FhirResource): string | undefined {
  const element = RECORD_TYPES[resource.resourceType]?.patient;
  if (element === undefined) return undefined;
  const reference = object(resource[element])?.reference;
  return typeof reference === 'string' ? reference : undefined;
}

/** The ledger patient id of a record; references must name a registered patient as `Patient/pt-…`. */
export function patientIdOf(resource: FhirResource): string {
  const element = RECORD_TYPES[resource.resourceType]?.patient ?? 'subject';
  const reference = patientReferenceOf(resource);
  if (reference === undefined) {
    throw new DomainError('INVALID_ARGUMENT', `${resource.resourceType}.${element} must reference the patient`);
  }
  const id = reference.startsWith('Patient/') ? reference.slice('Patient/'.length) : '';
  if (!PATTERNS.patientId.test(id)) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `${resource.resourceType}.${element}.reference must be Patient/{id} of a Medledger patient (pt- and 24 hex digits)`,
    );
  }
  return id;
}

const PRIMARY_CODE: Readonly<Record<string, string>> = {
  Observation: 'code',
  Condition: 'code',
  Procedure: 'code',
  MedicationRequest: 'medicationCodeableConcept',
  AllergyIntolerance: 'code',
  Immunization: 'vaccineCode',
  DiagnosticReport: 'code',
  DocumentReference: 'type',
};

function primaryCodings(resource: FhirResource): Coding[] {
  const element = PRIMARY_CODE[resource.resourceType];
  const concepts = element === undefined ? array(resource.type) : [resource[element]];
  const seen = new Map<string, Coding>();
  for (const coding of concepts.flatMap(codingsOf)) {
    if (typeof coding.system !== 'string' || typeof coding.code !== 'string') continue;
    const candidate = { system: coding.system, code: coding.code };
    if (isClinicalCode(candidate)) seen.set(`${candidate.system}|${candidate.code}`, candidate);
  }
  return [...seen.values()].slice(0, 20);
}

function category(resource: FhirResource): RecordCategory {
  const fallback = RECORD_TYPES[resource.resourceType]?.category ?? 'other';
  if (resource.resourceType !== 'Observation' && resource.resourceType !== 'Condition') return fallback;
  for (const coding of array(resource.category).flatMap(codingsOf)) {
    const code = coding.code;
    if (typeof code === 'string' && (RECORD_CATEGORIES as readonly string[]).includes(code))
      return code as RecordCategory;
  }
  return fallback;
}

const DATE_ELEMENTS = [
  'effectiveDateTime',
  'effectiveInstant',
  'onsetDateTime',
  'performedDateTime',
  'occurrenceDateTime',
  'authoredOn',
  'recordedDate',
  'issued',
  'date',
  'created',
];
const PERIOD_ELEMENTS = ['effectivePeriod', 'performedPeriod', 'onsetPeriod', 'period', 'billablePeriod'];

/** The record's clinical date (FHIR-CONVENTIONS §2.1 dataPeriod), when it has one in FHIR dateTime form. */
export function clinicalDateOf(resource: FhirResource): string | undefined {
  const candidates = [
    ...DATE_ELEMENTS.map((name) => resource[name]),
    ...PERIOD_ELEMENTS.map((name) => object(resource[name])?.start),
  ];
  return candidates.find((value): value is string => typeof value === 'string' && PATTERNS.fhirDateTime.test(value));
}

function securityLabels(resource: FhirResource): Coding[] {
  return array(object(resource.meta)?.security).map((label, i) => {
    const { system, code } = (object(label) ?? {}) as { system?: unknown; code?: unknown };
    return parseSecurityLabel({ system, code }, `meta.security[${i}]`);
  });
}

function related(resource: FhirResource): string[] {
  const reference = object(resource.encounter)?.reference ?? object(resource.context)?.reference;
  return typeof reference === 'string' && PATTERNS.relatedReference.test(reference) ? [reference] : [];
}

/** The facts RegisterRecord needs, derived from the resource; labels outside the allowed code systems are refused. */
export function recordFacts(resource: FhirResource): RecordFactsInput {
  const clinicalDate = clinicalDateOf(resource);
  return {
    patientId: patientIdOf(resource),
    category: category(resource),
    securityLabels: securityLabels(resource),
    codes: primaryCodings(resource),
    ...(clinicalDate === undefined ? {} : { clinicalDate }),
    related: related(resource),
  };
}
