/** A FHIR R4 resource as plain JSON. */
export interface FhirResource {
  readonly resourceType: string;
  readonly id?: string;
  readonly [element: string]: unknown;
}

export interface BundleEntry {
  readonly fullUrl: string;
  readonly resource: FhirResource;
  readonly request: { readonly method: 'POST'; readonly url: string };
}

/** A FHIR `transaction` Bundle as Synthea writes it: POST entries with `urn:uuid` fullUrls and references. */
export interface TransactionBundle {
  readonly resourceType: 'Bundle';
  readonly type: 'transaction';
  readonly entry: readonly BundleEntry[];
}

export type Json = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The element that names a record's patient, per resource type (as Medledger's server reads it). */
export const PATIENT_ELEMENT: Readonly<Record<string, string>> = {
  Encounter: 'subject',
  Observation: 'subject',
  Condition: 'subject',
  Procedure: 'subject',
  MedicationRequest: 'subject',
  AllergyIntolerance: 'patient',
  Immunization: 'patient',
  DiagnosticReport: 'subject',
  DocumentReference: 'subject',
  Coverage: 'beneficiary',
  Claim: 'patient',
  ExplanationOfBenefit: 'patient',
  CarePlan: 'subject',
  CareTeam: 'subject',
  Goal: 'subject',
  ImagingStudy: 'subject',
  MedicationAdministration: 'subject',
  Device: 'patient',
  SupplyDelivery: 'patient',
  Provenance: 'target',
};

/** The patient reference string of a record (`Patient/x` or `urn:uuid:x`), if it has one. */
export function patientReferenceOf(resource: FhirResource): string | undefined {
  const element = PATIENT_ELEMENT[resource.resourceType];
  if (element === undefined) return undefined;
  const value = resource[element];
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  const reference = asObject(first)?.reference;
  return typeof reference === 'string' ? reference : undefined;
}

/** The keys under which other resources may reference this one: `Type/id` and `urn:uuid:id`. */
export function referenceKeysOf(resource: FhirResource, fullUrl?: string): string[] {
  const keys: string[] = [];
  if (typeof resource.id === 'string') keys.push(`${resource.resourceType}/${resource.id}`, `urn:uuid:${resource.id}`);
  if (fullUrl !== undefined && !keys.includes(fullUrl)) keys.push(fullUrl);
  return keys;
}

/** The resources of a Bundle, in entry order. */
export function bundleResources(bundle: TransactionBundle): FhirResource[] {
  return bundle.entry.map((entry) => entry.resource);
}
