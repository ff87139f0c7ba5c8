import { describe, expect, it } from 'vitest';
import { averagePrecision, binaryLogLoss, binaryMetrics, confusionMatrix, multiclassMetrics, regressionMetrics, rocAuc } from '../../../core/ml/metrics';

// Reference values: scikit-learn 1.9.1 on the same arrays (the sklearn.metrics call is named on each line).
const P = Float64Array.from([0.9, 0.1, 0.8, 0.3, 0.5, 0.5, 0.7, 0.2, 0.0, 1.0, 0.6, 0.4, 0.3, 0.9, 0.1, 0.55, 0.65, 0.35, 0.5, 0.8, 0.25, 0.95, 0.05, 0.7]);
const Y = Int32Array.from([1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1]);

describe('binary metrics', () => {
  it('match sklearn on probabilities with ties, exact bin edges, 0 and 1', () => {
    const m = binaryMetrics(Y, P);
    expect(m.accuracy).toBeCloseTo(0.75, 12); // accuracy_score(y, p >= 0.5)
    expect(m.precision).toBeCloseTo(0.7142857142857143, 12); // precision_score
    expect(m.recall).toBeCloseTo(0.8333333333333334, 12); // recall_score
    expect(m.f1).toBeCloseTo(0.7692307692307693, 12); // f1_score
    expect(m.rocAuc).toBeCloseTo(0.7881944444444443, 12); // roc_auc_score(y, p)
    expect(m.averagePrecision).toBeCloseTo(0.8102110651023695, 12); // average_precision_score(y, p)
    expect(m.logLoss).toBeCloseTo(0.5705973555096242, 12); // log_loss(y, p)
    expect(m.brier).toBeCloseTo(0.18770833333333334, 12); // brier_score_loss(y, p)
    // Σ n_b/N · |prob_true − prob_pred| from calibration_curve(y, p, n_bins=10, strategy='uniform')
    expect(m.ece).toBeCloseTo(0.14166666666666664, 12);
  });

  it('treat tied scores as one ROC / PR point as sklearn does', () => {
    const y = Int32Array.from([0, 0, 1, 1]);
    const flat = Float64Array.from([0.5, 0.5, 0.5, 0.5]);
    expect(rocAuc(y, flat)).toBe(0.5); // roc_auc_score → 0.5
    expect(averagePrecision(y, flat)).toBe(0.5); // average_precision_score → 0.5
    const y2 = Int32Array.from([0, 1, 0, 1, 1]);
    const s2 = Float64Array.from([0.2, 0.2, 0.7, 0.7, 0.9]);
    expect(rocAuc(y2, s2)).toBeCloseTo(0.6666666666666666, 14);
    expect(averagePrecision(y2, s2)).toBeCloseTo(0.7555555555555555, 14);
  });

  it('clip log loss at machine epsilon like sklearn', () => {
    // log_loss([1, 0, 1], [0.0, 1.0, 0.5]) = 24.260151319598084
    expect(binaryLogLoss(Int32Array.from([1, 0, 1]), Float64Array.from([0, 1, 0.5]))).toBeCloseTo(24.260151319598084, 10);
  });

  it('refuse ROC-AUC with one class and probabilities outside [0, 1]', () => {
    expect(() => rocAuc(Int32Array.from([1, 1]), Float64Array.from([0.2, 0.3]))).toThrow(/needs both classes.*all 2 rows are positive/);
    expect(() => binaryMetrics(Int32Array.from([1, 0]), Float64Array.from([0.2, 1.3]))).toThrow(/probability of row 1 is 1.3/);
    expect(() => binaryMetrics(Int32Array.from([1, 0]), Float64Array.from([0.2]))).toThrow(/2 labels but 1 probabilities/);
    expect(() => binaryMetrics(Int32Array.from([1, 2]), Float64Array.from([0.2, 0.4]))).toThrow(/label of row 1 is 2/);
  });
});

describe('multiclass metrics', () => {
  const y = Int32Array.from([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0]);
  const proba = Float64Array.from([
    0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.3, 0.5, 0.4, 0.4, 0.2, 0.5, 0.3, 0.2, 0.6, 0.1, 0.3, 0.3, 0.3, 0.4, 0.0, 0.0, 1.0, 0.2, 0.7, 0.1, 0.34, 0.33, 0.33,
    0.1, 0.1, 0.8, 1.0, 0.0, 0.0,
  ]);

  it('match sklearn accuracy, macro-F1 and log loss', () => {
    const m = multiclassMetrics(y, proba, 3);
    expect(m.accuracy).toBeCloseTo(0.6666666666666666, 12); // accuracy_score(y, proba.argmax(1))
    expect(m.macroF1).toBeCloseTo(0.6722222222222222, 12); // f1_score(..., average='macro')
    expect(m.logLoss).toBeCloseTo(0.624137995036617, 12); // log_loss(y, proba)
  });

  it('average F1 over the classes that occur, as sklearn does', () => {
    // f1_score([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], average='macro') = 0.8; class 2 never occurs
    const p = Float64Array.from([0.9, 0.1, 0, 0.2, 0.8, 0, 0.6, 0.4, 0, 0.7, 0.3, 0, 0.1, 0.9, 0]);
    expect(multiclassMetrics(Int32Array.from([0, 1, 1, 0, 1]), p, 3).macroF1).toBeCloseTo(0.8, 12);
  });

  it('count the confusion matrix with true classes as rows', () => {
    const predicted = Int32Array.from([0, 1, 2, 0, 0, 0, 2, 2, 1, 0, 2, 0]);
    // confusion_matrix(y, proba.argmax(1), labels=[0, 1, 2])
    expect(Array.from(confusionMatrix(y, predicted, 3).counts)).toEqual([3, 0, 1, 2, 2, 0, 1, 0, 3]);
  });
});

describe('regression metrics', () => {
  const t = Float64Array.from([3.0, -0.5, 2.0, 7.0, 0.0, 4.2, 1.1, -2.3]);
  const p = Float64Array.from([2.5, 0.0, 2.1, 7.8, 0.3, 3.9, 1.0, -2.0]);

  it('match sklearn RMSE, MAE and R², with MAPE over the non-zero targets only', () => {
    const m = regressionMetrics(t, p);
    expect(m.rmse).toBeCloseTo(0.42278836313219403, 12); // sqrt(mean_squared_error)
    expect(m.mae).toBeCloseTo(0.36250000000000004, 12); // mean_absolute_error
    expect(m.r2).toBeCloseTo(0.9762097864287645, 12); // r2_score
    expect(m.mape).toBeCloseTo(0.23196068941410558, 12); // mean_absolute_percentage_error(t[t != 0], p[t != 0])
    expect(m.mapeRows).toBe(7);
  });

  it('give R² = 1 for a perfect constant fit and 0 otherwise, MAPE null without non-zero targets', () => {
    const flat = Float64Array.from([2, 2, 2]);
    expect(regressionMetrics(flat, flat).r2).toBe(1); // r2_score([2,2,2], [2,2,2]) = 1.0
    expect(regressionMetrics(flat, Float64Array.from([2, 2.1, 2])).r2).toBe(0); // = 0.0
    expect(regressionMetrics(Float64Array.from([0, 0]), Float64Array.from([1, 0])).mape).toBeNull();
  });
});
