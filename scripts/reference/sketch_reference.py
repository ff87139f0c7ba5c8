"""Reference values for test/unit/stats/sketch.test.ts (core/stats/sketch/), from numpy: the exact single-pass
statistics that merged partition summaries must agree with (within each sketch's documented error).

Regenerate (from the repository root):
    /tmp/hgbref/bin/python scripts/reference/sketch_reference.py > test/unit/stats/sketch-reference.json

The sample is integer arithmetic shared with the test (bit-identical in both languages but for the last ulp of
log, far below every tolerance):
    u_i = ((i * 2654435761) % 2**32 + 0.5) / 2**32
    x_i = -10 * log(u_i)                 exponential, mean 10
    c_i = "c" + floor(u_i**2 * 300)      300 categories, skewed towards small codes
    s_i = "id" + (i * 7919) % 150000     150,000 distinct strings
"""
import json
import math
import sys
from collections import Counter

import numpy as np

N = 400_000
QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def sample():
    i = np.arange(N, dtype=np.uint64)
    u = (((i * np.uint64(2654435761)) % np.uint64(2**32)).astype(np.float64) + 0.5) / 2**32
    x = np.array([-10 * math.log(v) for v in u])
    c = ["c%d" % math.floor(v * v * 300) for v in u]
    s = ["id%d" % ((k * 7919) % 150000) for k in range(N)]
    return x, c, s


def main():
    x, c, s = sample()
    counts = Counter(c).most_common()
    counts.sort(key=lambda kv: (-kv[1], kv[0]))
    out = {
        "n": N,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "mean": float(np.mean(x)),
        "std": float(np.std(x, ddof=1)),
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        "quantiles": {str(p): float(np.quantile(x, p)) for p in QUANTILES},
        "distinct_s": len(set(s)),
        "distinct_c": len(counts),
        "top5_c": [[v, n] for v, n in counts[:5]],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
