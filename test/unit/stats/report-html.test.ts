import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../../core/stats/drift';
import type { DriftColumn } from '../../../core/stats/drift';
import { columnHistograms, escapeHtml, renderDriftHtml, TOP_CATEGORIES } from '../../../core/stats/report-html';
import { sample } from './reference';

const meta = { title: 'Weekly drift', reference: 'train 2024-01', current: 'prod 2024-02', createdAt: '2024-02-08T10:00:00Z' };

const hostile = '<script>alert(1)</script>';
const columns: DriftColumn[] = [
  { name: 'stable', kind: 'numeric', reference: sample(300, 7919, 10007, 1), current: sample(300, 7919, 10007, 1) },
  { name: hostile, kind: 'numeric', reference: sample(300, 7919, 10007, 1), current: sample(217, 4801, 9973, 3, 0.35) },
  {
    name: 'city',
    kind: 'categorical',
    reference: ['a', 'b', '"><img src=x onerror=alert(2)>', null, 'a'],
    current: ['a', 'b', 'b', 'b', '"><img src=x onerror=alert(2)>'],
  },
];

describe('drift HTML report', () => {
  const report = detectDrift(columns);
  const html = renderDriftHtml(report, columnHistograms(columns), meta);

  it('escapes column names and categories taken from data', () => {
    expect(html).not.toContain(hostile);
    expect(html).toContain(escapeHtml(hostile));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/<script/i);
    expect(escapeHtml(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&#39;');
  });

  it('escapes the title and metadata', () => {
    const page = renderDriftHtml(report, [], { ...meta, title: '<b>x</b>', reference: 'r&d' });
    expect(page).toContain('<title>&lt;b&gt;x&lt;/b&gt;</title>');
    expect(page).toContain('r&amp;d');
  });

  it('is self-contained: inline CSS and SVG, no scripts, links out, fonts or URLs', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/https?:|<link|@import|url\(|<script|<img|<iframe|@font-face/i);
    // The only links are in-page anchors, and no element loads anything.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href)="(?!#)/i);
  });

  it('lists drifted columns first', () => {
    const drifted = report.columns.filter((c) => c.drifted).map((c) => c.name);
    expect(drifted).toEqual([hostile]);
    const rows = [...html.matchAll(/<tr><td><a href="#col-(\d+)">/g)].map((m) => Number(m[1]));
    expect(rows).toEqual([1, 0, 2]);
    const sections = [...html.matchAll(/<section id="col-(\d+)">/g)].map((m) => Number(m[1]));
    expect(sections).toEqual([1, 0, 2]);
    expect(html).toContain('Dataset drift not detected');
    expect(html).toContain('1 of 3 columns drifted (33.3%)');
  });
});

describe('column histograms', () => {
  it('bins numeric columns on edges shared by both samples and leaves out NaN', () => {
    const [h] = columnHistograms(
      [{ name: 'x', kind: 'numeric', reference: Float64Array.from([0, 1, 2, 3, NaN]), current: Float64Array.from([2, 4, 4, NaN]) }],
      4,
    );
    expect(h!.edges).toEqual([0, 1, 2, 3, 4]);
    expect(h!.bars.map((b) => [b.reference, b.current])).toEqual([
      [1, 0],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect([h!.referenceTotal, h!.currentTotal]).toEqual([4, 3]);
  });

  it('gives a constant numeric column one bar', () => {
    const [h] = columnHistograms([{ name: 'k', kind: 'numeric', reference: Float64Array.from([5, 5]), current: Float64Array.from([5]) }]);
    expect(h!.edges).toEqual([5, 5]);
    expect(h!.bars.map((b) => [b.reference, b.current])).toEqual([[2, 1]]);
  });

  it(`keeps the ${TOP_CATEGORIES} most frequent categories and folds the rest into "other"`, () => {
    const names = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    // c00 is the most frequent, c24 the least.
    const reference = names.flatMap((n, i) => Array.from({ length: 30 - i }, () => n));
    const current = [...names, null];
    const [h] = columnHistograms([{ name: 'cat', kind: 'categorical', reference, current }]);
    expect(h!.bars).toHaveLength(TOP_CATEGORIES + 1);
    expect(h!.bars[0]).toEqual({ label: 'c00', reference: 30, current: 1 });
    expect(h!.bars[TOP_CATEGORIES]).toEqual({ label: 'other (5 categories)', reference: 10 + 9 + 8 + 7 + 6, current: 5 });
    expect(h!.currentTotal).toBe(25);
  });
});
