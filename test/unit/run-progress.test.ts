import { describe, expect, it } from 'vitest';
import { describeProgress, progressBar, trainFraction } from '../../starters/run-progress';

describe('mlops run --wait progress', () => {
  it('counts the train stage done from trials and iterations', () => {
    expect(trainFraction({ phase: 'search', trial: 1, trials: 4, iteration: 50, maxIter: 100 })).toBeCloseTo(0.125);
    expect(trainFraction({ phase: 'search', trial: 3, trials: 4 })).toBeCloseTo(0.5);
    expect(trainFraction({ phase: 'refit', iteration: 30, maxIter: 60 })).toBeCloseTo(0.5);
    expect(trainFraction({ phase: 'export' })).toBeUndefined();
  });

  it('says the trial, the iteration and the best score so far, or else the last message', () => {
    expect(
      describeProgress(
        'train',
        { stage: 'train', status: { phase: 'search', trial: 2, trials: 8, iteration: 40, maxIter: 100, best: { metric: 'roc_auc', score: 0.73491 } } },
        12_400,
      ),
    ).toBe('train: search · trial 2/8 · iteration 40/100 · best roc_auc 0.7349 (12 s)');
    expect(describeProgress('ingest', { stage: 'ingest', message: 'wrote 1000000 rows' }, 2_000)).toBe('ingest: wrote 1000000 rows (2 s)');
    expect(describeProgress('validate', undefined, 0)).toBe('validate: running (0 s)');
  });

  it('draws a bar of the share done', () => {
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50%');
    expect(progressBar(1.2, 4)).toBe('[####] 100%');
  });
});
