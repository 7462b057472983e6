"""Writes backtesting_smacross_goog.json: the trades and equity that
backtesting.py's SmaCross(10, 20) example produces on GOOG daily bars,
the reference tests/fidelity.rs holds our bar backtest to.

backtesting.py is AGPL-3.0: it is used here only to produce this output;
none of its code is copied into Kestrel. Run once in a venv with
`pip install backtesting==0.6.6`:
    python make_backtesting_expected.py ../../../../data/sample/GOOG_daily_2004-2013.csv
"""

import json
import sys

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        close = self.data.Close
        self.sma1 = self.I(SMA, close, self.n1)
        self.sma2 = self.I(SMA, close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


data = pd.read_csv(sys.argv[1], index_col=0, parse_dates=True)
bt = Backtest(data, SmaCross, cash=10_000, commission=0.002)
stats = bt.run()
trades = stats["_trades"]
equity = stats["_equity_curve"]["Equity"]
out = {
    "backtesting_version": __import__("backtesting").__version__,
    "cash": 10_000,
    "commission": 0.002,
    "final_equity": float(stats["Equity Final [$]"]),
    "closed_trades": int(stats["# Trades"]),
    "trades": [
        {
            "size": int(t.Size),
            "entry_bar": int(t.EntryBar),
            "exit_bar": int(t.ExitBar),
            "entry_price": float(t.EntryPrice),
            "exit_price": float(t.ExitPrice),
            "pnl": float(t.PnL),
        }
        for t in trades.itertuples()
    ],
    "equity": [float(e) for e in equity],
}
with open("backtesting_smacross_goog.json", "w") as f:
    json.dump(out, f, indent=1)
print(out["closed_trades"], "trades, final equity", out["final_equity"])
