#!/usr/bin/env python3
"""Kestrel's `ema_cross` and NautilusTrader 1.221's `EMACross` example side
by side on the same trades: 1,000,000 synthetic ETHUSDT ticks from the
seeded generator in the repository (`kestrel data synth-trades`, seed 7,
Binance's trades CSV layout).

Both strategies keep a fast (10) and a slow (20) EMA of 1-minute bars made
from the ticks, seeded with the first close, and trade only once both have
seen 20 bars, skipping single-price bars: long when fast >= slow, short
below, entering from flat and reversing (close, then enter) on the other
side. With the same bars they must make the same decisions; the script
checks that the two sequences of orders (bar, side) agree.

* Kestrel: `kestrel backtest` on a config written here (the trades file,
  `binance-trades`, USD-M ETHUSDT's grid), the time it prints for its run
  (reading and parsing the CSV included), and the whole process; and the
  same on the file converted once to a tape (`kestrel data convert`, not
  timed, as NautilusTrader's ticks are made once), which it reads without
  parsing text.
* NautilusTrader: `BacktestEngine`, venue BINANCE, NETTING, CASH account,
  `TestInstrumentProvider.ethusdt_binance()`, the ticks made once with its
  `TradeTickDataWrangler` (not timed), `EMACross` on
  `ETHUSDT.BINANCE-1-MINUTE-LAST-INTERNAL` with `request_bars=False`;
  `engine.run()` timed alone. Its strategy closes its position on stop:
  that last order is counted apart.

Rounds alternate the two systems; the figures are medians.

Not run in CI: it needs a bench-only venv,

    python3 -m venv /tmp/nt && /tmp/nt/bin/pip install nautilus_trader==1.221.0
    cargo build --release
    /tmp/nt/bin/python benches/peers/nautilus_ema_cross.py [--trades 1000000] [--rounds 3]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from decimal import Decimal

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KESTREL = os.path.join(ROOT, "target/release/kestrel")
MINUTE_NS = 60_000_000_000


def kestrel_config(trades_file, report_dir, data_format="binance-trades"):
    return f"""
title = "ema_cross(10, 20) on 1m bars of synthetic ETHUSDT trades"
[data]
file = "{trades_file}"
format = "{data_format}"
instrument = "binance_usdm:ETHUSDT"
[strategy]
kind = "ema_cross"
bar = "1m"
fast = 10
slow = 20
seed = "first"
qty = "0.1"
[risk]
max_order_qty = "10"
max_order_notional = "1000000"
max_position = "10"
max_exposure = "10000000"
[account]
cash = "1000000"
[report]
html = "{report_dir}/kestrel.html"
json = "{report_dir}/kestrel.json"
"""


def run_kestrel(config_path, report_dir):
    started = time.perf_counter()
    out = subprocess.run(
        [KESTREL, "backtest", "--config", config_path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall = time.perf_counter() - started
    m = re.search(r"run\s+(\d+) market events in ([0-9.]+) s", out)
    events, run_s = int(m.group(1)), float(m.group(2))
    report = json.load(open(os.path.join(report_dir, "kestrel.json")))
    # Each fill is an order (market orders fill whole): its bar is the
    # minute the fill's trade fell in, less one (the bar that closed).
    decisions = [
        ((f["time_ms"] * 1_000_000) // MINUTE_NS - 1, "BUY" if f["buy"] else "SELL")
        for f in report["series"]["fills"]
    ]
    return {"events": events, "run_s": run_s, "wall_s": wall, "decisions": decisions}


def nautilus_ticks(trades_csv):
    import pandas as pd
    from nautilus_trader.persistence.wranglers import TradeTickDataWrangler
    from nautilus_trader.test_kit.providers import TestInstrumentProvider

    instrument = TestInstrumentProvider.ethusdt_binance()
    df = pd.read_csv(trades_csv)
    df = df.rename(columns={"id": "trade_id", "qty": "quantity", "is_buyer_maker": "buyer_maker"})
    df["timestamp"] = pd.to_datetime(df["time"], unit="ms", utc=True)
    df = df.set_index("timestamp")[["price", "quantity", "buyer_maker", "trade_id"]]
    ticks = TradeTickDataWrangler(instrument).process(df)
    return instrument, ticks


def run_nautilus(instrument, ticks):
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
    from nautilus_trader.model.currencies import ETH, USDT
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AccountType, OmsType
    from nautilus_trader.model.identifiers import Venue
    from nautilus_trader.model.objects import Money

    engine = BacktestEngine(
        config=BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR"))
    )
    engine.add_venue(
        venue=Venue("BINANCE"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(1_000_000, USDT), Money(1_000, ETH)],
    )
    engine.add_instrument(instrument)
    engine.add_data(ticks)
    strategy = EMACross(
        EMACrossConfig(
            instrument_id=instrument.id,
            bar_type=BarType.from_str("ETHUSDT.BINANCE-1-MINUTE-LAST-INTERNAL"),
            trade_size=Decimal("0.1"),
            fast_ema_period=10,
            slow_ema_period=20,
            request_bars=False,
        )
    )
    engine.add_strategy(strategy)
    started = time.perf_counter()
    engine.run()
    run_s = time.perf_counter() - started
    orders = sorted(engine.cache.orders(), key=lambda o: o.ts_init)
    end_ns = ticks[-1].ts_event
    # The bar whose close made the decision: orders go out at the bar's
    # close, stamped with it; the close on stop is at the data's end.
    decisions = [
        (o.ts_init // MINUTE_NS - 1, o.side_string()) for o in orders if o.ts_init < end_ns
    ]
    on_stop = len(orders) - len(decisions)
    engine.dispose()
    return {"events": len(ticks), "run_s": run_s, "decisions": decisions, "on_stop": on_stop}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trades", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trades_csv = os.path.join(tmp, "ethusdt_trades.csv")
        subprocess.run(
            [KESTREL, "data", "synth-trades", "--count", str(args.trades), "--seed", "7",
             "-o", trades_csv],
            check=True,
            capture_output=True,
        )
        config = os.path.join(tmp, "ema_cross.toml")
        open(config, "w").write(kestrel_config(trades_csv, tmp))
        tape = os.path.join(tmp, "ETHUSDT-trades.tape")
        subprocess.run(
            [KESTREL, "data", "convert", trades_csv, "--symbol", "ETHUSDT", "-o", tape],
            check=True,
            capture_output=True,
        )
        tape_config = os.path.join(tmp, "ema_cross_tape.toml")
        open(tape_config, "w").write(kestrel_config(tape, tmp, "capture"))
        started = time.perf_counter()
        instrument, ticks = nautilus_ticks(trades_csv)
        print(f"NautilusTrader ticks made in {time.perf_counter() - started:.1f} s (not timed)")
        ks, ts, ns = [], [], []
        for r in range(args.rounds):
            ks.append(run_kestrel(config, tmp))
            ts.append(run_kestrel(tape_config, tmp))
            ns.append(run_nautilus(instrument, ticks))
            print(
                f"round {r + 1}: Kestrel CSV {ks[-1]['run_s'] * 1e3:.1f} ms "
                f"(process {ks[-1]['wall_s'] * 1e3:.0f} ms), "
                f"tape {ts[-1]['run_s'] * 1e3:.1f} ms "
                f"(process {ts[-1]['wall_s'] * 1e3:.0f} ms), "
                f"NautilusTrader {ns[-1]['run_s'] * 1e3:.0f} ms"
            )
        k, t, n = ks[-1], ts[-1], ns[-1]
        rate = lambda runs: args.trades / statistics.median(x["run_s"] for x in runs)
        ratio = lambda runs: statistics.median(b["run_s"] / a["run_s"] for a, b in zip(runs, ns))
        print(f"\n{args.trades:,} synthetic ETHUSDT trades, ema_cross(10, 20) on 1-minute bars")
        print(f"  Kestrel, CSV    {rate(ks) / 1e6:6.2f} M ticks/s  (read and parsed in the run), "
              f"{len(k['decisions'])} orders, {ratio(ks):.1f}x")
        print(f"  Kestrel, tape   {rate(ts) / 1e6:6.2f} M ticks/s  (read in the run), "
              f"{len(t['decisions'])} orders, {ratio(ts):.1f}x")
        print(f"  NautilusTrader  {rate(ns) / 1e6:6.3f} M ticks/s  (engine.run() only), "
              f"{len(n['decisions'])} orders, +{n['on_stop']} closing on stop")
        print("  (ratios: the median over rounds of NautilusTrader's time over Kestrel's)")
        same = k["decisions"] == n["decisions"] == t["decisions"]
        print(f"  decisions (bar, side) identical: {same}")
        if not same:
            for i, (a, b) in enumerate(zip(k["decisions"], n["decisions"])):
                if a != b:
                    print(f"  first difference at order {i}: Kestrel {a}, NautilusTrader {b}")
                    break


if __name__ == "__main__":
    main()
