import type { BarChartData, ChartData, CurveChartData, LineChartData, RiskModel } from '../api/types.js';

/** Colours for series, in order (Mantine theme colours, readable on white). */
export const SERIES_COLORS = ['blue.7', 'red.7', 'teal.7', 'grape.7', 'orange.7', 'cyan.8', 'lime.8', 'pink.7'];

export type Row = Record<string, string | number>;

/** What a chart component needs: rows keyed by `x`, series keyed `s0`, `s1`… (region names are only labels). */
export interface ChartProps {
  readonly kind: 'line' | 'bar' | 'curve';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly data: readonly Row[];
  readonly series: ReadonlyArray<{ readonly name: string; readonly label: string; readonly color: string }>;
  /** The same numbers as a table: the text alternative of the chart. */
  readonly table: { readonly columns: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  /** A numeric x axis from 0 to 1 (ROC, calibration). */
  readonly unitSquare: boolean;
  readonly note?: string;
}

function color(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] ?? 'blue.7';
}

/** A number for people: at most `digits` decimals, no trailing zeros. */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Lines over ordered categories (prevalence by month, one series per region). */
export function lineChartProps(chart: LineChartData): ChartProps {
  const xs: string[] = [];
  const seen = new Set<string>();
  for (const series of chart.series)
    for (const point of series.points)
      if (!seen.has(point.x)) {
        seen.add(point.x);
        xs.push(point.x);
      }
  const data = xs.map((x) => {
    const row: Row = { x };
    chart.series.forEach((series, i) => {
      const point = series.points.find((p) => p.x === x);
      if (point !== undefined) row[`s${String(i)}`] = point.y;
    });
    return row;
  });
  return {
    kind: 'line',
    title: chart.title,
    xLabel: chart.xLabel,
    yLabel: chart.yLabel,
    data,
    series: chart.series.map((series, i) => ({ name: `s${String(i)}`, label: series.name, color: color(i) })),
    table: {
      columns: [chart.xLabel, ...chart.series.map((series) => series.name)],
      rows: data.map((row) => [
        String(row.x),
        ...chart.series.map((_, i) => {
          const value = row[`s${String(i)}`];
          return typeof value === 'number' ? formatNumber(value) : '–';
        }),
      ]),
    },
    unitSquare: false,
  };
}

/** Bars over categories (age bands, BMI classes). */
export function barChartProps(chart: BarChartData): ChartProps {
  return {
    kind: 'bar',
    title: chart.title,
    xLabel: chart.xLabel,
    yLabel: chart.yLabel,
    data: chart.bars.map((bar) => ({ x: bar.label, s0: bar.value })),
    series: [{ name: 's0', label: chart.yLabel, color: color(0) }],
    table: {
      columns: [chart.xLabel, chart.yLabel],
      rows: chart.bars.map((bar) => [bar.label, formatNumber(bar.value)]),
    },
    unitSquare: false,
  };
}

/** A ROC curve (with the chance diagonal) or a calibration plot (with the line of perfect calibration). */
export function curveChartProps(chart: CurveChartData): ChartProps {
  const roc = chart.kind === 'roc';
  const points = [...chart.points].sort((a, b) => a.x - b.x || a.y - b.y);
  const reference = roc ? 'chance' : 'perfect calibration';
  const xLabel = roc ? 'false positive rate' : 'predicted risk';
  const yLabel = roc ? 'true positive rate' : 'observed rate';
  return {
    kind: 'curve',
    title: chart.title,
    xLabel,
    yLabel,
    data: points.map((point) => ({ x: point.x, s0: point.y, s1: point.x })),
    series: [
      { name: 's0', label: roc ? 'model' : 'observed', color: color(0) },
      { name: 's1', label: reference, color: 'gray.6' },
    ],
    table: {
      columns: [xLabel, yLabel],
      rows: points.map((point) => [formatNumber(point.x, 3), formatNumber(point.y, 3)]),
    },
    unitSquare: true,
    ...(chart.auc === undefined ? {} : { note: `AUC ${formatNumber(chart.auc, 3)}` }),
  };
}

/** Any chart from the server as chart props. */
export function chartProps(chart: ChartData): ChartProps {
  switch (chart.kind) {
    case 'line':
      return lineChartProps(chart);
    case 'bar':
      return barChartProps(chart);
    case 'roc':
    case 'calibration':
      return curveChartProps(chart);
  }
}

/** A trained model's held-out ROC curve and calibration plot as chart data. */
export function modelCharts(model: RiskModel): readonly [CurveChartData, CurveChartData] {
  return [
    {
      kind: 'roc',
      title: `ROC curve (held-out, n = ${String(model.test.n)})`,
      points: model.roc.map((p) => ({ x: p.fpr, y: p.tpr })),
      auc: model.auc,
    },
    {
      kind: 'calibration',
      title: 'Calibration (held-out)',
      points: model.calibration.filter((b) => b.n > 0).map((b) => ({ x: b.meanPredicted, y: b.observedRate })),
    },
  ];
}

/** Epsilon for people: micro-epsilon precision, no trailing zeros. */
export function formatEpsilon(value: number): string {
  return formatNumber(value, 6);
}
