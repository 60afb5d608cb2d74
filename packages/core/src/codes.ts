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
} as const;

export const CONSENT_CATEGORY_LOINC = '59284-0';

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
