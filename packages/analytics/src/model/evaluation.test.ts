import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PatientFeatures } from '../cohort/features.js';
import { extractFeatures } from '../cohort/features.js';
import { generatePopulation } from '../synthetic/generator.js';
import { calibration, isHeldOut, rocCurve, stratifiedSplit, trainRiskModel } from './evaluation.js';

describe('risk model evaluation', () => {
  let rows: PatientFeatures[];
  before(() => {
    const resources = [...generatePopulation({ seed: 7, count: 1500 })].flatMap((b) => b.entry.map((e) => e.resource));
    rows = extractFeatures(resources, '2025-01-01');
  });

  it('trains on a held-out split with AUC > 0.75, and the same seed gives the same model', () => {
    const first = trainRiskModel(rows, { seed: 'split-1', predictors: ['age per 10 y', 'BMI per 5 kg/m2'] });
    assert.ok(first.auc > 0.75, `AUC ${first.auc}`);
    assert.ok(first.test.n > 200 && first.train.n > 2 * first.test.n * 0.9);
    const again = trainRiskModel([...rows].reverse(), {
      seed: 'split-1',
      predictors: ['age per 10 y', 'BMI per 5 kg/m2'],
    });
    assert.deepEqual(again.model, first.model);
    const other = trainRiskModel(rows, { seed: 'split-2', predictors: ['age per 10 y', 'BMI per 5 kg/m2'] });
    assert.notDeepEqual(other.model.coefficients, first.model.coefficients);
    const full = trainRiskModel(rows, { seed: 'split-1' });
    assert.ok(full.auc > 0.95, `with glucose and HbA1c: AUC ${full.auc}`);
    assert.ok(full.calibration.length >= 2, `calibration bins: ${String(full.calibration.length)}`);
  });

  it('builds a ROC curve from (0,0) to (1,1) and calibration bins', () => {
    const roc = rocCurve([0.9, 0.8, 0.8, 0.2], [1, 0, 1, 0]);
    assert.deepEqual(
      roc.map((p) => [p.fpr, p.tpr]),
      [
        [0, 0],
        [0, 0.5],
        [0.5, 1],
        [1, 1],
      ],
    );
    const bins = calibration([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1], 10);
    assert.deepEqual(
      bins.map((b) => [b.bin, b.n, b.observedRate]),
      [
        [0, 1, 0],
        [1, 2, 0.5],
        [9, 1, 1],
      ],
    );
  });

  it('releases a ROC curve at fixed thresholds and calibration bins of at least five people', () => {
    const result = trainRiskModel(rows, { seed: 'released' });
    assert.equal(result.roc.length, 22, '(0,0) and the thresholds 1, 0.95, …, 0');
    assert.ok(result.roc.slice(1).every((p, i) => Math.abs(p.threshold - (20 - i) / 20) < 1e-12));
    assert.deepEqual(result.roc.at(-1), { threshold: 0, fpr: 1, tpr: 1 });
    assert.ok(result.calibration.length > 0 && result.calibration.every((bin) => bin.n >= 5));
    const fine = rocCurve([0.91, 0.9, 0.3], [1, 0, 0], 10);
    assert.deepEqual(fine[1], { threshold: 1, fpr: 0, tpr: 0 });
    assert.deepEqual(
      fine.find((p) => p.threshold === 0.9),
      { threshold: 0.9, fpr: 0.5, tpr: 1 },
    );
    assert.deepEqual(
      calibration([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1], 10, 2).map((b) => b.bin),
      [1],
    );
  });

  it('splits by outcome: both outcomes are held out, in proportion, whatever the order', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ key: `k${String(i)}`, y: i < 4 ? 1 : 0 }));
    const { train, test } = stratifiedSplit(rows, 'seed', 0.25);
    assert.equal(test.filter((r) => r.y === 1).length, 1);
    assert.equal(test.filter((r) => r.y === 0).length, 9);
    assert.equal(train.length, 30);
    assert.deepEqual(
      stratifiedSplit([...rows].reverse(), 'seed', 0.25)
        .test.map((r) => r.key)
        .sort(),
      test.map((r) => r.key).sort(),
    );
  });

  it('splits deterministically by key and seed, about the requested share', () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `Patient/${i}`);
    const held = keys.filter((k) => isHeldOut(k, 's', 0.3)).length / keys.length;
    assert.ok(Math.abs(held - 0.3) < 0.04, `held out ${held}`);
    assert.deepEqual(
      keys.map((k) => isHeldOut(k, 's', 0.3)),
      keys.map((k) => isHeldOut(k, 's', 0.3)),
    );
  });
});
