"""Drives the simulator's USDⓈ-M venue with the unmodified python-binance
package: market data, leverage and margin type, orders of every type it
routes (conditional ones go to the Algo Order API), positions, account,
income and the futures user stream.

Run by tests/python_client.rs with KESTREL_SIM_PORT set, the simulator
replaying the bundled BTCUSDT perpetual recording; exits non-zero on the
first failed check. Only the library's base URLs are touched.
"""

import os
import sys
import time
from decimal import Decimal

from binance.base_client import BaseClient

PORT = os.environ["KESTREL_SIM_PORT"]
BaseClient.FUTURES_URL = f"http://127.0.0.1:{PORT}/fapi"
# The socket manager pings the spot host first; the simulator answers.
BaseClient.API_URL = f"http://127.0.0.1:{PORT}/api"
from binance.ws.streams import BinanceSocketManager  # noqa: E402

BinanceSocketManager.FSTREAM_URL = f"ws://127.0.0.1:{PORT}/"

from binance import Client, ThreadedWebsocketManager  # noqa: E402
from binance.exceptions import BinanceAPIException  # noqa: E402

KEY, SECRET, SYMBOL = "kestrel-sim-key", "kestrel-sim-secret", "BTCUSDT"


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def refused(code, what, call):
    try:
        call()
    except BinanceAPIException as e:
        check(e.code == code, f"{what}: refused with {e.code} ({e.message})")
        return
    check(False, f"{what}: accepted")


# The spot API is not on this server: no spot ping.
client = Client(KEY, SECRET, ping=False)
client.futures_ping()
for _ in range(100):  # the book syncs first
    try:
        client.futures_mark_price(symbol=SYMBOL)
        break
    except BinanceAPIException:
        time.sleep(0.1)

events = []
twm = ThreadedWebsocketManager(api_key=KEY, api_secret=SECRET)
twm.start()
twm.start_futures_user_socket(callback=events.append)
marks = []
twm.start_symbol_mark_price_socket(callback=marks.append, symbol=SYMBOL, fast=True)
time.sleep(2)

info = client.futures_exchange_info()
check(any(s["symbol"] == SYMBOL and s["contractType"] == "PERPETUAL" for s in info["symbols"]), "exchange info")
book = client.futures_order_book(symbol=SYMBOL, limit=5)
check(book["bids"] and book["asks"] and "E" in book, "depth snapshot")
best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
ticker = client.futures_ticker(symbol=SYMBOL)
check(int(ticker["count"]) > 0 and "prevClosePrice" not in ticker, f"24h ticker ({ticker['count']} trades)")
check(Decimal(client.futures_symbol_ticker(symbol=SYMBOL)["price"]) > 0, "price ticker")
top = client.futures_orderbook_ticker(symbol=SYMBOL)
check(Decimal(top["bidPrice"]) < Decimal(top["askPrice"]), "book ticker")
trades = client.futures_recent_trades(symbol=SYMBOL, limit=10)
check(len(trades) == 10 and "isBestMatch" not in trades[0], "recent trades")
aggs = client.futures_aggregate_trades(symbol=SYMBOL, limit=10)
check(len(aggs) == 10, "aggregate trades")
klines = client.futures_klines(symbol=SYMBOL, interval="1m", limit=3)
check(klines and all(len(k) == 12 for k in klines), "klines")
mark = client.futures_mark_price(symbol=SYMBOL)
check(Decimal(mark["markPrice"]) > 0 and mark["lastFundingRate"] == "0.0001", "mark price and funding rate")
check(isinstance(client.futures_funding_rate(symbol=SYMBOL), list), "funding history")
brackets = client.futures_leverage_bracket(symbol=SYMBOL)
check(brackets[0]["brackets"][0]["initialLeverage"] == 125, "leverage brackets")
check(client.futures_get_position_mode()["dualSidePosition"] is False, "one-way position mode")

check(client.futures_change_leverage(symbol=SYMBOL, leverage=5)["leverage"] == 5, "leverage 5")
client.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED")
refused(-4046, "the same margin type again", lambda: client.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED"))

far = (best_bid * Decimal("0.9")).quantize(Decimal("0.1"))
resting = client.futures_create_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.010", price=str(far))
check(resting["status"] == "NEW", "limit order rests")
check(client.futures_get_order(symbol=SYMBOL, orderId=resting["orderId"])["status"] == "NEW", "order query")
check(any(o["orderId"] == resting["orderId"] for o in client.futures_get_open_orders(symbol=SYMBOL)), "open orders")
check(client.futures_cancel_order(symbol=SYMBOL, orderId=resting["orderId"])["status"] == "CANCELED", "cancel")
refused(-2019, "an order beyond the margin", lambda: client.futures_create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="10"))

bought = client.futures_create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.500", newOrderRespType="RESULT")
check(bought["status"] == "FILLED" and Decimal(bought["avgPrice"]) > 0, f"market buy at {bought['avgPrice']}")
position = client.futures_position_information(symbol=SYMBOL)[0]
check(Decimal(position["positionAmt"]) == Decimal("0.5"), "long 0.5")
entry = Decimal(position["entryPrice"])
isolated = Decimal(position["isolatedWallet"])
check(isolated == (Decimal("0.5") * entry / 5).quantize(Decimal("0.00000001")), f"isolated margin {isolated} = size × entry ÷ 5")

# Conditional orders go to the Algo Order API.
stop_price = (best_bid * Decimal("0.95")).quantize(Decimal("0.1"))
stop = client.futures_create_order(symbol=SYMBOL, side="SELL", type="STOP_MARKET", stopPrice=str(stop_price), closePosition="true")
check(stop["algoStatus"] == "NEW" and stop["closePosition"] is True, "stop-market close-position (algo order)")
check(any(o["algoId"] == stop["algoId"] for o in client.futures_get_open_algo_orders(symbol=SYMBOL)), "open algo orders")
check(client.futures_cancel_algo_order(symbol=SYMBOL, algoId=stop["algoId"])["code"] == "200", "cancel algo order")

batch = client.futures_place_batch_order(
    batchOrders=[
        {"symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.100", "price": str((best_ask * Decimal("1.1")).quantize(Decimal("0.1"))), "reduceOnly": "true"},
        {"symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "9.000", "price": str(best_ask), "reduceOnly": "true"},
    ]
)
check(batch[0]["status"] == "NEW" and batch[1]["code"] == -2022, "batch: one accepted, one refused in place")
client.futures_cancel_all_open_orders(symbol=SYMBOL)

sold = client.futures_create_order(symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.500", reduceOnly="true", newOrderRespType="RESULT")
check(sold["status"] == "FILLED", "closed with a reduce-only market sell")
fills = client.futures_account_trades(symbol=SYMBOL)
realized = sum(Decimal(t["realizedPnl"]) for t in fills)
expected = sum((Decimal(t["price"]) - entry) * Decimal(t["qty"]) for t in fills if t["side"] == "SELL")
check(abs(realized - expected) < Decimal("0.00000002") * len(fills), f"realised profit {realized} = Σ (price − entry) × qty")
income = client.futures_income_history(incomeType="REALIZED_PNL")
check(sum(Decimal(x["income"]) for x in income) == realized, "income history books the realised profit")
account = client.futures_account()
fees = sum(Decimal(t["commission"]) for t in fills)
check(Decimal(account["totalWalletBalance"]) == Decimal("10000") + realized - fees, "wallet = deposit + realised − fees")
balance = client.futures_account_balance()
check(balance[0]["asset"] == "USDT" and Decimal(balance[0]["availableBalance"]) > 0, "balance")

time.sleep(1)
kinds = {e.get("e") or e.get("data", {}).get("e") for e in events}
check({"ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "ALGO_UPDATE"} <= kinds, f"user stream events {sorted(k for k in kinds if k)}")
check(any((m.get("data") or m).get("e") == "markPriceUpdate" for m in marks), "mark price stream")
twm.stop()
print("python-binance futures drove the simulator: ok")
