import {
  CONFIDENTIALITY_ORDER,
  HRESCH_SPECIALISATIONS,
  NON_RECORD_TYPES,
  PURPOSES,
  R4_RESOURCE_TYPES,
  SENSITIVITY_CODES,
  SYSTEMS,
} from './codes.js';
import type { Purpose } from './codes.js';
import type { Coding } from './consent-model.js';
import { parseCoding } from './consent-fhir.js';
import { fhirInstantRange } from './fhir-time.js';
import {
  expectArray,
  expectOneOf,
  expectPositiveNumber,
  expectString,
  invalid,
  onlyKnownKeys,
  optionalArray,
  optionalString,
  parseJsonObject,
  PATTERNS,
  uniqueSorted,
} from './validate.js';

/** Coded reasons for an access request; free text stays off-chain (only its hash may be given). */
export const ACCESS_REASON_CODES = [
  'referral',
  'continuity-of-care',
  'second-opinion',
  'payment-claim',
  'prior-authorization',
  'research-study',
  'public-health-report',
] as const;

/** Coded reasons for break-glass, besides the off-chain free text. */
export const EMERGENCY_REASON_CODES = ['unconscious-patient', 'life-threatening', 'urgent-care', 'other'] as const;

const RECORD_CATEGORY = /^[a-z][a-z0-9-]{0,39}$/;
const RELATED_REFERENCE = /^(Encounter|CarePlan|EpisodeOfCare)\/[A-Za-z0-9\-.]{1,64}$/;

function resourceType(value: unknown, where: string): string {
  const type = expectString(value, /^[A-Z][A-Za-z]{1,63}$/, where);
  if (!R4_RESOURCE_TYPES.has(type)) throw invalid(`${where} is not an R4 resource type`);
  return type;
}

function resourceTypes(value: unknown, where: string): string[] {
  return uniqueSorted(optionalArray(value, where, 150).map((item, i) => resourceType(item, `${where}[${i}]`)));
}

function codings(value: unknown, where: string, maxItems: number): Coding[] {
  const list = optionalArray(value, where, maxItems).map((item, i) => parseCoding(item, `${where}[${i}]`));
  const seen = new Map(list.map((coding) => [`${coding.system}|${coding.code}`, coding]));
  return [...seen.keys()].sort().map((key) => seen.get(key) as Coding);
}

function sensitiveLabels(value: unknown, where: string): Coding[] {
  const labels = codings(value, where, 20);
  for (const label of labels) {
    if (label.system !== SYSTEMS.actCode || !(SENSITIVITY_CODES as readonly string[]).includes(label.code)) {
      throw invalid(`${where} may list only v3-ActCode sensitivity codes`);
    }
  }
  return labels;
}

function fhirDateTime(value: unknown, where: string): string | undefined {
  const text = optionalString(value, PATTERNS.fhirDateTime, where);
  if (text !== undefined) fhirInstantRange(text, where);
  return text;
}

/** Record labels: any sensitivity code; confidentiality codes must be real v3-Confidentiality levels. */
function recordSecurityLabels(value: unknown): Coding[] {
  const labels = codings(value, 'securityLabels', 20);
  for (const label of labels) {
    if (
      label.system === SYSTEMS.confidentiality &&
      !(CONFIDENTIALITY_ORDER as readonly string[]).includes(label.code)
    ) {
      throw invalid('securityLabels has an unknown v3-Confidentiality code');
    }
  }
  return labels;
}

export interface RegisterPatientInput {
  /** The patient's login uid at the caller's CA; omitted when a patient registers themself. */
  readonly patientUid?: string;
}

export function parseRegisterPatient(text: string): RegisterPatientInput {
  const input = parseJsonObject(text, 'RegisterPatient input');
  onlyKnownKeys(input, ['patientUid'], 'RegisterPatient input');
  const patientUid = optionalString(input.patientUid, PATTERNS.patientUid, 'patientUid (pu- and 32 hex digits)');
  return patientUid === undefined ? {} : { patientUid };
}

export interface RegisterRecordInput {
  readonly recordId: string;
  readonly patientId: string;
  readonly resourceType: string;
  readonly category: string;
  readonly securityLabels: readonly Coding[];
  readonly codes: readonly Coding[];
  readonly clinicalDate?: string;
  readonly related: readonly string[];
  readonly ciphertextSha256: string;
  readonly plaintextHmac: string;
  readonly supersedes?: string;
}

export function parseRegisterRecord(text: string): RegisterRecordInput {
  const input = parseJsonObject(text, 'RegisterRecord input');
  onlyKnownKeys(
    input,
    [
      'recordId',
      'patientId',
      'resourceType',
      'category',
      'securityLabels',
      'codes',
      'clinicalDate',
      'related',
      'ciphertextSha256',
      'plaintextHmac',
      'supersedes',
    ],
    'RegisterRecord input',
  );
  const type = resourceType(input.resourceType, 'resourceType');
  if (NON_RECORD_TYPES.has(type)) throw invalid(`${type} cannot be registered as a patient record`);
  const clinicalDate = fhirDateTime(input.clinicalDate, 'clinicalDate');
  const supersedes = optionalString(input.supersedes, PATTERNS.fhirId, 'supersedes');
  return {
    recordId: expectString(input.recordId, PATTERNS.fhirId, 'recordId'),
    patientId: expectString(input.patientId, PATTERNS.fhirId, 'patientId'),
    resourceType: type,
    category: expectString(input.category, RECORD_CATEGORY, 'category'),
    securityLabels: recordSecurityLabels(input.securityLabels),
    codes: codings(input.codes, 'codes', 20),
    ...(clinicalDate === undefined ? {} : { clinicalDate }),
    related: uniqueSorted(
      optionalArray(input.related, 'related', 20).map((item, i) =>
        expectString(item, RELATED_REFERENCE, `related[${i}]`),
      ),
    ),
    ciphertextSha256: expectString(input.ciphertextSha256, PATTERNS.sha256Hex, 'ciphertextSha256'),
    plaintextHmac: expectString(input.plaintextHmac, PATTERNS.sha256Hex, 'plaintextHmac'),
    ...(supersedes === undefined ? {} : { supersedes }),
  };
}

export type Interaction = 'read' | 'vread' | 'search';

export interface AuthorizeAccessInput {
  readonly patientId: string;
  readonly purpose: Purpose;
  /** Restrict to these resource types; empty means all. */
  readonly resourceTypes: readonly string[];
  /** Restrict to these record ids; empty means all of the selected types. */
  readonly recordIds: readonly string[];
  readonly interaction: Interaction;
  readonly studyId?: string;
  /** The X-Request-Id of the API call, for the audit trail. */
  readonly requestId?: string;
}

export function parseAuthorizeAccess(text: string): AuthorizeAccessInput {
  const input = parseJsonObject(text, 'AuthorizeAccess input');
  onlyKnownKeys(
    input,
    ['patientId', 'purpose', 'resourceTypes', 'recordIds', 'interaction', 'studyId', 'requestId'],
    'AuthorizeAccess input',
  );
  const studyId = optionalString(input.studyId, PATTERNS.fhirId, 'studyId');
  const requestId = optionalString(input.requestId, PATTERNS.requestId, 'requestId');
  return {
    patientId: expectString(input.patientId, PATTERNS.fhirId, 'patientId'),
    purpose: expectOneOf(input.purpose, PURPOSES, 'purpose'),
    resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes'),
    recordIds: uniqueSorted(
      optionalArray(input.recordIds, 'recordIds', 1000).map((item, i) =>
        expectString(item, PATTERNS.fhirId, `recordIds[${i}]`),
      ),
    ),
    interaction:
      input.interaction === undefined
        ? 'search'
        : expectOneOf(input.interaction, ['read', 'vread', 'search'] as const, 'interaction'),
    ...(studyId === undefined ? {} : { studyId }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export interface AuthorizeCohortInput {
  readonly patientIds: readonly string[];
  readonly purpose: 'HRESCH' | 'PUBHLTH';
  readonly resourceTypes: readonly string[];
  readonly studyId?: string;
  readonly requestId?: string;
}

export function parseAuthorizeCohort(text: string): AuthorizeCohortInput {
  const input = parseJsonObject(text, 'AuthorizeCohort input');
  onlyKnownKeys(input, ['patientIds', 'purpose', 'resourceTypes', 'studyId', 'requestId'], 'AuthorizeCohort input');
  const studyId = optionalString(input.studyId, PATTERNS.fhirId, 'studyId');
  const requestId = optionalString(input.requestId, PATTERNS.requestId, 'requestId');
  const purpose = expectOneOf(input.purpose, ['HRESCH', 'PUBHLTH'] as const, 'purpose');
  if (purpose === 'HRESCH' && studyId === undefined) throw invalid('studyId is required for HRESCH');
  const patientIds = uniqueSorted(
    expectArray(input.patientIds, 'patientIds', 500).map((item, i) =>
      expectString(item, PATTERNS.fhirId, `patientIds[${i}]`),
    ),
  );
  if (patientIds.length === 0) throw invalid('patientIds must not be empty');
  return {
    patientIds,
    purpose,
    resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes'),
    ...(studyId === undefined ? {} : { studyId }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export interface RequestAccessInput {
  readonly patientId: string;
  readonly purpose: Purpose;
  readonly resourceTypes: readonly string[];
  readonly sensitiveLabels: readonly Coding[];
  readonly periodEnd?: string;
  readonly reasonCode: (typeof ACCESS_REASON_CODES)[number];
  readonly reasonHash?: string;
  readonly studyId?: string;
}

export function parseRequestAccess(text: string): RequestAccessInput {
  const input = parseJsonObject(text, 'RequestAccess input');
  onlyKnownKeys(
    input,
    ['patientId', 'purpose', 'resourceTypes', 'sensitiveLabels', 'periodEnd', 'reasonCode', 'reasonHash', 'studyId'],
    'RequestAccess input',
  );
  const periodEnd = fhirDateTime(input.periodEnd, 'periodEnd');
  const reasonHash = optionalString(input.reasonHash, PATTERNS.sha256Hex, 'reasonHash');
  const studyId = optionalString(input.studyId, PATTERNS.fhirId, 'studyId');
  return {
    patientId: expectString(input.patientId, PATTERNS.fhirId, 'patientId'),
    purpose: expectOneOf(input.purpose, PURPOSES, 'purpose'),
    resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes'),
    sensitiveLabels: sensitiveLabels(input.sensitiveLabels, 'sensitiveLabels'),
    ...(periodEnd === undefined ? {} : { periodEnd }),
    reasonCode: expectOneOf(input.reasonCode, ACCESS_REASON_CODES, 'reasonCode'),
    ...(reasonHash === undefined ? {} : { reasonHash }),
    ...(studyId === undefined ? {} : { studyId }),
  };
}

export interface RespondToAccessRequestInput {
  readonly requestId: string;
  readonly decision: 'approve' | 'deny';
  /** A narrower set of resource types than requested. */
  readonly resourceTypes?: readonly string[];
  readonly sensitiveLabels?: readonly Coding[];
  readonly periodEnd?: string;
}

export function parseRespondToAccessRequest(text: string): RespondToAccessRequestInput {
  const input = parseJsonObject(text, 'RespondToAccessRequest input');
  onlyKnownKeys(
    input,
    ['requestId', 'decision', 'resourceTypes', 'sensitiveLabels', 'periodEnd'],
    'RespondToAccessRequest input',
  );
  const periodEnd = fhirDateTime(input.periodEnd, 'periodEnd');
  return {
    requestId: expectString(input.requestId, PATTERNS.fhirId, 'requestId'),
    decision: expectOneOf(input.decision, ['approve', 'deny'] as const, 'decision'),
    ...(input.resourceTypes === undefined
      ? {}
      : { resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes') }),
    ...(input.sensitiveLabels === undefined
      ? {}
      : { sensitiveLabels: sensitiveLabels(input.sensitiveLabels, 'sensitiveLabels') }),
    ...(periodEnd === undefined ? {} : { periodEnd }),
  };
}

export interface BreakGlassInput {
  readonly patientId: string;
  readonly reasonHash: string;
  readonly reasonCode: (typeof EMERGENCY_REASON_CODES)[number];
}

export function parseBreakGlass(text: string): BreakGlassInput {
  const input = parseJsonObject(text, 'BreakGlass input');
  onlyKnownKeys(input, ['patientId', 'reasonHash', 'reasonCode'], 'BreakGlass input');
  return {
    patientId: expectString(input.patientId, PATTERNS.fhirId, 'patientId'),
    reasonHash: expectString(
      input.reasonHash,
      PATTERNS.sha256Hex,
      'reasonHash (SHA-256 of the reason, which is required)',
    ),
    reasonCode:
      input.reasonCode === undefined ? 'other' : expectOneOf(input.reasonCode, EMERGENCY_REASON_CODES, 'reasonCode'),
  };
}

export interface ReviewEmergencyInput {
  readonly grantId: string;
  readonly patientId: string;
  readonly outcome: 'justified' | 'unjustified';
  readonly noteHash?: string;
}

export function parseReviewEmergency(text: string): ReviewEmergencyInput {
  const input = parseJsonObject(text, 'ReviewEmergencyAccess input');
  onlyKnownKeys(input, ['grantId', 'patientId', 'outcome', 'noteHash'], 'ReviewEmergencyAccess input');
  const noteHash = optionalString(input.noteHash, PATTERNS.sha256Hex, 'noteHash');
  return {
    grantId: expectString(input.grantId, PATTERNS.fhirId, 'grantId'),
    patientId: expectString(input.patientId, PATTERNS.fhirId, 'patientId'),
    outcome: expectOneOf(input.outcome, ['justified', 'unjustified'] as const, 'outcome'),
    ...(noteHash === undefined ? {} : { noteHash }),
  };
}

export interface ProposeStudyInput {
  readonly purpose: string;
  readonly resourceTypes: readonly string[];
  readonly protocolHash: string;
  readonly epsilonBudget: number;
  readonly periodEnd?: string;
}

/** A study runs under HRESCH or one of its specialisations. */
export const STUDY_PURPOSES = ['HRESCH', ...HRESCH_SPECIALISATIONS] as const;

/** Largest total epsilon a study may ask for; beyond this differential privacy protects next to nothing. */
export const MAX_STUDY_EPSILON = 10;

export function parseProposeStudy(text: string): ProposeStudyInput {
  const input = parseJsonObject(text, 'ProposeStudy input');
  onlyKnownKeys(
    input,
    ['purpose', 'resourceTypes', 'protocolHash', 'epsilonBudget', 'periodEnd'],
    'ProposeStudy input',
  );
  const types = resourceTypes(input.resourceTypes, 'resourceTypes');
  if (types.length === 0) throw invalid('resourceTypes must name the data the study needs');
  const periodEnd = fhirDateTime(input.periodEnd, 'periodEnd');
  return {
    purpose: input.purpose === undefined ? 'HRESCH' : expectOneOf(input.purpose, STUDY_PURPOSES, 'purpose'),
    resourceTypes: types,
    protocolHash: expectString(input.protocolHash, PATTERNS.sha256Hex, 'protocolHash'),
    epsilonBudget: expectPositiveNumber(input.epsilonBudget, 'epsilonBudget', MAX_STUDY_EPSILON),
    ...(periodEnd === undefined ? {} : { periodEnd }),
  };
}

/** Converts epsilon to integer micro-units, so balances are exact on every peer. */
export function toMicroEpsilon(epsilon: number): number {
  return Math.round(epsilon * 1_000_000);
}
