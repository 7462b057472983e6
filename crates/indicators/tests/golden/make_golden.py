#!/usr/bin/env python3
"""Writes the golden outputs of TA-Lib 0.8 that tests/talib_parity.rs
compares Kestrel's indicators with, from two bundled series: the GOOG
daily bars and the EURUSD hourly bars.

Test-only: run it in a venv of its own, never in CI (the goldens are
committed):

    python3 -m venv /tmp/talib && /tmp/talib/bin/pip install ta-lib==0.8.2 numpy
    /tmp/talib/bin/python crates/indicators/tests/golden/make_golden.py

Every value is written with repr(), which round-trips a double exactly;
TA-Lib's lookback rows are empty.
"""

import csv
import gzip
import io
import os

import numpy as np
import talib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
SERIES = {
    "goog_daily": "data/sample/GOOG_daily_2004-2013.csv",
    "eurusd_hourly": "data/sample/EURUSD_hourly_2017-2018.csv",
}


def columns(o, h, l, c, v):
    macd, signal, hist = talib.MACD(c, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    slowk, slowd = talib.STOCH(h, l, c, 5, 3, 0, 3, 0)
    return {
        "sma_20": talib.SMA(c, 20),
        "ema_10": talib.EMA(c, 10),
        "wma_10": talib.WMA(c, 10),
        "dema_10": talib.DEMA(c, 10),
        "tema_10": talib.TEMA(c, 10),
        "kama_10": talib.KAMA(c, 10),
        "rsi_14": talib.RSI(c, 14),
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": hist,
        "roc_10": talib.ROC(c, 10),
        "bb_upper": upper,
        "bb_middle": middle,
        "bb_lower": lower,
        "stddev_20": talib.STDDEV(c, 20, 1.0),
        "atr_14": talib.ATR(h, l, c, 14),
        "natr_14": talib.NATR(h, l, c, 14),
        "obv": talib.OBV(c, v),
        "adx_14": talib.ADX(h, l, c, 14),
        "stoch_k": slowk,
        "stoch_d": slowd,
        "cci_14": talib.CCI(h, l, c, 14),
        "mfi_14": talib.MFI(h, l, c, v, 14),
        "willr_14": talib.WILLR(h, l, c, 14),
    }


def main():
    for name, path in SERIES.items():
        rows = list(csv.DictReader(open(os.path.join(ROOT, path))))
        col = lambda k: np.array([float(r[k]) for r in rows], dtype=np.float64)
        out = columns(col("Open"), col("High"), col("Low"), col("Close"), col("Volume"))
        target = os.path.join(HERE, f"{name}_talib.csv.gz")
        # mtime=0: the same goldens give the same bytes.
        with gzip.GzipFile(target, "wb", 9, mtime=0) as raw:
            with io.TextIOWrapper(raw, newline="") as f:
                w = csv.writer(f)
                w.writerow(["date", *out])
                for i, r in enumerate(rows):
                    values = ("" if np.isnan(v[i]) else repr(float(v[i])) for v in out.values())
                    w.writerow([r[""], *values])
        print(f"wrote {target}: {len(rows)} rows, talib {talib.__version__}")


if __name__ == "__main__":
    main()
