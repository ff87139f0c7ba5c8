// The drift report as one self-contained HTML page: inline CSS and inline SVG bar charts, no scripts, no
// fonts, no links out, so it can be stored as an artifact and opened anywhere. Every string that comes
// from data (column names, categories, titles) is HTML-escaped.
import { countCategories } from './category-counts';
import type { ColumnDrift, DriftColumn, DriftReport } from './drift';

export interface HistogramBar {
  label: string;
  /** Counts of non-missing values in this bar. */
  reference: number;
  current: number;
}

export interface ColumnHistogram {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Numeric: the bins + 1 edges shared by both samples (bar i covers [edges[i], edges[i+1]), the last bar
   *  also holds the maximum); categorical: empty. */
  edges: number[];
  bars: HistogramBar[];
  referenceTotal: number;
  currentTotal: number;
}

/** Categorical histograms show the most frequent categories and fold the rest into one bar. */
export const TOP_CATEGORIES = 20;

function numericHistogram(name: string, reference: Float64Array, current: Float64Array, bins: number): ColumnHistogram {
  let min = Infinity;
  let max = -Infinity;
  for (const sample of [reference, current]) {
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) return { name, kind: 'numeric', edges: [], bars: [], referenceTotal: 0, currentTotal: 0 };
  const count = max > min ? bins : 1;
  const edges = Array.from({ length: count + 1 }, (_, i) => (i === count ? max : min + ((max - min) * i) / count));
  const counts = [new Float64Array(count), new Float64Array(count)] as const;
  const totals = [0, 0];
  [reference, current].forEach((sample, s) => {
    const into = counts[s]!;
    const scale = max > min ? count / (max - min) : 0;
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i]!;
      if (!Number.isFinite(v)) continue;
      into[Math.min(count - 1, Math.floor((v - min) * scale))]!++;
      totals[s]!++;
    }
  });
  const bars = Array.from({ length: count }, (_, i) => ({
    label: `${formatNumber(edges[i]!)} – ${formatNumber(edges[i + 1]!)}`,
    reference: counts[0][i]!,
    current: counts[1][i]!,
  }));
  return { name, kind: 'numeric', edges, bars, referenceTotal: totals[0]!, currentTotal: totals[1]! };
}

function categoricalHistogram(name: string, reference: (string | null)[], current: (string | null)[]): ColumnHistogram {
  const counts = countCategories(reference, current);
  const order = counts.keys.map((_, i) => i).sort((a, b) => counts.reference[b]! + counts.current[b]! - (counts.reference[a]! + counts.current[a]!) || a - b);
  const top = order.slice(0, TOP_CATEGORIES);
  const rest = order.slice(TOP_CATEGORIES);
  const bars: HistogramBar[] = top.map((i) => ({ label: counts.keys[i]!, reference: counts.reference[i]!, current: counts.current[i]! }));
  if (rest.length > 0) {
    bars.push({
      label: `other (${rest.length} categories)`,
      reference: rest.reduce((s, i) => s + counts.reference[i]!, 0),
      current: rest.reduce((s, i) => s + counts.current[i]!, 0),
    });
  }
  return { name, kind: 'categorical', edges: [], bars, referenceTotal: counts.referenceTotal, currentTotal: counts.currentTotal };
}

/** Histograms of each column for the report: numeric on `bins` equal-width bins over both samples'
 *  range; categorical on the 20 most frequent categories plus "other". Missing values are left out. */
export function columnHistograms(columns: DriftColumn[], bins = 20): ColumnHistogram[] {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`histograms: bins must be a positive integer, got ${bins}`);
  return columns.map((c) =>
    c.kind === 'numeric' ? numericHistogram(c.name, c.reference, c.current, bins) : categoricalHistogram(c.name, c.reference, c.current),
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax >= 1e5 || ax < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

function formatP(p: number | null): string {
  if (p === null) return '—';
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '—';
}

const CHART = { width: 720, height: 240, left: 48, right: 12, top: 12, bottom: 64 };

/** Overlaid bars of the reference and current shares per bin/category. */
function chart(h: ColumnHistogram): string {
  if (h.bars.length === 0) return '<p class="muted">No values to chart.</p>';
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const share = (count: number, total: number): number => (total > 0 ? count / total : 0);
  const peak = Math.max(...h.bars.map((b) => Math.max(share(b.reference, h.referenceTotal), share(b.current, h.currentTotal))), 1e-12);
  const step = plotW / h.bars.length;
  const barW = Math.max(1, step * 0.8);
  const baseY = CHART.top + plotH;
  const parts: string[] = [];
  parts.push(`<line x1="${CHART.left}" y1="${baseY}" x2="${CHART.left + plotW}" y2="${baseY}" class="axis"/>`);
  parts.push(`<text x="${CHART.left - 6}" y="${CHART.top + 4}" class="tick" text-anchor="end">${(peak * 100).toFixed(1)}%</text>`);
  parts.push(`<text x="${CHART.left - 6}" y="${baseY}" class="tick" text-anchor="end">0%</text>`);
  h.bars.forEach((b, i) => {
    const x = CHART.left + i * step + (step - barW) / 2;
    const rs = share(b.reference, h.referenceTotal);
    const cs = share(b.current, h.currentTotal);
    const rh = (rs / peak) * plotH;
    const ch = (cs / peak) * plotH;
    const tip = `${b.label}: reference ${b.reference} (${percent(b.reference, h.referenceTotal)}), current ${b.current} (${percent(b.current, h.currentTotal)})`;
    parts.push(
      `<g><title>${escapeHtml(tip)}</title>` +
        `<rect x="${x.toFixed(2)}" y="${(baseY - rh).toFixed(2)}" width="${barW.toFixed(2)}" height="${rh.toFixed(2)}" class="ref"/>` +
        `<rect x="${x.toFixed(2)}" y="${(baseY - ch).toFixed(2)}" width="${barW.toFixed(2)}" height="${ch.toFixed(2)}" class="cur"/></g>`,
    );
    if (h.kind === 'categorical') {
      const label = b.label.length > 16 ? `${b.label.slice(0, 15)}…` : b.label;
      const lx = x + barW / 2;
      parts.push(
        `<text x="${lx.toFixed(2)}" y="${baseY + 10}" class="tick" text-anchor="end" transform="rotate(-45 ${lx.toFixed(2)} ${baseY + 10})">${escapeHtml(label)}</text>`,
      );
    }
  });
  if (h.kind === 'numeric') {
    const first = h.edges[0]!;
    const last = h.edges[h.edges.length - 1]!;
    parts.push(`<text x="${CHART.left}" y="${baseY + 16}" class="tick" text-anchor="start">${escapeHtml(formatNumber(first))}</text>`);
    parts.push(`<text x="${CHART.left + plotW}" y="${baseY + 16}" class="tick" text-anchor="end">${escapeHtml(formatNumber(last))}</text>`);
  }
  return `<svg viewBox="0 0 ${CHART.width} ${CHART.height}" width="100%" role="img" aria-label="histogram of reference and current">${parts.join('')}</svg>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:980px;padding:0 16px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}
.muted{color:#6b7280}.summary{border-radius:8px;padding:12px 16px;margin:16px 0}
.summary.drift{background:#fdecea;border:1px solid #f5c2bd}.summary.ok{background:#e9f6ee;border:1px solid #bfe3cb}
.verdict{font-size:17px;font-weight:600;margin:0 0 4px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb}th{background:#f6f7f9;font-weight:600}
td.num{text-align:right}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.badge.drift{background:#d93025;color:#fff}.badge.ok{background:#e6f4ea;color:#137333}
svg .ref{fill:#3b6fd8;fill-opacity:.55}svg .cur{fill:#e8710a;fill-opacity:.55}
svg .axis{stroke:#9aa0a6}svg .tick{font-size:10px;fill:#5f6368}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
`;

function row(c: ColumnDrift, index: number): string {
  return (
    `<tr><td><a href="#col-${index}">${escapeHtml(c.name)}</a></td><td>${escapeHtml(c.type)}</td><td>${escapeHtml(c.method)}</td>` +
    `<td class="num">${formatNumber(c.statistic)}</td><td class="num">${formatP(c.pValue)}</td>` +
    `<td class="num">${formatP(c.adjustedPValue)}</td><td class="num">${formatNumber(c.threshold)}</td>` +
    `<td>${c.drifted ? '<span class="badge drift">drift</span>' : '<span class="badge ok">no drift</span>'}</td></tr>`
  );
}

function section(c: ColumnDrift, index: number, h: ColumnHistogram | undefined): string {
  const rule =
    c.pValue === null ? `drift when ${escapeHtml(c.method)} ≥ ${formatNumber(c.threshold)}` : `drift when adjusted p &lt; ${formatNumber(c.threshold)}`;
  return (
    `<section id="col-${index}"><h2>${escapeHtml(c.name)} ${c.drifted ? '<span class="badge drift">drift</span>' : '<span class="badge ok">no drift</span>'}</h2>` +
    `<p class="muted">${escapeHtml(c.type)} · ${escapeHtml(c.method)} = ${formatNumber(c.statistic)}${c.pValue === null ? '' : ` · p = ${formatP(c.pValue)} (adjusted ${formatP(c.adjustedPValue)})`} · ${rule} · ` +
    `${c.referenceCount} reference / ${c.currentCount} current values</p>` +
    (c.reason ? `<p class="muted">Method: ${escapeHtml(c.reason)}</p>` : '') +
    (h ? chart(h) : '<p class="muted">No histogram supplied for this column.</p>') +
    `</section>`
  );
}

export function renderDriftHtml(
  report: DriftReport,
  histograms: ColumnHistogram[],
  meta: { title: string; reference: string; current: string; createdAt: string },
): string {
  const byName = new Map(histograms.map((h) => [h.name, h]));
  // Drifted columns first, otherwise in the report's order; anchors use positions, never names.
  const ordered = report.columns.map((c, i) => ({ c, i })).sort((a, b) => Number(b.c.drifted) - Number(a.c.drifted) || a.i - b.i);
  const drifted = report.columns.filter((c) => c.drifted).length;
  const title = escapeHtml(meta.title);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${title}</h1><p class="muted">Reference: <b>${escapeHtml(meta.reference)}</b> · Current: <b>${escapeHtml(meta.current)}</b> · Created ${escapeHtml(meta.createdAt)}</p></header>`,
    `<div class="summary ${report.datasetDrift ? 'drift' : 'ok'}"><p class="verdict">Dataset drift ${report.datasetDrift ? 'detected' : 'not detected'}</p>`,
    `<p>${drifted} of ${report.columns.length} columns drifted (${percent(drifted, report.columns.length)}) · correction ${escapeHtml(report.correction)} · alpha ${formatNumber(report.alpha)}</p></div>`,
    '<table><thead><tr><th>Column</th><th>Type</th><th>Method</th><th>Statistic</th><th>p-value</th><th>Adjusted p</th><th>Threshold</th><th>Result</th></tr></thead><tbody>',
    ...ordered.map(({ c, i }) => row(c, i)),
    '</tbody></table>',
    '<p class="legend muted"><span style="background:#3b6fd8;opacity:.55"></span>reference<span style="background:#e8710a;opacity:.55"></span>current (share of each sample)</p>',
    ...ordered.map(({ c, i }) => section(c, i, byName.get(c.name))),
    '</body></html>',
  ].join('\n');
}
