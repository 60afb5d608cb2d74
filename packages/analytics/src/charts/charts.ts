/**
 * Chart data shapes shared by the HTML report and the web portals, and a small dependency-free SVG renderer. Every
 * number in a chart comes from a differentially private release or from a model's held-out evaluation, never from
 * patient rows.
 */

export interface SeriesPoint {
  readonly x: string;
  readonly y: number;
}

/** Lines over an ordered category axis (e.g. prevalence by month, one series per region). */
export interface LineChart {
  readonly kind: 'line';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: readonly SeriesPoint[] }>;
}

/** Bars (a histogram or a distribution over categories). */
export interface BarChart {
  readonly kind: 'bar';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly bars: ReadonlyArray<{ readonly label: string; readonly value: number }>;
}

/** A ROC curve with its AUC; or a calibration plot (predicted against observed) when `kind` is `calibration`. */
export interface CurveChart {
  readonly kind: 'roc' | 'calibration';
  readonly title: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  /** The AUC (ROC) shown in the legend. */
  readonly auc?: number;
}

export type Chart = LineChart | BarChart | CurveChart;

const WIDTH = 640;
const HEIGHT = 320;
const M = { top: 36, right: 16, bottom: 48, left: 56 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 1 ? 3 : 1);
}

/** A "nice" upper bound for an axis starting at zero. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value) ?? 10;
  return step * power;
}

function frame(title: string, xLabel: string, yLabel: string, yMax: number, body: string): string {
  const plotH = HEIGHT - M.top - M.bottom;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = M.top + plotH * (1 - f);
    return (
      `<line x1="${M.left}" x2="${WIDTH - M.right}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>` +
      `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(yMax * f)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" ` +
    `role="img" aria-label="${escapeXml(title)}" font-family="sans-serif">` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>` +
    ticks.join('') +
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${HEIGHT - M.bottom}" stroke="#333"/>` +
    `<line x1="${M.left}" x2="${WIDTH - M.right}" y1="${HEIGHT - M.bottom}" y2="${HEIGHT - M.bottom}" stroke="#333"/>` +
    `<text x="${WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>` +
    `<text x="14" y="${HEIGHT / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${HEIGHT / 2})">` +
    `${escapeXml(yLabel)}</text>` +
    body +
    '</svg>'
  );
}

function renderBar(chart: BarChart): string {
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const yMax = niceMax(Math.max(0, ...chart.bars.map((b) => b.value)));
  const slot = plotW / Math.max(1, chart.bars.length);
  const every = Math.ceil(chart.bars.length / 16);
  const bars = chart.bars.map((bar, i) => {
    const h = (Math.max(0, bar.value) / yMax) * plotH;
    const x = M.left + i * slot + slot * 0.1;
    const label =
      i % every === 0
        ? `<text x="${x + slot * 0.4}" y="${HEIGHT - M.bottom + 14}" text-anchor="middle" font-size="10">` +
          `${escapeXml(bar.label)}</text>`
        : '';
    return (
      `<rect class="bar" x="${x.toFixed(1)}" y="${(M.top + plotH - h).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" ` +
      `height="${h.toFixed(1)}" fill="${PALETTE[0] ?? '#000'}"><title>${escapeXml(bar.label)}: ${fmt(bar.value)}</title></rect>` +
      label
    );
  });
  return frame(chart.title, chart.xLabel, chart.yLabel, yMax, bars.join(''));
}

function legend(names: readonly string[]): string {
  return names
    .map(
      (name, i) =>
        `<rect x="${WIDTH - M.right - 150}" y="${M.top + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length] ?? '#000'}"/>` +
        `<text x="${WIDTH - M.right - 136}" y="${M.top + i * 16 + 9}" font-size="11">${escapeXml(name)}</text>`,
    )
    .join('');
}

function renderLine(chart: LineChart): string {
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const yMax = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.points.map((p) => p.y))));
  const xAt = (x: string): number => M.left + (xs.length <= 1 ? plotW / 2 : (xs.indexOf(x) / (xs.length - 1)) * plotW);
  const yAt = (y: number): number => M.top + plotH * (1 - Math.max(0, y) / yMax);
  const every = Math.ceil(xs.length / 12);
  const labels = xs
    .filter((_, i) => i % every === 0)
    .map(
      (x) =>
        `<text x="${xAt(x).toFixed(1)}" y="${HEIGHT - M.bottom + 14}" text-anchor="middle" font-size="10">${escapeXml(x)}</text>`,
    );
  const lines = chart.series.map((series, i) => {
    const d = series.points.map((p) => `${xAt(p.x).toFixed(1)},${yAt(p.y).toFixed(1)}`).join(' ');
    return `<polyline class="series" fill="none" stroke="${PALETTE[i % PALETTE.length] ?? '#000'}" stroke-width="2" points="${d}"/>`;
  });
  return frame(
    chart.title,
    chart.xLabel,
    chart.yLabel,
    yMax,
    labels.join('') + lines.join('') + legend(chart.series.map((s) => s.name)),
  );
}

function renderCurve(chart: CurveChart): string {
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const xAt = (x: number): number => M.left + Math.min(1, Math.max(0, x)) * plotW;
  const yAt = (y: number): number => M.top + plotH * (1 - Math.min(1, Math.max(0, y)));
  const d = chart.points.map((p) => `${xAt(p.x).toFixed(1)},${yAt(p.y).toFixed(1)}`).join(' ');
  const diagonal = `<line x1="${xAt(0)}" y1="${yAt(0)}" x2="${xAt(1)}" y2="${yAt(1)}" stroke="#999" stroke-dasharray="4 4"/>`;
  const marks =
    chart.kind === 'calibration'
      ? chart.points.map(
          (p) => `<circle cx="${xAt(p.x).toFixed(1)}" cy="${yAt(p.y).toFixed(1)}" r="3" fill="#d62728"/>`,
        )
      : [];
  const ticks = [0, 0.5, 1]
    .map(
      (x) => `<text x="${xAt(x)}" y="${HEIGHT - M.bottom + 14}" text-anchor="middle" font-size="10">${fmt(x)}</text>`,
    )
    .join('');
  const auc = chart.auc === undefined ? [] : [`AUC ${chart.auc.toFixed(3)}`];
  const [xLabel, yLabel] =
    chart.kind === 'roc'
      ? ['False positive rate', 'True positive rate']
      : ['Mean predicted probability', 'Observed rate'];
  return frame(
    chart.title,
    xLabel,
    yLabel,
    1,
    ticks +
      diagonal +
      `<polyline class="series" fill="none" stroke="${PALETTE[0] ?? '#000'}" stroke-width="2" points="${d}"/>` +
      marks.join('') +
      legend(auc),
  );
}

/** One chart as a standalone SVG element (no scripts, no external references). */
export function renderSvg(chart: Chart): string {
  switch (chart.kind) {
    case 'bar':
      return renderBar(chart);
    case 'line':
      return renderLine(chart);
    case 'roc':
    case 'calibration':
      return renderCurve(chart);
  }
}

export interface ReportSection {
  readonly heading: string;
  /** Plain text paragraphs (escaped). */
  readonly notes?: readonly string[];
  readonly charts?: readonly Chart[];
  /** A small table: header row then rows (escaped). */
  readonly table?: readonly (readonly string[])[];
}

/** A self-contained HTML report: inline CSS and SVG, no scripts, no external resources. */
export function renderHtmlReport(title: string, sections: readonly ReportSection[]): string {
  const body = sections.map((section) => {
    const notes = (section.notes ?? []).map((n) => `<p>${escapeXml(n)}</p>`).join('');
    const [head, ...rows] = section.table ?? [];
    const table =
      head === undefined
        ? ''
        : `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>` +
          rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('') +
          '</tbody></table>';
    const charts = (section.charts ?? []).map((c) => `<figure>${renderSvg(c)}</figure>`).join('');
    return `<section><h2>${escapeXml(section.heading)}</h2>${notes}${table}${charts}</section>`;
  });
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<title>${escapeXml(title)}</title><style>` +
    'body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}' +
    'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}' +
    'figure{margin:1em 0}' +
    `</style></head><body><h1>${escapeXml(title)}</h1>${body.join('')}</body></html>`
  );
}
