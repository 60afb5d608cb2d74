// @medledger/analytics: research and public-health analytics foundations. Depends on @medledger/core only.

export type { BundleEntry, FhirResource, TransactionBundle } from './fhir/types.js';
export { bundleResources, patientReferenceOf } from './fhir/types.js';

// Synthetic population
export { SeededRandom } from './random/seeded-random.js';
export type { PopulationOptions, SyntheticOptions } from './synthetic/generator.js';
export { DEFAULT_REFERENCE_DATE, generatePatientBundle, generatePopulation } from './synthetic/generator.js';
export { GENERATING_MODEL } from './synthetic/profile.js';
export type { Code, ConditionKey, SmokingStatus } from './synthetic/codes.js';
export { BLOOD_PRESSURE, CONDITIONS, MEASURES, MEDICATIONS, SMOKING, VACCINES } from './synthetic/codes.js';

// Cohort features
export type { PatientFeatures } from './cohort/features.js';
export { AGE_90_PLUS_EXTENSION, ageFromBirthDate, extractFeatures } from './cohort/features.js';
