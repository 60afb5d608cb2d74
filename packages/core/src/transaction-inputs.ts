import {
  HRESCH_SPECIALISATIONS,
  NON_RECORD_TYPES,
  PURPOSES,
  R4_RESOURCE_TYPES,
  RECORD_CATEGORIES,
  SENSITIVITY_CODES,
  SYSTEMS,
} from './codes.js';
import type { Purpose, RecordCategory } from './codes.js';
import type { Coding } from './consent-model.js';
import { clinicalCode, parseCoding, parseSecurityLabel } from './consent-fhir.js';
import { fhirInstantRange } from './fhir-time.js';
import { DomainError, isDomainError } from './errors.js';
import {
  expectArray,
  expectObject,
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
import type { JsonObject } from './validate.js';

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

function resourceType(value: unknown, where: string): string {
  const type = expectString(value, /^[A-Z][A-Za-z]{1,63}$/, where);
  if (!R4_RESOURCE_TYPES.has(type)) throw invalid(`${where} is not an R4 resource type`);
  return type;
}

/** A list of ids of one kind, sorted and de-duplicated. */
function ids(value: unknown, pattern: RegExp, where: string, maxItems: number, required = false): string[] {
  const list = required ? expectArray(value, where, maxItems) : optionalArray(value, where, maxItems);
  return uniqueSorted(list.map((item, i) => expectString(item, pattern, `${where}[${i}]`)));
}

function resourceTypes(value: unknown, where: string): string[] {
  return uniqueSorted(optionalArray(value, where, 150).map((item, i) => resourceType(item, `${where}[${i}]`)));
}

function codings(
  value: unknown,
  where: string,
  maxItems: number,
  parse: (item: unknown, where: string) => Coding = parseCoding,
): Coding[] {
  const list = optionalArray(value, where, maxItems).map((item, i) => parse(item, `${where}[${i}]`));
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

/** Record codes: codes of the clinical code systems only (an identifier or a name is not a code). */
function clinicalCodings(value: unknown, where: string): Coding[] {
  return codings(value, where, 20, (item, at) => clinicalCode(parseCoding(item, at), at));
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
  readonly category: RecordCategory;
  readonly securityLabels: readonly Coding[];
  readonly codes: readonly Coding[];
  readonly clinicalDate?: string;
  readonly related: readonly string[];
  readonly ciphertextSha256: string;
  readonly plaintextHmac: string;
  readonly supersedes?: string;
}

export function parseRegisterRecord(text: string): RegisterRecordInput {
  return registerRecordInput(parseJsonObject(text, 'RegisterRecord input'), 'RegisterRecord input');
}

/** One record to register, from a parsed JSON object (`what` names it in messages). */
function registerRecordInput(input: JsonObject, what: string): RegisterRecordInput {
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
    what,
  );
  const type = resourceType(input.resourceType, 'resourceType');
  if (NON_RECORD_TYPES.has(type)) throw invalid('resourceType cannot be registered as a patient record');
  const clinicalDate = fhirDateTime(input.clinicalDate, 'clinicalDate');
  const supersedes = optionalString(input.supersedes, PATTERNS.recordId, 'supersedes');
  return {
    recordId: expectString(input.recordId, PATTERNS.recordId, 'recordId'),
    patientId: expectString(input.patientId, PATTERNS.patientId, 'patientId'),
    resourceType: type,
    category: expectOneOf(input.category, RECORD_CATEGORIES, 'category'),
    securityLabels: codings(input.securityLabels, 'securityLabels', 20, parseSecurityLabel),
    codes: clinicalCodings(input.codes, 'codes'),
    ...(clinicalDate === undefined ? {} : { clinicalDate }),
    related: ids(input.related, PATTERNS.relatedReference, 'related', 20),
    ciphertextSha256: expectString(input.ciphertextSha256, PATTERNS.sha256Hex, 'ciphertextSha256'),
    plaintextHmac: expectString(input.plaintextHmac, PATTERNS.sha256Hex, 'plaintextHmac'),
    ...(supersedes === undefined ? {} : { supersedes }),
  };
}

/** The most audit events one `GetAuditTrail` page holds (and `MigrateAuditIndexes` moves). */
export const MAX_AUDIT_PAGE = 500;

/** The most records one `RegisterRecords` transaction registers. */
export const MAX_BATCH_RECORDS = 500;

/**
 * The largest `RegisterRecords` argument (characters): 500 records of up to about 4 KiB each. A fully loaded record
 * (20 codes, 20 labels, 20 related) is larger, so a client sizes its batches by bytes as well as by count.
 */
export const MAX_BATCH_INPUT_CHARS = 2 * 1024 * 1024;

export interface RegisterRecordsInput {
  /** 1 to MAX_BATCH_RECORDS records, each as for RegisterRecord, in the order they are registered. */
  readonly records: readonly RegisterRecordInput[];
}

/**
 * Names the batch item a DomainError is about (`records[2]: …`), keeping its code; other errors pass unchanged. The
 * message is the item's own, so it says no more than registering that item alone would.
 */
export function batchItemError(index: number, err: unknown): unknown {
  if (!isDomainError(err)) return err;
  return new DomainError(err.code, `records[${String(index)}]: ${err.message}`, {
    cause: err,
    ...(err.details === undefined ? {} : { details: err.details }),
  });
}

/**
 * `{"records": [<RegisterRecord input>, …]}`: 1 to 500 records, possibly of different patients. Each record id is
 * named once in a batch, as `recordId` or `supersedes`: a transaction does not read its own writes, so a record that
 * superseded or duplicated another item of the same batch could not be checked against it.
 */
export function parseRegisterRecords(text: string): RegisterRecordsInput {
  const input = parseJsonObject(text, 'RegisterRecords input', MAX_BATCH_INPUT_CHARS);
  onlyKnownKeys(input, ['records'], 'RegisterRecords input');
  const items = expectArray(input.records, 'records', MAX_BATCH_RECORDS);
  if (items.length === 0) throw invalid('records must list at least one record');
  const named = new Map<string, number>();
  const records = items.map((item, index) => {
    try {
      const record = registerRecordInput(expectObject(item, 'the record'), 'the record');
      const recordIds = record.supersedes === undefined ? [record.recordId] : [record.recordId, record.supersedes];
      const earlier = recordIds.map((id) => named.get(id)).find((at) => at !== undefined);
      if (earlier !== undefined) {
        throw invalid(`names a record (recordId or supersedes) that records[${String(earlier)}] names too`);
      }
      for (const id of recordIds) named.set(id, index);
      return record;
    } catch (err: unknown) {
      throw batchItemError(index, err);
    }
  });
  return { records };
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
  const studyId = optionalString(input.studyId, PATTERNS.studyId, 'studyId');
  const requestId = optionalString(input.requestId, PATTERNS.requestId, 'requestId');
  return {
    patientId: expectString(input.patientId, PATTERNS.patientId, 'patientId'),
    purpose: expectOneOf(input.purpose, PURPOSES, 'purpose'),
    resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes'),
    recordIds: ids(input.recordIds, PATTERNS.recordId, 'recordIds', 1000),
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
  /** The approved study (HRESCH) or surveillance programme (PUBHLTH) the cohort is drawn under. */
  readonly studyId: string;
  readonly requestId?: string;
}

export function parseAuthorizeCohort(text: string): AuthorizeCohortInput {
  const input = parseJsonObject(text, 'AuthorizeCohort input');
  onlyKnownKeys(input, ['patientIds', 'purpose', 'resourceTypes', 'studyId', 'requestId'], 'AuthorizeCohort input');
  const studyId = optionalString(input.studyId, PATTERNS.studyId, 'studyId');
  const requestId = optionalString(input.requestId, PATTERNS.requestId, 'requestId');
  const purpose = expectOneOf(input.purpose, ['HRESCH', 'PUBHLTH'] as const, 'purpose');
  // Every cohort is drawn under a study or public-health programme: its approval, team and privacy budget.
  if (studyId === undefined) throw invalid(`studyId is required for ${purpose} (the study or programme)`);
  const patientIds = ids(input.patientIds, PATTERNS.patientId, 'patientIds', 500, true);
  if (patientIds.length === 0) throw invalid('patientIds must not be empty');
  return {
    patientIds,
    purpose,
    resourceTypes: resourceTypes(input.resourceTypes, 'resourceTypes'),
    studyId,
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
  const studyId = optionalString(input.studyId, PATTERNS.studyId, 'studyId');
  return {
    patientId: expectString(input.patientId, PATTERNS.patientId, 'patientId'),
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
    requestId: expectString(input.requestId, PATTERNS.accessRequestId, 'requestId'),
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
    patientId: expectString(input.patientId, PATTERNS.patientId, 'patientId'),
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
    grantId: expectString(input.grantId, PATTERNS.grantId, 'grantId'),
    patientId: expectString(input.patientId, PATTERNS.patientId, 'patientId'),
    outcome: expectOneOf(input.outcome, ['justified', 'unjustified'] as const, 'outcome'),
    ...(noteHash === undefined ? {} : { noteHash }),
  };
}

export interface RevokeEmergencyInput {
  readonly grantId: string;
}

/** `{"grantId"}`: the grant is looked up under the calling patient's own id, so no patient id is passed. */
export function parseRevokeEmergency(text: string): RevokeEmergencyInput {
  const input = parseJsonObject(text, 'RevokeEmergencyAccess input');
  onlyKnownKeys(input, ['grantId'], 'RevokeEmergencyAccess input');
  return { grantId: expectString(input.grantId, PATTERNS.grantId, 'grantId') };
}

export interface ProposeStudyInput {
  readonly purpose: string;
  readonly resourceTypes: readonly string[];
  readonly protocolHash: string;
  readonly epsilonBudget: number;
  /** Total δ the study's Gaussian releases may spend; DEFAULT_STUDY_DELTA when absent. */
  readonly deltaBudget?: number;
  readonly periodEnd?: string;
}

/**
 * A research study runs under HRESCH or one of its specialisations; a public-health surveillance programme runs under
 * PUBHLTH (proposed by the public-health role; it holds the epsilon budget of that agency's DP aggregates).
 */
export const STUDY_PURPOSES = ['HRESCH', ...HRESCH_SPECIALISATIONS, 'PUBHLTH'] as const;

/** The role that proposes, reads and spends the budget of a study with this purpose. */
export function studyOwnerRole(purpose: string): 'researcher' | 'public-health' {
  return purpose === 'PUBHLTH' ? 'public-health' : 'researcher';
}

/** Largest total epsilon a study may ask for; beyond this differential privacy protects next to nothing. */
export const MAX_STUDY_EPSILON = 10;

export function parseProposeStudy(text: string): ProposeStudyInput {
  const input = parseJsonObject(text, 'ProposeStudy input');
  onlyKnownKeys(
    input,
    ['purpose', 'resourceTypes', 'protocolHash', 'epsilonBudget', 'deltaBudget', 'periodEnd'],
    'ProposeStudy input',
  );
  const types = resourceTypes(input.resourceTypes, 'resourceTypes');
  if (types.length === 0) throw invalid('resourceTypes must name the data the study needs');
  const periodEnd = fhirDateTime(input.periodEnd, 'periodEnd');
  return {
    purpose: input.purpose === undefined ? 'HRESCH' : expectOneOf(input.purpose, STUDY_PURPOSES, 'purpose'),
    resourceTypes: types,
    protocolHash: expectString(input.protocolHash, PATTERNS.sha256Hex, 'protocolHash'),
    epsilonBudget: expectEpsilon(input.epsilonBudget, 'epsilonBudget'),
    ...(input.deltaBudget === undefined ? {} : { deltaBudget: expectDelta(input.deltaBudget, 'deltaBudget') }),
    ...(periodEnd === undefined ? {} : { periodEnd }),
  };
}

/**
 * An epsilon in (0, MAX_STUDY_EPSILON] with at most six decimals: the ledger keeps whole micro-epsilons, and finer
 * digits would be rounded away here while staying in the block as part of the argument.
 * @throws DomainError INVALID_ARGUMENT otherwise
 */
export function expectEpsilon(value: unknown, what: string): number {
  const epsilon = expectPositiveNumber(value, what, MAX_STUDY_EPSILON);
  if (Math.abs(epsilon * 1_000_000 - toMicroEpsilon(epsilon)) > 1e-6) {
    throw invalid(`${what} may have at most six decimals (micro-epsilon)`);
  }
  return epsilon;
}

/** Largest δ of one release, and of a study's whole δ budget: beyond it (ε, δ)-DP protects next to nothing. */
export const MAX_DELTA = 1e-3;

/** A study's δ budget when its proposal names none: ten Gaussian releases at their default δ of 10⁻⁶. */
export const DEFAULT_STUDY_DELTA = 1e-5;

/**
 * A δ in (0, MAX_DELTA] that is a whole number of 10⁻¹² (the unit the ledger counts δ in).
 * @throws DomainError INVALID_ARGUMENT otherwise
 */
export function expectDelta(value: unknown, what: string): number {
  const delta = expectPositiveNumber(value, what, MAX_DELTA);
  // Exactly a whole number of units as written (what stays in the block is what is counted), and at least one.
  const units = toPicoDelta(delta);
  if (units < 1 || units / 1e12 !== delta) throw invalid(`${what} must be a whole multiple of 1e-12`);
  return delta;
}

/** Converts δ to integer 10⁻¹² units, so δ balances are exact on every peer. */
export function toPicoDelta(delta: number): number {
  return Math.round(delta * 1e12);
}

/** A study's δ budget in 10⁻¹² units (the default for studies proposed before δ was accounted). */
export function studyDeltaBudgetPico(study: { readonly deltaBudgetPico?: number }): number {
  return study.deltaBudgetPico ?? toPicoDelta(DEFAULT_STUDY_DELTA);
}

/** Converts epsilon to integer micro-units, so balances are exact on every peer. */
export function toMicroEpsilon(epsilon: number): number {
  return Math.round(epsilon * 1_000_000);
}
