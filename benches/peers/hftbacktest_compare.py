#!/usr/bin/env python3
"""Kestrel and hftbacktest 2.4.4 side by side on the bundled USD-M capture.

Both systems read the capture decoded once beforehand: hftbacktest through
its own converter (`hftbacktest.data.utils.binancefutures.convert`), Kestrel
through `kestrel data convert` (a tape). Then, on the same machine in one
run, each does two things, timed over several rounds (median):

* replay: the whole book rebuilt, the best bid and ask read at every
  wake-up (hftbacktest: `ROIVectorMarketDepthBacktest` and
  `HashMapMarketDepthBacktest`, a numba loop over `wait_next_feed`;
  Kestrel: `kestrel replay --file TAPE`, which reads the touch after
  every frame);
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


def hftbacktest_runs(rounds):
    """hftbacktest's conversion, replay and market maker; loop times only."""
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

    out = {"convert_s": convert_s, "events": events}
    for name, make in [
        ("replay_roi", lambda: ROIVectorMarketDepthBacktest([roi(asset(False))])),
        ("replay_hashmap", lambda: HashMapMarketDepthBacktest([asset(False)])),
    ]:
        times = []
        for _ in range(rounds):
            hbt = make()
            t = time.perf_counter()
            wakes, _ = touch(hbt)
            times.append(time.perf_counter() - t)
            hbt.close()
        out[name] = {"s": median(times), "wakes": int(wakes)}
    times = []
    for _ in range(rounds):
        hbt = HashMapMarketDepthBacktest([asset(True)])
        t = time.perf_counter()
        wakes, orders, fills = market_maker(hbt, 0.005, 0.03)
        times.append(time.perf_counter() - t)
        hbt.close()
    out["mm"] = {"s": median(times), "wakes": int(wakes), "orders": int(orders), "fills": int(fills)}
    return out


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


def kestrel_runs(binary, rounds, scratch):
    tape = os.path.join(scratch, "usdm.tape")
    said, convert_s = kestrel(binary, ["data", "convert", CAPTURE, "-o", tape])
    replay = []
    for _ in range(rounds):
        said, wall = kestrel(binary, ["replay", "--file", tape])
        frames = number(r"frames\s+(\d+)", said)
        levels = number(r"\((\d+) level updates\)", said)
        trades = number(r"book, (\d+) trades", said)
        rate = number(r"replay rate\s+([\d.]+) M frames/s", said)
        replay.append((frames / (rate * 1e6), wall))
    with open(CONFIG) as f:
        config = f.read()
    config = re.sub(r'(?m)^file = .*$', f'file = "{tape}"', config)
    config = re.sub(r'(?m)^html = .*$', f'html = "{scratch}/r.html"', config)
    config = re.sub(r'(?m)^json = .*$', f'json = "{scratch}/r.json"', config)
    path = os.path.join(scratch, "mm.toml")
    with open(path, "w") as f:
        f.write(config)
    mm = []
    for _ in range(rounds):
        said, wall = kestrel(binary, ["backtest", "--config", path])
        events = number(r"run\s+(\d+) market events", said)
        rate = number(r"\(([\d.]+) M events/s\)", said)
        mm.append((events / (rate * 1e6), wall))
    import json

    with open(os.path.join(scratch, "r.json")) as f:
        counters = json.load(f)
    activity = counters["summary"]["activity"]
    return {
        "convert_s": convert_s,
        "frames": int(frames),
        "events": int(levels + trades),
        "replay": {"s": median(r[0] for r in replay), "wall": median(r[1] for r in replay)},
        "mm": {
            "s": median(m[0] for m in mm),
            "wall": median(m[1] for m in mm),
            "events": int(events),
            "orders": int(activity["orders"]),
            "fills": int(activity["fills"]),
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kestrel", default=os.path.join(ROOT, "target/release/kestrel"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        k = kestrel_runs(args.kestrel, args.rounds, scratch)
    started = time.perf_counter()
    h = hftbacktest_runs(args.rounds)
    h_wall = time.perf_counter() - started

    def rate(n, s):
        return f"{n / s / 1e6:6.1f} M/s"

    print(f"Bundled USD-M capture, {args.rounds} rounds, medians; loop times as each system reports them.")
    print(f"  decoded once: hftbacktest {h['events']:,} events in {h['convert_s']:.2f} s; "
          f"Kestrel {k['events']:,} events ({k['frames']:,} frames) in {k['convert_s']:.2f} s")
    print("  replay, touch read at every wake-up / frame:")
    for name in ["replay_roi", "replay_hashmap"]:
        r = h[name]
        print(f"    hftbacktest {name[7:]:8} {r['s'] * 1e3:7.1f} ms  {rate(h['events'], r['s'])}  ({r['wakes']:,} wake-ups)")
    r = k["replay"]
    print(f"    kestrel tape        {r['s'] * 1e3:7.1f} ms  {rate(k['events'], r['s'])}  ({k['frames']:,} frames; process {r['wall'] * 1e3:.0f} ms)")
    print(f"    ratio               {h['replay_roi']['s'] / r['s']:.2f}x hftbacktest's ROI vector, "
          f"{h['replay_hashmap']['s'] / r['s']:.2f}x its hash map (time, same capture)")
    m, km = h["mm"], k["mm"]
    print("  queue-model market maker, 1 ms latency:")
    print(f"    hftbacktest         {m['s'] * 1e3:7.1f} ms  {rate(h['events'], m['s'])}  "
          f"{m['orders']:,} orders, {m['fills']:,} fills ({m['wakes']:,} wake-ups)")
    print(f"    kestrel             {km['s'] * 1e3:7.1f} ms  {rate(km['events'], km['s'])}  "
          f"{km['orders']:,} orders, {km['fills']:,} fills (process {km['wall'] * 1e3:.0f} ms)")
    print(f"    ratio               {m['s'] / km['s']:.2f}x (time, same capture)")
    print(f"  hftbacktest's whole script (numba import and compile, conversion, every round): {h_wall:.1f} s")


if __name__ == "__main__":
    main()
