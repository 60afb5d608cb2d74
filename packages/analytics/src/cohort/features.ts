import type { FhirResource } from '../fhir/types.js';
import { asArray, asObject, patientReferenceOf, referenceKeysOf } from '../fhir/types.js';
import { BLOOD_PRESSURE, CONDITIONS, MEASURES, SMOKING } from '../synthetic/codes.js';
import type { ConditionKey, SmokingStatus } from '../synthetic/codes.js';

/** One patient's analysis row: demographics, the latest value of each measure and condition flags. */
export interface PatientFeatures {
  /** The Patient's reference key (`Patient/id`). */
  readonly patient: string;
  readonly gender?: string;
  /** Whole years at the reference date; 90 for a de-identified "90+" patient; undefined when unknown. */
  readonly age?: number;
  readonly bmi?: number;
  readonly systolic?: number;
  readonly diastolic?: number;
  readonly glucose?: number;
  readonly hba1c?: number;
  readonly cholesterol?: number;
  readonly smoking?: SmokingStatus;
  readonly conditions: Readonly<Record<ConditionKey, boolean>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Measured = 'bmi' | 'systolic' | 'diastolic' | 'glucose' | 'hba1c' | 'cholesterol';

const MEASURE_BY_LOINC: ReadonlyMap<string, Measured> = new Map([
  [MEASURES.bmi.code.code, 'bmi'],
  [MEASURES.glucose.code.code, 'glucose'],
  [MEASURES.hba1c.code.code, 'hba1c'],
  [MEASURES.cholesterol.code.code, 'cholesterol'],
  [BLOOD_PRESSURE.systolic.code, 'systolic'],
  [BLOOD_PRESSURE.diastolic.code, 'diastolic'],
]);

const CONDITION_BY_SNOMED: ReadonlyMap<string, ConditionKey> = new Map(
  (Object.keys(CONDITIONS) as ConditionKey[]).map((key) => [CONDITIONS[key].code.code, key]),
);

const SMOKING_BY_SNOMED: ReadonlyMap<string, SmokingStatus> = new Map([
  [SMOKING.never.code, 'never'],
  [SMOKING.former.code, 'former'],
  [SMOKING.current.code, 'current'],
]);

export const AGE_90_PLUS_EXTENSION = 'https://medledger.example.org/fhir/StructureDefinition/deid-age-group';

function codesOf(concept: unknown): string[] {
  return asArray(asObject(concept)?.coding).flatMap((coding) => {
    const code = asObject(coding)?.code;
    return typeof code === 'string' ? [code] : [];
  });
}

/** Age in whole years at `asOf` from a FHIR birthDate (YYYY, YYYY-MM or YYYY-MM-DD). */
export function ageFromBirthDate(birthDate: string, asOf: string): number | undefined {
  const birth = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
  const at = /^(\d{4})-(\d{2})-(\d{2})/.exec(asOf);
  if (birth === null || at === null) return undefined;
  const years = Number(at[1]) - Number(birth[1]);
  if (birth[2] === undefined || birth[3] === undefined) return years; // year precision: an approximation
  const beforeBirthday = `${at[2] ?? ''}-${at[3] ?? ''}` < `${birth[2]}-${birth[3]}`;
  return beforeBirthday ? years - 1 : years;
}

function patientAge(patient: FhirResource, asOf: string): number | undefined {
  const group = asArray(patient.extension).some((ext) => asObject(ext)?.url === AGE_90_PLUS_EXTENSION);
  if (group) return 90;
  return typeof patient.birthDate === 'string' ? ageFromBirthDate(patient.birthDate, asOf) : undefined;
}

function emptyRow(patient: FhirResource, key: string, asOf: string): Mutable<PatientFeatures> {
  const age = patientAge(patient, asOf);
  return {
    patient: key,
    ...(typeof patient.gender === 'string' ? { gender: patient.gender } : {}),
    ...(age === undefined ? {} : { age }),
    conditions: { hypertension: false, diabetes: false, asthma: false, depression: false, hiv: false },
  };
}

interface Latest {
  readonly when: string;
  readonly value: number;
}

function numericValues(observation: FhirResource): Array<[Measured, number]> {
  const out: Array<[Measured, number]> = [];
  const direct = codesOf(observation.code).map((code) => MEASURE_BY_LOINC.get(code));
  const value = asObject(observation.valueQuantity)?.value;
  for (const measure of direct) if (measure !== undefined && typeof value === 'number') out.push([measure, value]);
  for (const component of asArray(observation.component)) {
    const c = asObject(component);
    const measure = codesOf(c?.code)
      .map((code) => MEASURE_BY_LOINC.get(code))
      .find((m) => m !== undefined);
    const v = asObject(c?.valueQuantity)?.value;
    if (measure !== undefined && typeof v === 'number') out.push([measure, v]);
  }
  return out;
}

class RowBuilder {
  readonly latest = new Map<Measured, Latest>();
  smoking: { when: string; status: SmokingStatus } | undefined;

  constructor(readonly row: Mutable<PatientFeatures>) {}

  observe(observation: FhirResource): void {
    const when = typeof observation.effectiveDateTime === 'string' ? observation.effectiveDateTime : '';
    for (const [measure, value] of numericValues(observation)) {
      const previous = this.latest.get(measure);
      if (previous === undefined || previous.when <= when) this.latest.set(measure, { when, value });
    }
    const status = codesOf(observation.valueCodeableConcept)
      .map((code) => SMOKING_BY_SNOMED.get(code))
      .find((s) => s !== undefined);
    if (status !== undefined && (this.smoking === undefined || this.smoking.when <= when)) {
      this.smoking = { when, status };
    }
  }

  condition(condition: FhirResource): void {
    for (const code of codesOf(condition.code)) {
      const key = CONDITION_BY_SNOMED.get(code);
      if (key !== undefined) this.row.conditions = { ...this.row.conditions, [key]: true };
    }
  }

  build(): PatientFeatures {
    const measures = Object.fromEntries([...this.latest].map(([measure, latest]) => [measure, latest.value]));
    return { ...this.row, ...measures, ...(this.smoking === undefined ? {} : { smoking: this.smoking.status }) };
  }
}

/**
 * One feature row per Patient in `resources` (a Bundle's resources, several Bundles' or a de-identified export):
 * the latest BMI, blood pressure, glucose, HbA1c and total cholesterol, the latest smoking status, and which of the
 * modelled conditions the patient has. Records are matched to their Patient by reference (`Patient/id` or
 * `urn:uuid:id`).
 * @param asOf - the date (YYYY-MM-DD…) ages are computed at
 */
export function extractFeatures(resources: Iterable<FhirResource>, asOf: string): PatientFeatures[] {
  const builders = new Map<string, RowBuilder>();
  const records: FhirResource[] = [];
  for (const resource of resources) {
    if (resource.resourceType !== 'Patient') {
      records.push(resource);
      continue;
    }
    const keys = referenceKeysOf(resource);
    const builder = new RowBuilder(emptyRow(resource, keys[0] ?? '', asOf));
    for (const key of keys) builders.set(key, builder);
  }
  for (const record of records) {
    const reference = patientReferenceOf(record);
    const builder = reference === undefined ? undefined : builders.get(reference);
    if (builder === undefined) continue;
    if (record.resourceType === 'Observation') builder.observe(record);
    else if (record.resourceType === 'Condition') builder.condition(record);
  }
  return [...new Set(builders.values())].map((builder) => builder.build());
}
