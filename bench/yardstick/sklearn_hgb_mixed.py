"""Yardstick for bench/gbdt-mixed.bench.ts: scikit-learn's HistGradientBoostingClassifier with native categorical
splits (categorical_features='from_dtype' on pandas category columns) on the mixed table, the same train/test rows
as the TypeScript GBDT; prints the test ROC-AUC, the fit time and its CPU time (all threads) as one JSON line.

usage: sklearn_hgb_mixed.py TABLE.parquet SPLIT.bin SEED
SPLIT.bin: one byte per table row, 0 = training (train + validation), 1 = test. Settings matched to the TypeScript
side: 100 iterations at most, early stopping on the loss of a stratified 10% of the training rows after 10
iterations without improvement, 31 leaves, learning rate 0.1, min_samples_leaf 20, no L2, 255 bins.
Threads: whatever OMP_NUM_THREADS allows (the benchmark sets 2).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def main(table: str, split_path: str, seed: int) -> None:
    frame = pd.read_parquet(table)
    y = frame.pop("y").to_numpy().astype(int)
    for c in [c for c in frame.columns if c.startswith("c")]:
        frame[c] = frame[c].astype("category")
    test = np.fromfile(split_path, dtype=np.uint8) == 1
    train = ~test
    model = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_bins=255,
        categorical_features="from_dtype",
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        scoring="loss",
        random_state=seed,
    )
    x_train, y_train = frame[train], y[train]
    started = time.perf_counter()
    cpu = time.process_time()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    auc = roc_auc_score(y[test], model.predict_proba(frame[test])[:, 1])
    print(json.dumps({"auc": auc, "fitSeconds": fit_seconds, "cpuSeconds": cpu_seconds, "iterations": int(model.n_iter_), "train": int(train.sum()),
                      "test": int(test.sum()), "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
