"""Writes scikit-learn's breast-cancer data set (569 rows, 30 numeric features) as a CSV for the serving benchmarks.

usage: breast_cancer_csv.py OUT.csv
Columns: the 30 features with spaces turned into underscores (mean_radius, ...) and `diagnosis`
(malignant or benign). The data ships inside scikit-learn: nothing is downloaded.
"""
import sys

from sklearn.datasets import load_breast_cancer

data = load_breast_cancer(as_frame=True)
frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
frame["diagnosis"] = [data.target_names[t] for t in frame.pop("target")]
frame.to_csv(sys.argv[1], index=False)
