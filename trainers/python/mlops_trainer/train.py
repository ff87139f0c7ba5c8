"""The whole `train` step, free of Temporal: read the splits, fit, export, write the model, describe it."""

import os
import socket

from . import __version__
from .model import export_onnx, fit, framework, resolve_params
from .storage import read_parquet, s3_filesystem, write_bytes


def identity() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def train_model(request: dict) -> dict:
    params = resolve_params(request.get("params") or {})
    filesystem = s3_filesystem(request["s3"]["endpoint"])
    bucket = request["s3"]["bucket"]
    train = read_parquet(filesystem, request["train"]["uri"], bucket)
    pipeline = fit(train, request["features"], request["task"], request["target"], request.get("classes"), params, int(request.get("seed", 0)))
    write_bytes(filesystem, request["output"]["uri"], bucket, export_onnx(pipeline, request["features"], request["task"]))
    return {
        "uri": request["output"]["uri"],
        "framework": framework(),
        "params": params,
        "codeVersion": f"mlops-trainer-python {__version__}",
        "identity": identity(),
    }
