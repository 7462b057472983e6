"""Drives the simulator's streams with the unmodified ccxt.pro (ccxt's
async WebSocket half): `binance` on the spot recording, or `binanceusdm`
on the perpetual one (KESTREL_SIM_MARKET=usdm). Prints which watch
methods deliver, as a table; exits non-zero if any in scope fails.

Run by tests/python_client.rs with KESTREL_SIM_PORT set. Settings touched:
the REST and WebSocket base URLs, and (as for the REST scripts) the
options that keep ccxt off Binance's `sapi` wallet host.
"""

import asyncio
import os
import sys

import ccxt
import ccxt.pro as ccxtpro

PORT = os.environ["KESTREL_SIM_PORT"]
MARKET = os.environ.get("KESTREL_SIM_MARKET", "spot")
ROOT = f"127.0.0.1:{PORT}"
KEY, SECRET = "kestrel-sim-key", "kestrel-sim-secret"
TIMEOUT = 20

if MARKET == "spot":
    exchange = ccxtpro.binance(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
        }
    )
    exchange.urls["api"]["public"] = f"http://{ROOT}/api/v3"
    exchange.urls["api"]["private"] = f"http://{ROOT}/api/v3"
    exchange.urls["api"]["ws"]["spot"] = f"ws://{ROOT}/ws"
    exchange.urls["api"]["ws"]["ws-api"]["spot"] = f"ws://{ROOT}/ws-api/v3"
    SYMBOL = "BTC/USDT"
else:
    exchange = ccxtpro.binanceusdm({"apiKey": KEY, "secret": SECRET, "options": {"fetchCurrencies": False}})
    for name in list(exchange.urls["api"]):
        if name.startswith("fapi") and name != "fapiData":
            version = {"V2": "v2", "V3": "v3"}.get(name[-2:], "v1")
            exchange.urls["api"][name] = f"http://{ROOT}/fapi/{version}"
    exchange.urls["api"]["ws"]["linear"] = f"ws://{ROOT}/ws"
    SYMBOL = "BTC/USDT:USDT"

rows = []
failed = []


async def run(method, call, check=lambda r: True):
    try:
        result = await asyncio.wait_for(call(), TIMEOUT)
        ok = check(result)
        rows.append((method, "ok" if ok else f"WRONG: {str(result)[:100]}"))
        if not ok:
            failed.append(method)
        return result
    except Exception as e:  # noqa: BLE001 - every failure is reported
        rows.append((method, f"FAILED {type(e).__name__}: {str(e)[:100]}"))
        failed.append(method)
        return None


async def main():
    await exchange.load_markets()
    await run("watch_ticker", lambda: exchange.watch_ticker(SYMBOL), lambda t: t["last"] and t["bid"] is None or t["last"] > 0)
    await run("watch_trades", lambda: exchange.watch_trades(SYMBOL), lambda ts: len(ts) > 0 and ts[0]["price"] > 0)
    await run("watch_ohlcv", lambda: exchange.watch_ohlcv(SYMBOL, "1m"), lambda k: len(k) > 0 and len(k[-1]) == 6)
    await run(
        "watch_order_book",
        lambda: exchange.watch_order_book(SYMBOL),
        lambda b: b["bids"] and b["asks"] and b["bids"][0][0] < b["asks"][0][0],
    )
    await run("watch_bids_asks", lambda: exchange.watch_bids_asks([SYMBOL]), lambda t: SYMBOL in t)
    if MARKET == "usdm":
        await run("watch_mark_price", lambda: exchange.watch_mark_price(SYMBOL), lambda t: t["markPrice"] > 0)

    # Private: the balance and orders streams see an order placed over REST.
    book = await exchange.fetch_order_book(SYMBOL, 5)
    far = round(book["bids"][0][0] * 0.9, 1)
    amount = 0.01 if MARKET == "usdm" else 0.001
    balance = asyncio.ensure_future(exchange.watch_balance())
    orders = asyncio.ensure_future(exchange.watch_orders(SYMBOL))
    await asyncio.sleep(1)
    placed = await exchange.create_order(SYMBOL, "limit", "buy", amount, far)
    await run("watch_orders", lambda: orders, lambda os_: any(o["id"] == placed["id"] for o in os_))
    await run("watch_balance", lambda: balance, lambda b: "USDT" in b)
    if MARKET == "usdm":
        positions = asyncio.ensure_future(exchange.watch_positions([SYMBOL]))
        await asyncio.sleep(0.5)
        await exchange.create_order(SYMBOL, "market", "buy", amount)
        await run("watch_positions", lambda: positions, lambda ps: len(ps) > 0)
    await exchange.cancel_all_orders(SYMBOL)
    await exchange.close()


asyncio.run(main())
width = max(len(m) for m, _ in rows)
print(f"ccxt.pro {ccxt.__version__} {exchange.id} ({MARKET}) against the simulator")
print(f"| {'method'.ljust(width)} | result |")
print(f"|{'-' * (width + 2)}|--------|")
for method, result in rows:
    print(f"| {method.ljust(width)} | {result} |")
if failed:
    print(f"FAILED: {failed}", file=sys.stderr)
    sys.exit(1)
print("ccxt.pro drove the simulator: ok")
