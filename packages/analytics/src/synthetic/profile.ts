import type { SeededRandom } from '../random/seeded-random.js';
import type { ConditionKey, SmokingStatus } from './codes.js';
import type { Payer, Town } from './vocabulary.js';
import { FEMALE_GIVEN, MALE_GIVEN, PAYERS, RACES, STREET_SUFFIXES, STREETS, SURNAMES, TOWNS } from './vocabulary.js';

export const DAY_MS = 86_400_000;

/**
 * The generating model of the synthetic population: logistic models on centred, scaled age and BMI (at the reference
 * date), published so that tests and notebooks can check that a fitted model recovers it. For adults (18+) only;
 * children never have hypertension or type 2 diabetes here.
 *
 * logit P(type 2 diabetes) = intercept + age·(age − 50)/10 + bmi·(BMI − 27)/5
 * logit P(hypertension)    = intercept + age·(age − 50)/10 + bmi·(BMI − 27)/5 + smoker·[current smoker] + diabetes·[T2D]
 */
export const GENERATING_MODEL = {
  ageCentre: 50,
  ageScale: 10,
  bmiCentre: 27,
  bmiScale: 5,
  diabetes: { intercept: -2.4, age: 0.55, bmi: 0.8 },
  hypertension: { intercept: -1.1, age: 0.7, bmi: 0.45, currentSmoker: 0.35, diabetes: 0.5 },
} as const;

export interface Person {
  readonly id: string;
  readonly gender: 'male' | 'female';
  readonly birthMs: number;
  /** Whole years at the reference date. */
  readonly age: number;
  readonly given: readonly string[];
  readonly family: string;
  readonly maidenName?: string;
  readonly mothersMaidenName: string;
  readonly town: Town;
  readonly birthPlace: Town;
  readonly street: string;
  readonly race: { readonly code: string; readonly display: string };
  readonly hispanic: boolean;
  readonly maritalStatus?: 'M' | 'S' | 'D' | 'W';
  readonly smoking: SmokingStatus;
  /** Latent BMI at the reference date (children: undefined under 2). */
  readonly bmi?: number;
  readonly heightCm: number;
  /** Onset time of each condition the person has. */
  readonly conditions: ReadonlyMap<ConditionKey, number>;
  readonly payer: Payer;
  readonly baseline: { readonly cholesterol: number; readonly systolic: number; readonly diastolic: number };
}

// Age distribution by decade (0–9 … 90–99), roughly the US population with a slightly heavier 90+ tail.
const DECADE_WEIGHTS = [11.5, 12.5, 13.5, 13.5, 12, 13, 12, 8, 3.5, 0.9];

/** Whole years between a birth time and a later time, as people count birthdays (UTC). */
export function ageAt(birthMs: number, atMs: number): number {
  const birth = new Date(birthMs);
  const at = new Date(atMs);
  let age = at.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    at.getUTCMonth() < birth.getUTCMonth() ||
    (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age;
}

function sampleAge(rng: SeededRandom): number {
  const decade = rng.weighted(
    DECADE_WEIGHTS.map((_, i) => i),
    (i) => DECADE_WEIGHTS[i] ?? 0,
  );
  return decade * 10 + rng.int(10);
}

function sampleSmoking(rng: SeededRandom, age: number): SmokingStatus {
  if (age < 15) return 'never';
  const current = age >= 65 ? 0.08 : 0.14;
  const former = age >= 40 ? 0.24 : 0.08;
  const u = rng.float();
  if (u < current) return 'current';
  return u < current + former ? 'former' : 'never';
}

function sampleHeight(rng: SeededRandom, gender: 'male' | 'female', age: number): number {
  const adult = gender === 'male' ? rng.normal(176, 7) : rng.normal(162, 6.5);
  if (age >= 18) return adult;
  // Roughly linear growth from 50 cm at birth to the adult height at 18.
  return 50 + ((adult - 50) * Math.min(age, 18)) / 18 + (age < 2 ? 0 : rng.normal(0, 3));
}

function sampleBmi(rng: SeededRandom, age: number): number | undefined {
  if (age < 2) return undefined;
  if (age < 18) return rng.clampedNormal(15.5 + 0.3 * (age - 2), 2.5, 12, 35);
  return rng.clampedNormal(26.6 + 0.05 * (Math.min(age, 65) - 40), 5.3, 16, 55);
}

const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

function scaled(age: number, bmi: number): { a: number; b: number } {
  const m = GENERATING_MODEL;
  return { a: (age - m.ageCentre) / m.ageScale, b: (bmi - m.bmiCentre) / m.bmiScale };
}

/** Onset time for a condition first diagnosed between `fromAge` and the reference date. */
function onset(rng: SeededRandom, birthMs: number, refMs: number, fromAge: number): number {
  const earliest = Math.max(birthMs + fromAge * 365.25 * DAY_MS, refMs - 20 * 365.25 * DAY_MS);
  const latest = refMs - 30 * DAY_MS;
  if (earliest >= latest) return latest;
  return Math.floor(earliest + rng.float() * (latest - earliest));
}

interface Risk {
  readonly age: number;
  readonly gender: 'male' | 'female';
  readonly bmi: number | undefined;
  readonly smoking: SmokingStatus;
}

function adultConditions(rng: SeededRandom, risk: Risk & { bmi: number }): ConditionKey[] {
  const m = GENERATING_MODEL;
  const { a, b } = scaled(risk.age, risk.bmi);
  const out: ConditionKey[] = [];
  const diabetes = rng.chance(logistic(m.diabetes.intercept + m.diabetes.age * a + m.diabetes.bmi * b));
  if (diabetes) out.push('diabetes');
  const h = m.hypertension;
  const smoker = risk.smoking === 'current' ? h.currentSmoker : 0;
  if (rng.chance(logistic(h.intercept + h.age * a + h.bmi * b + smoker + (diabetes ? h.diabetes : 0)))) {
    out.push('hypertension');
  }
  if (risk.age <= 75 && rng.chance(risk.gender === 'male' ? 0.009 : 0.003)) out.push('hiv');
  return out;
}

function sampleConditions(rng: SeededRandom, risk: Risk): ConditionKey[] {
  const out = risk.age >= 18 && risk.bmi !== undefined ? adultConditions(rng, { ...risk, bmi: risk.bmi }) : [];
  const asthma = (risk.age < 18 ? 0.09 : 0.075) + (risk.smoking === 'current' ? 0.04 : 0);
  if (risk.age >= 3 && rng.chance(asthma)) out.push('asthma');
  if (risk.age >= 12 && rng.chance(risk.gender === 'female' ? 0.095 : 0.055)) out.push('depression');
  return out;
}

const CONDITION_MIN_AGE: Readonly<Record<ConditionKey, number>> = {
  hypertension: 18,
  diabetes: 18,
  asthma: 2,
  depression: 12,
  hiv: 16,
};

function samplePayer(rng: SeededRandom, age: number): Payer {
  if (age >= 65) return PAYERS.medicare;
  if (rng.chance(0.18)) return PAYERS.medicaid;
  return rng.pick(PAYERS.private);
}

function sampleMarital(rng: SeededRandom, age: number): Person['maritalStatus'] {
  if (age < 18) return undefined;
  if (age < 26) return rng.chance(0.85) ? 'S' : 'M';
  const u = rng.float();
  if (u < 0.55) return 'M';
  if (u < 0.75) return 'S';
  return u < 0.9 || age < 60 ? 'D' : 'W';
}

function sampleBirth(rng: SeededRandom, refMs: number): { birthMs: number; age: number } {
  const target = sampleAge(rng);
  const ref = new Date(refMs);
  const anniversary = Date.UTC(ref.getUTCFullYear() - target, ref.getUTCMonth(), ref.getUTCDate());
  const birthMs = anniversary - rng.int(365) * DAY_MS;
  return { birthMs, age: ageAt(birthMs, refMs) };
}

function sampleNames(
  rng: SeededRandom,
  gender: 'male' | 'female',
  marital: Person['maritalStatus'],
): Pick<Person, 'given' | 'family' | 'maidenName' | 'mothersMaidenName'> {
  const pool = gender === 'male' ? MALE_GIVEN : FEMALE_GIVEN;
  const given = rng.chance(0.3) ? [rng.pick(pool), rng.pick(pool)] : [rng.pick(pool)];
  const family = rng.pick(SURNAMES);
  const married = gender === 'female' && marital !== undefined && marital !== 'S';
  const maiden = married && rng.chance(0.7) ? rng.pick(SURNAMES) : undefined;
  return {
    given,
    family,
    ...(maiden === undefined ? {} : { maidenName: maiden }),
    mothersMaidenName: `${rng.pick(FEMALE_GIVEN)} ${rng.pick(SURNAMES)}`,
  };
}

/** Draws one person's latent state: demographics, risk factors and conditions. */
export function samplePerson(rng: SeededRandom, refMs: number): Person {
  const id = rng.uuid();
  const gender = rng.chance(0.51) ? 'female' : 'male';
  const { birthMs, age } = sampleBirth(rng, refMs);
  const marital = sampleMarital(rng, age);
  const town = rng.weighted(TOWNS, (t) => t.weight);
  const race = rng.weighted(RACES, (r) => r.weight);
  const smoking = sampleSmoking(rng, age);
  const bmi = sampleBmi(rng, age);
  const conditions = new Map<ConditionKey, number>();
  for (const key of sampleConditions(rng, { age, gender, bmi, smoking })) {
    conditions.set(key, onset(rng, birthMs, refMs, CONDITION_MIN_AGE[key]));
  }
  return {
    id,
    gender,
    birthMs,
    age,
    ...sampleNames(rng, gender, marital),
    town,
    birthPlace: rng.chance(0.6) ? town : rng.weighted(TOWNS, (t) => t.weight),
    street: `${rng.intBetween(1, 999)} ${rng.pick(STREETS)} ${rng.pick(STREET_SUFFIXES)}`,
    race: { code: race.code, display: race.display },
    hispanic: rng.chance(race.code === '2131-1' ? 0.6 : 0.05),
    ...(marital === undefined ? {} : { maritalStatus: marital }),
    smoking,
    ...(bmi === undefined ? {} : { bmi }),
    heightCm: sampleHeight(rng, gender, age),
    conditions,
    payer: samplePayer(rng, age),
    baseline: {
      cholesterol: rng.normal(0, 28),
      systolic: rng.normal(0, 8),
      diastolic: rng.normal(0, 5),
    },
  };
}
