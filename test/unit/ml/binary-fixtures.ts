// A binary classification set shared by the tests of the train stage's parts.
import type { FeatureColumn } from '../../../core/features/encode';
import type { TrainingData } from '../../../core/ml/training-data';
import { seededRandom } from '../../../core/random';

/** 5000 rows, 20% positives, one strong numeric (x) and one categorical (c) signal; 3000 train, 1000 validation, 1000 test. */
export function mixedBinary(): TrainingData {
  const n = 5000;
  const random = seededRandom(5);
  const x = Float64Array.from({ length: n }, () => random() * 2 - 1);
  const c = Array.from({ length: n }, () => ['p', 'q', 'r'][Math.floor(random() * 3)]!);
  const labels = Int32Array.from({ length: n }, (_, i) => (random() < 1 / (1 + Math.exp(-(-1.6 + 2 * x[i]! + (c[i] === 'p' ? 1 : 0)))) ? 1 : 0));
  const features: FeatureColumn[] = [
    { name: 'x', kind: 'numeric', values: x },
    { name: 'c', kind: 'categorical', values: c },
  ];
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    task: 'binary',
    classes: ['0', '1'],
    labels,
    targets: new Float64Array(0),
    rows: n,
    droppedRows: 0,
    features,
    slices: {},
    split: { train: all.slice(0, 3000), validation: all.slice(3000, 4000), test: all.slice(4000) },
  };
}
