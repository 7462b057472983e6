"""Drives the simulator's USDⓈ-M venue with the unmodified ccxt package
(its `binanceusdm` class) and prints which unified methods work, as a
table.

Run by tests/python_client.rs with KESTREL_SIM_PORT set, the simulator
replaying the bundled BTCUSDT perpetual recording; exits non-zero if any
method in scope fails. Settings touched: the `fapi` base URLs, and
`fetchCurrencies` off: with keys set, ccxt reads currencies from Binance's
`sapi` wallet host, which is outside the simulator (as for spot).
"""

import os
import sys
import time

import ccxt

PORT = os.environ["KESTREL_SIM_PORT"]
ROOT = f"http://127.0.0.1:{PORT}"
KEY, SECRET, SYMBOL = "kestrel-sim-key", "kestrel-sim-secret", "BTC/USDT:USDT"

exchange = ccxt.binanceusdm({"apiKey": KEY, "secret": SECRET, "options": {"fetchCurrencies": False}})
for name in list(exchange.urls["api"]):
    if name.startswith("fapi") and name != "fapiData":
        version = {"V2": "v2", "V3": "v3"}.get(name[-2:], "v1")
        exchange.urls["api"][name] = f"{ROOT}/fapi/{version}"

rows = []
failed = []


def run(method, call, check=lambda r: True):
    try:
        result = call()
        ok = check(result)
        rows.append((method, "ok" if ok else f"WRONG: {str(result)[:120]}"))
        if not ok:
            failed.append(method)
        return result
    except Exception as e:  # noqa: BLE001 - every failure is reported
        rows.append((method, f"FAILED {type(e).__name__}: {str(e)[:100]}"))
        failed.append(method)
        return None


def refused(method, code, call):
    """The venue refuses with Binance's code. ccxt picks its error class
    by Binance's host name (fapi.binance.com), so on a local URL a futures
    code reaches the caller as ExchangeError carrying that code."""
    try:
        call()
        rows.append((method, "WRONG: accepted"))
        failed.append(method)
    except ccxt.ExchangeError as e:
        if f'"code":{code}' in str(e):
            rows.append((method, f"ok: {type(e).__name__} with {code}"))
        else:
            rows.append((method, f"WRONG: {str(e)[:80]}"))
            failed.append(method)


def outside(method, why):
    rows.append((method, f"outside: {why}"))


# The recording needs a moment to sync its book.
for _ in range(100):
    try:
        exchange.fapiPublicGetPremiumIndex({"symbol": "BTCUSDT"})
        break
    except Exception:  # noqa: BLE001
        time.sleep(0.1)

run("load_markets", exchange.load_markets, lambda m: SYMBOL in m)
run("fetch_time", exchange.fetch_time, lambda t: t > 0)
run(
    "fetch_ticker",
    lambda: exchange.fetch_ticker(SYMBOL),
    lambda t: t["last"] and t["low"] <= t["last"] <= t["high"] and t["baseVolume"] > 0,
)
run("fetch_tickers", lambda: exchange.fetch_tickers([SYMBOL]), lambda t: SYMBOL in t)
run("fetch_bids_asks", lambda: exchange.fetch_bids_asks([SYMBOL]), lambda t: t[SYMBOL]["bid"] < t[SYMBOL]["ask"])
run("fetch_last_prices", lambda: exchange.fetch_last_prices([SYMBOL]), lambda t: t[SYMBOL]["price"] > 0)
book = run(
    "fetch_order_book",
    lambda: exchange.fetch_order_book(SYMBOL, 5),
    lambda b: b["bids"] and b["asks"] and b["bids"][0][0] < b["asks"][0][0],
)
run(
    "fetch_trades",
    lambda: exchange.fetch_trades(SYMBOL, limit=20),
    lambda t: len(t) == 20 and all(x["price"] > 0 and x["side"] in ("buy", "sell") for x in t),
)
run(
    "fetch_ohlcv",
    lambda: exchange.fetch_ohlcv(SYMBOL, "1m", limit=3),
    lambda k: k and all(len(c) == 6 and c[3] <= c[1] <= c[2] for c in k),
)
run(
    "fetch_funding_rate",
    lambda: exchange.fetch_funding_rate(SYMBOL),
    lambda f: f["fundingRate"] == 0.0001 and f["markPrice"] > 0,
)
run("fetch_funding_rate_history", lambda: exchange.fetch_funding_rate_history(SYMBOL), lambda f: isinstance(f, list))
run("fetch_funding_interval", lambda: exchange.fetch_funding_interval(SYMBOL), lambda f: f["interval"] == "8h")
run("fetch_mark_price", lambda: exchange.fetch_mark_price(SYMBOL), lambda t: t["markPrice"] > 0)
run("fetch_leverage_tiers", lambda: exchange.fetch_leverage_tiers([SYMBOL]), lambda t: t[SYMBOL][0]["maxLeverage"] == 125)
run("fetch_balance", exchange.fetch_balance, lambda b: b["USDT"]["free"] == 10000)
run("fetch_position_mode", lambda: exchange.fetch_position_mode(SYMBOL), lambda m: m["hedged"] is False)
run("set_leverage", lambda: exchange.set_leverage(10, SYMBOL), lambda r: r["leverage"] == 10)
run("set_margin_mode (isolated)", lambda: exchange.set_margin_mode("isolated", SYMBOL))
run("set_margin_mode (cross)", lambda: exchange.set_margin_mode("cross", SYMBOL))

best_bid = book["bids"][0][0] if book else 50000.0
best_ask = book["asks"][0][0] if book else 70000.0
far = round(best_bid * 0.9, 1)
resting = run(
    "create_order (limit)",
    lambda: exchange.create_order(SYMBOL, "limit", "buy", 0.01, far),
    lambda o: o["status"] == "open",
)
if resting:
    run("fetch_order", lambda: exchange.fetch_order(resting["id"], SYMBOL), lambda o: o["status"] == "open")
    run(
        "fetch_open_orders",
        lambda: exchange.fetch_open_orders(SYMBOL),
        lambda os_: any(o["id"] == resting["id"] for o in os_),
    )
    run("cancel_order", lambda: exchange.cancel_order(resting["id"], SYMBOL), lambda o: o["status"] == "canceled")
run(
    "create_order (post-only)",
    lambda: exchange.create_order(SYMBOL, "limit", "buy", 0.01, far, {"postOnly": True}),
    lambda o: o["status"] == "open" and o["postOnly"],
)
run(
    "create_orders (batchOrders)",
    lambda: exchange.create_orders(
        [
            {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.01, "price": far},
            {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.01, "price": round(far * 0.99, 1)},
        ]
    ),
    lambda os_: len(os_) == 2 and all(o["status"] == "open" for o in os_),
)
run("cancel_all_orders", lambda: exchange.cancel_all_orders(SYMBOL))
refused(
    "create_order (reduce-only, nothing to reduce)",
    -2022,
    lambda: exchange.create_order(SYMBOL, "market", "sell", 0.01, None, {"reduceOnly": True}),
)
refused(
    "create_order (margin insufficient)",
    -2019,
    lambda: exchange.create_order(SYMBOL, "market", "buy", 100, None),
)
bought = run(
    "create_order (market)",
    lambda: exchange.create_order(SYMBOL, "market", "buy", 0.5, None, {"newOrderRespType": "RESULT"}),
    lambda o: o["status"] == "closed" and o["filled"] == 0.5,
)
run(
    "fetch_positions",
    lambda: exchange.fetch_positions([SYMBOL]),
    lambda ps: len(ps) == 1 and ps[0]["contracts"] == 0.5 and ps[0]["side"] == "long",
)
stop = run(
    "create_order (stop-market, closePosition)",
    lambda: exchange.create_order(
        SYMBOL, "STOP_MARKET", "sell", None, None, {"stopPrice": far, "closePosition": True}
    ),
    lambda o: o["status"] == "open" and o["triggerPrice"] == far,
)
take = run(
    "create_order (take-profit limit, reduce-only)",
    lambda: exchange.create_order(
        SYMBOL, "TAKE_PROFIT", "sell", 0.2, round(best_ask * 1.1, 1),
        {"stopPrice": round(best_ask * 1.1, 1), "reduceOnly": True},
    ),
    lambda o: o["status"] == "open" and o["reduceOnly"],
)
run(
    "create_order (market, reduce-only)",
    lambda: exchange.create_order(SYMBOL, "market", "sell", 0.2, None, {"reduceOnly": True}),
    lambda o: o["filled"] == 0.2,
)
run("fetch_orders", lambda: exchange.fetch_orders(SYMBOL), lambda os_: len(os_) >= 4)
run("fetch_closed_orders", lambda: exchange.fetch_closed_orders(SYMBOL), lambda os_: len(os_) >= 2)
run(
    "fetch_my_trades",
    lambda: exchange.fetch_my_trades(SYMBOL),
    lambda ts: bought is not None and any(t["order"] == bought["id"] for t in ts),
)
run(
    "fetch_ledger (income)",
    lambda: exchange.fetch_ledger("USDT"),
    lambda entries: any(e["type"] == "commission" for e in entries),
)
run("fetch_funding_history", lambda: exchange.fetch_funding_history(SYMBOL), lambda f: isinstance(f, list))
run("cancel_all_orders (stops)", lambda: exchange.cancel_all_orders(SYMBOL))
run(
    "close_position",
    lambda: exchange.create_order(SYMBOL, "market", "sell", 0.3, None, {"reduceOnly": True}),
    lambda o: o["filled"] == 0.3,
)
run("fetch_positions (flat)", lambda: exchange.fetch_positions([SYMBOL]), lambda ps: all(p["contracts"] in (0, None) for p in ps))

outside("hedge mode (set_position_mode true)", "one-way mode only; refused with -4068")
outside("trailing stops (TRAILING_STOP_MARKET)", "refused with -1116")
outside("fetch_position", "ccxt serves it for option markets only; fetch_positions works")
outside("fetch_currencies, transfers, deposits", "sapi wallet")

width = max(len(m) for m, _ in rows)
print(f"ccxt {ccxt.__version__} binanceusdm against the simulator")
print(f"| {'method'.ljust(width)} | result |")
print(f"|{'-' * (width + 2)}|--------|")
for method, result in rows:
    print(f"| {method.ljust(width)} | {result} |")
if failed:
    print(f"FAILED: {failed}", file=sys.stderr)
    sys.exit(1)
print("ccxt binanceusdm drove the simulator: ok")
