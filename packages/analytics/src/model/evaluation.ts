import { createHash } from 'node:crypto';
import { DomainError } from '@medledger/core';
import type { PatientFeatures } from '../cohort/features.js';
import type { LogisticModel } from './logistic.js';
import { fitLogisticRegression, predictProbability, rocAuc } from './logistic.js';

// What a trained model releases: a ROC curve at fixed thresholds and calibration bins of at least five people, so
// that no single held-out person's score or outcome can be read off the results.
const RELEASED_ROC_STEPS = 20;
const RELEASED_MIN_BIN = 5;

/** One point of a ROC curve: the threshold and the rates at or above it. */
export interface RocPoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

/** One calibration bin: predicted mean probability against the observed event rate. */
export interface CalibrationBin {
  readonly bin: number;
  readonly lower: number;
  readonly upper: number;
  readonly n: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

function rocAtThresholds(
  scores: readonly number[],
  labels: readonly number[],
  steps: number,
  totals: { readonly positives: number; readonly negatives: number },
): RocPoint[] {
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  for (let j = steps; j >= 0; j--) {
    const threshold = j / steps;
    let tp = 0;
    let fp = 0;
    scores.forEach((score, i) => {
      if (score < threshold) return;
      if (labels[i] === 1) tp++;
      else fp++;
    });
    points.push({ threshold, fpr: fp / totals.negatives, tpr: tp / totals.positives });
  }
  return points;
}

/**
 * The ROC curve from (0,0) to (1,1): one point per distinct score (ties move diagonally), or, with `steps`, one point
 * per fixed threshold 1, 1 − 1/steps, …, 0 — the form to release, since a distinct-score curve publishes every held-out
 * person's exact predicted probability.
 */
export function rocCurve(scores: readonly number[], labels: readonly number[], steps?: number): RocPoint[] {
  if (scores.length !== labels.length) throw new DomainError('INVALID_ARGUMENT', 'one label per score');
  const positives = labels.filter((label) => label === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) throw new DomainError('INVALID_ARGUMENT', 'a ROC curve needs both outcomes');
  if (steps !== undefined) return rocAtThresholds(scores, labels, steps, { positives, negatives });
  return rocAtEveryScore(scores, labels, { positives, negatives });
}

function rocAtEveryScore(
  scores: readonly number[],
  labels: readonly number[],
  totals: { readonly positives: number; readonly negatives: number },
): RocPoint[] {
  const order = scores.map((score, i) => ({ score, positive: labels[i] === 1 })).sort((a, b) => b.score - a.score);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    const score = order[i]?.score ?? 0;
    while (i < order.length && order[i]?.score === score) {
      if (order[i]?.positive === true) tp++;
      else fp++;
      i++;
    }
    points.push({ threshold: score, fpr: fp / totals.negatives, tpr: tp / totals.positives });
  }
  return points;
}

/** Calibration in `bins` equal-width probability bins; bins with fewer than `minBinSize` people are left out. */
export function calibration(
  probabilities: readonly number[],
  labels: readonly number[],
  bins = 10,
  minBinSize = 1,
): CalibrationBin[] {
  if (probabilities.length !== labels.length) throw new DomainError('INVALID_ARGUMENT', 'one label per prediction');
  const sums = Array.from({ length: bins }, () => ({ n: 0, predicted: 0, events: 0 }));
  probabilities.forEach((p, i) => {
    const slot = sums[Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))];
    if (slot === undefined) return;
    slot.n++;
    slot.predicted += p;
    slot.events += labels[i] === 1 ? 1 : 0;
  });
  return sums.flatMap((slot, bin) =>
    slot.n === 0 || slot.n < minBinSize
      ? []
      : [
          {
            bin,
            lower: bin / bins,
            upper: (bin + 1) / bins,
            n: slot.n,
            meanPredicted: slot.predicted / slot.n,
            observedRate: slot.events / slot.n,
          },
        ],
  );
}

/**
 * A deterministic train/test assignment: a row is held out when SHA-256(seed + key) falls below the test fraction,
 * so the split does not depend on row order and the same seed gives the same split.
 */
export function isHeldOut(key: string, seed: string, testFraction: number): boolean {
  const word = createHash('sha256').update(`${seed}\u0000${key}`).digest().readUInt32BE(0);
  return word / 4_294_967_296 < testFraction;
}

/** A predictor of the type 2 diabetes risk model: a short key, the name in reports, its value from a feature row. */
export interface RiskPredictor {
  readonly key: string;
  readonly name: string;
  readonly value: (row: PatientFeatures) => number | undefined;
}

/**
 * A stratified held-out split: within each outcome, rows ordered by SHA-256(seed + key) and the first
 * round(fraction · n) (at least one of each outcome that has two rows) held out. Order-independent and reproducible;
 * both outcomes reach the test set even in small cohorts.
 */
export function stratifiedSplit<T extends { readonly key: string; readonly y: number }>(
  rows: readonly T[],
  seed: string,
  testFraction: number,
): { train: T[]; test: T[] } {
  const rank = (key: string): string => createHash('sha256').update(`${seed}\u0000${key}`).digest('hex');
  const train: T[] = [];
  const test: T[] = [];
  for (const outcome of [0, 1]) {
    const stratum = rows
      .filter((row) => row.y === outcome)
      .map((row) => ({ row, rank: rank(row.key) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    const held = stratum.length < 2 ? 0 : Math.max(1, Math.round(testFraction * stratum.length));
    stratum.forEach(({ row }, i) => (i < held ? test : train).push(row));
  }
  return { train, test };
}

/** The predictors the type 2 diabetes risk model may use (centred and scaled as in the generating model). */
export const RISK_PREDICTORS: readonly RiskPredictor[] = [
  { key: 'age', name: 'age per 10 y', value: (r) => (r.age === undefined ? undefined : (r.age - 50) / 10) },
  { key: 'bmi', name: 'BMI per 5 kg/m2', value: (r) => (r.bmi === undefined ? undefined : (r.bmi - 27) / 5) },
  {
    key: 'glucose',
    name: 'glucose per 10 mg/dL',
    value: (r) => (r.glucose === undefined ? undefined : (r.glucose - 100) / 10),
  },
  { key: 'hba1c', name: 'HbA1c %', value: (r) => (r.hba1c === undefined ? undefined : r.hba1c - 5.5) },
  {
    key: 'systolic',
    name: 'systolic per 10 mmHg',
    value: (r) => (r.systolic === undefined ? undefined : (r.systolic - 120) / 10),
  },
  {
    key: 'smoking',
    name: 'current smoker',
    value: (r) => (r.smoking === undefined ? undefined : r.smoking === 'current' ? 1 : 0),
  },
];

export interface RiskModelOptions {
  /** Seeds the held-out split. */
  readonly seed: string;
  /** Share of patients held out for evaluation, (0, 0.9]; default 0.3. */
  readonly testFraction?: number;
  /** Predictor keys (or names) from RISK_PREDICTORS; default all. */
  readonly predictors?: readonly string[];
  /** Only patients at least this old (default 18). */
  readonly minAge?: number;
  /** Ridge penalty of the fit (see LogisticOptions.ridge); default 0, plain maximum likelihood. */
  readonly ridge?: number;
}

export interface RiskModelResult {
  readonly outcome: 'type 2 diabetes';
  readonly predictors: readonly string[];
  readonly model: LogisticModel;
  readonly train: { readonly n: number; readonly events: number };
  readonly test: { readonly n: number; readonly events: number };
  readonly auc: number;
  readonly roc: readonly RocPoint[];
  readonly calibration: readonly CalibrationBin[];
}

/**
 * Trains and evaluates the type 2 diabetes risk model (logistic regression) on feature rows, e.g. of a study's
 * de-identified cohort: complete cases of adults, a seeded stratified held-out split, AUC, ROC curve and calibration on the
 * held-out part. Same rows and seed → the same model.
 * @throws DomainError INVALID_ARGUMENT when a split has too few rows or only one outcome
 */
export function trainRiskModel(rows: readonly PatientFeatures[], options: RiskModelOptions): RiskModelResult {
  const testFraction = options.testFraction ?? 0.3;
  if (!(testFraction > 0 && testFraction <= 0.9)) throw new DomainError('INVALID_ARGUMENT', 'testFraction in (0, 0.9]');
  const chosen = RISK_PREDICTORS.filter(
    (p) =>
      options.predictors === undefined || options.predictors.includes(p.key) || options.predictors.includes(p.name),
  );
  if (chosen.length === 0) throw new DomainError('INVALID_ARGUMENT', 'no known predictor selected');
  const minAge = options.minAge ?? 18;
  const complete = [...rows]
    .sort((a, b) => (a.patient < b.patient ? -1 : a.patient > b.patient ? 1 : 0))
    .filter((row) => (row.age ?? -1) >= minAge)
    .flatMap((row) => {
      const x = chosen.map((p) => p.value(row));
      return x.every((v): v is number => v !== undefined && Number.isFinite(v))
        ? [{ key: row.patient, x, y: row.conditions.diabetes ? 1 : 0 }]
        : [];
    });
  const { train, test } = stratifiedSplit(complete, options.seed, testFraction);
  if (train.length < 20 || test.length < 10) {
    throw new DomainError('INVALID_ARGUMENT', `too few complete cases (${train.length} train, ${test.length} test)`);
  }
  const names = chosen.map((p) => p.name);
  const model = fitLogisticRegression(
    train.map((r) => r.x),
    train.map((r) => r.y),
    { names, ...(options.ridge === undefined ? {} : { ridge: options.ridge }) },
  );
  const scores = test.map((r) => predictProbability(model, r.x));
  const labels = test.map((r) => r.y);
  return {
    outcome: 'type 2 diabetes',
    predictors: names,
    model,
    train: { n: train.length, events: train.filter((r) => r.y === 1).length },
    test: { n: test.length, events: labels.filter((y) => y === 1).length },
    auc: rocAuc(scores, labels),
    roc: rocCurve(scores, labels, RELEASED_ROC_STEPS),
    calibration: calibration(scores, labels, 10, RELEASED_MIN_BIN),
  };
}
