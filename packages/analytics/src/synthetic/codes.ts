/**
 * The clinical codes the synthetic population uses: real SNOMED CT, LOINC, RxNorm and CVX codes with the display
 * strings Synthea writes, and UCUM units. Each one is accepted by Medledger's ledger code forms (`isClinicalCode`).
 */
export const SYSTEM = {
  snomed: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  ucum: 'http://unitsofmeasure.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  v20203: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  maritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  ombRace: 'urn:oid:2.16.840.1.113883.6.238',
  language: 'urn:ietf:bcp:47',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  sourceOfPayment: 'https://nahdo.org/sopt',
  doseRateType: 'http://terminology.hl7.org/CodeSystem/dose-rate-type',
} as const;

export interface Code {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

const snomed = (code: string, display: string): Code => ({ system: SYSTEM.snomed, code, display });
const loinc = (code: string, display: string): Code => ({ system: SYSTEM.loinc, code, display });
const rxnorm = (code: string, display: string): Code => ({ system: SYSTEM.rxnorm, code, display });
const cvx = (code: string, display: string): Code => ({ system: SYSTEM.cvx, code, display });

export const ENCOUNTER_TYPES = {
  checkUp: snomed('162673000', 'General examination of patient (procedure)'),
  problem: snomed('185347001', 'Encounter for problem (procedure)'),
} as const;

/** The conditions the generator models; `sensitivity` is the v3-ActCode label their records carry. */
export const CONDITIONS = {
  hypertension: { code: snomed('59621000', 'Essential hypertension (disorder)'), sensitivity: undefined },
  diabetes: { code: snomed('44054006', 'Diabetes mellitus type 2 (disorder)'), sensitivity: undefined },
  asthma: { code: snomed('195967001', 'Asthma (disorder)'), sensitivity: undefined },
  depression: { code: snomed('370143000', 'Major depressive disorder (disorder)'), sensitivity: 'PSY' },
  hiv: { code: snomed('86406008', 'Human immunodeficiency virus infection (disorder)'), sensitivity: 'HIV' },
} as const;

export type ConditionKey = keyof typeof CONDITIONS;
export const CONDITION_KEYS = Object.keys(CONDITIONS) as ConditionKey[];

export interface Measure {
  readonly code: Code;
  readonly unit: string;
  readonly category: 'vital-signs' | 'laboratory';
}

export const MEASURES = {
  height: { code: loinc('8302-2', 'Body Height'), unit: 'cm', category: 'vital-signs' },
  weight: { code: loinc('29463-7', 'Body Weight'), unit: 'kg', category: 'vital-signs' },
  bmi: { code: loinc('39156-5', 'Body mass index (BMI) [Ratio]'), unit: 'kg/m2', category: 'vital-signs' },
  glucose: { code: loinc('2339-0', 'Glucose [Mass/volume] in Blood'), unit: 'mg/dL', category: 'laboratory' },
  hba1c: {
    code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
    unit: '%',
    category: 'laboratory',
  },
  cholesterol: {
    code: loinc('2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'),
    unit: 'mg/dL',
    category: 'laboratory',
  },
  viralLoad: {
    code: loinc('20447-9', 'HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection'),
    unit: '{copies}/mL',
    category: 'laboratory',
  },
} as const satisfies Readonly<Record<string, Measure>>;

export const BLOOD_PRESSURE = {
  panel: loinc('85354-9', 'Blood pressure panel with all children optional'),
  systolic: loinc('8480-6', 'Systolic Blood Pressure'),
  diastolic: loinc('8462-4', 'Diastolic Blood Pressure'),
  unit: 'mm[Hg]',
} as const;

export const SMOKING = {
  code: loinc('72166-2', 'Tobacco smoking status'),
  never: snomed('266919005', 'Never smoker'),
  former: snomed('8517006', 'Ex-smoker (finding)'),
  current: snomed('449868002', 'Smokes tobacco daily (finding)'),
} as const;

export type SmokingStatus = 'never' | 'former' | 'current';

/** First-line medications per condition (RxNorm SCDs as Synthea writes them). */
export const MEDICATIONS: Readonly<Record<ConditionKey, readonly Code[]>> = {
  hypertension: [
    rxnorm('314076', 'lisinopril 10 MG Oral Tablet'),
    rxnorm('197361', 'amLODIPine 5 MG Oral Tablet'),
    rxnorm('310798', 'Hydrochlorothiazide 25 MG Oral Tablet'),
  ],
  diabetes: [rxnorm('860975', '24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet')],
  asthma: [
    rxnorm('895994', '120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler'),
    rxnorm('745679', '200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
  ],
  depression: [rxnorm('312941', 'sertraline 50 MG Oral Tablet')],
  hiv: [rxnorm('1999667', 'bictegravir 50 MG / emtricitabine 200 MG / tenofovir alafenamide 25 MG Oral Tablet')],
};

export const VACCINES = {
  influenza: cvx('140', 'Influenza, seasonal, injectable, preservative free'),
  td: cvx('113', 'Td (adult) preservative free'),
  pneumococcal: cvx('133', 'Pneumococcal conjugate PCV 13'),
  covid: cvx('208', 'SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose'),
} as const;
