"""Reference values for test/unit/stats/ab.test.ts (core/stats/ab.ts), from scipy and statsmodels.

Regenerate (from the repository root):
    python3 -m venv /tmp/abref && /tmp/abref/bin/pip install scipy statsmodels
    /tmp/abref/bin/python scripts/reference/ab_reference.py > test/unit/stats/ab-reference.json
"""
import json
import math
import sys

import numpy as np
import scipy
import statsmodels
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

QUANTILE_PS = [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.02, 0.02425, 0.025, 0.05, 0.1, 0.3,
               0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.97575, 0.99, 0.999, 1 - 1e-10]

# (control successes, control trials, treatment successes, treatment trials, alpha)
ZTESTS = [
    (641, 1190, 854, 1200, 0.05),
    (300, 1000, 345, 1000, 0.05),
    (4700, 10000, 512, 1000, 0.05),
    (90, 1000, 60, 1000, 0.1),
    (9, 35, 3, 40, 0.01),
    (5012, 50000, 5150, 50000, 0.05),
]

# (baseline, minimum detectable effect, alpha, power, ratio = treatment / control)
SAMPLE_SIZES = [
    (0.1, 0.02, 0.05, 0.8, 1),
    (0.3, 0.06, 0.05, 0.8, 1),
    (0.5, -0.05, 0.05, 0.8, 1),
    (0.05, 0.01, 0.01, 0.9, 1),
    (0.641, 0.07, 0.1, 0.95, 1),
    (0.2, 0.03, 0.05, 0.8, 0.25),
    (0.2, 0.03, 0.05, 0.8, 3),
]

# (control successes, control trials, treatment successes, treatment trials, tau)
MSPRT = [
    (300, 1000, 345, 1000, 0.05),
    (300, 1000, 330, 1000, 0.06),
    (1500, 5000, 1580, 5000, 0.02),
    (2700, 9000, 330, 1000, 0.03),
]


def classical_sample_size(baseline, mde, alpha, power, ratio):
    """Fleiss without continuity correction: pooled variance under H0, unpooled under H1."""
    pc, pt = baseline, baseline + mde
    pooled = (pc + ratio * pt) / (1 + ratio)
    z_alpha = norm.isf(alpha / 2)
    z_power = norm.ppf(power)
    root = z_alpha * math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio)) + z_power * math.sqrt(pc * (1 - pc) + pt * (1 - pt) / ratio)
    return max(root, 0) ** 2 / mde**2


def sample_size_row(baseline, mde, alpha, power, ratio):
    n = classical_sample_size(baseline, mde, alpha, power, ratio)
    # statsmodels' sample 1 is the treatment (p1 = prop2 + diff) and nobs2 = ratio * nobs1.
    sm_treatment = float(samplesize_proportions_2indep_onetail(mde, baseline, power, ratio=1 / ratio, alpha=alpha))
    # Cohen's h on the arcsine scale: a different variance approximation, so only close.
    h = proportion_effectsize(baseline + mde, baseline)
    cohen_control = float(NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=ratio, alternative="two-sided"))
    return {
        "baseline": baseline, "mde": mde, "alpha": alpha, "power": power, "ratio": ratio,
        "controlExact": n, "control": math.ceil(n), "treatment": math.ceil(ratio * n),
        "statsmodelsOneTailControl": sm_treatment / ratio,
        "cohenHControl": cohen_control,
    }


def ztest_row(xc, nc, xt, nt, alpha):
    z, p = proportions_ztest([xt, xc], [nt, nc])
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff", alpha=alpha)
    return {"control": [xc, nc], "treatment": [xt, nt], "alpha": alpha,
            "z": float(z), "pValue": float(p), "ciLow": float(lo), "ciHigh": float(hi)}


def msprt_row(xc, nc, xt, nt, tau):
    pc, pt = xc / nc, xt / nt
    theta = pt - pc
    if nc == nt:  # the paper's balanced form
        v = pc * (1 - pc) + pt * (1 - pt)
        lam = math.sqrt(v / (v + nc * tau**2)) * math.exp(nc**2 * tau**2 * theta**2 / (2 * v * (v + nc * tau**2)))
    else:
        s2 = pc * (1 - pc) / nc + pt * (1 - pt) / nt
        lam = math.sqrt(s2 / (s2 + tau**2)) * math.exp(theta**2 * tau**2 / (2 * s2 * (s2 + tau**2)))
    return {"control": [xc, nc], "treatment": [xt, nt], "tau": tau, "lambda": lam}


def main():
    out = {
        "generator": f"scripts/reference/ab_reference.py (scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, numpy {np.__version__})",
        "normalQuantile": [{"p": p, "x": float(norm.ppf(p))} for p in QUANTILE_PS],
        "zTests": [ztest_row(*c) for c in ZTESTS],
        "sampleSizes": [sample_size_row(*c) for c in SAMPLE_SIZES],
        "msprt": [msprt_row(*c) for c in MSPRT],
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
