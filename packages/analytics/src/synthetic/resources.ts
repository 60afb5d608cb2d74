import type { FhirResource } from '../fhir/types.js';
import type { Code, ConditionKey, Measure } from './codes.js';
import { BLOOD_PRESSURE, CONDITIONS, SMOKING, SYSTEM } from './codes.js';
import type { SmokingStatus } from './codes.js';
import type { Person } from './profile.js';

type Json = Record<string, unknown>;

/** `2011-10-14T23:37:54+00:00`, the form Synthea writes. */
export function dateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** An instant with milliseconds, as in Synthea's `issued`. */
export function instant(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}+00:00`;
}

export function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const coding = (code: Code): Json => ({ system: code.system, code: code.code, display: code.display });
export const concept = (code: Code): Json => ({ coding: [coding(code)], text: code.display });
export const ref = (uuid: string): Json => ({ reference: `urn:uuid:${uuid}` });

/** meta.security for records of a sensitive condition: the v3-ActCode sensitivity and, per PCF, restricted. */
export function securityMeta(labels: ReadonlySet<string>): Json {
  if (labels.size === 0) return {};
  const security: Json[] = [...labels].sort().map((code) => ({ system: SYSTEM.actCode, code }));
  security.push({ system: SYSTEM.confidentiality, code: 'R' });
  return { meta: { security } };
}

export function sensitivityOf(key: ConditionKey): string | undefined {
  return CONDITIONS[key].sensitivity;
}

const category = (system: string, code: string, display = code): Json[] => [{ coding: [{ system, code, display }] }];

function identifier(typeCode: string, typeDisplay: string, system: string, value: string): Json {
  return {
    type: { coding: [{ system: SYSTEM.v20203, code: typeCode, display: typeDisplay }], text: typeDisplay },
    system,
    value,
  };
}

export interface PatientIds {
  readonly mrn: string;
  readonly ssn: string;
  readonly driversLicense?: string;
  readonly passport?: string;
  readonly phone: string;
  readonly email?: string;
  readonly lat: number;
  readonly lon: number;
}

const MARITAL_DISPLAY = { M: 'Married', S: 'Never Married', D: 'Divorced', W: 'Widowed' } as const;

function patientExtensions(person: Person): Json[] {
  const ethnicity = person.hispanic
    ? { code: '2135-2', display: 'Hispanic or Latino' }
    : { code: '2186-5', display: 'Not Hispanic or Latino' };
  const omb = (url: string, value: { code: string; display: string }): Json => ({
    url,
    extension: [
      { url: 'ombCategory', valueCoding: { system: SYSTEM.ombRace, ...value } },
      { url: 'text', valueString: value.display },
    ],
  });
  return [
    omb('http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', person.race),
    omb('http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity', ethnicity),
    { url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: person.mothersMaidenName },
    {
      url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex',
      valueCode: person.gender[0]?.toUpperCase(),
    },
    {
      url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
      valueAddress: { city: person.birthPlace.city, state: person.birthPlace.state, country: 'US' },
    },
  ];
}

function patientIdentifiers(person: Person, ids: PatientIds): Json[] {
  const out: Json[] = [
    { system: 'https://medledger.example.org/fhir/sid/synthetic-person', value: person.id },
    identifier('MR', 'Medical Record Number', 'https://medledger.example.org/fhir/sid/mrn', ids.mrn),
    identifier('SS', 'Social Security Number', 'http://hl7.org/fhir/sid/us-ssn', ids.ssn),
  ];
  if (ids.driversLicense !== undefined) {
    out.push(identifier('DL', "Driver's License", 'urn:oid:2.16.840.1.113883.4.3.25', ids.driversLicense));
  }
  if (ids.passport !== undefined) {
    out.push(
      identifier(
        'PPN',
        'Passport Number',
        'http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber',
        ids.passport,
      ),
    );
  }
  return out;
}

function patientNames(person: Person): Json[] {
  const prefix = person.age < 18 ? [] : person.gender === 'male' ? ['Mr.'] : person.maidenName ? ['Mrs.'] : ['Ms.'];
  const official: Json = {
    use: 'official',
    family: person.family,
    given: person.given,
    ...(prefix.length > 0 ? { prefix } : {}),
  };
  if (person.maidenName === undefined) return [official];
  return [official, { use: 'maiden', family: person.maidenName, given: person.given, prefix }];
}

export function patientResource(person: Person, ids: PatientIds): FhirResource {
  const telecom: Json[] = [{ system: 'phone', value: ids.phone, use: 'home' }];
  if (ids.email !== undefined) telecom.push({ system: 'email', value: ids.email, use: 'home' });
  return {
    resourceType: 'Patient',
    id: person.id,
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Generated by the Medledger synthetic population.</div>',
    },
    extension: patientExtensions(person),
    identifier: patientIdentifiers(person, ids),
    name: patientNames(person),
    telecom,
    gender: person.gender,
    birthDate: date(person.birthMs),
    address: [
      {
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/geolocation',
            extension: [
              { url: 'latitude', valueDecimal: ids.lat },
              { url: 'longitude', valueDecimal: ids.lon },
            ],
          },
        ],
        line: [person.street],
        city: person.town.city,
        state: person.town.state,
        postalCode: person.town.zip,
        country: 'US',
      },
    ],
    ...(person.maritalStatus === undefined
      ? {}
      : {
          maritalStatus: {
            coding: [
              {
                system: SYSTEM.maritalStatus,
                code: person.maritalStatus,
                display: MARITAL_DISPLAY[person.maritalStatus],
              },
            ],
            text: MARITAL_DISPLAY[person.maritalStatus],
          },
        }),
    multipleBirthBoolean: false,
    communication: [
      {
        language: person.hispanic
          ? { coding: [{ system: SYSTEM.language, code: 'es', display: 'Spanish' }], text: 'Spanish' }
          : { coding: [{ system: SYSTEM.language, code: 'en-US', display: 'English' }], text: 'English' },
      },
    ],
  };
}

export interface EncounterInput {
  readonly id: string;
  readonly patient: string;
  readonly type: Code;
  readonly startMs: number;
  readonly endMs: number;
  readonly provider: string;
  readonly reason?: Code;
  readonly labels: ReadonlySet<string>;
}

export function encounterResource(input: EncounterInput): FhirResource {
  return {
    resourceType: 'Encounter',
    id: input.id,
    ...securityMeta(input.labels),
    status: 'finished',
    class: { system: SYSTEM.actCode, code: 'AMB' },
    type: [concept(input.type)],
    subject: ref(input.patient),
    period: { start: dateTime(input.startMs), end: dateTime(input.endMs) },
    ...(input.reason === undefined ? {} : { reasonCode: [concept(input.reason)] }),
    serviceProvider: { display: input.provider },
  };
}

export interface RecordContext {
  readonly patient: string;
  readonly encounter: string;
  readonly atMs: number;
}

export function conditionResource(id: string, key: ConditionKey, ctx: RecordContext): FhirResource {
  const sensitivity = sensitivityOf(key);
  return {
    resourceType: 'Condition',
    id,
    ...securityMeta(new Set(sensitivity === undefined ? [] : [sensitivity])),
    clinicalStatus: { coding: [{ system: SYSTEM.conditionClinical, code: 'active' }] },
    verificationStatus: { coding: [{ system: SYSTEM.conditionVerification, code: 'confirmed' }] },
    category: category(SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis'),
    code: concept(CONDITIONS[key].code),
    subject: ref(ctx.patient),
    encounter: ref(ctx.encounter),
    onsetDateTime: dateTime(ctx.atMs),
    recordedDate: dateTime(ctx.atMs),
  };
}

function observationBase(
  id: string,
  code: Code,
  categoryCode: string,
  ctx: RecordContext,
  labels: ReadonlySet<string>,
): FhirResource {
  return {
    resourceType: 'Observation',
    id,
    ...securityMeta(labels),
    status: 'final',
    category: category(SYSTEM.observationCategory, categoryCode),
    code: concept(code),
    subject: ref(ctx.patient),
    encounter: ref(ctx.encounter),
    effectiveDateTime: dateTime(ctx.atMs),
    issued: instant(ctx.atMs + 1000),
  };
}

export function quantityObservation(
  id: string,
  measure: Measure,
  value: number,
  ctx: RecordContext,
  labels: ReadonlySet<string> = new Set(),
): FhirResource {
  return {
    ...observationBase(id, measure.code, measure.category, ctx, labels),
    valueQuantity: { value, unit: measure.unit, system: SYSTEM.ucum, code: measure.unit },
  };
}

export function bloodPressureObservation(
  id: string,
  systolic: number,
  diastolic: number,
  ctx: RecordContext,
): FhirResource {
  const component = (code: Code, value: number): Json => ({
    code: concept(code),
    valueQuantity: { value, unit: BLOOD_PRESSURE.unit, system: SYSTEM.ucum, code: BLOOD_PRESSURE.unit },
  });
  return {
    ...observationBase(id, BLOOD_PRESSURE.panel, 'vital-signs', ctx, new Set()),
    component: [component(BLOOD_PRESSURE.diastolic, diastolic), component(BLOOD_PRESSURE.systolic, systolic)],
  };
}

export function smokingObservation(id: string, status: SmokingStatus, ctx: RecordContext): FhirResource {
  return {
    ...observationBase(id, SMOKING.code, 'social-history', ctx, new Set()),
    valueCodeableConcept: concept(SMOKING[status]),
  };
}

export function medicationRequestResource(
  id: string,
  medication: Code,
  reason: { readonly condition: string; readonly key: ConditionKey },
  ctx: RecordContext,
): FhirResource {
  const sensitivity = sensitivityOf(reason.key);
  const asNeeded = medication.code === '745679';
  return {
    resourceType: 'MedicationRequest',
    id,
    ...securityMeta(new Set(sensitivity === undefined ? [] : [sensitivity])),
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: concept(medication),
    subject: ref(ctx.patient),
    encounter: ref(ctx.encounter),
    authoredOn: dateTime(ctx.atMs),
    reasonReference: [ref(reason.condition)],
    dosageInstruction: [
      {
        sequence: 1,
        ...(asNeeded ? {} : { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }),
        asNeededBoolean: asNeeded,
        ...(asNeeded
          ? {}
          : {
              doseAndRate: [
                {
                  type: { coding: [{ system: SYSTEM.doseRateType, code: 'ordered', display: 'Ordered' }] },
                  doseQuantity: { value: 1 },
                },
              ],
            }),
      },
    ],
  };
}

export function immunizationResource(id: string, vaccine: Code, ctx: RecordContext): FhirResource {
  return {
    resourceType: 'Immunization',
    id,
    status: 'completed',
    vaccineCode: concept(vaccine),
    patient: ref(ctx.patient),
    encounter: ref(ctx.encounter),
    occurrenceDateTime: dateTime(ctx.atMs),
    primarySource: true,
  };
}

export interface CoverageInput {
  readonly id: string;
  readonly patient: string;
  readonly payer: Person['payer'];
  readonly memberId: string;
  readonly startMs: number;
}

export function coverageResource(input: CoverageInput): FhirResource {
  return {
    resourceType: 'Coverage',
    id: input.id,
    identifier: [{ system: 'https://medledger.example.org/fhir/sid/member-id', value: input.memberId }],
    status: 'active',
    type: {
      coding: [{ system: SYSTEM.sourceOfPayment, code: input.payer.sopt, display: input.payer.display }],
      text: input.payer.name,
    },
    subscriberId: input.memberId,
    beneficiary: ref(input.patient),
    relationship: { coding: [{ system: SYSTEM.subscriberRelationship, code: 'self' }] },
    period: { start: date(input.startMs) },
    payor: [{ display: input.payer.name }],
  };
}

export interface ClaimInput {
  readonly id: string;
  readonly encounter: EncounterInput;
  readonly coverage: string;
  readonly diagnoses: readonly string[];
  readonly products: readonly Code[];
  readonly total: number;
}

export function claimResource(input: ClaimInput): FhirResource {
  const { encounter } = input;
  const items = [
    { sequence: 1, productOrService: concept(encounter.type), encounter: [ref(encounter.id)] },
    ...input.products.map((product, i) => ({ sequence: i + 2, productOrService: concept(product) })),
  ];
  return {
    resourceType: 'Claim',
    id: input.id,
    ...securityMeta(encounter.labels),
    status: 'active',
    type: { coding: [{ system: SYSTEM.claimType, code: 'professional' }] },
    use: 'claim',
    patient: ref(encounter.patient),
    billablePeriod: { start: dateTime(encounter.startMs), end: dateTime(encounter.endMs) },
    created: dateTime(encounter.endMs),
    provider: { display: encounter.provider },
    priority: { coding: [{ system: SYSTEM.processPriority, code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: ref(input.coverage) }],
    ...(input.diagnoses.length === 0
      ? {}
      : { diagnosis: input.diagnoses.map((c, i) => ({ sequence: i + 1, diagnosisReference: ref(c) })) }),
    item: items,
    total: { value: input.total, currency: 'USD' },
  };
}
