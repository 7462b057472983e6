//! An instrument's whole definition in a journal record: ids, grids,
//! minimums, fees, contract terms and trading rules. A session header
//! carries it so replay rebuilds the very instrument the live kernel held
//! (its rules and contract shape decisions and the state snapshots hold).

use kestrel_model::{
    Asset, Contract, ContractKind, Increment, Instrument, InstrumentId, InstrumentStatus,
    PriceBand, Symbol, TradingRules, Venue,
};

use super::EntryError;
use super::wire::{In, Out};

pub(super) fn write(w: &mut Out<'_>, i: &Instrument) {
    w.str(i.id.venue.as_str());
    w.str(i.id.symbol.as_str());
    w.str(i.native_symbol.as_str());
    w.str(i.base.as_str());
    w.str(i.quote.as_str());
    w.str(&i.tick.to_string());
    w.str(&i.lot.to_string());
    w.qty(i.min_qty);
    w.decimal(i.min_notional);
    w.decimal(i.maker_fee);
    w.decimal(i.taker_fee);
    let c = &i.contract;
    w.u8(match c.kind {
        ContractKind::Spot => 0,
        ContractKind::Linear => 1,
        ContractKind::Inverse => 2,
    });
    w.decimal(c.multiplier);
    w.str(c.settle.as_str());
    opt(w, c.expiry, |w, t| w.time(t));
    let r = &i.rules;
    w.u8(match r.status {
        InstrumentStatus::Trading => 0,
        InstrumentStatus::PreTrading => 1,
        InstrumentStatus::Halted => 2,
        InstrumentStatus::Delivering => 3,
        InstrumentStatus::Closed => 4,
    });
    opt(w, r.min_price, Out::decimal);
    opt(w, r.max_price, Out::decimal);
    opt(w, r.order_qty_step, Out::qty);
    opt(w, r.max_qty, Out::qty);
    opt(w, r.max_market_qty, Out::qty);
    opt(w, r.max_notional, Out::decimal);
    opt(w, r.price_band, |w, b| {
        for d in [b.bid_up, b.bid_down, b.ask_up, b.ask_down] {
            w.decimal(d);
        }
    });
    opt(w, r.max_open_orders, Out::u32);
    opt(w, r.max_algo_orders, Out::u32);
}

pub(super) fn read(r: &mut In<'_>) -> Result<Instrument, EntryError> {
    let bad = EntryError::Invalid;
    let venue: Venue = r.str()?.parse().map_err(|_| bad("venue"))?;
    let symbol = Symbol::new(r.str()?).map_err(|_| bad("symbol"))?;
    let native_symbol = Symbol::new(r.str()?).map_err(|_| bad("native symbol"))?;
    let base = Asset::new(r.str()?).map_err(|_| bad("base asset"))?;
    let quote = Asset::new(r.str()?).map_err(|_| bad("quote asset"))?;
    let tick = Increment::parse(r.str()?).map_err(|_| bad("tick"))?;
    let lot = Increment::parse(r.str()?).map_err(|_| bad("lot"))?;
    let min_qty = r.qty()?;
    let min_notional = r.decimal()?;
    let maker_fee = r.decimal()?;
    let taker_fee = r.decimal()?;
    let kind = match r.u8()? {
        0 => ContractKind::Spot,
        1 => ContractKind::Linear,
        2 => ContractKind::Inverse,
        _ => return Err(bad("contract kind")),
    };
    let contract = Contract {
        kind,
        multiplier: r.decimal()?,
        settle: Asset::new(r.str()?).map_err(|_| bad("settlement asset"))?,
        expiry: read_opt(r, In::time)?,
    };
    let status = match r.u8()? {
        0 => InstrumentStatus::Trading,
        1 => InstrumentStatus::PreTrading,
        2 => InstrumentStatus::Halted,
        3 => InstrumentStatus::Delivering,
        4 => InstrumentStatus::Closed,
        _ => return Err(bad("instrument status")),
    };
    let rules = TradingRules {
        status,
        min_price: read_opt(r, In::decimal)?,
        max_price: read_opt(r, In::decimal)?,
        order_qty_step: read_opt(r, In::qty)?,
        max_qty: read_opt(r, In::qty)?,
        max_market_qty: read_opt(r, In::qty)?,
        max_notional: read_opt(r, In::decimal)?,
        price_band: read_opt(r, |r| {
            Ok(PriceBand {
                bid_up: r.decimal()?,
                bid_down: r.decimal()?,
                ask_up: r.decimal()?,
                ask_down: r.decimal()?,
            })
        })?,
        max_open_orders: read_opt(r, In::u32)?,
        max_algo_orders: read_opt(r, In::u32)?,
    };
    Ok(Instrument {
        id: InstrumentId { venue, symbol },
        native_symbol,
        base,
        quote,
        tick,
        lot,
        min_qty,
        min_notional,
        maker_fee,
        taker_fee,
        contract,
        rules,
    })
}

fn opt<'w, T: Copy>(w: &mut Out<'w>, value: Option<T>, put: impl FnOnce(&mut Out<'w>, T)) {
    match value {
        Some(v) => {
            w.u8(1);
            put(w, v);
        }
        None => w.u8(0),
    }
}

fn read_opt<'a, T>(
    r: &mut In<'a>,
    get: impl FnOnce(&mut In<'a>) -> Result<T, EntryError>,
) -> Result<Option<T>, EntryError> {
    match r.u8()? {
        0 => Ok(None),
        1 => get(r).map(Some),
        _ => Err(EntryError::Invalid("option tag")),
    }
}
