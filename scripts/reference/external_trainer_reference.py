"""Reference values for test/integration/external-trainer.test.ts, computed with scikit-learn in the
reference trainer's own venv: refits the trainer's pipeline on the train split it was given (same params and
seed: the fit is deterministic), returns predict_proba on the test rows, and the metrics of the probabilities
the model server answered (roc_auc, accuracy, log_loss by scikit-learn).

Usage: python external_trainer_reference.py REQUEST.json  (with PYTHONPATH=trainers/python)
REQUEST: {"train": "train.parquet", "trainerInput": {...}, "params": {...}, "test": [{feature: value}],
          "labels": ["0", ...], "served": [[p0, p1], ...]}"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from mlops_trainer.model import features_frame, fit

request = json.load(open(sys.argv[1]))
spec = request["trainerInput"]
train = pd.read_parquet(request["train"])
pipeline = fit(train, spec["features"], spec["task"], spec["target"], spec["classes"], request["params"], spec["seed"])
test = pd.DataFrame(request["test"])
for f in spec["features"]:
    if f["type"] == "numeric":
        test[f["name"]] = pd.to_numeric(test[f["name"]])
proba = pipeline.predict_proba(features_frame(test, spec["features"]))
served = np.array(request["served"], dtype=np.float64)
y = np.array([spec["classes"].index(label) for label in request["labels"]])
print(json.dumps({
    "proba": proba.tolist(),
    "servedMetrics": {
        "roc_auc": roc_auc_score(y, served[:, 1]),
        "accuracy": accuracy_score(y, (served[:, 1] >= 0.5).astype(int)),
        "log_loss": log_loss(y, served, labels=list(range(len(spec["classes"])))),
    },
}))
