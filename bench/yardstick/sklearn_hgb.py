"""Yardstick for bench/gbdt.bench.ts: scikit-learn's HistGradientBoostingClassifier on the exact split and encoded
matrix the TypeScript GBDT saw, with matching settings; prints the test ROC-AUC and the fit time as one JSON line.

usage: sklearn_hgb.py DATA.csv MAX_ITER SEED
DATA.csv: header `split,label,<features...>`; split is train or test, label 0/1, features already encoded
(NaN = missing). Settings matched to the TypeScript side: 31 leaves, learning rate 0.1, MAX_ITER iterations,
min_samples_leaf 20, no L2, 255 bins on a 200k-row subsample, no early stopping.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def main(path: str, max_iter: int, seed: int) -> None:
    frame = pd.read_csv(path, engine="pyarrow")
    split = frame.pop("split").to_numpy()
    y = frame.pop("label").to_numpy().astype(int)
    x = frame.to_numpy(dtype=np.float64)
    train, test = split == "train", split == "test"
    model = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_bins=255,
        early_stopping=False,
        random_state=seed,
    )
    started = time.perf_counter()
    model.fit(x[train], y[train])
    fit_seconds = time.perf_counter() - started
    auc = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
    print(json.dumps({"auc": auc, "fitSeconds": fit_seconds, "iterations": int(model.n_iter_), "features": x.shape[1],
                      "train": int(train.sum()), "test": int(test.sum()), "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
