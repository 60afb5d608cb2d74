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

// De-identification
export type {
  DeidentificationReport,
  DeidentifiedExport,
  QuasiIdentifier,
  SafeHarborOptions,
} from './deid/safe-harbor.js';
export { BIRTH_YEAR_RANGE_EXTENSION, deidentify, QUASI_IDENTIFIERS } from './deid/safe-harbor.js';
export type { KAnonymityResult, QuasiIdentifierRow } from './deid/k-anonymity.js';
export { enforceKAnonymity } from './deid/k-anonymity.js';
export { deriveStudyKey, MIN_STUDY_KEY_BYTES, pseudonym } from './deid/pseudonym.js';
export { generalizeZip, RESTRICTED_ZIP3 } from './deid/restricted-zip3.js';
export { KEPT_EXTENSIONS, REMOVED_BY_TYPE, REMOVED_ELEMENTS, REMOVED_PATTERNS } from './deid/scrub.js';

// Differential privacy
export type { RandomSource } from './dp/random.js';
export { CryptoRandom } from './dp/random.js';
export { bernoulli, bernoulliExpNeg, geometricAlpha, sampleDiscreteLaplace } from './dp/discrete-laplace.js';
export type { BudgetReceipt, BudgetSpend, PrivacyAccountant } from './dp/accountant.js';
export { MemoryPrivacyAccountant } from './dp/accountant.js';
export type { DpMean, DpRelease, Mechanism, NoiseSource, ReleaseOptions, SumBounds } from './dp/release.js';
export {
  clampToGrid,
  cryptoNoise,
  DEFAULT_DELTA,
  MAX_DELTA,
  noiseFrom,
  gridOf,
  queryHash,
  checkRelease,
  releaseCount,
  releaseHistogram,
  releaseMean,
  releaseSum,
  sumSensitivity,
} from './dp/release.js';

export {
  bernoulliExpNegBig,
  gaussianSigmaSquared,
  rhoFor,
  sampleDiscreteGaussian,
  uniformBigInt,
} from './dp/discrete-gaussian.js';

// Models
export type { Coefficient, LogisticModel, LogisticOptions } from './model/logistic.js';
export { fitLogisticRegression, predictProbability, rocAuc } from './model/logistic.js';
export { normalCdf, twoSidedP, Z_975 } from './model/normal.js';
export type { CalibrationBin, RiskModelOptions, RiskModelResult, RiskPredictor, RocPoint } from './model/evaluation.js';
export {
  calibration,
  isHeldOut,
  RISK_PREDICTORS,
  rocCurve,
  stratifiedSplit,
  trainRiskModel,
} from './model/evaluation.js';

// Charts (shared with the web portals)
export type { BarChart, Chart, CurveChart, LineChart, ReportSection, SeriesPoint } from './charts/charts.js';
export { escapeXml, niceMax, renderHtmlReport, renderSvg } from './charts/charts.js';
