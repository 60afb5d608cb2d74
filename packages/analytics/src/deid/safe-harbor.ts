import { DomainError } from '@medledger/core';
import { AGE_90_PLUS_EXTENSION, ageFromBirthDate } from '../cohort/features.js';
import type { FhirResource, Json } from '../fhir/types.js';
import { asArray, asObject, patientReferenceOf, referenceKeysOf } from '../fhir/types.js';
import type { KAnonymityResult } from './k-anonymity.js';
import { enforceKAnonymity } from './k-anonymity.js';
import { MIN_STUDY_KEY_BYTES, pseudonym } from './pseudonym.js';
import type { ScrubContext } from './scrub.js';
import { scrubMeta, scrubValue, yearOf } from './scrub.js';

export const BIRTH_YEAR_RANGE_EXTENSION =
  'https://medledger.example.org/fhir/StructureDefinition/deid-birth-year-range';

/** The released attributes the k-anonymity check groups patients by. */
export const QUASI_IDENTIFIERS = ['birthYear', 'gender', 'zip3', 'state'] as const;
export type QuasiIdentifier = (typeof QUASI_IDENTIFIERS)[number];

export interface SafeHarborOptions {
  /** The study-specific pseudonymisation key (at least 32 bytes; see `deriveStudyKey`). */
  readonly studyKey: Uint8Array;
  /** The export date (YYYY-MM-DD…): ages, and so the "90+" group, are computed at it. */
  readonly asOf: string;
  /** Minimum equivalence-class size (default 5); smaller classes are suppressed. */
  readonly k?: number;
  /** Default: birth year (or its band, or "90+"), gender, three-digit ZIP. */
  readonly quasiIdentifiers?: readonly QuasiIdentifier[];
  /** Publish birth years in bands of this many years (default 1: the year itself). */
  readonly birthYearBand?: number;
}

export interface DeidentificationReport {
  readonly method: 'HIPAA Safe Harbor, 45 CFR 164.514(b)(2)';
  readonly asOf: string;
  readonly patients: { readonly input: number; readonly exported: number; readonly suppressed: number };
  readonly records: {
    readonly input: number;
    readonly exported: number;
    readonly suppressed: number;
    /** Resources not linked to a patient of the set (e.g. Organization, Practitioner): never exported. */
    readonly unlinked: number;
  };
  readonly kAnonymity: {
    readonly k: number;
    readonly quasiIdentifiers: readonly QuasiIdentifier[];
    readonly equivalenceClasses: number;
    readonly suppressedClasses: number;
    readonly suppressedPatients: number;
    /** The smallest equivalence class in the export (≥ k), or null when every patient was suppressed. */
    readonly kAchieved: number | null;
  };
  /** How often each rule removed or generalised something. */
  readonly transformations: Readonly<Record<string, number>>;
}

export interface DeidentifiedExport {
  /** Each exported Patient followed by its records, all de-identified and pseudonymised. */
  readonly resources: readonly FhirResource[];
  readonly report: DeidentificationReport;
}

interface Released {
  readonly resource: FhirResource;
  readonly quasi: Readonly<Record<QuasiIdentifier, string>>;
}

function checkOptions(options: SafeHarborOptions): { k: number; band: number; quasi: readonly QuasiIdentifier[] } {
  if (options.studyKey.length < MIN_STUDY_KEY_BYTES) {
    throw new DomainError('INVALID_ARGUMENT', `the study key must have at least ${MIN_STUDY_KEY_BYTES} bytes`);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(options.asOf)) throw new DomainError('INVALID_ARGUMENT', 'asOf must be a date');
  const k = options.k ?? 5;
  const band = options.birthYearBand ?? 1;
  if (!Number.isInteger(band) || band < 1 || band > 50) {
    throw new DomainError('INVALID_ARGUMENT', 'birthYearBand must be an integer from 1 to 50');
  }
  const quasi = options.quasiIdentifiers ?? ['birthYear', 'gender', 'zip3'];
  return { k, band, quasi };
}

class Counter {
  readonly counts = new Map<string, number>();
  readonly count = (rule: string): void => {
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
  };
}

/** Safe Harbor C for the birth date: the year (or its band), or nothing and "90+" for ages over 89. */
function releaseBirth(patient: FhirResource, asOf: string, band: number, count: (rule: string) => void): Json {
  const birthDate = typeof patient.birthDate === 'string' ? patient.birthDate : undefined;
  const year = birthDate === undefined ? undefined : (yearOf(birthDate) ?? /^\d{4}$/.exec(birthDate)?.[0]);
  if (birthDate === undefined || year === undefined) return {};
  // For a birth date of year or month precision this is the oldest the person can be, so "could be 90" counts as 90+.
  const age = ageFromBirthDate(birthDate, asOf) ?? 0;
  if (age >= 90) {
    count('age over 89 aggregated to 90+');
    return { extension: [{ url: AGE_90_PLUS_EXTENSION, valueString: '90+' }] };
  }
  count('birth date generalised to year');
  if (band === 1) return { birthDate: year };
  const start = Math.floor(Number(year) / band) * band;
  return { extension: [{ url: BIRTH_YEAR_RANGE_EXTENSION, valueString: `${start}-${start + band - 1}` }] };
}

function quasiOf(patient: Json, birth: Json): Record<QuasiIdentifier, string> {
  const address = asObject(asArray(patient.address)[0]);
  const extension = asObject(asArray(birth.extension)[0]);
  const birthYear =
    typeof birth.birthDate === 'string'
      ? birth.birthDate
      : typeof extension?.valueString === 'string'
        ? extension.valueString
        : 'unknown';
  return {
    birthYear,
    gender: typeof patient.gender === 'string' ? patient.gender : 'unknown',
    zip3: typeof address?.postalCode === 'string' ? address.postalCode : 'unknown',
    state: typeof address?.state === 'string' ? address.state : 'unknown',
  };
}

class SafeHarbor {
  readonly #counter = new Counter();
  readonly #references = new Map<string, string>();

  constructor(
    private readonly key: Uint8Array,
    private readonly asOf: string,
    private readonly band: number,
  ) {}

  get transformations(): Record<string, number> {
    return Object.fromEntries([...this.#counter.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Registers every resource's pseudonymous reference, so references between exported resources survive. */
  register(resource: FhirResource, position: number): string {
    const original = typeof resource.id === 'string' ? `${resource.resourceType}/${resource.id}` : `#${position}`;
    const target = `${resource.resourceType}/${pseudonym(this.key, original)}`;
    for (const key of referenceKeysOf(resource)) this.#references.set(key, target);
    return target;
  }

  reference(original: string): string | undefined {
    return this.#references.get(original);
  }

  /** The de-identified resource with the given pseudonymous reference. */
  resource(resource: FhirResource, target: string): FhirResource {
    const ctx: ScrubContext = {
      resourceType: resource.resourceType,
      references: this.#references,
      count: this.#counter.count,
    };
    const { resourceType: _type, id: _id, meta, birthDate: _birth, ...rest } = resource;
    const body = asObject(scrubValue('', rest, {}, ctx)) ?? {};
    const scrubbedMeta = scrubMeta(meta, ctx);
    this.#counter.count('id replaced by pseudonym');
    return {
      resourceType: resource.resourceType,
      id: target.slice(target.indexOf('/') + 1),
      ...(scrubbedMeta === undefined ? {} : { meta: scrubbedMeta }),
      ...body,
    };
  }

  patient(patient: FhirResource, target: string): Released {
    const scrubbed = this.resource(patient, target);
    const birth = releaseBirth(patient, this.asOf, this.band, this.#counter.count);
    const extension = [...asArray(scrubbed.extension), ...asArray(birth.extension)];
    const resource: FhirResource = {
      ...scrubbed,
      ...(typeof birth.birthDate === 'string' ? { birthDate: birth.birthDate } : {}),
      ...(extension.length > 0 ? { extension } : {}),
    };
    return { resource, quasi: quasiOf(resource, birth) };
  }
}

interface Linked {
  readonly resource: FhirResource;
  readonly target: string;
}

function groupByPatient(
  resources: readonly FhirResource[],
  harbor: SafeHarbor,
): { patients: Map<string, FhirResource>; records: Map<string, Linked[]>; unlinked: number } {
  const patients = new Map<string, FhirResource>();
  const records = new Map<string, Linked[]>();
  let unlinked = 0;
  resources.forEach((resource, position) => {
    if (resource.resourceType === 'Patient') patients.set(harbor.register(resource, position), resource);
  });
  resources.forEach((resource, position) => {
    if (resource.resourceType === 'Patient') return;
    const reference = patientReferenceOf(resource);
    const patient = reference === undefined ? undefined : harbor.reference(reference);
    if (patient === undefined || !patients.has(patient)) {
      unlinked++;
      return;
    }
    const own = records.get(patient) ?? [];
    own.push({ resource, target: harbor.register(resource, position) });
    records.set(patient, own);
  });
  return { patients, records, unlinked };
}

function kReport(k: KAnonymityResult, quasi: readonly QuasiIdentifier[]): DeidentificationReport['kAnonymity'] {
  return {
    k: k.k,
    quasiIdentifiers: quasi,
    equivalenceClasses: k.equivalenceClasses,
    suppressedClasses: k.suppressedClasses,
    suppressedPatients: k.suppressed.size,
    kAchieved: k.kAchieved,
  };
}

/**
 * De-identifies a record set for export by the HIPAA Safe Harbor method: the 18 identifier kinds are removed or
 * generalised (names, contact details, identifiers, free text and unreviewed extensions removed; dates reduced to
 * the year; ages over 89 grouped as "90+"; addresses reduced to state and three-digit ZIP, "000" for the restricted
 * areas), resource ids and references are replaced by study-specific pseudonyms HMAC(studyKey, original id), and
 * patients whose quasi-identifiers occur fewer than k times are suppressed with all their records.
 *
 * Only Patients and records that reference one of them are exported; the output keeps R4 shapes but dates carry
 * year precision only. The report says what was suppressed and the k achieved.
 * @throws DomainError INVALID_ARGUMENT for a short key, a bad asOf, k or band
 */
export function deidentify(input: Iterable<FhirResource>, options: SafeHarborOptions): DeidentifiedExport {
  const { k, band, quasi } = checkOptions(options);
  const resources = [...input];
  const harbor = new SafeHarbor(options.studyKey, options.asOf, band);
  const { patients, records, unlinked } = groupByPatient(resources, harbor);
  const released = new Map([...patients].map(([target, patient]) => [target, harbor.patient(patient, target)]));
  const anonymity = enforceKAnonymity(
    [...released].map(([target, r]) => ({ key: target, values: quasi.map((q) => r.quasi[q]) })),
    k,
  );
  const out: FhirResource[] = [];
  let suppressedRecords = 0;
  for (const [target, patient] of released) {
    const own = records.get(target) ?? [];
    if (anonymity.suppressed.has(target)) {
      suppressedRecords += own.length;
      continue;
    }
    out.push(patient.resource);
    for (const record of own) out.push(harbor.resource(record.resource, record.target));
  }
  const linked = resources.length - patients.size - unlinked;
  return {
    resources: out,
    report: {
      method: 'HIPAA Safe Harbor, 45 CFR 164.514(b)(2)',
      asOf: options.asOf,
      patients: {
        input: patients.size,
        exported: patients.size - anonymity.suppressed.size,
        suppressed: anonymity.suppressed.size,
      },
      records: {
        input: resources.length - patients.size,
        exported: linked - suppressedRecords,
        suppressed: suppressedRecords,
        unlinked,
      },
      kAnonymity: kReport(anonymity, quasi),
      transformations: harbor.transformations,
    },
  };
}
