import { describe, expect, it } from 'vitest';
import { fitLogistic, predictLabel, predictPositive, predictProba } from '../../../core/ml/logistic';
import type { Matrix } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

// Fixed datasets from explicit formulas; the reference numbers come from scikit-learn 1.9.1 (numpy 2.4.6) fitted
// on the same formulas in Python, in a throwaway virtualenv outside the repository.

/** 60 × 4, y = [1.2·x0 − 0.8·x1 + 0.5·x2 + 0.9·sin(5.1·i) − 0.2 > 0]; 24 positives. */
function binaryData(): { matrix: Matrix; labels: Int32Array } {
  const n = 60;
  const d = 4;
  const values = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) values[i * d + j] = Math.sin(0.37 * (i + 1) * (j + 1) + 0.5 * j) + 0.1 * Math.cos(1.7 * i);
    const score = 1.2 * values[i * d]! - 0.8 * values[i * d + 1]! + 0.5 * values[i * d + 2]! + 0.9 * Math.sin(5.1 * i) - 0.2;
    labels[i] = score > 0 ? 1 : 0;
  }
  return { matrix: { rows: n, cols: d, values }, labels };
}

/** 90 × 3, 3 classes: argmax over k of x·B_k + 0.7·sin((k + 2)·1.3·i); class counts 29 / 37 / 24. */
function multinomialData(): { matrix: Matrix; labels: Int32Array } {
  const n = 90;
  const d = 3;
  const b = [
    [1.0, -0.5, 0.3],
    [-0.7, 0.8, 0.2],
    [0.1, -0.2, -0.9],
  ];
  const values = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) values[i * d + j] = Math.sin(0.23 * (i + 1) * (j + 2) + 0.3 * j) + 0.2 * Math.cos(0.9 * i + j);
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < 3; k++) {
      let s = 0.7 * Math.sin((k + 2) * 1.3 * i);
      for (let j = 0; j < d; j++) s += b[k]![j]! * values[i * d + j]!;
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    labels[i] = best;
  }
  return { matrix: { rows: n, cols: d, values }, labels };
}

// LogisticRegression(C=2.0, tol=1e-12, max_iter=100000).fit(X, y)  (lbfgs)
const BINARY_COEF = [3.136890523041792, -1.4703521346144424, 0.35646948546005763, -0.2464121107327761];
const BINARY_INTERCEPT = -0.9544581251230309;
// LogisticRegression(C=2.0, tol=1e-14, solver='newton-cholesky'): the exact optimum (max |gradient| 4e-17)
const BINARY_EXACT = [3.1368905104615217, -1.470352142399269, 0.35646947160577536, -0.24641211218415188, -0.9544581263295796];
// same, .fit(X, y, sample_weight=1 + (i % 3) * 0.5)
const WEIGHTED_COEF = [3.5022698841670965, -1.5717721787782961, 0.3776393303665989, -0.23993549340641268];
const WEIGHTED_INTERCEPT = -1.0722832482799365;
// LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(X3, y3): coef_ (row-major), intercept_ − mean(intercept_)
const MULTI_COEF = [
  1.4936080372252658, -0.9535852458756717, 1.0750823757753218, -1.1378545651333736, 1.697478511787798, 0.5952721454747523, -0.35575347209189223,
  -0.7438932659121263, -1.6703545212500746,
];
const MULTI_INTERCEPT = [-0.008050584914887077, 0.32559107599205445, -0.3175404910771673];
// predict_proba(X3)[:6] and [85:]
const MULTI_PROBA_HEAD = [
  0.32881734308901944, 0.6639421420934281, 0.0072405148175524745, 0.4502609787053908, 0.5285159131426358, 0.02122310815197347, 0.5122218443140751,
  0.2806416644382129, 0.20713649124771186, 0.304976742526032, 0.06643560644848046, 0.6285876510254875, 0.3608366936510324, 0.03333088716768898,
  0.6058324191812786, 0.7289883837623714, 0.04760536203719453, 0.22340625420043408,
];
const MULTI_PROBA_TAIL = [
  0.2923305357700362, 0.03872077636077932, 0.6689486878691845, 0.2553556841080653, 0.012679120028126692, 0.731965195863808, 0.6272679846927657,
  0.031152612771754237, 0.3415794025354801, 0.7958749229542803, 0.13698168403276786, 0.06714339301295175, 0.3657019640838114, 0.6069786145592355,
  0.02731942135695307,
];

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `index ${i}`).toBeLessThan(tolerance);
}

describe('binary logistic regression', () => {
  it('matches sklearn LogisticRegression(C = 1 / l2) coefficients with the Newton solver', () => {
    const { matrix, labels } = binaryData();
    const model = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5 });
    expectClose(model.coefficients, BINARY_COEF, 1e-4);
    expectClose(model.intercepts, [BINARY_INTERCEPT], 1e-4);
    expect(model.params).toMatchObject({ l2: 0.5, converged: true });
    expect(model.params.iterations).toBeLessThan(10);
    // A tighter tol costs Newton one or two more steps and lands on sklearn's newton-cholesky optimum.
    const tight = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5, tol: 1e-13 });
    expect(tight.params.converged).toBe(true);
    expectClose([...tight.coefficients, ...tight.intercepts], BINARY_EXACT, 1e-10);
    expect(model.classes).toEqual(['no', 'yes']);
    expect(model.width).toBe(4);
  });

  it('matches sklearn with the L-BFGS solver too', () => {
    const { matrix, labels } = binaryData();
    const model = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5, solver: 'lbfgs' });
    expect(model.params.converged).toBe(true);
    expectClose(model.coefficients, BINARY_COEF, 1e-6);
    expectClose(model.intercepts, [BINARY_INTERCEPT], 1e-6);
  });

  it('matches sklearn with sample weights', () => {
    const { matrix, labels } = binaryData();
    const weights = Float64Array.from({ length: matrix.rows }, (_, i) => 1 + (i % 3) * 0.5);
    const model = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5, sampleWeights: weights });
    expectClose(model.coefficients, WEIGHTED_COEF, 1e-4);
    expectClose(model.intercepts, [WEIGHTED_INTERCEPT], 1e-4);
  });

  it('treats an integer sample weight like repeated rows', () => {
    const { matrix, labels } = binaryData();
    const weights = Float64Array.from({ length: 60 }, (_, i) => (i < 10 ? 2 : 1));
    const values = new Float64Array(70 * 4);
    values.set(matrix.values);
    values.set(matrix.values.subarray(0, 40), 240);
    const repeated = Int32Array.from([...labels, ...labels.subarray(0, 10)]);
    const a = fitLogistic(matrix, labels, ['no', 'yes'], { sampleWeights: weights, tol: 1e-12 });
    const b = fitLogistic({ rows: 70, cols: 4, values }, repeated, ['no', 'yes'], { tol: 1e-12 });
    expectClose(a.coefficients, Array.from(b.coefficients), 1e-12);
  });

  it('reaches the same optimum with the sub-sampled Hessian of large inputs as L-BFGS', () => {
    // 300k rows: the Newton Hessian comes from every other 256-row block; the gradient is exact.
    const rows = 300_000;
    const normal = normalFrom(seededRandom(99));
    const uniform = seededRandom(100);
    const values = new Float64Array(rows * 3);
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let z = 0.3;
      for (let j = 0; j < 3; j++) {
        values[r * 3 + j] = normal();
        z += [1, -2, 0.5][j]! * values[r * 3 + j]!;
      }
      labels[r] = uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const matrix = { rows, cols: 3, values };
    const newton = fitLogistic(matrix, labels, ['0', '1'], { solver: 'newton', tol: 1e-10 });
    const lbfgs = fitLogistic(matrix, labels, ['0', '1'], { solver: 'lbfgs', tol: 1e-10 });
    expect(newton.params.converged).toBe(true);
    expect(newton.params.iterations).toBeLessThan(12);
    expectClose([...newton.coefficients, ...newton.intercepts], [...lbfgs.coefficients, ...lbfgs.intercepts], 1e-7);
    expectClose([...newton.coefficients, ...newton.intercepts], [1, -2, 0.5, 0.3], 0.03);
  });

  it('stops at the rounding floor when tol is 0 instead of spinning to maxIter', () => {
    const { matrix, labels } = binaryData();
    for (const solver of ['newton', 'lbfgs'] as const) {
      const model = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5, tol: 0, maxIter: 1000, solver });
      expect(model.params.iterations, solver).toBeLessThan(40);
      expectClose([...model.coefficients, ...model.intercepts], BINARY_EXACT, 1e-8);
    }
  });

  it('gives bit-identical coefficients for the same input', () => {
    const { matrix, labels } = binaryData();
    const a = fitLogistic(matrix, labels, ['no', 'yes']);
    const b = fitLogistic(matrix, labels, ['no', 'yes']);
    expect(Buffer.from(a.coefficients.buffer)).toEqual(Buffer.from(b.coefficients.buffer));
    expect(Buffer.from(a.intercepts.buffer)).toEqual(Buffer.from(b.intercepts.buffer));
  });

  it('predicts [P(classes[0]), P(classes[1])] per row and labels by P > 0.5', () => {
    const { matrix, labels } = binaryData();
    const model = fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0.5 });
    const proba = predictProba(model, matrix);
    const positive = predictPositive(model, matrix);
    const predicted = predictLabel(model, matrix);
    expect(proba.length).toBe(120);
    for (let r = 0; r < matrix.rows; r++) {
      let z = BINARY_INTERCEPT;
      for (let j = 0; j < 4; j++) z += BINARY_COEF[j]! * matrix.values[r * 4 + j]!;
      const p = 1 / (1 + Math.exp(-z));
      expect(proba[2 * r + 1]).toBeCloseTo(p, 6);
      expect(proba[2 * r]! + proba[2 * r + 1]!).toBeCloseTo(1, 14);
      expect(positive[r]).toBe(proba[2 * r + 1]);
      expect(predicted[r]).toBe(positive[r]! > 0.5 ? 1 : 0);
    }
  });
});

describe('multinomial logistic regression', () => {
  it('matches sklearn probabilities and coefficients (softmax, one row per class)', () => {
    const { matrix, labels } = multinomialData();
    const model = fitLogistic(matrix, labels, ['a', 'b', 'c'], { l2: 1 });
    expect(model.params.converged).toBe(true);
    expect(model.coefficients.length).toBe(9);
    expectClose(model.coefficients, MULTI_COEF, 1e-4);
    expectClose(model.intercepts, MULTI_INTERCEPT, 1e-4);
    const proba = predictProba(model, matrix);
    expectClose(proba.subarray(0, 18), MULTI_PROBA_HEAD, 1e-4);
    expectClose(proba.subarray(85 * 3), MULTI_PROBA_TAIL, 1e-4);
    const predicted = predictLabel(model, matrix);
    for (let r = 0; r < matrix.rows; r++) {
      const row = Array.from(proba.subarray(r * 3, r * 3 + 3));
      expect(predicted[r]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  it('is deterministic', () => {
    const { matrix, labels } = multinomialData();
    const a = fitLogistic(matrix, labels, ['a', 'b', 'c']);
    const b = fitLogistic(matrix, labels, ['a', 'b', 'c']);
    expect(Buffer.from(a.coefficients.buffer)).toEqual(Buffer.from(b.coefficients.buffer));
  });
});

describe('logistic regression input errors', () => {
  const { matrix, labels } = binaryData();

  it('rejects an empty matrix', () => {
    expect(() => fitLogistic({ rows: 0, cols: 4, values: new Float64Array(0) }, new Int32Array(0), ['no', 'yes'])).toThrow(/matrix is empty/);
  });

  it('rejects a label count that differs from the row count', () => {
    expect(() => fitLogistic(matrix, labels.subarray(0, 59), ['no', 'yes'])).toThrow(/59 labels for 60 matrix rows/);
  });

  it('rejects labels of a single class, naming it', () => {
    expect(() => fitLogistic(matrix, new Int32Array(60).fill(1), ['no', 'yes'])).toThrow(/single class \('yes'\)/);
  });

  it('rejects a class list of one', () => {
    expect(() => fitLogistic(matrix, new Int32Array(60), ['no'])).toThrow(/at least two classes/);
  });

  it('rejects a class with no rows', () => {
    expect(() => fitLogistic(matrix, labels, ['a', 'b', 'c'])).toThrow(/'c' have no rows/);
  });

  it('rejects NaN in the matrix, saying the matrix must be finite and where', () => {
    const values = Float64Array.from(matrix.values);
    values[2 * 4 + 3] = NaN;
    expect(() => fitLogistic({ ...matrix, values }, labels, ['no', 'yes'])).toThrow(/matrix must be finite, but row 2, column 3 is NaN/);
  });

  it('rejects a values array of the wrong length', () => {
    expect(() => fitLogistic({ rows: 60, cols: 5, values: matrix.values }, labels, ['no', 'yes'])).toThrow(/rows × cols = 60 × 5/);
  });

  it('rejects labels out of range, duplicate classes and a non-positive l2', () => {
    expect(() => fitLogistic(matrix, new Int32Array(60).fill(2), ['no', 'yes'])).toThrow(/label of row 0 is 2/);
    expect(() => fitLogistic(matrix, labels, ['no', 'no'])).toThrow(/class 'no' appears twice/);
    expect(() => fitLogistic(matrix, labels, ['no', 'yes'], { l2: 0 })).toThrow(/l2 is 0/);
  });

  it('rejects a matrix of the wrong width at prediction', () => {
    const model = fitLogistic(matrix, labels, ['no', 'yes']);
    expect(() => predictProba(model, { rows: 1, cols: 3, values: new Float64Array(3) })).toThrow(/3 columns but the model was trained on 4/);
  });
});
