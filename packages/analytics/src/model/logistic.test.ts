import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PatientFeatures } from '../cohort/features.js';
import { extractFeatures } from '../cohort/features.js';
import { generatePopulation } from '../synthetic/generator.js';
import { GENERATING_MODEL } from '../synthetic/profile.js';
import { fitLogisticRegression, predictProbability, rocAuc } from './logistic.js';
import { normalCdf, twoSidedP, Z_975 } from './normal.js';

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

describe('logistic regression (IRLS / Newton on ml-matrix)', () => {
  it('matches the closed-form MLE and standard errors of a 2×2 table', () => {
    // x = 0: 30 events in 100; x = 1: 60 events in 120.
    const rows: Array<[number, number]> = [];
    for (let i = 0; i < 100; i++) rows.push([0, i < 30 ? 1 : 0]);
    for (let i = 0; i < 120; i++) rows.push([1, i < 60 ? 1 : 0]);
    const model = fitLogisticRegression(
      rows.map(([x]) => [x]),
      rows.map(([, y]) => y),
      { names: ['exposed'] },
    );
    const [intercept, slope] = model.coefficients;
    assert.ok(intercept && slope);
    close(intercept.estimate, Math.log(30 / 70), 1e-9, 'intercept = logit(0.3)');
    close(slope.estimate, Math.log(60 / 60) - Math.log(30 / 70), 1e-9, 'log odds ratio');
    close(slope.oddsRatio, 60 / 60 / (30 / 70), 1e-9, 'odds ratio');
    close(intercept.standardError, Math.sqrt(1 / 30 + 1 / 70), 1e-9, 'SE(intercept)');
    close(slope.standardError, Math.sqrt(1 / 30 + 1 / 70 + 1 / 60 + 1 / 60), 1e-9, 'SE(log OR), Woolf');
    const [low, high] = slope.oddsRatioCi95;
    close(low, Math.exp(slope.estimate - Z_975 * slope.standardError), 1e-12, 'CI low');
    close(high, Math.exp(slope.estimate + Z_975 * slope.standardError), 1e-12, 'CI high');
    assert.equal(slope.name, 'exposed');
    assert.equal(intercept.name, '(intercept)');
    assert.equal(model.n, 220);
    assert.equal(model.events, 90);
    close(predictProbability(model, [1]), 0.5, 1e-9, 'fitted P(y | exposed)');
    close(slope.pValue, twoSidedP(slope.z), 0, 'p-value');
  });

  it('refuses separated, collinear or malformed data', () => {
    const x = [[0], [1], [2], [3], [4], [5]];
    assert.throws(() => fitLogisticRegression(x, [0, 0, 0, 1, 1, 1]), { code: 'INVALID_ARGUMENT' });
    const collinear = Array.from({ length: 20 }, (_, i) => [i, 2 * i]);
    assert.throws(
      () =>
        fitLogisticRegression(
          collinear,
          collinear.map((_, i) => i % 2),
        ),
      { code: 'INVALID_ARGUMENT' },
    );
    assert.throws(() => fitLogisticRegression([[1], [2]], [0]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => fitLogisticRegression([[1], [2], [Number.NaN], [3]], [0, 1, 0, 1]), {
      code: 'INVALID_ARGUMENT',
    });
    assert.throws(() => fitLogisticRegression([[1], [2], [3], [4]], [0, 2, 0, 1]), { code: 'INVALID_ARGUMENT' });
  });

  it('stays finite under separation with a ridge penalty, and shrinks towards zero as it grows', () => {
    const x = [[-2], [-1], [-0.5], [0.5], [1], [2]];
    const y = [0, 0, 0, 1, 1, 1];
    assert.throws(() => fitLogisticRegression(x, y), /separat|singular|convergence/);
    const weak = fitLogisticRegression(x, y, { ridge: 0.1 });
    const strong = fitLogisticRegression(x, y, { ridge: 10 });
    const slope = (m: typeof weak): number => m.coefficients[1]?.estimate ?? Number.NaN;
    assert.ok(Number.isFinite(slope(weak)) && slope(weak) > slope(strong) && slope(strong) > 0);
    assert.throws(() => fitLogisticRegression(x, y, { ridge: -1 }), /ridge/);
  });

  it('computes the ROC AUC with ties counted one half', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
    assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.throws(() => rocAuc([0.1, 0.2], [1, 1]), { code: 'INVALID_ARGUMENT' });
  });

  it('has accurate normal tail probabilities', () => {
    close(normalCdf(Z_975), 0.975, 1e-7, 'Φ(1.96)');
    close(normalCdf(0), 0.5, 1e-7, 'Φ(0)');
    close(twoSidedP(2.5758293035489), 0.01, 1e-7, 'p at z = 2.576');
  });
});

describe('risk model on the synthetic population', () => {
  // Fixed seed: the population, and so every number below, is the same on every run.
  let adults: PatientFeatures[];
  before(() => {
    const rows = [...generatePopulation({ seed: 'logistic-recovery', count: 4000 })].flatMap((bundle) =>
      extractFeatures(
        bundle.entry.map((e) => e.resource),
        '2025-01-01',
      ),
    );
    adults = rows.filter((row) => (row.age ?? 0) >= 18 && row.bmi !== undefined);
  });

  const design = (rows: readonly PatientFeatures[]) =>
    rows.map((r) => [
      ((r.age ?? 0) - GENERATING_MODEL.ageCentre) / GENERATING_MODEL.ageScale,
      ((r.bmi ?? 0) - GENERATING_MODEL.bmiCentre) / GENERATING_MODEL.bmiScale,
    ]);
  const outcome = (rows: readonly PatientFeatures[]) => rows.map((r) => (r.conditions.diabetes ? 1 : 0));

  it('recovers the generating coefficients of diabetes ~ age + BMI within 4 standard errors', () => {
    const model = fitLogisticRegression(design(adults), outcome(adults), { names: ['age per 10 y', 'BMI per 5'] });
    const truth = [GENERATING_MODEL.diabetes.intercept, GENERATING_MODEL.diabetes.age, GENERATING_MODEL.diabetes.bmi];
    assert.ok(model.n > 2500 && model.events > 200, `${model.n} adults, ${model.events} with diabetes`);
    model.coefficients.forEach((c, j) => {
      const expected = truth[j] ?? Number.NaN;
      assert.ok(Math.abs(c.estimate - expected) < 4 * c.standardError, `${c.name}: ${c.estimate} ± ${c.standardError}`);
      assert.ok(c.standardError < 0.1);
    });
    const age = model.coefficients[1];
    assert.ok(age && age.oddsRatioCi95[0] > 1 && age.pValue < 1e-6, 'age is a significant risk factor');
  });

  it('discriminates on held-out patients (AUC > 0.75) and is reproducible', () => {
    const train = adults.filter((_, i) => i % 3 !== 0);
    const test = adults.filter((_, i) => i % 3 === 0);
    const fit = () => fitLogisticRegression(design(train), outcome(train));
    const model = fit();
    const auc = rocAuc(
      design(test).map((row) => predictProbability(model, row)),
      outcome(test),
    );
    assert.ok(auc > 0.75, `AUC ${auc}`);
    assert.deepEqual(fit(), model, 'the same data give the same model');
    const withLabs = (rows: readonly PatientFeatures[]) =>
      design(rows).map((row, i) => [...row, rows[i]?.hba1c ?? 5.5, (rows[i]?.glucose ?? 90) / 10]);
    const labModel = fitLogisticRegression(withLabs(train), outcome(train));
    const labAuc = rocAuc(
      withLabs(test).map((row) => predictProbability(labModel, row)),
      outcome(test),
    );
    assert.ok(labAuc > 0.9, `AUC with HbA1c and glucose ${labAuc}`);
  });
});
