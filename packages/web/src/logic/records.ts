import type { Resource } from '@medplum/fhirtypes';

/** The kinds of record a clinician can add from the chart. */
export const RECORD_KINDS = [
  { value: 'vital', label: 'Vital sign (Observation)' },
  { value: 'lab', label: 'Lab result (Observation)' },
  { value: 'condition', label: 'Condition' },
  { value: 'medication', label: 'Medication (MedicationRequest)' },
  { value: 'allergy', label: 'Allergy (AllergyIntolerance)' },
  { value: 'immunization', label: 'Immunization' },
  { value: 'document', label: 'Note or document (DocumentReference)' },
] as const;

export type RecordKind = (typeof RECORD_KINDS)[number]['value'];

export interface RecordFields {
  readonly kind: RecordKind;
  /** What it is, in words ("Heart rate", "Penicillin"). */
  readonly text: string;
  /** An optional code: LOINC for observations, SNOMED CT otherwise. */
  readonly code?: string;
  readonly value?: number;
  readonly unit?: string;
  /** `YYYY-MM-DD` or a date-time. */
  readonly date: string;
  readonly note?: string;
  readonly attachment?: { readonly contentType: string; readonly data: string; readonly title: string };
}

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

function concept(text: string, system: string, code: string | undefined): Record<string, unknown> {
  return code === undefined || code.trim() === '' ? { text } : { text, coding: [{ system, code: code.trim() }] };
}

function observation(
  fields: RecordFields,
  patient: string,
  category: 'vital-signs' | 'laboratory',
): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: category }] }],
    code: concept(fields.text, LOINC, fields.code),
    subject: { reference: patient },
    effectiveDateTime: fields.date,
    ...(fields.value === undefined
      ? fields.note === undefined
        ? {}
        : { valueString: fields.note }
      : { valueQuantity: { value: fields.value, ...(fields.unit === undefined ? {} : { unit: fields.unit }) } }),
  };
}

const BUILDERS: Readonly<Record<RecordKind, (fields: RecordFields, patient: string) => Record<string, unknown>>> = {
  vital: (fields, patient) => observation(fields, patient, 'vital-signs'),
  lab: (fields, patient) => observation(fields, patient, 'laboratory'),
  condition: (fields, patient) => ({
    resourceType: 'Condition',
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    code: concept(fields.text, SNOMED, fields.code),
    subject: { reference: patient },
    onsetDateTime: fields.date,
  }),
  medication: (fields, patient) => ({
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: concept(fields.text, SNOMED, fields.code),
    subject: { reference: patient },
    authoredOn: fields.date,
    ...(fields.note === undefined ? {} : { dosageInstruction: [{ text: fields.note }] }),
  }),
  allergy: (fields, patient) => ({
    resourceType: 'AllergyIntolerance',
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
    },
    code: concept(fields.text, SNOMED, fields.code),
    patient: { reference: patient },
    recordedDate: fields.date,
  }),
  immunization: (fields, patient) => ({
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: concept(fields.text, 'http://hl7.org/fhir/sid/cvx', fields.code),
    patient: { reference: patient },
    occurrenceDateTime: fields.date,
  }),
  document: (fields, patient) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    description: fields.text,
    subject: { reference: patient },
    date: fields.date.length === 10 ? `${fields.date}T00:00:00Z` : fields.date,
    content: [
      {
        attachment:
          fields.attachment === undefined
            ? { contentType: 'text/plain', data: utf8Base64(fields.note ?? ''), title: fields.text }
            : { ...fields.attachment },
      },
    ],
  }),
};

function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** What keeps the add-record form from being sent; empty when it may be sent. */
export function recordProblems(fields: RecordFields): string[] {
  const problems: string[] = [];
  if (fields.text.trim() === '') problems.push('Say what it is.');
  if (fields.date === '') problems.push('Give the date.');
  if (fields.kind === 'document' && fields.attachment === undefined && (fields.note ?? '').trim() === '')
    problems.push('Write the note or attach a file.');
  return problems;
}

/** The FHIR resource for the add-record form. */
export function buildRecord(fields: RecordFields, patientReference: string): Resource {
  return BUILDERS[fields.kind]({ ...fields, text: fields.text.trim() }, patientReference) as unknown as Resource;
}
