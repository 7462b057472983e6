#!/usr/bin/env python3
"""Kestrel and hftbacktest 2.4.4 side by side on the bundled USD-M capture.

Both systems read the capture decoded once beforehand: hftbacktest through
its own converter (`hftbacktest.data.utils.binancefutures.convert`), Kestrel
through `kestrel data convert` (a tape). Then, on the same machine in one
run, each does two things, timed over several rounds with the two
systems back to back in each round (medians, and the median of the
rounds' ratios, so a machine changing speed moves both sides):

* replay: the whole book rebuilt, the best bid and ask read at every
  wake-up (hftbacktest: `ROIVectorMarketDepthBacktest` and
  `HashMapMarketDepthBacktest`, a numba loop over `wait_next_feed`;
  Kestrel: `kestrel replay --file TAPE`, which reads the touch after
  every frame). hftbacktest's converter keeps depth and trades and drops
  the capture's 66,089 bookTickers, so Kestrel replays two tapes: one of
  the same input (`data convert --without quotes`), and the whole one,
  whose every bookTicker is also read and checked against the book;
* a queue-model market maker with 1 ms order latency: hftbacktest's one
  level each side at the touch (`power_prob_queue_model(2)`, no partial
  fills), Kestrel's main job (`imbalance_mm`, probabilistic queue model,
  1 ms entry and acknowledgement latency) from the tape.

For each it gives the events, orders and fills, the loop's time (what
each system reports for its own loop: hftbacktest's timed numba call,
Kestrel's printed run rate) and the whole process's wall time (Python
with numba's import and compile; Kestrel's binary).

Not run in CI: it needs a bench-only venv,

    python3 -m venv /tmp/hbt && /tmp/hbt/bin/pip install hftbacktest==2.4.4
    cargo build --release
    /tmp/hbt/bin/python benches/peers/hftbacktest_compare.py [--rounds 5]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAPTURE = os.path.join(ROOT, "data/sample/binance_usdm_btcusdt_20240808.raw.gz")
CONFIG = os.path.join(ROOT, "configs/imbalance_mm.toml")
# What the catalogue lists for USD-M BTCUSDT.
TICK, LOT = 0.1, 0.001


def median(xs):
    return statistics.median(xs)


def hftbacktest_setup():
    """hftbacktest's conversion, then its replay and market-maker loops,
    compiled, each as a function timing one run of its loop."""
    import numpy as np
    from numba import njit

    from hftbacktest import (
        BUY,
        GTX,
        LIMIT,
        BacktestAsset,
        HashMapMarketDepthBacktest,
        ROIVectorMarketDepthBacktest,
    )
    from hftbacktest.data.utils import binancefutures

    started = time.perf_counter()
    data = binancefutures.convert(CAPTURE, buffer_size=2_000_000)
    convert_s = time.perf_counter() - started
    events = len(data)

    @njit
    def touch(hbt):
        wakes = 0
        acc = 0.0
        while hbt.wait_next_feed(False, 1_000_000_000_000_000) == 2:
            depth = hbt.depth(0)
            acc += depth.best_bid + depth.best_ask
            wakes += 1
        return wakes, acc

    @njit
    def market_maker(hbt, qty, max_position):
        wakes = 0
        orders = 0
        while True:
            r = hbt.wait_next_feed(True, 1_000_000_000_000_000)
            if r != 2 and r != 3:
                break
            wakes += 1
            hbt.clear_inactive_orders(0)
            depth = hbt.depth(0)
            bid_tick = depth.best_bid_tick
            ask_tick = depth.best_ask_tick
            position = hbt.position(0)
            bid_live = False
            ask_live = False
            values = hbt.orders(0).values()
            while values.has_next():
                o = values.get()
                if o.side == BUY:
                    if o.price_tick == bid_tick:
                        bid_live = True
                    elif o.cancellable:
                        hbt.cancel(0, o.order_id, False)
                else:
                    if o.price_tick == ask_tick:
                        ask_live = True
                    elif o.cancellable:
                        hbt.cancel(0, o.order_id, False)
            if not bid_live and position < max_position:
                if hbt.submit_buy_order(0, 2 * bid_tick, bid_tick * depth.tick_size, qty, GTX, LIMIT, False) == 0:
                    orders += 1
            if not ask_live and position > -max_position:
                if hbt.submit_sell_order(0, 2 * ask_tick + 1, ask_tick * depth.tick_size, qty, GTX, LIMIT, False) == 0:
                    orders += 1
        return wakes, orders, hbt.state_values(0).num_trades

    def asset(queue):
        a = (
            BacktestAsset()
            .data([data])
            .linear_asset(1.0)
            .constant_order_latency(1_000_000, 1_000_000)
            .tick_size(TICK)
            .lot_size(LOT)
            .no_partial_fill_exchange()
            .trading_value_fee_model(-0.00005, 0.0002)
        )
        if queue:
            a = a.power_prob_queue_model(2.0)
        else:
            a = a.risk_adverse_queue_model()
        return a

    def roi(a):
        return a.roi_lb(50_000.0).roi_ub(70_000.0)

    # Compile each loop on the data once before timing.
    touch(ROIVectorMarketDepthBacktest([roi(asset(False))]))
    touch(HashMapMarketDepthBacktest([asset(False)]))
    market_maker(HashMapMarketDepthBacktest([asset(True)]), 0.005, 0.03)

    def timed(make, loop, *extra):
        def run():
            hbt = make()
            t = time.perf_counter()
            result = loop(hbt, *extra)
            elapsed = time.perf_counter() - t
            hbt.close()
            return elapsed, result

        return run

    return {
        "convert_s": convert_s,
        "events": events,
        "replay_roi": timed(lambda: ROIVectorMarketDepthBacktest([roi(asset(False))]), touch),
        "replay_hashmap": timed(lambda: HashMapMarketDepthBacktest([asset(False)]), touch),
        "mm": timed(lambda: HashMapMarketDepthBacktest([asset(True)]), market_maker, 0.005, 0.03),
    }


def kestrel(binary, args):
    started = time.perf_counter()
    done = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"kestrel {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, wall


def number(pattern, text):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"no {pattern!r} in:\n{text}")
    return float(m.group(1).replace(",", ""))


def kestrel_setup(binary, scratch):
    """Kestrel's conversion to a tape, then its replay and market maker,
    each as a function timing one run (its printed loop time, and the
    process's wall time)."""
    tape = os.path.join(scratch, "usdm.tape")
    _, convert_s = kestrel(binary, ["data", "convert", CAPTURE, "-o", tape])
    # What hftbacktest's converter keeps: depth and trades, no bookTicker.
    lean = os.path.join(scratch, "usdm-depth-trades.tape")
    kestrel(binary, ["data", "convert", CAPTURE, "-o", lean, "--without", "quotes"])
    with open(CONFIG) as f:
        config = f.read()
    config = re.sub(r'(?m)^file = .*$', f'file = "{tape}"', config)
    config = re.sub(r'(?m)^html = .*$', f'html = "{scratch}/r.html"', config)
    config = re.sub(r'(?m)^json = .*$', f'json = "{scratch}/r.json"', config)
    path = os.path.join(scratch, "mm.toml")
    with open(path, "w") as f:
        f.write(config)
    seen = {}

    def replay(path, key):
        said, wall = kestrel(binary, ["replay", "--file", path])
        frames = number(r"frames\s+(\d+)", said)
        levels = number(r"\((\d+) level updates\)", said)
        trades = number(r"book, (\d+) trades", said)
        rate = number(r"replay rate\s+([\d.]+) M frames/s", said)
        seen[key] = (int(frames), int(levels + trades))
        return frames / (rate * 1e6), wall

    def mm():
        said, wall = kestrel(binary, ["backtest", "--config", path])
        events = number(r"run\s+(\d+) market events", said)
        rate = number(r"\(([\d.]+) M events/s\)", said)
        import json

        with open(os.path.join(scratch, "r.json")) as f:
            activity = json.load(f)["summary"]["activity"]
        seen.update(mm_events=int(events), orders=int(activity["orders"]), fills=int(activity["fills"]))
        return events / (rate * 1e6), wall

    return {
        "convert_s": convert_s,
        "replay": lambda: replay(tape, "full"),
        "replay_lean": lambda: replay(lean, "lean"),
        "mm": mm,
        "seen": seen,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kestrel", default=os.path.join(ROOT, "target/release/kestrel"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        h = hftbacktest_setup()
        setup_s = time.perf_counter() - started
        k = kestrel_setup(args.kestrel, scratch)
        # Round by round, each system right after the other, so that a
        # machine slowing down or speeding up moves both; the ratio is
        # taken in each round, and the median of those is given.
        runs = {name: [] for name in ["roi", "hashmap", "replay", "replay_lean", "hbt_mm", "mm"]}
        for _ in range(args.rounds):
            runs["roi"].append(h["replay_roi"]())
            runs["hashmap"].append(h["replay_hashmap"]())
            runs["replay_lean"].append(k["replay_lean"]())
            runs["replay"].append(k["replay"]())
            runs["hbt_mm"].append(h["mm"]())
            runs["mm"].append(k["mm"]())
    seen = k["seen"]

    def t(name):
        return median(r[0] for r in runs[name])

    def ratio(theirs, ours):
        return median(a[0] / b[0] for a, b in zip(runs[theirs], runs[ours]))

    def rate(n, s):
        return f"{n / s / 1e6:6.1f} M/s"

    wakes = runs["roi"][-1][1][0]
    m_wakes, m_orders, m_fills = runs["hbt_mm"][-1][1]
    print(f"Bundled USD-M capture, {args.rounds} interleaved rounds, medians; loop times as each system reports them.")
    frames, events = seen["full"]
    print(f"  decoded once: hftbacktest {h['events']:,} events in {h['convert_s']:.2f} s; "
          f"Kestrel {events:,} events ({frames:,} frames) in {k['convert_s']:.2f} s")
    print("  replay, touch read at every wake-up / frame:")
    for name in ["roi", "hashmap"]:
        print(f"    hftbacktest {name:8} {t(name) * 1e3:7.1f} ms  {rate(h['events'], t(name))}  ({int(wakes):,} wake-ups)")
    rows = [
        ("replay_lean", "lean", "kestrel, same input", "depth and trades, as hftbacktest's converter keeps"),
        ("replay", "full", "kestrel, + bookTicker", "every bookTicker also read and checked against the book"),
    ]
    for key, tape, label, what in rows:
        frames, events = seen[tape]
        wall = median(r[1] for r in runs[key])
        print(f"    {label:21} {t(key) * 1e3:5.1f} ms  {rate(events, t(key))}  "
              f"({frames:,} frames: {what}; process {wall * 1e3:.0f} ms)")
        print(f"      ratio             {ratio('roi', key):.2f}x hftbacktest's ROI vector, "
              f"{ratio('hashmap', key):.2f}x its hash map (median of the rounds' ratios)")
        print(f"      rounds' ratios    {', '.join(f'{a[0] / b[0]:.2f}' for a, b in zip(runs['roi'], runs[key]))}")
    wall = median(r[1] for r in runs["mm"])
    print("  queue-model market maker, 1 ms latency:")
    print(f"    hftbacktest         {t('hbt_mm') * 1e3:7.1f} ms  {rate(h['events'], t('hbt_mm'))}  "
          f"{int(m_orders):,} orders, {int(m_fills):,} fills ({int(m_wakes):,} wake-ups)")
    print(f"    kestrel             {t('mm') * 1e3:7.1f} ms  {rate(seen['mm_events'], t('mm'))}  "
          f"{seen['orders']:,} orders, {seen['fills']:,} fills (process {wall * 1e3:.0f} ms)")
    print(f"    ratio               {ratio('hbt_mm', 'mm'):.2f}x (median of the rounds' ratios)")
    print(f"    rounds' ratios      {', '.join(f'{a[0] / b[0]:.2f}' for a, b in zip(runs['hbt_mm'], runs['mm']))}")
    print(f"  hftbacktest's set-up (numba import and compile, conversion): {setup_s:.1f} s")


if __name__ == "__main__":
    main()
