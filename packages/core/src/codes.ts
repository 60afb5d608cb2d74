/** Code systems and value sets Medledger accepts (FHIR-CONVENTIONS.md §0). */
export const SYSTEMS = {
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  loinc: 'http://loinc.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  provisionType: 'http://hl7.org/fhir/consent-provision-type',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  consentAction: 'http://terminology.hl7.org/CodeSystem/consentaction',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  resourceTypes: 'http://hl7.org/fhir/resource-types',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  role: 'https://medledger.example.org/fhir/CodeSystem/role',
  consentCategory: 'http://terminology.hl7.org/CodeSystem/consentcategorycodes',
} as const;

export const CONSENT_CATEGORY_LOINC = '59284-0';

/**
 * The consentcategorycodes a privacy consent may carry besides LOINC 59284-0 (R4 examples use them): emergency only,
 * notice of privacy practices, and the three research access categories.
 */
export const CONSENT_CATEGORY_CODES = ['emrgonly', 'npp', 'research', 'rsdid', 'rsreid'] as const;

const ICD_10_CODE = /^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$/;

/**
 * The clinical code systems a record's `codes` and a consent provision's `code` may use, each with the form of its
 * codes. Transaction arguments stay in every block, so a "code" from any other system (an identifier system such as
 * `http://hl7.org/fhir/sid/us-ssn`, a hospital's local codes) or of any other form is refused.
 */
export const CLINICAL_CODE_SYSTEMS: ReadonlyMap<string, RegExp> = new Map([
  ['http://loinc.org', /^\d{1,7}-\d$/],
  ['http://snomed.info/sct', /^\d{6,18}$/],
  ['http://www.nlm.nih.gov/research/umls/rxnorm', /^\d{1,10}$/],
  ['http://hl7.org/fhir/sid/cvx', /^\d{1,3}$/],
  ['http://hl7.org/fhir/sid/icd-10', ICD_10_CODE],
  ['http://hl7.org/fhir/sid/icd-10-cm', ICD_10_CODE],
  ['http://www.ama-assn.org/go/cpt', /^\d{4}[0-9A-Z]$/],
]);

/** Whether a coding is a code of one of the CLINICAL_CODE_SYSTEMS, in that system's form. */
export function isClinicalCode(coding: { readonly system: string; readonly code: string }): boolean {
  return CLINICAL_CODE_SYSTEMS.get(coding.system)?.test(coding.code) ?? false;
}

/**
 * A record's coarse category: the FHIR observation-category codes, plus one category per kind of record that has no
 * observation category. The API maps a resource to one of these (Synthea's `vital-sign` to `vital-signs`, a
 * DiagnosticReport's v2-0074 `LAB` to `laboratory`, a CarePlan's SNOMED category to `care-plan`); anything else is
 * `other`.
 */
export const RECORD_CATEGORIES = [
  'vital-signs',
  'laboratory',
  'social-history',
  'imaging',
  'procedure',
  'survey',
  'exam',
  'therapy',
  'activity',
  'encounter',
  'problem-list-item',
  'encounter-diagnosis',
  'medication',
  'immunization',
  'allergy',
  'care-plan',
  'diagnostic-report',
  'document',
  'claim',
  'coverage',
  'explanation-of-benefit',
  'other',
] as const;
export type RecordCategory = (typeof RECORD_CATEGORIES)[number];

export const ROLES = [
  'patient',
  'clinician',
  'insurer',
  'researcher',
  'ethics',
  'public-health',
  'privacy-officer',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'PATRQT'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** v3-ActReason specialisations of HRESCH, which a consent permitting HRESCH also covers (PCF). */
export const HRESCH_SPECIALISATIONS = [
  'BIORCH',
  'CLINTRCH',
  'CLINTRCHNPC',
  'CLINTRCHPC',
  'PRECLINTRCH',
  'DSRCH',
  'POARCH',
  'TRANSRCH',
] as const;

/** Purpose codes a consent provision may list: the request purposes, HRESCH specialisations, and BTG (read as ETREAT). */
export const CONSENT_PURPOSE_CODES: readonly string[] = [...PURPOSES, ...HRESCH_SPECIALISATIONS, 'BTG'];

export const CONSENT_ACTIONS = ['collect', 'access', 'use', 'disclose', 'correct'] as const;
export type ConsentAction = (typeof CONSENT_ACTIONS)[number];

export const CONSENT_STATUSES = ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export const POLICY_RULES = ['OPTIN', 'OPTOUT'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** provision.actor.role codes. PRCP is read as IRCP; CST and AUT mean "data held / written by". */
export const ACTOR_ROLES = ['IRCP', 'PRCP', 'CST', 'AUT'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

/** Sensitivity codes (v3-ActCode) of the PCF minimum set plus SUD and SEX. */
export const SENSITIVITY_CODES = ['HIV', 'PSY', 'ETH', 'ETHUD', 'OPIOIDUD', 'SUD', 'SEX', 'SDV'] as const;
export type SensitivityCode = (typeof SENSITIVITY_CODES)[number];

/** v3-Confidentiality in ascending order. */
export const CONFIDENTIALITY_ORDER = ['U', 'L', 'M', 'N', 'R', 'V'] as const;
export type ConfidentialityCode = (typeof CONFIDENTIALITY_ORDER)[number];

/** Which purposes each role may assert (FHIR-CONVENTIONS §0). ETREAT for clinicians goes through break-glass. */
export const ROLE_PURPOSES: Readonly<Record<Role, readonly Purpose[]>> = {
  patient: ['PATRQT'],
  clinician: ['TREAT', 'ETREAT'],
  insurer: ['HPAYMT'],
  researcher: ['HRESCH'],
  ethics: [],
  'public-health': ['PUBHLTH'],
  'privacy-officer': ['HOPERAT'],
  admin: ['HOPERAT'],
};

/** The organisations (Fabric MSP ids) of the Medledger network. */
export const ORGANIZATIONS = [
  'HospitalAMSP',
  'HospitalBMSP',
  'InsurerMSP',
  'HealthAuthorityMSP',
  'ResearchMSP',
] as const;

/** FHIR R4 (4.0.1) resource type names. */
export const R4_RESOURCE_TYPES: ReadonlySet<string> = new Set(
  (
    'Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic ' +
    'Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam CatalogEntry ' +
    'ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem Communication ' +
    'CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent Contract Coverage ' +
    'CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric ' +
    'DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis ' +
    'Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence ' +
    'EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal GraphDefinition Group ' +
    'GuidanceResponse HealthcareService ImagingStudy Immunization ImmunizationEvaluation ' +
    'ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice Library Linkage List Location Measure ' +
    'MeasureReport Media Medication MedicationAdministration MedicationDispense MedicationKnowledge ' +
    'MedicationRequest MedicationStatement MedicinalProduct MedicinalProductAuthorization ' +
    'MedicinalProductContraindication MedicinalProductIndication MedicinalProductIngredient ' +
    'MedicinalProductInteraction MedicinalProductManufactured MedicinalProductPackaged ' +
    'MedicinalProductPharmaceutical MedicinalProductUndesirableEffect MessageDefinition MessageHeader ' +
    'MolecularSequence NamingSystem NutritionOrder Observation ObservationDefinition OperationDefinition ' +
    'OperationOutcome Organization OrganizationAffiliation Parameters Patient PaymentNotice ' +
    'PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire ' +
    'QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy ' +
    'ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen ' +
    'SpecimenDefinition StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid ' +
    'SubstancePolymer SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial ' +
    'SubstanceSpecification SupplyDelivery SupplyRequest Task TerminologyCapabilities TestReport TestScript ' +
    'ValueSet VerificationResult VisionPrescription'
  ).split(' '),
);

/**
 * Resource types that are not clinical records of a patient and so cannot be registered as one: the consent and audit
 * machinery lives on the ledger itself, and a Patient resource (names, addresses) never leaves the custodian.
 */
export const NON_RECORD_TYPES: ReadonlySet<string> = new Set([
  'AuditEvent',
  'Bundle',
  'Consent',
  'OperationOutcome',
  'Parameters',
  'Patient',
  'Person',
  'RelatedPerson',
]);

export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
