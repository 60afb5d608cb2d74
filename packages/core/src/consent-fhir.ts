import {
  ACTOR_ROLES,
  CONSENT_ACTIONS,
  CONSENT_CATEGORY_CODES,
  CONSENT_CATEGORY_LOINC,
  CONSENT_PURPOSE_CODES,
  CONSENT_STATUSES,
  CONFIDENTIALITY_ORDER,
  HRESCH_SPECIALISATIONS,
  isClinicalCode,
  isOneOf,
  NON_RECORD_TYPES,
  POLICY_RULES,
  R4_RESOURCE_TYPES,
  ROLES,
  SENSITIVITY_CODES,
  SYSTEMS,
} from './codes.js';
import type { ConsentAction } from './codes.js';
import type {
  Coding,
  ConsentInput,
  ConsentRecord,
  DataMeaning,
  Period,
  Provision,
  ProvisionActor,
  ProvisionData,
} from './consent-model.js';
import { DomainError } from './errors.js';
import { fhirInstantRange } from './fhir-time.js';
import {
  expectArray,
  expectObject,
  expectOneOf,
  expectString,
  invalid,
  onlyKnownKeys,
  optionalArray,
  optionalString,
  PATTERNS,
  uniqueSorted,
} from './validate.js';

const CONSENT_KEYS = ['resourceType', 'id', 'status', 'scope', 'category', 'patient', 'policyRule', 'provision'];
/**
 * Members a FHIR Consent may have but a ledger submission may not. The contract fills `dateTime` (transaction time),
 * `performer` (the caller) and `organization` (the home organisation) itself; the API layer strips the others. Each
 * would otherwise sit in every block as an argument, with whatever dates, names or identifiers it holds.
 */
const SERVER_FILLED_KEYS = ['meta', 'dateTime', 'performer', 'organization', 'sourceReference', 'policy'];
const PROVISION_KEYS = [
  'type',
  'period',
  'actor',
  'action',
  'purpose',
  'class',
  'code',
  'securityLabel',
  'dataPeriod',
  'data',
  'provision',
];
// Coding.version, Coding.userSelected and Reference.type have no use on the ledger, so they are not accepted either.
const CODING_KEYS = ['system', 'code'];
const CONCEPT_KEYS = ['coding'];
const REFERENCE_KEYS = ['reference'];
/**
 * Free-text and extension members. Transaction arguments are kept in every block, so a consent carrying them would put
 * whatever they hold on the ledger forever: the API layer strips them (and keeps extensions off-chain) before submitting.
 */
const FREE_TEXT_KEYS = ['display', 'text', 'note', 'extension', 'contained', 'sourceAttachment'];

/** Member names of the accepted shape; any other name is input and is not repeated in an error message. */
const MEMBER_NAMES: ReadonlySet<string> = new Set([
  ...CONSENT_KEYS,
  ...SERVER_FILLED_KEYS,
  ...PROVISION_KEYS,
  ...CODING_KEYS,
  ...CONCEPT_KEYS,
  ...REFERENCE_KEYS,
  ...FREE_TEXT_KEYS,
  'modifierExtension',
  'start',
  'end',
  'role',
  'meaning',
]);

const RECORD_REFERENCE = /^([A-Z][A-Za-z]{1,63})\/r-[0-9a-f]{24}$/;

/**
 * Whether `reference` is one of the identities a caller's certificate gives (FHIR-CONVENTIONS §0):
 * `Practitioner/{uid}`, `Organization/{MSP}`, `Group/{MSP}-{role}`, or a pseudonymous `Patient/pt-…`.
 */
export function isActorReference(reference: string): boolean {
  const slash = reference.indexOf('/');
  const type = reference.slice(0, slash);
  const id = reference.slice(slash + 1);
  switch (type) {
    case 'Practitioner':
      return PATTERNS.uid.test(id);
    case 'Organization':
      return PATTERNS.mspId.test(id);
    case 'Group':
      return ROLES.some((role) => id.endsWith(`-${role}`) && PATTERNS.mspId.test(id.slice(0, -role.length - 1)));
    case 'Patient':
      return PATTERNS.patientId.test(id);
    default:
      return false;
  }
}

/** A provision.data reference: a record (`{type}/r-…`), an Encounter, CarePlan or EpisodeOfCare, or an author. */
function isDataReference(meaning: DataMeaning, reference: string): boolean {
  switch (meaning) {
    case 'instance': {
      const type = RECORD_REFERENCE.exec(reference)?.[1] ?? '';
      return R4_RESOURCE_TYPES.has(type) && !NON_RECORD_TYPES.has(type);
    }
    case 'related':
      return PATTERNS.relatedReference.test(reference);
    case 'authoredby':
      // A record's author is always the Practitioner/{uid} of the clinician who registered it.
      return reference.startsWith('Practitioner/') && isActorReference(reference);
  }
}

/**
 * Validates a FHIR R4 Consent as submitted to the ledger (FHIR-CONVENTIONS.md §1) and reduces it to its
 * decision-relevant, code-only form. Everything a consent may carry is a code, a pseudonymous id or a date: free text,
 * extensions, the members the contract fills itself, codes outside the allowed systems and references other than
 * the caller identities are rejected, never dropped, because the submitted text stays in the block.
 * @throws DomainError INVALID_ARGUMENT for a malformed consent, UNPROCESSABLE for a modifierExtension.
 */
export function parseFhirConsent(resource: unknown): ConsentInput {
  const consent = expectObject(resource, 'Consent');
  if (consent.resourceType !== 'Consent') throw invalid('resourceType must be Consent');
  scanMembers(consent, 'Consent', 0);
  const serverFilled = SERVER_FILLED_KEYS.filter((key) => key in consent);
  if (serverFilled.length > 0) {
    throw invalid(
      `Consent: ${serverFilled.join(', ')} cannot be submitted to the ledger ` +
        '(the contract records time, performer and organization; the API strips the rest)',
    );
  }
  onlyKnownKeys(consent, CONSENT_KEYS, 'Consent');
  const id = optionalString(consent.id, PATTERNS.consentId, 'Consent.id');
  const status = expectOneOf(consent.status, CONSENT_STATUSES, 'Consent.status');
  codedConcept(consent.scope, SYSTEMS.consentScope, ['patient-privacy'], 'Consent.scope');
  parseCategories(consent.category);
  const patientId = parsePatientReference(consent.patient);
  const policyRule = codedConcept(consent.policyRule, SYSTEMS.actCode, POLICY_RULES, 'Consent.policyRule');
  const provision = parseProvision(consent.provision, 'Consent.provision', 0);
  return { ...(id === undefined ? {} : { id }), status, policyRule, patientId, provision };
}

/** Consent.category: LOINC 59284-0 (required) and, besides it, only the listed consentcategorycodes. */
function parseCategories(value: unknown): void {
  const codings = expectArray(value, 'Consent.category', 10).flatMap((category, i) =>
    conceptCodings(category, `Consent.category[${i}]`),
  );
  const isPrivacyConsent = (coding: Coding): boolean =>
    coding.system === SYSTEMS.loinc && coding.code === CONSENT_CATEGORY_LOINC;
  const isListedCategory = (coding: Coding): boolean =>
    coding.system === SYSTEMS.consentCategory && isOneOf(CONSENT_CATEGORY_CODES, coding.code);
  if (!codings.every((coding) => isPrivacyConsent(coding) || isListedCategory(coding))) {
    throw invalid(
      `Consent.category may hold only LOINC ${CONSENT_CATEGORY_LOINC} and consentcategorycodes ` +
        CONSENT_CATEGORY_CODES.join(', '),
    );
  }
  if (!codings.some(isPrivacyConsent)) throw invalid(`Consent.category must include LOINC ${CONSENT_CATEGORY_LOINC}`);
}

function parsePatientReference(value: unknown): string {
  const reference = expectObject(value, 'Consent.patient');
  onlyKnownKeys(reference, REFERENCE_KEYS, 'Consent.patient');
  const text = expectString(reference.reference, /^Patient\/pt-[0-9a-f]{24}$/, 'Consent.patient.reference');
  return text.slice('Patient/'.length);
}

/**
 * Walks the whole resource first: any modifierExtension changes the meaning of its element, so the consent cannot be
 * enforced (422); free text and extensions are refused anywhere (400).
 */
function scanMembers(value: unknown, where: string, depth: number): void {
  if (depth > 12) throw invalid(`${where} is nested too deeply`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      scanMembers(item, `${where}[${i}]`, depth + 1);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    if (key === 'modifierExtension') {
      throw new DomainError('UNPROCESSABLE', `${where}.modifierExtension is not understood by Medledger`);
    }
    scanMembers(member, `${where}.${MEMBER_NAMES.has(key) ? key : '(unsupported element)'}`, depth + 1);
  }
  const freeText = Object.keys(value).filter((key) => FREE_TEXT_KEYS.includes(key));
  if (freeText.length > 0) {
    throw invalid(`${where}: free text and extensions are not accepted on the ledger (${freeText.sort().join(', ')})`);
  }
}

function parseProvision(value: unknown, where: string, depth: number): Provision {
  const source = expectObject(value, where);
  onlyKnownKeys(source, PROVISION_KEYS, where);
  if (source.type === undefined)
    throw invalid(`${where}.type is required (Medledger rejects a provision without a type)`);
  const type = expectOneOf(source.type, ['permit', 'deny'] as const, `${where}.type`);
  const children = optionalArray(source.provision, `${where}.provision`, 50);
  if (depth >= 1 && children.length > 0)
    throw invalid(`${where}.provision: at most two levels of provisions are allowed`);
  const period = parsePeriod(source.period, `${where}.period`);
  const dataPeriod = parsePeriod(source.dataPeriod, `${where}.dataPeriod`);
  return {
    type,
    ...(period ? { period } : {}),
    actor: sortBy(
      optionalArray(source.actor, `${where}.actor`).map((item, i) => parseActor(item, `${where}.actor[${i}]`)),
    ),
    action: uniqueSorted<ConsentAction>(
      optionalArray(source.action, `${where}.action`).map((item, i) =>
        codedConcept(item, SYSTEMS.consentAction, CONSENT_ACTIONS, `${where}.action[${i}]`),
      ),
    ),
    purpose: uniqueSorted(
      optionalArray(source.purpose, `${where}.purpose`).map((item, i) => parsePurpose(item, `${where}.purpose[${i}]`)),
    ),
    class: uniqueSorted(
      optionalArray(source.class, `${where}.class`).map((item, i) => parseClass(item, `${where}.class[${i}]`)),
    ),
    code: sortBy(
      optionalArray(source.code, `${where}.code`).flatMap((item, i) =>
        conceptCodings(item, `${where}.code[${i}]`).map((coding, j) =>
          clinicalCode(coding, `${where}.code[${i}].coding[${j}]`),
        ),
      ),
    ),
    securityLabel: sortBy(
      optionalArray(source.securityLabel, `${where}.securityLabel`).map((item, i) =>
        parseSecurityLabel(item, `${where}.securityLabel[${i}]`),
      ),
    ),
    ...(dataPeriod ? { dataPeriod } : {}),
    data: sortBy(optionalArray(source.data, `${where}.data`).map((item, i) => parseData(item, `${where}.data[${i}]`))),
    provision: children.map((child, i) => parseProvision(child, `${where}.provision[${i}]`, depth + 1)),
  };
}

function parsePeriod(value: unknown, where: string): Period | undefined {
  if (value === undefined) return undefined;
  const period = expectObject(value, where);
  onlyKnownKeys(period, ['start', 'end'], where);
  const start = optionalString(period.start, PATTERNS.fhirDateTime, `${where}.start`);
  const end = optionalString(period.end, PATTERNS.fhirDateTime, `${where}.end`);
  if (
    start !== undefined &&
    end !== undefined &&
    fhirInstantRange(start, where).start > fhirInstantRange(end, where).end
  ) {
    throw invalid(`${where}.start is after ${where}.end`);
  }
  if (start === undefined && end === undefined) return undefined;
  return { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) };
}

function parseActor(value: unknown, where: string): ProvisionActor {
  const actor = expectObject(value, where);
  onlyKnownKeys(actor, ['role', 'reference'], where);
  if (actor.role === undefined || actor.reference === undefined)
    throw invalid(`${where} needs both role and reference`);
  const role = codedConcept(actor.role, SYSTEMS.participationType, ACTOR_ROLES, `${where}.role`);
  const reference = referenceOf(actor.reference, `${where}.reference`);
  if (!isActorReference(reference)) {
    throw invalid(
      `${where}.reference must be Practitioner/{uid}, Organization/{MSP}, Group/{MSP}-{role} or Patient/pt-…`,
    );
  }
  return { role, reference };
}

function referenceOf(value: unknown, where: string): string {
  const reference = expectObject(value, where);
  onlyKnownKeys(reference, REFERENCE_KEYS, where);
  return expectString(reference.reference, /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9._@-]{1,64}$/, `${where}.reference`);
}

function parseData(value: unknown, where: string): ProvisionData {
  const data = expectObject(value, where);
  onlyKnownKeys(data, ['meaning', 'reference'], where);
  const meaning: DataMeaning = expectOneOf(
    data.meaning,
    ['instance', 'related', 'authoredby'] as const,
    `${where}.meaning`,
  );
  const reference = referenceOf(data.reference, `${where}.reference`);
  if (!isDataReference(meaning, reference)) {
    throw invalid(
      `${where}.reference must be {type}/r-… (instance), Encounter|CarePlan|EpisodeOfCare/r-… (related) ` +
        'or Practitioner/{uid} (authoredby)',
    );
  }
  return { meaning, reference };
}

function parsePurpose(value: unknown, where: string): string {
  const coding = parseCoding(value, where);
  if (coding.system !== SYSTEMS.actReason) throw invalid(`${where}.system must be ${SYSTEMS.actReason}`);
  const code = expectOneOf(coding.code, CONSENT_PURPOSE_CODES, `${where}.code`);
  return code === 'BTG' ? 'ETREAT' : code;
}

function parseClass(value: unknown, where: string): string {
  const coding = parseCoding(value, where);
  if (coding.system !== SYSTEMS.resourceTypes) throw invalid(`${where}.system must be ${SYSTEMS.resourceTypes}`);
  if (!R4_RESOURCE_TYPES.has(coding.code)) throw invalid(`${where}.code is not an R4 resource type`);
  return coding.code;
}

/** A security label: a v3-ActCode sensitivity code or a v3-Confidentiality code. */
export function parseSecurityLabel(value: unknown, where: string): Coding {
  const coding = parseCoding(value, where);
  const allowed =
    coding.system === SYSTEMS.actCode
      ? (SENSITIVITY_CODES as readonly string[])
      : coding.system === SYSTEMS.confidentiality
        ? (CONFIDENTIALITY_ORDER as readonly string[])
        : undefined;
  if (!allowed?.includes(coding.code)) {
    throw invalid(`${where} must be a v3-ActCode sensitivity code or a v3-Confidentiality code`);
  }
  return coding;
}

/** A Coding of system and code only: display text, version and userSelected are rejected. */
export function parseCoding(value: unknown, where: string): Coding {
  const coding = expectObject(value, where);
  onlyKnownKeys(coding, CODING_KEYS, where);
  return {
    system: expectString(coding.system, PATTERNS.system, `${where}.system`),
    code: expectString(coding.code, PATTERNS.code, `${where}.code`),
  };
}

function conceptCodings(value: unknown, where: string): Coding[] {
  const concept = expectObject(value, where);
  onlyKnownKeys(concept, CONCEPT_KEYS, where);
  const codings = expectArray(concept.coding, `${where}.coding`, 20).map((item, i) =>
    parseCoding(item, `${where}.coding[${i}]`),
  );
  if (codings.length === 0) throw invalid(`${where}.coding must not be empty`);
  return codings;
}

/** A coding of one of the clinical code systems (LOINC, SNOMED CT, RxNorm, CVX, ICD-10, CPT), in its code form. */
export function clinicalCode(coding: Coding, where: string): Coding {
  if (!isClinicalCode(coding)) {
    throw invalid(`${where} must be a LOINC, SNOMED CT, RxNorm, CVX, ICD-10 or CPT code in that system's form`);
  }
  return coding;
}

/**
 * A CodeableConcept that says one thing: every coding is from `system` and carries the same code, one of `allowed`.
 * A coding from another system would be ignored by the decision yet kept in the block, so it is refused.
 */
function codedConcept<T extends string>(value: unknown, system: string, allowed: readonly T[], where: string): T {
  const codings = conceptCodings(value, where);
  const code = codings[0]?.code;
  if (codings.some((coding) => coding.system !== system || coding.code !== code)) {
    throw invalid(`${where} must hold codings from ${system} with one code`);
  }
  return expectOneOf(code, allowed, `${where}.coding.code`);
}

function sortBy<T extends object>(items: T[]): T[] {
  const keyed = new Map(items.map((item) => [Object.values(item).join('\u0000'), item]));
  return [...keyed.keys()].sort().map((key) => keyed.get(key) as T);
}

const coding = (system: string, code: string): { system: string; code: string } => ({ system, code });
const concept = (system: string, code: string): { coding: { system: string; code: string }[] } => ({
  coding: [coding(system, code)],
});

/** Renders a ledger consent version as a FHIR R4 Consent resource. */
export function toFhirConsent(record: ConsentRecord): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    id: record.id,
    meta: { versionId: String(record.version), lastUpdated: record.dateTime },
    status: record.status,
    scope: concept(SYSTEMS.consentScope, 'patient-privacy'),
    category: [concept(SYSTEMS.loinc, CONSENT_CATEGORY_LOINC)],
    patient: { reference: `Patient/${record.patientId}` },
    dateTime: record.dateTime,
    performer: [{ reference: record.performer }],
    organization: [{ reference: `Organization/${record.organization}` }],
    policyRule: concept(SYSTEMS.actCode, record.policyRule),
    provision: provisionToFhir(record.provision),
  };
}

function provisionToFhir(provision: Provision): Record<string, unknown> {
  const nonEmpty = <T>(items: readonly T[]): T[] | undefined => (items.length > 0 ? [...items] : undefined);
  return {
    type: provision.type,
    period: provision.period,
    actor: nonEmpty(
      provision.actor.map((actor) => ({
        role: concept(SYSTEMS.participationType, actor.role),
        reference: { reference: actor.reference },
      })),
    ),
    action: nonEmpty(provision.action.map((action) => concept(SYSTEMS.consentAction, action))),
    purpose: nonEmpty(provision.purpose.map((purpose) => coding(SYSTEMS.actReason, purpose))),
    class: nonEmpty(provision.class.map((type) => coding(SYSTEMS.resourceTypes, type))),
    code: nonEmpty(provision.code.map((item) => ({ coding: [item] }))),
    securityLabel: nonEmpty(provision.securityLabel),
    dataPeriod: provision.dataPeriod,
    data: nonEmpty(provision.data.map((item) => ({ meaning: item.meaning, reference: { reference: item.reference } }))),
    provision: nonEmpty(provision.provision.map(provisionToFhir)),
  };
}

/** One grant a patient makes: who, for which purpose, and optionally which record types, until when, and what not. */
export interface GrantSpec {
  /** `Practitioner/{uid}`, `Organization/{MSP}` or `Group/{MSP}-{role}`. */
  readonly actor: string;
  readonly purpose: string;
  /** Default: `use` for research purposes, `access` for the others. */
  readonly action?: ConsentAction;
  readonly resourceTypes?: readonly string[];
  /** Last day (or instant) of the grant. */
  readonly until?: string;
  /** Security labels kept out of the grant: a deny beside the permit each. */
  readonly excludedLabels?: readonly Coding[];
}

/**
 * A new opt-in Consent resource for one grant (FHIR-CONVENTIONS §1.1): a root deny, one permit child, and beside it a
 * deny child for each excluded label, naming the same recipient, action and purpose. What the contract parses back is
 * exactly the grant.
 */
export function optInConsentResource(patientId: string, grant: GrantSpec): Record<string, unknown> {
  const none = { actor: [], action: [], purpose: [], class: [], code: [], securityLabel: [], data: [], provision: [] };
  const who = {
    actor: [{ role: 'IRCP' as const, reference: grant.actor }],
    action: [grant.action ?? (isResearchPurpose(grant.purpose) ? 'use' : 'access')],
    purpose: [grant.purpose],
  };
  const permit: Provision = {
    ...none,
    ...who,
    type: 'permit',
    ...(grant.until === undefined ? {} : { period: { end: grant.until } }),
    class: [...(grant.resourceTypes ?? [])],
  };
  const excluded = (grant.excludedLabels ?? []).map((label): Provision => ({
    ...none,
    ...who,
    type: 'deny',
    securityLabel: [label],
  }));
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: concept(SYSTEMS.consentScope, 'patient-privacy'),
    category: [concept(SYSTEMS.loinc, CONSENT_CATEGORY_LOINC)],
    patient: { reference: `Patient/${patientId}` },
    policyRule: concept(SYSTEMS.actCode, 'OPTIN'),
    provision: provisionToFhir({ ...none, type: 'deny', provision: [permit, ...excluded] }),
  };
}

function isResearchPurpose(purpose: string): boolean {
  return purpose === 'HRESCH' || (HRESCH_SPECIALISATIONS as readonly string[]).includes(purpose);
}
