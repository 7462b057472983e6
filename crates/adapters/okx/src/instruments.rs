//! OKX `GET /api/v5/public/instruments`. One format for every `instType`:
//! spot sizes are in the base currency; swaps and futures are counted in
//! contracts of `ctVal × ctMult` units of `ctValCcy`, linear (`ctVal` in
//! the base coin, settled in USDT or USDC) or inverse (`ctVal` in USD,
//! settled in the coin).

use kestrel_model::{
    Asset, Contract, ContractKind, Decimal, Instrument, InstrumentStatus, TradingRules, UnixNanos,
    Venue,
};
use serde::Deserialize;
use serde_json::Value;

use kestrel_instruments::{Fields, ParseError, Parsed, Skipped};

use crate::endpoints::LISTING_NAME;

#[derive(Deserialize)]
struct Envelope {
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inst {
    inst_type: String,
    inst_id: String,
    base_ccy: Option<String>,
    quote_ccy: Option<String>,
    settle_ccy: Option<String>,
    /// `BTC-USDT` for derivatives, whose `baseCcy`/`quoteCcy` are empty.
    uly: Option<String>,
    inst_family: Option<String>,
    ct_val: Option<String>,
    ct_mult: Option<String>,
    ct_type: Option<String>,
    exp_time: Option<String>,
    tick_sz: Option<String>,
    lot_sz: Option<String>,
    min_sz: Option<String>,
    max_lmt_sz: Option<String>,
    max_mkt_sz: Option<String>,
    max_lmt_amt: Option<String>,
    state: Option<String>,
}

/// Reads one `public/instruments` response (any `instType`).
pub fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| ParseError::Json {
        endpoint: LISTING_NAME,
        message: e.to_string(),
    })?;
    if envelope.code != "0" {
        return Err(ParseError::Venue {
            endpoint: LISTING_NAME,
            message: format!("{} {}", envelope.code, envelope.msg),
        });
    }
    let mut parsed = Parsed::default();
    for value in envelope.data {
        let name = value
            .get("instId")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let inst = Inst::deserialize(value).map_err(|e| ParseError::Field {
            endpoint: LISTING_NAME,
            symbol: name.clone(),
            field: "instrument entry",
            problem: e.to_string(),
        })?;
        match instrument(&inst)? {
            Ok(instrument) => parsed.instruments.push(instrument),
            Err(reason) => parsed.skipped.push(Skipped {
                symbol: name,
                reason,
            }),
        }
    }
    Ok(parsed)
}

/// The instrument, or why it is left out.
fn instrument(inst: &Inst) -> Result<Result<Instrument, String>, ParseError> {
    let f = Fields {
        endpoint: LISTING_NAME,
        symbol: &inst.inst_id,
    };
    let status = match inst.state.as_deref() {
        Some("live") => InstrumentStatus::Trading,
        Some("suspend") => InstrumentStatus::Halted,
        Some("preopen") => InstrumentStatus::PreTrading,
        Some("expired") => InstrumentStatus::Closed,
        other => {
            return Ok(Err(format!(
                "state {:?} is not one we know",
                other.unwrap_or("")
            )));
        }
    };
    let spot = match inst.inst_type.as_str() {
        "SPOT" => true,
        "SWAP" | "FUTURES" => false,
        "MARGIN" => return Ok(Err("MARGIN lists the spot market again".into())),
        other => return Ok(Err(format!("instType {other} is not supported"))),
    };
    let (base, quote) = if spot {
        (
            f.asset("baseCcy", inst.base_ccy.as_deref())?,
            f.asset("quoteCcy", inst.quote_ccy.as_deref())?,
        )
    } else {
        let family = f.required("uly", inst.uly.as_deref().or(inst.inst_family.as_deref()))?;
        let (base, quote) = family
            .split_once('-')
            .ok_or_else(|| f.error("uly", format!("{family:?} is not BASE-QUOTE")))?;
        (f.asset("uly", Some(base))?, f.asset("uly", Some(quote))?)
    };
    let tick = f.increment("tickSz", inst.tick_sz.as_deref(), false)?;
    let lot = f.increment("lotSz", inst.lot_sz.as_deref(), false)?;
    let contract = if spot {
        Contract::spot(quote)
    } else {
        let kind = match inst.ct_type.as_deref() {
            Some("linear") => ContractKind::Linear,
            Some("inverse") => ContractKind::Inverse,
            other => {
                return Ok(Err(format!(
                    "ctType {:?} is not one we know",
                    other.unwrap_or("")
                )));
            }
        };
        let value = f.decimal("ctVal", inst.ct_val.as_deref())?;
        let mult = match inst.ct_mult.as_deref() {
            None | Some("") => Decimal::from(1),
            text => f.decimal("ctMult", text)?,
        };
        let multiplier = value
            .checked_mul(mult)
            .filter(|m| *m > Decimal::ZERO)
            .ok_or_else(|| f.error("ctVal", "times ctMult is not a positive value"))?;
        let expiry = if inst.inst_type == "FUTURES" {
            Some(f.millis("expTime", f.required("expTime", inst.exp_time.as_deref())?)?)
        } else {
            None
        };
        Contract {
            kind,
            multiplier,
            settle: f.asset("settleCcy", inst.settle_ccy.as_deref())?,
            expiry: expiry.map(UnixNanos::from_millis),
        }
    };
    let expiry_ms = contract.expiry.map(|t| t.as_nanos() / 1_000_000);
    let settle: Option<&Asset> = (!spot).then_some(&contract.settle);
    Ok(Ok(Instrument {
        id: f.id(Venue::Okx, &base, &quote, settle, expiry_ms)?,
        native_symbol: f.native()?,
        base,
        quote,
        tick,
        lot,
        min_qty: f.qty("minSz", inst.min_sz.as_deref(), &lot)?,
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract,
        rules: TradingRules {
            status,
            max_qty: f.optional_qty("maxLmtSz", inst.max_lmt_sz.as_deref(), &lot)?,
            max_market_qty: f.optional_qty("maxMktSz", inst.max_mkt_sz.as_deref(), &lot)?,
            max_notional: f.optional_decimal("maxLmtAmt", inst.max_lmt_amt.as_deref(), true)?,
            ..TradingRules::default()
        },
    }))
}
