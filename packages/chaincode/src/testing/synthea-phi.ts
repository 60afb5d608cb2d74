import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { isClinicalCode, isOneOf, RECORD_CATEGORIES } from '@medledger/core';
import { FABRIC_ATTRIBUTE_OID } from './test-ca.js';

/**
 * Test support for the no-PHI tests: real (synthetic) patients from Synthea FHIR R4 bundles, the PHI strings to look
 * for, and a scanner for the bytes a block and the world state would hold.
 */

/** Where the Synthea bundles are: MEDLEDGER_SYNTHEA_DIR, else the shared data folder beside the repository. */
export function syntheaDirectory(): string {
  return process.env.MEDLEDGER_SYNTHEA_DIR ?? resolve(__dirname, '../../../../../shared/data/synthea-r4');
}

export interface ClinicalResource {
  readonly resourceType: 'Observation' | 'Condition' | 'Encounter' | 'Claim';
  /** The bundle's resource id (not PHI by itself; only ever hashed into a pseudonymous record id here). */
  readonly id: string;
  /** One of RECORD_CATEGORIES, as the API maps the resource. */
  readonly category: string;
  /** system + code only (no display text), and only codes of the clinical code systems the ledger accepts. */
  readonly codes: ReadonlyArray<{ readonly system: string; readonly code: string }>;
  readonly clinicalDate: string;
  readonly encounterId?: string;
  /** The resource as JSON text: what would be encrypted off-chain. */
  readonly json: string;
}

export interface SyntheaPatient {
  readonly file: string;
  readonly resourceId: string;
  readonly names: ReadonlyArray<{ readonly given: readonly string[]; readonly family: string }>;
  readonly birthDate: string;
  readonly addressLines: readonly string[];
  readonly cities: readonly string[];
  readonly postalCodes: readonly string[];
  readonly phones: readonly string[];
  /** Patient.identifier by v2-0203 type: MR, SS, DL, PPN. */
  readonly identifiers: ReadonlyArray<{ readonly type: string; readonly system: string; readonly value: string }>;
  readonly clinical: readonly ClinicalResource[];
  /** Resources left out because their clinical date is the birth date (recorded at birth). */
  readonly excludedAtBirth: readonly string[];
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function codings(concept: unknown): Array<{ system: string; code: string }> {
  return asArray(asObject(concept).coding).flatMap((item) => {
    const system = asString(asObject(item).system);
    const code = asString(asObject(item).code);
    return system !== undefined && code !== undefined ? [{ system, code }] : [];
  });
}

/** An observation category as a record category; Synthea writes `vital-sign` for a few observations. */
function observationCategory(code: string | undefined): string {
  const category = code === 'vital-sign' ? 'vital-signs' : code;
  return isOneOf(RECORD_CATEGORIES, category) ? category : 'other';
}

function clinicalOf(resource: Json): ClinicalResource | undefined {
  const type = resource.resourceType;
  const id = asString(resource.id);
  if (id === undefined) return undefined;
  let clinicalDate: string | undefined;
  let codes: Array<{ system: string; code: string }>;
  let category: string;
  switch (type) {
    case 'Observation':
      clinicalDate = asString(resource.effectiveDateTime);
      codes = codings(resource.code);
      category = observationCategory(codings(asArray(resource.category)[0])[0]?.code);
      break;
    case 'Condition':
      clinicalDate = asString(resource.onsetDateTime);
      codes = codings(resource.code);
      category = 'encounter-diagnosis';
      break;
    case 'Encounter':
      clinicalDate = asString(asObject(resource.period).start);
      codes = asArray(resource.type).flatMap(codings);
      category = 'encounter';
      break;
    case 'Claim':
      clinicalDate = asString(asObject(resource.billablePeriod).start);
      // The billed services, not the claim type (institutional, professional...), which is no clinical code.
      codes = asArray(resource.item).flatMap((item) => codings(asObject(item).productOrService));
      category = 'claim';
      break;
    default:
      return undefined;
  }
  if (clinicalDate === undefined) return undefined;
  const encounterRef = asString(asObject(resource.encounter ?? resource.context).reference);
  const encounterId = encounterRef?.replace(/^urn:uuid:/, '');
  return {
    resourceType: type,
    id,
    category,
    codes: [...new Map(codes.filter(isClinicalCode).map((c) => [`${c.system}|${c.code}`, c])).values()].slice(0, 20),
    clinicalDate,
    ...(encounterId === undefined ? {} : { encounterId }),
    json: JSON.stringify(resource),
  };
}

/** Loads the Patient and a few clinical resources of each of the given bundles (file-name prefixes). */
export function loadSyntheaPatients(
  prefixes: readonly string[],
  perType: Readonly<Record<ClinicalResource['resourceType'], number>>,
): SyntheaPatient[] {
  const directory = syntheaDirectory();
  if (!statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`Synthea FHIR R4 bundles not found in ${directory} (set MEDLEDGER_SYNTHEA_DIR)`);
  }
  const files = readdirSync(directory).sort();
  return prefixes.map((prefix) => {
    const file = files.find((name) => name.startsWith(prefix) && name.endsWith('.json'));
    if (file === undefined) throw new Error(`no Synthea bundle ${prefix}* in ${directory}`);
    const bundle = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Json;
    const resources = asArray(bundle.entry).map((entry) => asObject(asObject(entry).resource));
    const patient = resources.find((resource) => resource.resourceType === 'Patient');
    if (patient === undefined) throw new Error(`${file} has no Patient`);
    const birthDate = asString(patient.birthDate);
    if (birthDate === undefined) throw new Error(`${file}: Patient has no birthDate`);
    const counts = new Map<string, number>();
    const clinical: ClinicalResource[] = [];
    const excludedAtBirth: string[] = [];
    for (const resource of resources) {
      const item = clinicalOf(resource);
      if (item === undefined) continue;
      // A clinical date is allowed on the ledger and a birth date is not. The two coincide only for what was recorded
      // at birth (the newborn's birth encounter and the observations and claim made during it). Exactly those
      // resources are left out, so that the scan can keep treating every occurrence of the birth date as PHI.
      if (item.clinicalDate.startsWith(birthDate)) {
        excludedAtBirth.push(`${item.resourceType}/${item.id}`);
        continue;
      }
      const seen = counts.get(item.resourceType) ?? 0;
      if (seen >= perType[item.resourceType]) continue;
      counts.set(item.resourceType, seen + 1);
      clinical.push(item);
    }
    const addresses = asArray(patient.address).map(asObject);
    return {
      file,
      resourceId: asString(patient.id) ?? '',
      names: asArray(patient.name).map((name) => ({
        given: asArray(asObject(name).given).flatMap((given) => asString(given) ?? []),
        family: asString(asObject(name).family) ?? '',
      })),
      birthDate,
      addressLines: addresses.flatMap((address) => asArray(address.line).flatMap((line) => asString(line) ?? [])),
      cities: addresses.flatMap((address) => asString(address.city) ?? []),
      postalCodes: addresses.flatMap((address) => asString(address.postalCode) ?? []),
      phones: asArray(patient.telecom)
        .map(asObject)
        .filter((telecom) => telecom.system === 'phone')
        .flatMap((telecom) => asString(telecom.value) ?? []),
      identifiers: asArray(patient.identifier).flatMap((item) => {
        const identifier = asObject(item);
        const type = codings(identifier.type)[0]?.code;
        const value = asString(identifier.value);
        return type !== undefined && value !== undefined
          ? [{ type, system: asString(identifier.system) ?? '', value }]
          : [];
      }),
      clinical,
      excludedAtBirth,
    };
  });
}

export function identifierOf(patient: SyntheaPatient, type: 'MR' | 'SS' | 'DL' | 'PPN'): string | undefined {
  return patient.identifiers.find((identifier) => identifier.type === type)?.value;
}

// ---------------------------------------------------------------------------------------------------------------
// What to look for
// ---------------------------------------------------------------------------------------------------------------

/**
 * How a needle is matched, always case-insensitively:
 * - `text`: substring;
 * - `word`: substring not touching a letter or digit (short tokens such as a 5-digit postal code, which would
 *   otherwise turn up inside hex hashes by chance);
 * - `digits`: the needle's digits inside a run of digits and phone/date punctuation, with the punctuation removed,
 *   so `(555) 870-4967`, `555.870.4967` and `5558704967` all match.
 */
export type MatchMode = 'text' | 'word' | 'digits';

export interface PhiNeedle {
  readonly patient: string;
  readonly kind: string;
  readonly value: string;
  readonly mode: MatchMode;
}

const SHORT_TOKEN = 6;

/** Every PHI string of a patient, with the normalised variants a careless client might produce. */
export function phiNeedles(patient: SyntheaPatient): PhiNeedle[] {
  const who = patient.file.replace(/_[0-9a-f-]+\.json$/, '');
  const needles: PhiNeedle[] = [];
  const add = (kind: string, value: string | undefined, mode?: MatchMode): void => {
    const text = value?.trim();
    if (text === undefined || text === '') return;
    const chosen = mode ?? (text.length < SHORT_TOKEN ? 'word' : 'text');
    if (!needles.some((n) => n.value.toLowerCase() === text.toLowerCase() && n.mode === chosen)) {
      needles.push({ patient: who, kind, value: text, mode: chosen });
    }
  };
  for (const name of patient.names) {
    const parts = [...name.given, name.family];
    for (const part of parts) {
      add('name', part);
      add('name (letters only)', part.replace(/[^A-Za-z]/g, ''));
    }
    add('full name', parts.join(' '));
    add('full name (letters only)', parts.join('').replace(/[^A-Za-z]/g, ''));
  }
  const [year, month, day] = patient.birthDate.split('-');
  add('birth date', patient.birthDate);
  add('birth date (MM/DD/YYYY)', `${month}/${day}/${year}`);
  add('birth date (M/D/YYYY)', `${Number(month)}/${Number(day)}/${year}`);
  add('birth date (YYYYMMDD)', `${year}${month}${day}`);
  add('birth date (digits)', `${year}${month}${day}`, 'digits');
  add('birth date (MMDDYYYY digits)', `${month}${day}${year}`, 'digits');
  for (const line of patient.addressLines) add('address line', line);
  for (const city of patient.cities) add('city', city);
  for (const postalCode of patient.postalCodes) add('postal code', postalCode, 'word');
  for (const phone of patient.phones) {
    add('phone', phone);
    add('phone (digits)', phone.replace(/\D/g, ''), 'digits');
  }
  for (const identifier of patient.identifiers) {
    add(`identifier ${identifier.type}`, identifier.value);
    if (identifier.type === 'SS') add('identifier SS (digits)', identifier.value.replace(/\D/g, ''), 'digits');
  }
  add('Patient resource id', patient.resourceId);
  return needles;
}

// ---------------------------------------------------------------------------------------------------------------
// Scanning
// ---------------------------------------------------------------------------------------------------------------

export interface PhiFinding {
  readonly needle: PhiNeedle;
  readonly chunk: number;
  /** Up to 60 characters around the match. */
  readonly context: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * A certificate's human-readable content: subject, issuer and the Fabric CA attribute extension (role, uid,
 * enrollment id), which is where a person's name would be. The base64 of keys and signatures is left out because a
 * short name matches random base64 case-insensitively every so often, which would make the scan flaky.
 */
export function certificateText(pem: string): string {
  const cached = certificateTexts.get(pem);
  if (cached !== undefined) return cached;
  const certificate = new x509.X509Certificate(pem);
  const attributes = certificate.getExtension(FABRIC_ATTRIBUTE_OID);
  const attributeText = attributes === null ? '' : Buffer.from(attributes.value).toString('utf8');
  const text = [certificate.subject, certificate.issuer, attributeText].join('\n');
  certificateTexts.set(pem, text);
  return text;
}

const certificateTexts = new Map<string, string>();

/** The text to search in one chunk: UTF-8, certificates replaced by their readable content, lower case. */
export function searchableText(chunk: Uint8Array): string {
  const text = Buffer.from(chunk).toString('utf8');
  return text.replace(PEM_BLOCK, (pem) => certificateText(pem)).toLowerCase();
}

/** Composite keys separate their parts with U+0000; shown as a middle dot in findings. */
const CONTROL_CHARACTERS = /[^ -\uffff]/g;
const DIGIT_RUN = /[0-9][0-9 ()./+-]*[0-9]/g;

type Matcher = (text: string) => { index: number; length: number } | undefined;

function matcherFor(needle: PhiNeedle): Matcher {
  const value = needle.value.toLowerCase();
  switch (needle.mode) {
    case 'text':
      return (text) => {
        const index = text.indexOf(value);
        return index < 0 ? undefined : { index, length: value.length };
      };
    case 'word': {
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const pattern = new RegExp(`(?<![a-z0-9])${escaped}(?![a-z0-9])`);
      return (text) => {
        const match = pattern.exec(text);
        return match ? { index: match.index, length: value.length } : undefined;
      };
    }
    case 'digits':
      return (text) => {
        for (const run of text.matchAll(DIGIT_RUN)) {
          if (run[0].replace(/\D/g, '').includes(value)) return { index: run.index, length: run[0].length };
        }
        return undefined;
      };
  }
}

/** Every needle found in any chunk. */
export function findPhi(chunks: readonly Uint8Array[], needles: readonly PhiNeedle[]): PhiFinding[] {
  const matchers = needles.map((needle) => ({ needle, match: matcherFor(needle) }));
  const findings: PhiFinding[] = [];
  chunks.forEach((chunk, index) => {
    const text = searchableText(chunk);
    for (const { needle, match } of matchers) {
      const found = match(text);
      if (found === undefined) continue;
      const from = Math.max(0, found.index - 25);
      const context = text.slice(from, found.index + found.length + 25).replace(CONTROL_CHARACTERS, '·');
      findings.push({ needle, chunk: index, context });
    }
  });
  return findings;
}

export function describeFindings(findings: readonly PhiFinding[], limit = 40): string {
  const lines = findings
    .slice(0, limit)
    .map((f) => `  ${f.needle.patient} ${f.needle.kind} "${f.needle.value}" in chunk ${f.chunk}: …${f.context}…`);
  if (findings.length > limit) lines.push(`  … and ${findings.length - limit} more`);
  return lines.join('\n');
}
