import { DomainError } from '@medledger/core';
import type { BundleEntry, FhirResource, TransactionBundle } from '../fhir/types.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { Code, ConditionKey } from './codes.js';
import { CONDITION_KEYS, CONDITIONS, ENCOUNTER_TYPES, MEASURES, MEDICATIONS, VACCINES } from './codes.js';
import type { Person } from './profile.js';
import { ageAt, DAY_MS, samplePerson } from './profile.js';
import type { EncounterInput, PatientIds, RecordContext } from './resources.js';
import {
  bloodPressureObservation,
  claimResource,
  conditionResource,
  coverageResource,
  encounterResource,
  immunizationResource,
  medicationRequestResource,
  patientResource,
  quantityObservation,
  sensitivityOf,
  smokingObservation,
} from './resources.js';

export interface SyntheticOptions {
  /** Any string or number; the same seed always gives byte-identical bundles. */
  readonly seed: string | number;
  /** The "today" of the population (YYYY-MM-DD, UTC); every record is dated before it. Default 2025-01-01. */
  readonly referenceDate?: string;
}

export interface PopulationOptions extends SyntheticOptions {
  readonly count: number;
  /** Index of the first patient (default 0); patient i is the same whatever the count. */
  readonly startIndex?: number;
}

export const DEFAULT_REFERENCE_DATE = '2025-01-01';

function referenceMs(options: SyntheticOptions): number {
  const text = options.referenceDate ?? DEFAULT_REFERENCE_DATE;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw new DomainError('INVALID_ARGUMENT', 'referenceDate must be a date (YYYY-MM-DD)');
  return ms;
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

interface Visit {
  readonly kind: 'wellness' | 'diagnosis';
  readonly atMs: number;
  /** For wellness visits: 0 is the most recent. */
  readonly recency: number;
  readonly condition?: ConditionKey;
}

function planVisits(rng: SeededRandom, person: Person, refMs: number): Visit[] {
  const visits: Visit[] = [];
  const count = person.age < 1 ? 1 : rng.intBetween(1, 6);
  for (let k = 0; k < count; k++) {
    const dayStart = refMs - (k * 365 + rng.intBetween(10, 200)) * DAY_MS;
    const atMs = dayStart + (8 * 60 + rng.int(9 * 60)) * 60_000;
    if (atMs > person.birthMs + 14 * DAY_MS) visits.push({ kind: 'wellness', atMs, recency: k });
  }
  for (const key of CONDITION_KEYS) {
    const onset = person.conditions.get(key);
    if (onset !== undefined) visits.push({ kind: 'diagnosis', atMs: onset, recency: -1, condition: key });
  }
  return visits.sort((a, b) => a.atMs - b.atMs);
}

/** Builds one patient's transaction Bundle, entry by entry, in chronological order like Synthea. */
class PatientBundleBuilder {
  readonly #entries: BundleEntry[] = [];
  readonly #conditionIds = new Map<ConditionKey, string>();
  readonly #coverageId: string;

  constructor(
    private readonly rng: SeededRandom,
    private readonly person: Person,
    refMs: number,
  ) {
    this.#add(patientResource(person, this.#patientIds()));
    this.#coverageId = rng.uuid();
    this.#add(
      coverageResource({
        id: this.#coverageId,
        patient: person.id,
        payer: person.payer,
        memberId: `${person.payer.name.slice(0, 3).toUpperCase()}${rng.digits(9)}`,
        startMs: Math.max(person.birthMs, refMs - 10 * 365 * DAY_MS),
      }),
    );
  }

  get entries(): readonly BundleEntry[] {
    return this.#entries;
  }

  #patientIds(): PatientIds {
    const { rng, person } = this;
    const adult = person.age >= 18;
    const email = adult && rng.chance(0.4);
    return {
      mrn: rng.digits(8),
      ssn: `999-${rng.digits(2)}-${rng.digits(4)}`,
      ...(person.age >= 16 ? { driversLicense: `S999${rng.digits(5)}` } : {}),
      ...(adult && rng.chance(0.3) ? { passport: `X${rng.digits(8)}X` } : {}),
      phone: `555-${rng.digits(3)}-${rng.digits(4)}`,
      ...(email
        ? {
            email: `${(person.given[0] ?? 'x').toLowerCase()}.${person.family.toLowerCase()}${rng.digits(2)}@example.com`,
          }
        : {}),
      lat: round(person.town.lat + rng.normal(0, 0.02), 6),
      lon: round(person.town.lon + rng.normal(0, 0.02), 6),
    };
  }

  #add(resource: FhirResource): string {
    const id = resource.id as string;
    this.#entries.push({
      fullUrl: `urn:uuid:${id}`,
      resource,
      request: { method: 'POST', url: resource.resourceType },
    });
    return id;
  }

  has(key: ConditionKey, atMs: number): boolean {
    const onset = this.person.conditions.get(key);
    return onset !== undefined && onset <= atMs;
  }

  visit(visit: Visit): void {
    const { rng, person } = this;
    const labels = new Set<string>();
    const sensitivity = visit.condition === undefined ? undefined : sensitivityOf(visit.condition);
    if (sensitivity !== undefined) labels.add(sensitivity);
    const encounter: EncounterInput = {
      id: rng.uuid(),
      patient: person.id,
      type: visit.kind === 'wellness' ? ENCOUNTER_TYPES.checkUp : ENCOUNTER_TYPES.problem,
      startMs: visit.atMs,
      endMs: visit.atMs + rng.intBetween(15, 40) * 60_000,
      provider: person.town.provider,
      ...(visit.condition === undefined ? {} : { reason: CONDITIONS[visit.condition].code }),
      labels,
    };
    this.#add(encounterResource(encounter));
    const ctx: RecordContext = { patient: person.id, encounter: encounter.id, atMs: visit.atMs };
    const products: Code[] = [];
    const diagnoses: string[] = [];
    if (visit.condition !== undefined) this.#diagnose(visit.condition, ctx, products, diagnoses);
    if (visit.kind === 'wellness') this.#wellness(visit, ctx, products);
    const total = 85 + products.length * 40 + rng.int(60);
    this.#add(claimResource({ id: rng.uuid(), encounter, coverage: this.#coverageId, diagnoses, products, total }));
  }

  #diagnose(key: ConditionKey, ctx: RecordContext, products: Code[], diagnoses: string[]): void {
    const conditionId = this.#add(conditionResource(this.rng.uuid(), key, ctx));
    this.#conditionIds.set(key, conditionId);
    diagnoses.push(conditionId);
    const options = MEDICATIONS[key];
    const medications = key === 'hypertension' ? [this.rng.pick(options)] : options;
    for (const medication of medications) {
      this.#add(medicationRequestResource(this.rng.uuid(), medication, { condition: conditionId, key }, ctx));
      products.push(medication);
    }
    if (key === 'hiv') this.#viralLoad(ctx);
  }

  #viralLoad(ctx: RecordContext): void {
    const treated = ctx.atMs - (this.person.conditions.get('hiv') ?? ctx.atMs) > 90 * DAY_MS;
    const value = treated ? this.rng.intBetween(0, 49) : this.rng.intBetween(7000, 100_000);
    this.#add(quantityObservation(this.rng.uuid(), MEASURES.viralLoad, value, ctx, new Set(['HIV'])));
  }

  #wellness(visit: Visit, ctx: RecordContext, products: Code[]): void {
    const ageYears = ageAt(this.person.birthMs, visit.atMs);
    if (ageYears >= 2 && this.person.bmi !== undefined) this.#vitals(visit, ageYears, ctx);
    if (ageYears >= 15) this.#add(smokingObservation(this.rng.uuid(), this.person.smoking, ctx));
    if (ageYears >= 18 && (visit.recency === 0 || this.rng.chance(0.5))) this.#labs(visit, ageYears, ctx);
    if (this.has('hiv', visit.atMs)) this.#viralLoad(ctx);
    for (const vaccine of this.#vaccines(visit, ageYears)) {
      this.#add(immunizationResource(this.rng.uuid(), vaccine, ctx));
      products.push(vaccine);
    }
  }

  #bmiAt(visit: Visit, ageYears: number): number {
    const latent = this.person.bmi ?? 18;
    if (visit.recency === 0) return latent;
    const drift = ageYears < 18 ? -0.3 * (this.person.age - ageYears) : -0.08 * visit.recency;
    return clamp(latent + drift + this.rng.normal(0, 0.6), 12, 60);
  }

  #heightAt(ageYears: number): number {
    const growth = (a: number): number => 50 + (126 * Math.min(a, 18)) / 18;
    return this.person.heightCm * (growth(ageYears) / growth(this.person.age));
  }

  #vitals(visit: Visit, ageYears: number, ctx: RecordContext): void {
    const { rng, person } = this;
    const bmi = round(this.#bmiAt(visit, ageYears), 1);
    const height = round(this.#heightAt(ageYears), 1);
    this.#add(quantityObservation(rng.uuid(), MEASURES.height, height, ctx));
    this.#add(quantityObservation(rng.uuid(), MEASURES.weight, round(bmi * (height / 100) ** 2, 1), ctx));
    this.#add(quantityObservation(rng.uuid(), MEASURES.bmi, bmi, ctx));
    const hypertensive = this.has('hypertension', visit.atMs) ? 1 : 0;
    const adultAge = Math.max(ageYears, 18);
    const base = ageYears < 18 ? 95 + 1.2 * ageYears - 21.6 : 110 + 0.45 * (adultAge - 40);
    const systolic = clamp(
      Math.round(base + 0.8 * (bmi - 27) + 16 * hypertensive + person.baseline.systolic + rng.normal(0, 6)),
      80,
      210,
    );
    const diastolicRaw = 70 + 0.15 * (adultAge - 40) + 0.4 * (bmi - 27) + 8 * hypertensive;
    const diastolic = clamp(Math.round(diastolicRaw + person.baseline.diastolic + rng.normal(0, 4)), 40, systolic - 20);
    this.#add(bloodPressureObservation(rng.uuid(), systolic, diastolic, ctx));
  }

  #labs(visit: Visit, ageYears: number, ctx: RecordContext): void {
    const { rng, person } = this;
    const bmi = person.bmi ?? 27;
    const diabetic = this.has('diabetes', visit.atMs);
    const glucose = diabetic
      ? rng.clampedNormal(150, 30, 70, 400)
      : rng.clampedNormal(90 + 0.3 * (bmi - 27), 8, 65, 125);
    const a1cMean = 5.3 + 0.02 * (bmi - 27) + 0.004 * (ageYears - 50);
    const hba1c = diabetic ? rng.clampedNormal(7.5, 1.0, 5.8, 13) : rng.clampedNormal(a1cMean, 0.3, 4.2, 6.4);
    const cholesterol = clamp(
      180 + 0.5 * (Math.min(ageYears, 70) - 40) + person.baseline.cholesterol + rng.normal(0, 10),
      110,
      330,
    );
    this.#add(quantityObservation(rng.uuid(), MEASURES.glucose, Math.round(glucose), ctx));
    this.#add(quantityObservation(rng.uuid(), MEASURES.hba1c, round(hba1c, 1), ctx));
    this.#add(quantityObservation(rng.uuid(), MEASURES.cholesterol, Math.round(cholesterol), ctx));
  }

  #vaccines(visit: Visit, ageYears: number): Code[] {
    const { rng } = this;
    const out: Code[] = [];
    if (ageYears >= 1 && rng.chance(0.55)) out.push(VACCINES.influenza);
    if (new Date(visit.atMs).getUTCFullYear() >= 2021 && ageYears >= 12 && rng.chance(0.35)) out.push(VACCINES.covid);
    if (ageYears >= 19 && rng.chance(0.1)) out.push(VACCINES.td);
    if (ageYears >= 65 && rng.chance(0.15)) out.push(VACCINES.pneumococcal);
    return out;
  }
}

/**
 * One synthetic patient as a FHIR R4 transaction Bundle shaped like Synthea's output: the Patient, a Coverage, then
 * each encounter with its Conditions, MedicationRequests, Observations, Immunizations and Claim, all with
 * `urn:uuid` fullUrls and references. Deterministic: the same seed and index give byte-identical JSON.
 * @throws DomainError INVALID_ARGUMENT for a bad referenceDate or index
 */
export function generatePatientBundle(options: SyntheticOptions, index: number): TransactionBundle {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new DomainError('INVALID_ARGUMENT', 'index must be a non-negative integer');
  }
  const refMs = referenceMs(options);
  const rng = new SeededRandom(`medledger-synthetic-population:${String(options.seed)}:${index}`);
  const person = samplePerson(rng, refMs);
  const builder = new PatientBundleBuilder(rng, person, refMs);
  for (const visit of planVisits(rng, person, refMs)) builder.visit(visit);
  return { resourceType: 'Bundle', type: 'transaction', entry: builder.entries };
}

/**
 * The population lazily, one Bundle per patient, so that 10,000 patients never need to be held in memory at once.
 * @throws DomainError INVALID_ARGUMENT for a negative or non-integer count
 */
export function* generatePopulation(options: PopulationOptions): Generator<TransactionBundle, void, undefined> {
  if (!Number.isSafeInteger(options.count) || options.count < 0) {
    throw new DomainError('INVALID_ARGUMENT', 'count must be a non-negative integer');
  }
  const start = options.startIndex ?? 0;
  for (let i = 0; i < options.count; i++) yield generatePatientBundle(options, start + i);
}
