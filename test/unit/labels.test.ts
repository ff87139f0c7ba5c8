import { describe, expect, it } from 'vitest';
import { csvField, parseCsv } from '../../core/labels/csv';
import { selectForLabelling, type LoggedPrediction } from '../../core/labels/select';

const row = (id: string, p: number, shadow?: number): LoggedPrediction => ({
  id,
  version: 1,
  at: `2026-01-01T00:00:0${id.length % 10}Z`,
  features: { x: p },
  output: { label: p >= 0.5 ? '1' : '0', probabilities: { '0': 1 - p, '1': p } },
  ...(shadow !== undefined ? { shadow: { label: shadow >= 0.5 ? '1' : '0', probabilities: { '0': 1 - shadow, '1': shadow } } } : {}),
});

describe('choosing predictions to label', () => {
  const rows = [row('a', 0.9), row('b', 0.52), row('c', 0.1), row('d', 0.45), row('e', 0.7)];

  it('uncertainty: the smallest margin between the top two classes first', () => {
    expect(selectForLabelling(rows, 'uncertainty', 3).map((r) => r.id)).toEqual(['b', 'd', 'e']);
    expect(selectForLabelling(rows, 'uncertainty', 1)[0]!.score).toBeCloseTo(0.04, 12);
  });

  it('random: a seeded sample, the same for the same seed', () => {
    const a = selectForLabelling(rows, 'random', 3, 7).map((r) => r.id);
    expect(a).toHaveLength(3);
    expect(selectForLabelling(rows, 'random', 3, 7).map((r) => r.id)).toEqual(a);
    expect(new Set(selectForLabelling(rows, 'random', 5, 7).map((r) => r.id))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
  });

  it('disagreement: champion and shadow challenger answering differently first, then the largest gap', () => {
    const paired = [row('a', 0.9, 0.8), row('b', 0.6, 0.4), row('c', 0.1, 0.45), row('d', 0.3, 0.7)];
    expect(selectForLabelling(paired, 'disagreement', 3).map((r) => r.id)).toEqual(['d', 'b', 'c']);
    expect(() => selectForLabelling(rows, 'disagreement', 3)).toThrow(/needs a shadow rollout/);
  });

  it('refuses uncertainty without probabilities, and bad arguments', () => {
    const regression: LoggedPrediction[] = [{ id: 'r', version: 1, at: 'x', features: {}, output: { value: 3 } }];
    expect(() => selectForLabelling(regression, 'uncertainty', 1)).toThrow(/needs class probabilities/);
    expect(() => selectForLabelling(rows, 'loudest' as 'random', 1)).toThrow(/unknown strategy "loudest"/);
    expect(() => selectForLabelling(rows, 'random', 0)).toThrow(/whole number ≥ 1/);
  });
});

describe('labelling CSV', () => {
  it('quotes what needs quoting and reads it back', () => {
    const line = ['id', 'a,b', 'say "hi"', 'two\nlines', null, 3].map(csvField).join(',');
    expect(parseCsv(`h1,h2,h3,h4,h5,h6\n${line}\n`)).toEqual([
      ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
      ['id', 'a,b', 'say "hi"', 'two\nlines', '', '3'],
    ]);
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});
