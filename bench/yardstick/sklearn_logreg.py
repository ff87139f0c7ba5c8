"""Yardstick for bench/linear.bench.ts: scikit-learn's LogisticRegression on the exact split and encoded matrix
the TypeScript trainer saw, printing the test ROC-AUC as one JSON line.

usage: sklearn_logreg.py DATA.csv C
DATA.csv: header `split,label,<features...>`; split is train or test, label 0/1, features already encoded.

usage: sklearn_logreg.py --design DIR C TOL
DIR holds meta.json and, per part (train, test), <part>_dense.f32 (rows × dense columns, standardized),
<part>_hot.i32 (rows × one-hot blocks: the hot model column) and <part>_y.i32. The one-hot blocks go through
OneHotEncoder (sparse) and are stacked with the numerics; only LogisticRegression(lbfgs).fit is timed. Prints
the test AUC, the fit time, the iterations and this process's peak RSS.
"""
import json
import resource
import sys
import time

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


def design_part(directory: str, part: str, meta: dict):
    import scipy.sparse as sp
    from sklearn.preprocessing import OneHotEncoder

    rows = meta[part + "Rows"]
    starts, widths = meta["blockStarts"], meta["blockWidths"]
    dense = np.fromfile(f"{directory}/{part}_dense.f32", dtype=np.float32).reshape(rows, meta["denseCount"]).astype(np.float64)
    hot = np.fromfile(f"{directory}/{part}_hot.i32", dtype=np.int32).reshape(rows, len(starts))
    codes = hot - np.asarray(starts, dtype=np.int32)
    onehot = OneHotEncoder(categories=[np.arange(w) for w in widths], sparse_output=True, dtype=np.float64).fit_transform(codes)
    x = sp.hstack([sp.csr_matrix(dense), onehot], format="csr")
    y = np.fromfile(f"{directory}/{part}_y.i32", dtype=np.int32)
    return x, y


def main_design(directory: str, c: float, tol: float) -> None:
    with open(f"{directory}/meta.json") as f:
        meta = json.load(f)
    x, y = design_part(directory, "train", meta)
    model = LogisticRegression(C=c, tol=tol, max_iter=10000)
    started = time.perf_counter()
    model.fit(x, y)
    fit_seconds = time.perf_counter() - started
    del x
    xt, yt = design_part(directory, "test", meta)
    auc = roc_auc_score(yt, model.predict_proba(xt)[:, 1])
    print(json.dumps({"auc": auc, "fitSeconds": fit_seconds, "iterations": int(model.n_iter_[0]), "width": xt.shape[1],
                      "train": int(len(y)), "test": int(len(yt)), "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    if sys.argv[1] == "--design":
        main_design(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        main(sys.argv[1], float(sys.argv[2]))
