import { describe, expect, it } from 'vitest';
import type { RiskModel } from '../api/types.js';
import { barChartProps, chartProps, curveChartProps, lineChartProps, modelCharts } from './charts.js';

describe('chart data from /api/studies/{id}/charts as chart props', () => {
  it('turns one series per region into rows keyed by x, with the region names as labels', () => {
    const props = lineChartProps({
      kind: 'line',
      title: 'Cumulative prevalence of diabetes (DP)',
      xLabel: 'quarter',
      yLabel: 'per 1,000',
      series: [
        {
          name: 'all areas',
          points: [
            { x: '2025-Q1', y: 1.25 },
            { x: '2025-Q2', y: 2 },
          ],
        },
        { name: '021', points: [{ x: '2025-Q2', y: 3.04 }] },
      ],
    });
    expect(props.kind).toBe('line');
    expect(props.data).toEqual([
      { x: '2025-Q1', s0: 1.25 },
      { x: '2025-Q2', s0: 2, s1: 3.04 },
    ]);
    expect(props.series.map((s) => [s.name, s.label])).toEqual([
      ['s0', 'all areas'],
      ['s1', '021'],
    ]);
    expect(props.table).toEqual({
      columns: ['quarter', 'all areas', '021'],
      rows: [
        ['2025-Q1', '1.3', '–'],
        ['2025-Q2', '2', '3'],
      ],
    });
  });

  it('turns a DP histogram into one bar series and a two-column table, keeping negative noisy values', () => {
    const props = chartProps({
      kind: 'bar',
      title: 'Age distribution (DP)',
      xLabel: 'age band',
      yLabel: 'patients',
      bars: [
        { label: '18-39', value: 12 },
        { label: '40-64', value: -1 },
      ],
    });
    expect(props).toEqual(
      barChartProps({
        kind: 'bar',
        title: 'Age distribution (DP)',
        xLabel: 'age band',
        yLabel: 'patients',
        bars: [
          { label: '18-39', value: 12 },
          { label: '40-64', value: -1 },
        ],
      }),
    );
    expect(props.data).toEqual([
      { x: '18-39', s0: 12 },
      { x: '40-64', s0: -1 },
    ]);
    expect(props.table.rows).toEqual([
      ['18-39', '12'],
      ['40-64', '-1'],
    ]);
  });

  it('draws a ROC curve on the unit square, sorted by false positive rate, with the chance line and the AUC', () => {
    const props = curveChartProps({
      kind: 'roc',
      title: 'ROC',
      auc: 0.8123,
      points: [
        { x: 1, y: 1 },
        { x: 0, y: 0 },
        { x: 0.2, y: 0.7 },
      ],
    });
    expect(props.unitSquare).toBe(true);
    expect(props.note).toBe('AUC 0.812');
    expect(props.data).toEqual([
      { x: 0, s0: 0, s1: 0 },
      { x: 0.2, s0: 0.7, s1: 0.2 },
      { x: 1, s0: 1, s1: 1 },
    ]);
    expect(props.series.map((s) => s.label)).toEqual(['model', 'chance']);
    expect(props.table.columns).toEqual(['false positive rate', 'true positive rate']);
  });
});

describe('a trained model as charts', () => {
  const model: RiskModel = {
    id: 'm-1',
    createdAt: '2026-11-26T00:00:00Z',
    outcome: 'type 2 diabetes',
    predictors: ['age', 'bmi'],
    train: { n: 70, events: 20 },
    test: { n: 30, events: 9 },
    auc: 0.77,
    roc: [
      { threshold: 1, fpr: 0, tpr: 0 },
      { threshold: 0.5, fpr: 0.1, tpr: 0.6 },
      { threshold: 0, fpr: 1, tpr: 1 },
    ],
    calibration: [
      { bin: 0, n: 10, meanPredicted: 0.1, observedRate: 0.12 },
      { bin: 1, n: 0, meanPredicted: 0, observedRate: 0 },
      { bin: 2, n: 20, meanPredicted: 0.5, observedRate: 0.45 },
    ],
    model: { coefficients: [] },
  };

  it('gives the held-out ROC with its AUC and the calibration plot without empty bins', () => {
    const [roc, calibration] = modelCharts(model);
    expect(roc).toMatchObject({ kind: 'roc', auc: 0.77, title: 'ROC curve (held-out, n = 30)' });
    expect(roc.points).toEqual([
      { x: 0, y: 0 },
      { x: 0.1, y: 0.6 },
      { x: 1, y: 1 },
    ]);
    expect(calibration.points).toEqual([
      { x: 0.1, y: 0.12 },
      { x: 0.5, y: 0.45 },
    ]);
    const props = chartProps(calibration);
    expect(props.series.map((s) => s.label)).toEqual(['observed', 'perfect calibration']);
    expect(props.note).toBeUndefined();
  });
});
