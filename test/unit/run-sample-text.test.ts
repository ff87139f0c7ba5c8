import { describe, expect, it } from 'vitest';
import { sampleText } from '../../starters/pipeline-commands';

describe('mlops run output', () => {
  it('says when training used a sample of the rows (training.maxRows)', () => {
    expect(sampleText({ rows: 5_000_000, of: 12_345_678, seed: 42, stratifiedBy: 'churned' })).toBe(
      'a seeded sample of 5,000,000 of 12,345,678 labelled rows (seed 42, stratified by churned; training.maxRows)',
    );
    expect(sampleText({ rows: 1_000, of: 4_000, seed: 7, stratifiedBy: null })).toBe(
      'a seeded sample of 1,000 of 4,000 labelled rows (seed 7, not stratified; training.maxRows)',
    );
  });
});
