#!/usr/bin/env python3
"""Writes the golden outputs of TA-Lib 0.8 that tests/talib_parity.rs
compares Kestrel's indicators with, from the bundled GOOG daily bars.

Test-only: run it in a venv of its own, never in CI (the goldens are
committed):

    python3 -m venv /tmp/talib && /tmp/talib/bin/pip install ta-lib==0.8.2 numpy
    /tmp/talib/bin/python crates/indicators/tests/golden/make_golden.py

Every value is written with repr(), which round-trips a double exactly;
TA-Lib's lookback rows are empty.
"""

import csv
import os

import numpy as np
import talib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
BARS = os.path.join(ROOT, "data/sample/GOOG_daily_2004-2013.csv")
OUT = os.path.join(HERE, "goog_daily_talib.csv")


def main():
    rows = list(csv.DictReader(open(BARS)))
    col = lambda k: np.array([float(r[k]) for r in rows], dtype=np.float64)
    o, h, l, c = col("Open"), col("High"), col("Low"), col("Close")
    macd, signal, hist = talib.MACD(c, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    columns = {
        "sma_20": talib.SMA(c, 20),
        "ema_10": talib.EMA(c, 10),
        "rsi_14": talib.RSI(c, 14),
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": hist,
        "bb_upper": upper,
        "bb_middle": middle,
        "bb_lower": lower,
        "stddev_20": talib.STDDEV(c, 20, 1.0),
        "atr_14": talib.ATR(h, l, c, 14),
    }
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", *columns])
        for i, r in enumerate(rows):
            w.writerow([r[""], *("" if np.isnan(v[i]) else repr(float(v[i])) for v in columns.values())])
    print(f"wrote {OUT}: {len(rows)} rows, talib {talib.__version__}")


if __name__ == "__main__":
    main()
