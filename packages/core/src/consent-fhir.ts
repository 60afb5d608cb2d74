import {
  ACTOR_ROLES,
  CONSENT_ACTIONS,
  CONSENT_CATEGORY_LOINC,
  CONSENT_PURPOSE_CODES,
  CONSENT_STATUSES,
  CONFIDENTIALITY_ORDER,
  POLICY_RULES,
  R4_RESOURCE_TYPES,
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

const CONSENT_KEYS = [
  'resourceType',
  'id',
  'meta',
  'sourceReference',
  'status',
  'scope',
  'category',
  'patient',
  'dateTime',
  'performer',
  'organization',
  'policyRule',
  'policy',
  'provision',
];
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
const CODING_KEYS = ['system', 'code', 'version', 'userSelected'];
const CONCEPT_KEYS = ['coding'];
const REFERENCE_KEYS = ['reference', 'type'];
/**
 * Free-text and extension members. Transaction arguments are kept in every block, so a consent carrying them would put
 * whatever they hold on the ledger forever: the API layer strips them (and keeps extensions off-chain) before submitting.
 */
const FREE_TEXT_KEYS = ['display', 'text', 'note', 'extension', 'contained', 'sourceAttachment'];

/** Actor references Medledger can match: the identities a caller's certificate gives, and care-team style groupings. */
const ACTOR_REFERENCE =
  /^(Practitioner|PractitionerRole|Organization|Group|Patient|RelatedPerson|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/;
const DATA_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Validates a FHIR R4 Consent (FHIR-CONVENTIONS.md §1) and reduces it to its decision-relevant, code-only form.
 * Display strings, `text`, `meta` and ordinary extensions are dropped (they never reach the ledger); narrative and
 * other free-text elements are rejected.
 * @throws DomainError INVALID_ARGUMENT for a malformed consent, UNPROCESSABLE for a modifierExtension.
 */
export function parseFhirConsent(resource: unknown): ConsentInput {
  const consent = expectObject(resource, 'Consent');
  if (consent.resourceType !== 'Consent') throw invalid('resourceType must be Consent');
  scanMembers(consent, 'Consent', 0);
  onlyKnownKeys(consent, CONSENT_KEYS, 'Consent');
  const id = optionalString(consent.id, PATTERNS.fhirId, 'Consent.id');
  if (consent.meta !== undefined) parseMeta(consent.meta);
  const status = expectOneOf(consent.status, CONSENT_STATUSES, 'Consent.status');
  requireCoding(consent.scope, SYSTEMS.consentScope, 'patient-privacy', 'Consent.scope');
  const categories = expectArray(consent.category, 'Consent.category', 10).map((category, i) =>
    conceptCodings(category, `Consent.category[${i}]`),
  );
  if (
    !categories.some((codings) => codings.some((c) => c.system === SYSTEMS.loinc && c.code === CONSENT_CATEGORY_LOINC))
  ) {
    throw invalid(`Consent.category must include LOINC ${CONSENT_CATEGORY_LOINC}`);
  }
  const patientId = parsePatientReference(consent.patient);
  // Filled by the contract from the transaction (time, caller, home organisation); validated, then not used.
  optionalString(consent.dateTime, PATTERNS.fhirDateTime, 'Consent.dateTime');
  parseReferences(consent.performer, /^(Patient|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/, 'Consent.performer');
  parseReferences(consent.organization, /^Organization\/[A-Za-z0-9\-.]{1,64}$/, 'Consent.organization');
  if (consent.sourceReference !== undefined)
    parseReferences([consent.sourceReference], DATA_REFERENCE, 'Consent.sourceReference');
  if (consent.policy !== undefined) parsePolicy(consent.policy);
  const policyRule = expectOneOf(
    singleCode(consent.policyRule, SYSTEMS.actCode, 'Consent.policyRule'),
    POLICY_RULES,
    'Consent.policyRule',
  );
  const provision = parseProvision(consent.provision, 'Consent.provision', 0);
  return { ...(id === undefined ? {} : { id }), status, policyRule, patientId, provision };
}

function parsePatientReference(value: unknown): string {
  const reference = expectObject(value, 'Consent.patient');
  onlyKnownKeys(reference, REFERENCE_KEYS, 'Consent.patient');
  const text = expectString(reference.reference, /^Patient\/[A-Za-z0-9\-.]{1,64}$/, 'Consent.patient.reference');
  return text.slice('Patient/'.length);
}

function parsePolicy(value: unknown): void {
  for (const [index, item] of expectArray(value, 'Consent.policy', 5).entries()) {
    const policy = expectObject(item, `Consent.policy[${index}]`);
    onlyKnownKeys(policy, ['authority', 'uri'], `Consent.policy[${index}]`);
    optionalString(policy.authority, PATTERNS.system, `Consent.policy[${index}].authority`);
    optionalString(policy.uri, PATTERNS.system, `Consent.policy[${index}].uri`);
  }
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
    scanMembers(member, `${where}.${key}`, depth + 1);
  }
  const freeText = Object.keys(value).filter((key) => FREE_TEXT_KEYS.includes(key));
  if (freeText.length > 0) {
    throw invalid(`${where}: free text and extensions are not accepted on the ledger (${freeText.sort().join(', ')})`);
  }
}

function parseMeta(value: unknown): void {
  const meta = expectObject(value, 'Consent.meta');
  onlyKnownKeys(meta, ['versionId', 'lastUpdated', 'profile'], 'Consent.meta');
  optionalString(meta.versionId, PATTERNS.fhirId, 'Consent.meta.versionId');
  optionalString(meta.lastUpdated, PATTERNS.fhirDateTime, 'Consent.meta.lastUpdated');
  optionalArray(meta.profile, 'Consent.meta.profile', 10).forEach((profile, i) =>
    expectString(profile, PATTERNS.system, `Consent.meta.profile[${i}]`),
  );
}

function parseReferences(value: unknown, pattern: RegExp, where: string): void {
  optionalArray(value, where, 10).forEach((item, i) => {
    const reference = expectObject(item, `${where}[${i}]`);
    onlyKnownKeys(reference, REFERENCE_KEYS, `${where}[${i}]`);
    expectString(reference.reference, pattern, `${where}[${i}].reference`);
  });
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
        expectOneOf(
          singleCode(item, SYSTEMS.consentAction, `${where}.action[${i}]`),
          CONSENT_ACTIONS,
          `${where}.action[${i}]`,
        ),
      ),
    ),
    purpose: uniqueSorted(
      optionalArray(source.purpose, `${where}.purpose`).map((item, i) => parsePurpose(item, `${where}.purpose[${i}]`)),
    ),
    class: uniqueSorted(
      optionalArray(source.class, `${where}.class`).map((item, i) => parseClass(item, `${where}.class[${i}]`)),
    ),
    code: sortBy(
      optionalArray(source.code, `${where}.code`).flatMap((item, i) => conceptCodings(item, `${where}.code[${i}]`)),
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
  const role = expectOneOf(
    singleCode(actor.role, SYSTEMS.participationType, `${where}.role`),
    ACTOR_ROLES,
    `${where}.role`,
  );
  const reference = expectObject(actor.reference, `${where}.reference`);
  onlyKnownKeys(reference, REFERENCE_KEYS, `${where}.reference`);
  return { role, reference: expectString(reference.reference, ACTOR_REFERENCE, `${where}.reference.reference`) };
}

function parseData(value: unknown, where: string): ProvisionData {
  const data = expectObject(value, where);
  onlyKnownKeys(data, ['meaning', 'reference'], where);
  const meaning: DataMeaning = expectOneOf(
    data.meaning,
    ['instance', 'related', 'authoredby'] as const,
    `${where}.meaning`,
  );
  const reference = expectObject(data.reference, `${where}.reference`);
  onlyKnownKeys(reference, REFERENCE_KEYS, `${where}.reference`);
  return { meaning, reference: expectString(reference.reference, DATA_REFERENCE, `${where}.reference.reference`) };
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

function parseSecurityLabel(value: unknown, where: string): Coding {
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

/** A Coding reduced to system and code; display text is dropped, never stored. */
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

function conceptHas(value: unknown, system: string, code: string, where: string): boolean {
  return conceptCodings(value, where).some((coding) => coding.system === system && coding.code === code);
}

function singleCode(value: unknown, system: string, where: string): string {
  const matching = conceptCodings(value, where).filter((coding) => coding.system === system);
  const first = matching[0];
  if (!first) throw invalid(`${where} needs a coding from ${system}`);
  return first.code;
}

function requireCoding(value: unknown, system: string, code: string, where: string): void {
  if (!conceptHas(value, system, code, where)) throw invalid(`${where} must be ${system}#${code}`);
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
