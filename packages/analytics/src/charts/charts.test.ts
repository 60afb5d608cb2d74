import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { niceMax, renderHtmlReport, renderSvg } from './charts.js';

describe('SVG charts and the HTML report', () => {
  it('draws one bar per bin with its value in the tooltip, and escapes labels', () => {
    const svg = renderSvg({
      kind: 'bar',
      title: 'BMI <distribution>',
      xLabel: 'BMI',
      yLabel: 'patients',
      bars: [
        { label: '18-25', value: 40 },
        { label: '25-30', value: 80 },
        { label: '30+', value: -3 },
      ],
    });
    assert.equal(svg.match(/<rect class="bar"/g)?.length, 3);
    assert.match(svg, /BMI &lt;distribution&gt;/);
    assert.doesNotMatch(svg, /<distribution>/);
    assert.match(svg, /height="0\.0"/, 'negative noisy counts are drawn as zero');
  });

  it('draws a line per series, ROC and calibration curves on the unit square', () => {
    const line = renderSvg({
      kind: 'line',
      title: 'Prevalence',
      xLabel: 'month',
      yLabel: 'per 1,000',
      series: [
        {
          name: 'MA',
          points: [
            { x: '2024-01', y: 1 },
            { x: '2024-02', y: 2 },
          ],
        },
        { name: 'NH', points: [{ x: '2024-01', y: 3 }] },
      ],
    });
    assert.equal(line.match(/<polyline class="series"/g)?.length, 2);
    const roc = renderSvg({
      kind: 'roc',
      title: 'ROC',
      auc: 0.8123,
      points: [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
      ],
    });
    assert.match(roc, /AUC 0\.812/);
    assert.match(roc, /points="56\.0,272\.0 624\.0,36\.0"/);
  });

  it('writes a self-contained HTML page without scripts', () => {
    const html = renderHtmlReport('Study <x>', [
      {
        heading: 'Cohort',
        notes: ['n ≈ 120'],
        table: [
          ['a', 'b'],
          ['1', '2'],
        ],
      },
      { heading: 'Chart', charts: [{ kind: 'bar', title: 't', xLabel: 'x', yLabel: 'y', bars: [] }] },
    ]);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
    assert.match(html, /Study &lt;x&gt;/);
    assert.equal(niceMax(73), 100);
    assert.equal(niceMax(0), 1);
  });
});
