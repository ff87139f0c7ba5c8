"""Reference values for test/unit/stats/special-vs-simple-statistics.test.ts: scipy's special functions at the
points where core/stats/special.ts and simple-statistics 7.12 are compared (log-gamma, erf/erfc, the normal CDF,
its tail and its inverse, Kolmogorov's distribution, chi-squared tail probabilities, Pearson's r, quantiles).

Regenerate (from the repository root):
    python3 -m venv /tmp/hgbref && /tmp/hgbref/bin/pip install scipy numpy
    /tmp/hgbref/bin/python scripts/reference/special_vs_simple_statistics.py
"""
import json

import numpy as np
import scipy
from scipy import special, stats

GAMMALN = [1e-8, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 14.9, 100, 1234.5, 1e6]
ERF = [0.1, 0.5, 1, 2, 3]
ERFC = [1, 2, 3, 4, 5, 6]
NORM_CDF = [-6, -4, -2.5, -1, 0, 0.5, 1.96, 3]
NORM_SF = [2, 3, 4, 5, 6, 8]
NORM_PPF = [1e-10, 1e-6, 0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999999]
KOLMOGOROV = [0.3, 0.5, 0.8, 1, 1.36, 1.63, 2, 3]
CHI2_SF = [(3.84, 1), (10, 3), (30, 10), (100, 50), (200, 99), (1, 5)]
# simple-statistics' chi-squared table: the critical value at p = 0.05 and 0.01 for a few degrees of freedom.
CHI2_ISF = [(1, 0.05), (1, 0.01), (10, 0.05), (30, 0.01)]

out = {
    "scipy": scipy.__version__,
    "gammaln": [[x, float(special.gammaln(x))] for x in GAMMALN],
    "erf": [[x, float(special.erf(x))] for x in ERF],
    "erfc": [[x, float(special.erfc(x))] for x in ERFC],
    "norm_cdf": [[z, float(stats.norm.cdf(z))] for z in NORM_CDF],
    "norm_sf": [[z, float(stats.norm.sf(z))] for z in NORM_SF],
    "norm_ppf": [[p, float(stats.norm.ppf(p))] for p in NORM_PPF],
    "kolmogorov": [[x, float(special.kolmogorov(x))] for x in KOLMOGOROV],
    "chi2_sf": [[x, df, float(stats.chi2.sf(x, df))] for x, df in CHI2_SF],
    "chi2_isf": [[df, p, float(stats.chi2.isf(p, df))] for df, p in CHI2_ISF],
}
print(json.dumps(out, indent=1))
