// HTML built from tagged templates: every interpolated value is escaped unless it is already markup made by
// `html` (or `raw` for the few constant fragments). User strings — model names, column names, reasons —
// can therefore only ever appear as text.
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Piece = Markup | string | number | boolean | null | undefined | Piece[];

function render(value: Piece): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Piece[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/** Trusted constant markup (never data). */
export function raw(text: string): Markup {
  return new Markup(text);
}

/** JSON inside a <script type="application/json">: `<` escaped so no string can close the element. */
export function jsonScript(id: string, value: unknown): Markup {
  const text = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return new Markup(`<script type="application/json" id="${escapeHtml(id)}">${text}</script>`);
}

/** A path segment for a URL the console builds (model names, dataset sha256, workflow ids). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

export function fmtNumber(value: unknown, digits = 4): string {
  if (typeof value !== 'number') return value === null || value === undefined ? '—' : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

export function fmtTime(value: Date | string | null | undefined): string {
  if (!value) return '—';
  const d = value instanceof Date ? value : new Date(value);
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export interface Table {
  head: Piece[];
  rows: Piece[][];
  /** Shown instead of an empty table. */
  empty?: string;
  id?: string;
}

export function table(t: Table): Markup {
  if (t.rows.length === 0) return html`<p class="empty">${t.empty ?? 'nothing yet'}</p>`;
  return html`<table${t.id ? html` id="${t.id}"` : ''}><thead><tr>${t.head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${t.rows.map(
    (r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}

/** A chart placeholder; the client layer draws the spec of the same id from the page's JSON endpoint. */
export function chart(id: string, title: string): Markup {
  return html`<figure class="chart"><figcaption>${title}</figcaption><div class="vis" data-chart="${id}"></div></figure>`;
}

export interface Page {
  title: string;
  /** Breadcrumb links before the title. */
  crumbs?: { href: string; text: string }[];
  body: Markup;
}

export function layout(page: Page): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · mlops console</title>
<link rel="stylesheet" href="/assets/console.css">
<link rel="icon" href="data:,">
</head><body>
<header><a class="brand" href="/">mlops console</a><nav><a href="/models">Models</a><a href="/compare">Compare</a><a href="/feature-sets">Feature sets</a></nav></header>
<main>
<p class="crumbs">${(page.crumbs ?? []).map((c) => html`<a href="${c.href}">${c.text}</a> / `)}</p>
<h1>${page.title}</h1>
${page.body}
</main>
<script src="/assets/vega.min.js"></script>
<script src="/assets/vega-lite.min.js"></script>
<script src="/assets/vega-embed.min.js"></script>
<script src="/assets/console.js"></script>
</body></html>
`.text;
}
