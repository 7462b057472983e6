//! USDⓈ-M on `/fapi` over the bundled BTCUSDT perpetual recording, as a
//! client sees it: exchange information against Binance's own recorded
//! answer, leverage and margin type, a position's margin, profit and
//! liquidation price by Binance's formulas, reduce-only rules, the user
//! stream's `ORDER_TRADE_UPDATE` and `ACCOUNT_UPDATE`, and the funding
//! paid when the recording crosses 00:00 UTC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::auth::sign;
use kestrel_sim_server::futures::round_dp;
use kestrel_sim_server::{RunningServer, ServerConfig};
use serde_json::Value;

const KEY: &str = "k";
const SECRET: &str = "s";
const TOKEN: &str = "futures-control";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn server() -> RunningServer {
    let data = root().join("data/sample/binance_usdm_btcusdt_20240808.raw.gz");
    let usdt = (Asset::new("USDT").unwrap(), d("10000"));
    let config = ServerConfig {
        control_token: TOKEN.into(),
        ..ServerConfig::loopback(data, usdm_btcusdt())
    };
    kestrel_sim_server::start(config.with_account(KEY, SECRET, AccountId(1), [usdt]))
        .await
        .unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn dv(v: &Value) -> Decimal {
    d(v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A signed call (GET and DELETE in the query, others in the body).
    async fn call(&self, method: reqwest::Method, path: &str, params: &str) -> (u16, Value) {
        let sep = if params.is_empty() { "" } else { "&" };
        let payload = format!("{params}{sep}timestamp={}", now_ms());
        let signed = format!("{payload}&signature={}", sign(SECRET, &payload));
        let request = if method == reqwest::Method::POST {
            self.http
                .post(format!("{}{path}", self.base))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(signed)
        } else {
            self.http
                .request(method, format!("{}{path}?{signed}", self.base))
        };
        let r = request.header("X-MBX-APIKEY", KEY).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn step(&self, frames: u64) {
        let r = self
            .http
            .post(format!("{}/sim/clock/step?frames={frames}", self.base))
            .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

/// The symbol entry of `GET /fapi/v1/exchangeInfo` has the fields and
/// filters of Binance's own answer, recorded in the repository.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_info_has_binances_own_shape() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let c = Client {
        base: format!("http://{}", server.addr),
        http: reqwest::Client::new(),
    };
    let (status, ours) = c.get("/fapi/v1/exchangeInfo").await;
    assert_eq!(status, 200, "{ours}");
    let text =
        std::fs::read_to_string(root().join("data/instruments/binance_usdm.exchangeInfo.json"))
            .unwrap();
    let theirs: Value = serde_json::from_str(&text).unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&ours), keys(&theirs));
    let symbol = |v: &Value| {
        v["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["symbol"] == "BTCUSDT")
            .cloned()
            .unwrap()
    };
    let (ours, theirs) = (symbol(&ours), symbol(&theirs));
    assert_eq!(keys(&ours), keys(&theirs));
    // `pricePrecision` (2) is a display figure Binance says not to use as a
    // tick; ours is written from the tick (0.1).
    for field in ["contractType", "marginAsset", "quantityPrecision"] {
        assert_eq!(ours[field], theirs[field], "{field}");
    }
    let filter = |s: &Value, name: &str| {
        s["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filterType"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}"))
    };
    for (name, field) in [
        ("PRICE_FILTER", "tickSize"),
        ("LOT_SIZE", "stepSize"),
        ("LOT_SIZE", "minQty"),
        ("MIN_NOTIONAL", "notional"),
    ] {
        assert_eq!(
            dv(&filter(&ours, name)[field]),
            dv(&filter(&theirs, name)[field]),
            "{name}.{field}"
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_margins_pays_funding_and_reports_as_binance_does() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let c = Client {
        base: format!("http://{}", server.addr),
        http: reqwest::Client::new(),
    };
    use reqwest::Method;
    // Some market first, for a book and a mark price.
    c.step(3_000).await;
    // Until the steps are all released: the market then stands still.
    let mut premium = Value::Null;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (status, p) = c.get("/fapi/v1/premiumIndex?symbol=BTCUSDT").await;
        if status == 200 && p == premium {
            break;
        }
        premium = p;
    }
    assert_eq!(premium["lastFundingRate"], "0.0001", "{premium}");
    assert_eq!(premium["nextFundingTime"], 1_723_161_600_000u64);

    // Leverage 10: up to 230 million of notional in Binance's tiers.
    let (status, lev) = c
        .call(
            Method::POST,
            "/fapi/v1/leverage",
            "symbol=BTCUSDT&leverage=10",
        )
        .await;
    assert_eq!(
        (status, &lev["maxNotionalValue"]),
        (200, &Value::from("230000000")),
        "{lev}"
    );
    let (_, refused) = c
        .call(
            Method::POST,
            "/fapi/v1/leverage",
            "symbol=BTCUSDT&leverage=126",
        )
        .await;
    assert_eq!(refused["code"], -4028);

    // Reduce-only with nothing to reduce, and hedge mode, are refused.
    let (_, r) = c
        .call(
            Method::POST,
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true",
        )
        .await;
    assert_eq!(r["code"], -2022, "{r}");
    let (_, r) = c
        .call(
            Method::POST,
            "/fapi/v1/positionSide/dual",
            "dualSidePosition=true",
        )
        .await;
    assert_eq!(r["code"], -4068);

    // Long 1.5 at market: some 92 000 USDT at 10×, in the second tier.
    let (status, order) = c
        .call(
            Method::POST,
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1.500&newOrderRespType=RESULT",
        )
        .await;
    assert_eq!(
        (status, &order["status"]),
        (200, &Value::from("FILLED")),
        "{order}"
    );
    let (_, trades) = c
        .call(Method::GET, "/fapi/v1/userTrades", "symbol=BTCUSDT")
        .await;
    let trades = trades.as_array().unwrap();
    let quote = trades
        .iter()
        .map(|t| dv(&t["quoteQty"]))
        .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap());
    let fees = trades
        .iter()
        .map(|t| dv(&t["commission"]))
        .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap());
    let taker = usdm_btcusdt().taker_fee;
    assert_eq!(
        fees,
        quote.checked_mul(taker).unwrap(),
        "taker fee on every fill"
    );
    let size = d("1.5");
    let entry = quote.checked_div(size).unwrap();
    assert_eq!(dv(&order["avgPrice"]), round_dp(entry, 8));

    let (_, risk) = c
        .call(Method::GET, "/fapi/v2/positionRisk", "symbol=BTCUSDT")
        .await;
    let p = &risk[0];
    // Amounts are written at most 8 decimals long, as Binance does.
    let r8 = |x: Decimal| round_dp(x, 8);
    assert_eq!(
        (dv(&p["positionAmt"]), dv(&p["entryPrice"])),
        (size, r8(entry)),
        "{p}"
    );
    let mark = dv(&p["markPrice"]);
    let upnl = mark.checked_sub(entry).unwrap().checked_mul(size).unwrap();
    assert_eq!(dv(&p["unRealizedProfit"]), r8(upnl));
    // Cross, one position, between 50 000 and 600 000 of notional (0.5 %,
    // cum 50): (wallet + 50 − size·entry) ÷ (size·0.005 − size).
    let (_, account) = c.call(Method::GET, "/fapi/v2/account", "").await;
    let wallet = dv(&account["totalWalletBalance"]);
    assert_eq!(wallet, d("10000").checked_sub(fees).unwrap());
    let lp = wallet
        .checked_add(d("50"))
        .unwrap()
        .checked_sub(size.checked_mul(entry).unwrap())
        .unwrap()
        .checked_div(
            size.checked_mul(d("0.005"))
                .unwrap()
                .checked_sub(size)
                .unwrap(),
        )
        .unwrap();
    assert!(lp > d("50000"), "{lp}");
    assert_eq!(dv(&p["liquidationPrice"]), r8(lp));
    assert_eq!(dv(&p["maxNotionalValue"]), d("230000000"));
    let im = mark
        .checked_mul(size)
        .unwrap()
        .checked_div(d("10"))
        .unwrap();
    assert_eq!(dv(&account["totalPositionInitialMargin"]), r8(im));
    assert_eq!(
        dv(&account["availableBalance"]),
        r8(wallet.checked_add(upnl).unwrap().checked_sub(im).unwrap())
    );

    // Margin type cannot change with an open order, nor with a position.
    let (_, resting) = c
        .call(Method::POST, "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.750&price=70000&reduceOnly=true")
        .await;
    assert_eq!(resting["reduceOnly"], true, "{resting}");
    let (_, r) = c
        .call(
            Method::POST,
            "/fapi/v1/marginType",
            "symbol=BTCUSDT&marginType=ISOLATED",
        )
        .await;
    assert_eq!(r["code"], -4047);
    let (_, r) = c
        .call(Method::DELETE, "/fapi/v1/allOpenOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(r["code"], 200);
    let (_, r) = c
        .call(
            Method::POST,
            "/fapi/v1/marginType",
            "symbol=BTCUSDT&marginType=ISOLATED",
        )
        .await;
    assert_eq!(r["code"], -4048);

    // The user stream: half the position closed realises its profit.
    let (_, key) = c.call(Method::POST, "/fapi/v1/listenKey", "").await;
    let url = format!(
        "ws://{}/private/ws?listenKey={}",
        server.addr,
        key["listenKey"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let (status, _) = c
        .call(
            Method::POST,
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.750&reduceOnly=true",
        )
        .await;
    assert_eq!(status, 200);
    let (mut realized, mut position) = (Decimal::ZERO, None);
    while position.is_none() {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let e: Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
        match e["e"].as_str() {
            Some("ORDER_TRADE_UPDATE") if e["o"]["x"] == "TRADE" => {
                let (price, qty) = (dv(&e["o"]["L"]), dv(&e["o"]["l"]));
                let expected = r8(price.checked_sub(entry).unwrap().checked_mul(qty).unwrap());
                assert_eq!(dv(&e["o"]["rp"]), expected, "{e}");
                realized = realized.checked_add(expected).unwrap();
            }
            Some("ACCOUNT_UPDATE") => {
                assert_eq!(e["a"]["m"], "ORDER");
                if dv(&e["a"]["P"][0]["pa"]) == d("0.75") {
                    position = Some(e);
                }
            }
            _ => {}
        }
    }
    let position = position.unwrap();
    assert_eq!(
        dv(&position["a"]["P"][0]["ep"]),
        r8(entry),
        "entry kept on reducing"
    );
    let (_, income) = c
        .call(Method::GET, "/fapi/v1/income", "incomeType=REALIZED_PNL")
        .await;
    let booked = income
        .as_array()
        .unwrap()
        .iter()
        .map(|x| dv(&x["income"]))
        .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap());
    assert_eq!(booked, realized);

    // Play the rest: the recording crosses 00:00 UTC, a funding time.
    c.step(1_000_000).await;
    let mut fundings = Value::Null;
    for _ in 0..200 {
        let (_, f) = c.get("/fapi/v1/fundingRate?symbol=BTCUSDT").await;
        if f.as_array().is_some_and(|a| !a.is_empty()) {
            fundings = f;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let f = &fundings[0];
    assert_eq!(
        (f["fundingTime"].as_u64(), &f["fundingRate"]),
        (Some(1_723_161_600_000), &Value::from("0.0001")),
        "{fundings}"
    );
    let paid = d("0.75")
        .checked_mul(dv(&f["markPrice"]))
        .unwrap()
        .checked_mul(d("0.0001"))
        .unwrap();
    let (_, income) = c
        .call(Method::GET, "/fapi/v1/income", "incomeType=FUNDING_FEE")
        .await;
    assert_eq!(
        dv(&income[0]["income"]),
        r8(paid.checked_neg().unwrap()),
        "{income}"
    );
    server.shutdown().await;
}
