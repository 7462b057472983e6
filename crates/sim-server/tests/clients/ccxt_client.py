"""Drives the simulator with the unmodified ccxt package (its `binance`
class, spot) and prints which unified methods work, as a table.

Run by tests/python_client.rs with KESTREL_SIM_PORT set; exits non-zero if
any method in scope fails. Settings touched: the REST base URLs, and three
options that keep ccxt from calling Binance's `sapi` wallet and margin
endpoints and its futures markets, which the simulator does not serve
(see the table's "outside" rows).
"""

import os
import sys
import time
from decimal import Decimal

import ccxt

PORT = os.environ["KESTREL_SIM_PORT"]
BASE = f"http://127.0.0.1:{PORT}/api/v3"
KEY, SECRET, SYMBOL = "kestrel-sim-key", "kestrel-sim-secret", "BTC/USDT"

exchange = ccxt.binance(
    {
        "apiKey": KEY,
        "secret": SECRET,
        "options": {
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
        },
    }
)
exchange.urls["api"]["public"] = BASE
exchange.urls["api"]["private"] = BASE

rows = []
failed = []


def run(method, call, check=lambda r: True):
    try:
        result = call()
        ok = check(result)
        rows.append((method, "ok" if ok else "WRONG"))
        if not ok:
            failed.append(method)
        return result
    except Exception as e:  # noqa: BLE001 - every failure is reported
        rows.append((method, f"FAILED {type(e).__name__}: {str(e)[:80]}"))
        failed.append(method)
        return None


def outside(method, why):
    rows.append((method, f"outside: {why}"))


markets = run("load_markets", exchange.load_markets, lambda m: SYMBOL in m)
run("fetch_time", exchange.fetch_time, lambda t: t > 0)
ticker = run(
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
run("fetch_balance", exchange.fetch_balance, lambda b: b["USDT"]["free"] > 0)

best_bid = book["bids"][0][0] if book else 50000.0
far = float(Decimal(str(best_bid * 0.9)).quantize(Decimal("0.01")))
resting = run(
    "create_order (limit)",
    lambda: exchange.create_order(SYMBOL, "limit", "buy", 0.001, far),
    lambda o: o["status"] == "open",
)
if resting:
    run("fetch_order", lambda: exchange.fetch_order(resting["id"], SYMBOL), lambda o: o["status"] == "open")
    run(
        "fetch_open_orders",
        lambda: exchange.fetch_open_orders(SYMBOL),
        lambda os_: any(o["id"] == resting["id"] for o in os_),
    )
    lower = float(Decimal(str(far * 0.99)).quantize(Decimal("0.01")))
    edited = run(
        "edit_order (order/cancelReplace)",
        lambda: exchange.edit_order(resting["id"], SYMBOL, "limit", "buy", 0.001, lower),
        lambda o: o["status"] == "open" and o["price"] == lower and o["id"] != resting["id"],
    )
    run(
        "cancel_order",
        lambda: exchange.cancel_order(edited["id"] if edited else resting["id"], SYMBOL),
        lambda o: o["status"] == "canceled",
    )
run(
    "create_order (test: order/test)",
    lambda: exchange.create_order(SYMBOL, "limit", "buy", 0.001, far, {"test": True}),
    lambda o: o is not None,
)
stop = run(
    "create_order (stop-loss limit)",
    lambda: exchange.create_order(
        SYMBOL, "STOP_LOSS_LIMIT", "sell", 0.001, far, {"stopPrice": far, "newOrderRespType": "RESULT"}
    ),
    lambda o: o["status"] == "open" and o["triggerPrice"] == far,
)
if stop:
    exchange.cancel_order(stop["id"], SYMBOL)
best_ask = book["asks"][0][0] if book else 70000.0
high = float(Decimal(str(best_ask * 1.1)).quantize(Decimal("0.01")))
take = run(
    "create_order (take-profit limit)",
    lambda: exchange.create_order(
        SYMBOL, "TAKE_PROFIT_LIMIT", "sell", 0.001, high, {"stopPrice": high, "newOrderRespType": "RESULT"}
    ),
    lambda o: o["status"] == "open" and o["triggerPrice"] == high,
)
if take:
    exchange.cancel_order(take["id"], SYMBOL)
bought = run(
    "create_order (market)",
    lambda: exchange.create_order(SYMBOL, "market", "buy", 0.001),
    lambda o: o["status"] == "closed" and o["filled"] == 0.001,
)
run("fetch_orders", lambda: exchange.fetch_orders(SYMBOL), lambda os_: len(os_) >= 2)
run("fetch_closed_orders", lambda: exchange.fetch_closed_orders(SYMBOL), lambda os_: len(os_) >= 1)
run(
    "fetch_my_trades",
    lambda: exchange.fetch_my_trades(SYMBOL),
    lambda ts: bought is not None and any(t["order"] == bought["id"] for t in ts),
)
exchange.create_order(SYMBOL, "limit", "buy", 0.001, far)
run("cancel_all_orders", lambda: exchange.cancel_all_orders(SYMBOL), lambda r: len(r) >= 1)

try:
    exchange.create_order(SYMBOL, "limit", "buy", 0.00000001, far)
    rows.append(("error mapping (size too small)", "WRONG: accepted"))
    failed.append("error mapping")
except ccxt.InvalidOrder:
    rows.append(("error mapping (size too small)", "ok: InvalidOrder"))
except Exception as e:  # noqa: BLE001
    rows.append(("error mapping (size too small)", f"WRONG: {type(e).__name__}"))
    failed.append("error mapping")

outside("fetch_currencies", "sapi capital/config (wallet)")
outside("fetch_trading_fees", "sapi asset/tradeFee (wallet)")
outside("fetch_status", "sapi system/status")
outside("fetch_deposit_address, withdraw", "sapi wallet")

width = max(len(m) for m, _ in rows)
print(f"ccxt {ccxt.__version__} binance (spot) against the simulator")
print(f"| {'method'.ljust(width)} | result |")
print(f"|{'-' * (width + 2)}|--------|")
for method, result in rows:
    print(f"| {method.ljust(width)} | {result} |")
if failed:
    print(f"FAILED: {failed}", file=sys.stderr)
    sys.exit(1)
print("ccxt drove the simulator: ok")
