import type { Json } from '../fhir/types.js';
import { asObject } from '../fhir/types.js';
import { generalizeZip } from './restricted-zip3.js';

/**
 * Elements removed wherever they occur, each with the Safe Harbor identifier kind(s) it can carry (45 CFR
 * 164.514(b)(2)(i)(A)–(R)); the README maps all 18 kinds. Free text is removed because any of the 18 can hide in it.
 */
export const REMOVED_ELEMENTS: Readonly<Record<string, string>> = {
  name: 'A names',
  alias: 'A names',
  contact: 'A names, D phone, F email (relatives)',
  telecom: 'D phone, E fax, F email, N URLs',
  identifier: 'G SSN, H MRN, I beneficiary no., J account no., K licence no., L vehicle, R other unique numbers',
  subscriberId: 'I health plan beneficiary number',
  dependent: 'I health plan beneficiary number',
  accountNumber: 'J account numbers',
  lotNumber: 'M device serial numbers',
  serialNumber: 'M device serial numbers',
  udiCarrier: 'M device identifiers',
  distinctIdentifier: 'M device identifiers',
  deviceName: 'M device identifiers',
  network: 'O IP addresses',
  photo: 'Q full-face photographs',
  attachment: 'P biometrics, Q photographs',
  valueAttachment: 'P biometrics, Q photographs',
  presentedForm: 'P biometrics, Q photographs, free text',
  content: 'P biometrics, Q photographs, free text',
  data: 'P biometrics, Q photographs',
  position: 'B geographic subdivisions (coordinates)',
  text: 'free text',
  div: 'free text',
  note: 'free text',
  comment: 'free text',
  description: 'free text',
  title: 'free text',
  summary: 'free text',
  conclusion: 'free text',
  patientInstruction: 'free text',
  valueString: 'free text',
  valueMarkdown: 'free text',
  contained: 'free text (unreviewed contained resources)',
  modifierExtension: 'R unreviewed content',
  implicitRules: 'R unreviewed content',
  link: 'R links to other records of the person',
  generalPractitioner: 'R references outside the export',
  managingOrganization: 'R references outside the export',
  policyHolder: 'A names (references outside the export)',
  subscriber: 'A names (references outside the export)',
  payee: 'A names (references outside the export)',
};

/** Elements removed from one resource type only (elsewhere the same name means something else). */
export const REMOVED_BY_TYPE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Coverage: { class: 'I health plan group and plan numbers' },
};

/**
 * Element names removed by pattern: any `…Identifier` (masterIdentifier, preAdmissionIdentifier, deviceIdentifier…)
 * and any `…Number` (lotNumber, serialNumber, accountNumber, policy or certificate numbers): kinds G–M and R.
 */
export const REMOVED_PATTERNS: readonly RegExp[] = [/identifier$/i, /Number$/];

/** Extensions kept (with coded values only); all others are removed. */
export const KEPT_EXTENSIONS: ReadonlySet<string> = new Set([
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex',
]);

const KEPT_SUB_EXTENSIONS: ReadonlySet<string> = new Set(['ombCategory', 'detailed']);

// Strings under these keys are codes, code-system URIs or enumerations, never free text; they are kept verbatim.
const CODE_KEYS: ReadonlySet<string> = new Set([
  'system',
  'code',
  'version',
  'status',
  'use',
  'intent',
  'gender',
  'resourceType',
  'unit',
  'currency',
  'comparator',
  'periodUnit',
  'durationUnit',
  'profile',
  'valueCode',
  'language',
  'criticality',
  'priority',
  'outcome',
]);

const DATE_PATTERN = /^(\d{4})-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?$/;

// Defence in depth: strings that look like one of the 18 identifiers are dropped even where free text is unexpected.
const IDENTIFYING_PATTERNS: readonly RegExp[] = [
  /[^\s@]+@[^\s@]+\.[^\s@]+/, // email
  /\b\d{3}-\d{2}-\d{4}\b/, // SSN
  /\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b/, // phone or fax
  /\bhttps?:\/\//i, // URL
  /\b\d{1,3}(\.\d{1,3}){3}\b/, // IPv4
  /\s/, // any text with spaces is free text, not a code
];

export interface ScrubContext {
  /** The type of the resource being scrubbed. */
  readonly resourceType: string;
  /** Original reference (`Type/id`, `urn:uuid:id`) → pseudonymous `Type/pseudonym`; others are dropped. */
  readonly references: ReadonlyMap<string, string>;
  /** Counts what was removed or generalised, by rule. */
  readonly count: (rule: string) => void;
}

const isCoding = (object: Json): boolean => typeof object.system === 'string' && typeof object.code === 'string';

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  const object = asObject(value);
  return object !== undefined && Object.keys(object).length === 0;
}

/** A date, dateTime or instant reduced to its year (Safe Harbor C). */
export function yearOf(value: string): string | undefined {
  return DATE_PATTERN.exec(value)?.[1];
}

function scrubString(key: string, value: string, parent: Json, ctx: ScrubContext): string | undefined {
  if (CODE_KEYS.has(key)) return value;
  if (key === 'display') {
    if (isCoding(parent)) return value;
    ctx.count('display (free text) removed');
    return undefined;
  }
  const year = yearOf(value);
  if (year !== undefined) {
    ctx.count('date generalised to year');
    return year;
  }
  if (IDENTIFYING_PATTERNS.some((pattern) => pattern.test(value))) {
    ctx.count('free text or identifier-like string removed');
    return undefined;
  }
  return value;
}

function scrubReference(value: unknown, ctx: ScrubContext): string | undefined {
  const mapped = typeof value === 'string' ? ctx.references.get(value) : undefined;
  if (mapped === undefined) ctx.count('reference outside the export removed');
  return mapped;
}

function scrubAddress(value: unknown, ctx: ScrubContext): Json | undefined {
  const address = asObject(value);
  if (address === undefined) return undefined;
  ctx.count('address generalised (state, country, ZIP3)');
  const zip = typeof address.postalCode === 'string' ? generalizeZip(address.postalCode) : undefined;
  if (zip === '000') ctx.count('restricted ZIP3 replaced by 000');
  const out: Record<string, unknown> = {};
  for (const key of ['use', 'type', 'state', 'country'] as const) {
    if (typeof address[key] === 'string') out[key] = address[key];
  }
  if (zip !== undefined) out.postalCode = zip;
  return Object.keys(out).length === 0 ? undefined : out;
}

function scrubExtension(value: unknown, ctx: ScrubContext): Json | undefined {
  const extension = asObject(value);
  const url = extension?.url;
  if (extension === undefined || typeof url !== 'string' || !KEPT_EXTENSIONS.has(url)) {
    ctx.count('extension removed');
    return undefined;
  }
  if (typeof extension.valueCode === 'string') return { url, valueCode: extension.valueCode };
  const parts = (Array.isArray(extension.extension) ? extension.extension : [])
    .map((part: unknown) => asObject(part))
    .filter((part): part is Json => part !== undefined && KEPT_SUB_EXTENSIONS.has(String(part.url)))
    .map((part) => ({ url: part.url, valueCoding: codingOnly(part.valueCoding) }))
    .filter((part) => part.valueCoding !== undefined);
  return parts.length === 0 ? undefined : { url, extension: parts };
}

function codingOnly(value: unknown): Json | undefined {
  const coding = asObject(value);
  if (coding === undefined || !isCoding(coding)) return undefined;
  return {
    system: coding.system,
    code: coding.code,
    ...(typeof coding.display === 'string' ? { display: coding.display } : {}),
  };
}

/** Safe Harbor C: an age over 89 becomes "90 or older". */
function scrubAge(value: unknown, ctx: ScrubContext): unknown {
  const age = asObject(value);
  if (age === undefined || typeof age.value !== 'number' || age.value < 90) return scrubValue('age', value, {}, ctx);
  ctx.count('age over 89 aggregated to 90+');
  return { value: 90, comparator: '>=', unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' };
}

type Handler = (value: unknown, ctx: ScrubContext) => unknown;

const HANDLERS: Readonly<Record<string, Handler>> = {
  reference: scrubReference,
  address: (value, ctx) => mapArray(value, (item) => scrubAddress(item, ctx)),
  extension: (value, ctx) => mapArray(value, (item) => scrubExtension(item, ctx)),
  id: (_value, ctx) => {
    ctx.count('element id removed');
    return undefined;
  },
};

function mapArray(value: unknown, map: (item: unknown) => unknown): unknown {
  if (!Array.isArray(value)) return map(value);
  const out = value.map(map).filter((item) => item !== undefined && !isEmpty(item));
  return out.length === 0 ? undefined : out;
}

function scrubObject(object: Json, ctx: ScrubContext): Json | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    const scrubbed = scrubMember(key, child, object, ctx);
    if (scrubbed !== undefined && !isEmpty(scrubbed)) out[key] = scrubbed;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function scrubMember(key: string, value: unknown, parent: Json, ctx: ScrubContext): unknown {
  if (
    Object.hasOwn(REMOVED_ELEMENTS, key) ||
    Object.hasOwn(REMOVED_BY_TYPE[ctx.resourceType] ?? {}, key) ||
    REMOVED_PATTERNS.some((pattern) => pattern.test(key))
  ) {
    ctx.count(`${key} removed`);
    return undefined;
  }
  const handler = HANDLERS[key];
  if (handler !== undefined) return handler(value, ctx);
  if (key.endsWith('Age') && !Array.isArray(value)) return scrubAge(value, ctx);
  return scrubValue(key, value, parent, ctx);
}

/** Applies the Safe Harbor element rules to one value found under `key`. */
export function scrubValue(key: string, value: unknown, parent: Json, ctx: ScrubContext): unknown {
  if (typeof value === 'string') return scrubString(key, value, parent, ctx);
  if (Array.isArray(value)) return mapArray(value, (item) => scrubValue(key, item, parent, ctx));
  const object = asObject(value);
  return object === undefined ? value : scrubObject(object, ctx);
}

/** Keeps only meta.security (sensitivity labels, which downstream policy needs) and meta.profile. */
export function scrubMeta(value: unknown, ctx: ScrubContext): Json | undefined {
  const meta = asObject(value);
  if (meta === undefined) return undefined;
  const security = Array.isArray(meta.security) ? meta.security.map(codingOnly).filter((c) => c !== undefined) : [];
  const profile = Array.isArray(meta.profile) ? meta.profile.filter((p) => typeof p === 'string') : [];
  if (Object.keys(meta).some((key) => key !== 'security' && key !== 'profile')) ctx.count('meta reduced');
  const out = { ...(security.length > 0 ? { security } : {}), ...(profile.length > 0 ? { profile } : {}) };
  return Object.keys(out).length === 0 ? undefined : out;
}
