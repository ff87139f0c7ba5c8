"""The reference trainer of temporal-mlops: a `train` activity on scikit-learn, exported to ONNX (docs/trainers.md)."""

__version__ = "0.1.0"
