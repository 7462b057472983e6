"""Writes empyrical_expected.json: empyrical's figures for a fixed equity
curve, the reference tests/empyrical.rs checks our analytics against.

Run once in any venv with `pip install empyrical-reloaded==0.7.1`:
    python make_empyrical_expected.py
The curve is a deterministic pseudo-random walk, so the file can be
regenerated and compared byte for byte.
"""

import json
import math

import empyrical
import numpy as np

# A seeded walk: 500 daily equity samples with drift, noise and a crash.
rng = np.random.default_rng(20241122)
steps = rng.normal(0.0004, 0.012, 499)
steps[200:215] -= 0.02
equity = [10_000.0]
for r in steps:
    equity.append(equity[-1] * (1.0 + r))
returns = np.diff(equity) / np.array(equity[:-1])

expected = {
    "equity": equity,
    "periods_per_year": 252,
    "sharpe": empyrical.sharpe_ratio(returns, annualization=252),
    "sortino": empyrical.sortino_ratio(returns, annualization=252),
    "max_drawdown": empyrical.max_drawdown(returns),
    "annual_return": empyrical.annual_return(returns, annualization=252),
    "calmar": empyrical.calmar_ratio(returns, annualization=252),
    "empyrical_version": empyrical.__version__,
}
assert all(math.isfinite(v) for k, v in expected.items() if isinstance(v, float))
with open("empyrical_expected.json", "w") as f:
    json.dump(expected, f, indent=1)
print({k: v for k, v in expected.items() if k != "equity"})
