"""Drives the simulator with the unmodified python-binance package.

Run by tests/python_client.rs with KESTREL_SIM_PORT set; exits non-zero on
the first failed check. Only the library's base URLs are touched: REST,
the WebSocket API and the market streams.
"""

import os
import sys
import time
from decimal import Decimal

from binance.base_client import BaseClient

PORT = os.environ["KESTREL_SIM_PORT"]
BaseClient.API_URL = f"http://127.0.0.1:{PORT}/api"
BaseClient.WS_API_URL = f"ws://127.0.0.1:{PORT}/ws-api/v3"
from binance.ws.streams import BinanceSocketManager  # noqa: E402

BinanceSocketManager.STREAM_URL = f"ws://127.0.0.1:{PORT}/"

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

market_events = []
twm.start_aggtrade_socket(callback=market_events.append, symbol=SYMBOL)
twm.start_kline_socket(callback=market_events.append, symbol=SYMBOL, interval="1m")
twm.start_symbol_ticker_socket(callback=market_events.append, symbol=SYMBOL)
twm.start_symbol_miniticker_socket(callback=market_events.append, symbol=SYMBOL)
time.sleep(3)

book = client.get_order_book(symbol=SYMBOL, limit=5)
check(book["bids"] and book["asks"] and book["lastUpdateId"] > 0, "depth snapshot")
best_bid = Decimal(book["bids"][0][0])

# A user's first market-data calls.
ticker = client.get_ticker(symbol=SYMBOL)
check(ticker["symbol"] == SYMBOL and int(ticker["count"]) > 0, f"24h ticker ({ticker['count']} trades)")
check(Decimal(ticker["lowPrice"]) <= Decimal(ticker["lastPrice"]) <= Decimal(ticker["highPrice"]), "last price within the day's range")
price = client.get_symbol_ticker(symbol=SYMBOL)
check(Decimal(price["price"]) > 0, "price ticker")
top = client.get_orderbook_ticker(symbol=SYMBOL)
check(Decimal(top["bidPrice"]) < Decimal(top["askPrice"]), "book ticker")
avg = client.get_avg_price(symbol=SYMBOL)
check(avg["mins"] == 5 and Decimal(avg["price"]) > 0, "average price")
recent = client.get_recent_trades(symbol=SYMBOL, limit=50)
check(len(recent) == 50 and all(a["id"] + 1 == b["id"] for a, b in zip(recent, recent[1:])), "recent trades")
older = client.get_historical_trades(symbol=SYMBOL, fromId=recent[0]["id"], limit=10)
check(older == recent[:10], "historical trades from an id")
aggs = client.get_aggregate_trades(symbol=SYMBOL, limit=20)
check(aggs and all(a["l"] + 1 == b["f"] for a, b in zip(aggs, aggs[1:])), "aggregate trades")
klines = client.get_klines(symbol=SYMBOL, interval="1m", limit=3)
check(klines and int(klines[-1][8]) >= 0, "klines")
try:
    client.get_klines(symbol=SYMBOL, interval="1M")
    check(False, "an interval not served is refused")
except BinanceAPIException as e:
    check(e.code == -1120, f"an interval not served is refused with {e.code}")

deadline = time.time() + 15
kinds = set()
while time.time() < deadline and not {"aggTrade", "kline", "24hrTicker", "24hrMiniTicker"} <= kinds:
    kinds = {e.get("e") for e in market_events}
    time.sleep(0.2)
check({"aggTrade", "kline", "24hrTicker", "24hrMiniTicker"} <= kinds, f"market streams deliver ({sorted(k for k in kinds if k)})")

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
replaced = client.cancel_replace_order(
    symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.00100000",
    price=str(far), cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=resting["orderId"],
)
check(replaced["cancelResult"] == "SUCCESS" and replaced["newOrderResponse"]["status"] == "NEW", "cancel-replace")
try:
    client.cancel_replace_order(
        symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.00100000",
        price=str(far), cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=resting["orderId"],
    )
    check(False, "a cancel-replace of a gone order is refused")
except BinanceAPIException as e:
    check(e.code == -2022, f"a cancel-replace of a gone order is refused with -2022 ({e.message})")
resting = replaced["newOrderResponse"]
cancelled = client.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])
check(cancelled["status"] == "CANCELED", "cancel")
try:
    client.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])
    check(False, "a second cancel is refused")
except BinanceAPIException as e:
    check(e.code == -2011, f"a second cancel is refused with -2011 ({e.message})")

tested = client.create_test_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.00100000", price=str(far))
check(tested == {}, "a test order is checked and not placed")
check(all(o["orderId"] != resting["orderId"] for o in client.get_open_orders(symbol=SYMBOL)), "nothing left open")
rates = client.create_test_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.00100000", computeCommissionRates="true")
check("standardCommissionForOrder" in rates, f"a test order's commission rates ({rates['standardCommissionForOrder']})")
try:
    client.create_test_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.00000001", price=str(far))
    check(False, "a test order below the lot filter is refused")
except BinanceAPIException as e:
    check(e.code == -1013, f"a test order below the lot filter is refused with -1013 ({e.message})")
stop = client.create_order(symbol=SYMBOL, side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC", quantity="0.00100000", price=str(far), stopPrice=str(far), newOrderRespType="RESULT")
check(Decimal(stop["stopPrice"]) == far, "a stop order's answer carries its stopPrice")
client.cancel_order(symbol=SYMBOL, orderId=stop["orderId"])

bought = client.order_market_buy(symbol=SYMBOL, quantity="0.00100000")
counts = (client.response.headers.get("x-mbx-order-count-10s"), client.response.headers.get("x-mbx-order-count-1d"))
check(all(c and int(c) > 0 for c in counts), f"order counts in the answer's headers ({counts})")
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
newest = client.get_my_trades(symbol=SYMBOL, limit=1)
check(newest and newest[-1]["id"] == trades[-1]["id"], "my trades with a limit are the newest")

deadline = time.time() + 10
while time.time() < deadline and not any(e.get("x") == "TRADE" for e in events):
    time.sleep(0.1)
trade_reports = [e for e in events if e.get("e") == "executionReport" and e.get("x") == "TRADE"]
check(trade_reports and trade_reports[-1]["i"] == bought["orderId"], "user stream delivers the fill")
check(any(e.get("e") == "outboundAccountPosition" for e in events), "user stream delivers balances")
twm.stop()
print("python-binance drove the simulator: ok")
