"""Reference values for test/unit/stats/jensen-shannon.test.ts and drift.test.ts (core/stats/jensen-shannon.ts):
scipy.spatial.distance.jensenshannon in base e (its default, and Evidently's) and base 2.

Regenerate (from the repository root):
    python3 -m venv /tmp/hgbref && /tmp/hgbref/bin/pip install scipy numpy
    /tmp/hgbref/bin/python scripts/reference/jensen_shannon_reference.py
"""
import json

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon

CASES = {
    "probabilities": ([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]),
    "counts_with_zeros": ([10, 0, 35, 55, 0], [5, 20, 40, 30, 5]),
    # Counts at the reference deciles of the drift tests' numeric sample (test/unit/stats/drift.test.ts).
    "decile_bins": ([30] * 10, [0, 9, 9, 10, 12, 18, 25, 33, 36, 65]),
    # The large categorical column of drift.test.ts: [600, 400, 200] vs [300, 300, 400].
    "plan": ([600, 400, 200], [300, 300, 400]),
}

out = {"scipy": scipy.__version__}
for name, (p, q) in CASES.items():
    p, q = np.array(p, dtype=float), np.array(q, dtype=float)
    out[name] = {"e": float(jensenshannon(p, q)), "2": float(jensenshannon(p, q, base=2))}
print(json.dumps(out, indent=2))
