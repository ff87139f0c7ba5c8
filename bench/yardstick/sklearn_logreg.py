"""Yardstick for bench/linear.bench.ts: scikit-learn's LogisticRegression on the exact split and encoded matrix
the TypeScript trainer saw, printing the test ROC-AUC as one JSON line.

usage: sklearn_logreg.py DATA.csv C
DATA.csv: header `split,label,<features...>`; split is train or test, label 0/1, features already encoded.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def main(path: str, c: float) -> None:
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    split = np.array([r[0] for r in rows])
    data = np.array([[float(v) for v in r[1:]] for r in rows])
    y, x = data[:, 0].astype(int), data[:, 1:]
    train, test = split == "train", split == "test"
    model = LogisticRegression(C=c, tol=1e-10, max_iter=10000).fit(x[train], y[train])
    auc = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
    print(json.dumps({"auc": auc, "features": len(header) - 2, "train": int(train.sum()), "test": int(test.sum()),
                      "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
