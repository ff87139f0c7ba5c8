"""Reference values for test/unit/monitor/cbpe.test.ts (core/monitor/cbpe.ts, core/monitor/calibration.ts):
scikit-learn's roc_auc_score, f1_score, accuracy_score and IsotonicRegression on deterministic data.

Regenerate (from the repository root):
    /tmp/hgbref/bin/python scripts/reference/cbpe_reference.py > test/unit/monitor/cbpe-reference.json
"""
import json

import numpy as np
import sklearn
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

N = 300
# Scores on a grid with ties (rounded to 1/50), labels positive when a second grid falls below score^1.5:
# a miscalibrated model (true rate s^1.5 < s).
scores = np.array([np.floor(((i * 7919 + 1) % 10007) / 10007 * 50) / 50 for i in range(N)])
labels = np.array([1 if ((i * 4801 + 3) % 9973) / 9973 < s ** 1.5 else 0 for i, s in enumerate(scores)])

iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(scores, labels)
out = {
    "sklearn": sklearn.__version__,
    "roc_auc": float(roc_auc_score(labels, scores)),
    "f1_at_0_5": float(f1_score(labels, scores >= 0.5)),
    "accuracy_at_0_5": float(accuracy_score(labels, scores >= 0.5)),
    "f1_at_0_3": float(f1_score(labels, scores >= 0.3)),
    "accuracy_at_0_3": float(accuracy_score(labels, scores >= 0.3)),
    # Fitted calibrated values at the distinct training scores, ascending.
    "isotonic_scores": [float(s) for s in np.unique(scores)],
    "isotonic_values": [float(v) for v in iso.predict(np.unique(scores))],
}
print(json.dumps(out, indent=1))
