"""Drives the simulator with the unmodified python-binance package.

Run by tests/python_client.rs with KESTREL_SIM_PORT set; exits non-zero on
the first failed check. Only the library's documented settings are touched:
its REST and WebSocket-API base URLs.
"""

import os
import sys
import time
from decimal import Decimal

from binance.base_client import BaseClient

PORT = os.environ["KESTREL_SIM_PORT"]
BaseClient.API_URL = f"http://127.0.0.1:{PORT}/api"
BaseClient.WS_API_URL = f"ws://127.0.0.1:{PORT}/ws-api/v3"

from binance import Client, ThreadedWebsocketManager  # noqa: E402
from binance.exceptions import BinanceAPIException  # noqa: E402

KEY, SECRET, SYMBOL = "kestrel-sim-key", "kestrel-sim-secret", "BTCUSDT"


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


client = Client(KEY, SECRET)  # pings the server

events = []
twm = ThreadedWebsocketManager(api_key=KEY, api_secret=SECRET)
twm.start()
twm.start_user_socket(callback=events.append)
time.sleep(2)  # the subscription is made on the manager's own thread

book = client.get_order_book(symbol=SYMBOL, limit=5)
check(book["bids"] and book["asks"] and book["lastUpdateId"] > 0, "depth snapshot")
best_bid = Decimal(book["bids"][0][0])

usdt_before = Decimal(client.get_asset_balance("USDT")["free"])
btc_before = Decimal(client.get_asset_balance("BTC")["free"])

far = (best_bid * Decimal("0.9")).quantize(Decimal("0.01"))
resting = client.order_limit_buy(symbol=SYMBOL, quantity="0.00100000", price=str(far))
check(resting["status"] == "NEW" and resting["fills"] == [], "limit order rests")
check(client.get_order(symbol=SYMBOL, orderId=resting["orderId"])["status"] == "NEW", "order query")
open_ids = [o["orderId"] for o in client.get_open_orders(symbol=SYMBOL)]
check(resting["orderId"] in open_ids, "open orders list it")
locked = Decimal(client.get_asset_balance("USDT")["locked"])
check(locked > 0, f"its notional is held ({locked} USDT)")
cancelled = client.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])
check(cancelled["status"] == "CANCELED", "cancel")
try:
    client.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])
    check(False, "a second cancel is refused")
except BinanceAPIException as e:
    check(e.code == -2011, f"a second cancel is refused with -2011 ({e.message})")

bought = client.order_market_buy(symbol=SYMBOL, quantity="0.00100000")
check(bought["status"] == "FILLED" and bought["fills"], "market order fills")
fill_qty = sum(Decimal(f["qty"]) for f in bought["fills"])
cost = Decimal(bought["cummulativeQuoteQty"])
fees = sum(Decimal(f["commission"]) for f in bought["fills"])
check(fill_qty == Decimal("0.001"), "whole quantity filled")

btc_after = Decimal(client.get_asset_balance("BTC")["free"])
usdt_after = Decimal(client.get_asset_balance("USDT")["free"])
check(btc_after == btc_before + Decimal("0.001"), f"BTC balance {btc_before} -> {btc_after}")
check(usdt_after == usdt_before - cost - fees, f"USDT balance {usdt_before} -> {usdt_after}")
trades = client.get_my_trades(symbol=SYMBOL)
check(any(t["orderId"] == bought["orderId"] and t["isBuyer"] for t in trades), "my trades show the fill")

deadline = time.time() + 10
while time.time() < deadline and not any(e.get("x") == "TRADE" for e in events):
    time.sleep(0.1)
trade_reports = [e for e in events if e.get("e") == "executionReport" and e.get("x") == "TRADE"]
check(trade_reports and trade_reports[-1]["i"] == bought["orderId"], "user stream delivers the fill")
check(any(e.get("e") == "outboundAccountPosition" for e in events), "user stream delivers balances")
twm.stop()
print("python-binance drove the simulator: ok")
