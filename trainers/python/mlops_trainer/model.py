"""Fits a scikit-learn Pipeline on the train split and exports it to ONNX under the pipeline's contract:
one [N,1] input per feature (float for numeric, string for categorical), outputs `label` and `probabilities`
(no ZipMap, columns in the order of `classes`) or `variable` for regression."""

import numpy as np
import pandas as pd
import sklearn
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ALGORITHMS = ("hist_gradient_boosting", "logistic_regression")
DEFAULTS = {
    "hist_gradient_boosting": {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20},
    "logistic_regression": {"C": 1.0, "max_iter": 1000},
}


class InvalidParams(ValueError):
    """training.external.params the trainer cannot use."""


def resolve_params(params: dict) -> dict:
    algorithm = params.get("algorithm", "hist_gradient_boosting")
    if algorithm not in ALGORITHMS:
        raise InvalidParams(f"params.algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    unknown = set(params) - {"algorithm"} - set(DEFAULTS[algorithm])
    if unknown:
        raise InvalidParams(f"params {', '.join(sorted(unknown))} are not parameters of {algorithm} ({', '.join(DEFAULTS[algorithm])})")
    return {"algorithm": algorithm, **DEFAULTS[algorithm], **{k: v for k, v in params.items() if k != "algorithm"}}


def features_frame(frame: pd.DataFrame, features: list) -> pd.DataFrame:
    """The columns as the server feeds them: float32 numbers (NaN = missing), strings ("" = missing)."""
    out = {}
    for f in features:
        column = frame[f["name"]]
        if f["type"] == "numeric":
            out[f["name"]] = column.astype("float64").astype(np.float32)
        else:
            out[f["name"]] = column.astype(object).where(column.notna(), "").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out)


def build_pipeline(features: list, task: str, params: dict, seed: int) -> Pipeline:
    numeric = [f["name"] for f in features if f["type"] == "numeric"]
    categorical = [f["name"] for f in features if f["type"] == "categorical"]
    hgb = params["algorithm"] == "hist_gradient_boosting"
    steps = []
    if numeric:
        # Trees route missing values themselves; a linear model needs them imputed and the scale evened out.
        steps.append(("numeric", "passthrough" if hgb else Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if categorical:
        steps.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical))
    columns = ColumnTransformer(steps)
    p = {k: v for k, v in params.items() if k != "algorithm"}
    if hgb:
        cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
        estimator = cls(**p, early_stopping=False, random_state=seed)
    elif task == "regression":
        estimator = Ridge(alpha=1.0 / p["C"])
    else:
        estimator = LogisticRegression(**p)
    return Pipeline([("columns", columns), ("model", estimator)])


def round_thresholds_to_float32(pipeline: Pipeline) -> None:
    """ONNX compares float32 inputs with float32 thresholds. Every input here is a float32 value, so replacing
    each split threshold t by the largest float32 ≤ t changes no decision in scikit-learn and makes the
    exported trees take exactly the same paths."""
    model = pipeline.named_steps["model"]
    for trees in getattr(model, "_predictors", []):
        for tree in trees:
            t = tree.nodes["num_threshold"]
            f = t.astype(np.float32)
            f = np.where(f.astype(np.float64) > t, np.nextafter(f, np.float32(-np.inf)), f)
            tree.nodes["num_threshold"] = f.astype(np.float64)


def fit(train: pd.DataFrame, features: list, task: str, target: str, classes, params: dict, seed: int) -> Pipeline:
    x = features_frame(train, features)
    if task == "regression":
        y = train[target].astype("float64").to_numpy()
    else:
        # Class indices, so predict_proba's columns (and the ONNX probabilities) follow `classes` exactly.
        index = {c: i for i, c in enumerate(classes)}
        unknown = set(train[target].astype(str)) - set(index)
        if unknown:
            raise ValueError(f"the train split has labels {sorted(unknown)} that are not in classes {classes}")
        y = train[target].astype(str).map(index).to_numpy(dtype=np.int64)
    pipeline = build_pipeline(features, task, params, seed)
    pipeline.fit(x, y)
    round_thresholds_to_float32(pipeline)
    if task != "regression" and len(pipeline.classes_) != len(classes):
        raise ValueError(f"the train split holds {len(pipeline.classes_)} of the {len(classes)} classes: every class must appear in it")
    return pipeline


def export_onnx(pipeline: Pipeline, features: list, task: str) -> bytes:
    initial_types = [(f["name"], FloatTensorType([None, 1]) if f["type"] == "numeric" else StringTensorType([None, 1])) for f in features]
    options = None if task == "regression" else {id(pipeline): {"zipmap": False}}
    onx = to_onnx(pipeline, initial_types=initial_types, options=options, target_opset={"": 17, "ai.onnx.ml": 3})
    return onx.SerializeToString()


def framework() -> str:
    return f"scikit-learn {sklearn.__version__}"
