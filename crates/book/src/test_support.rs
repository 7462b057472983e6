//! Builders for unit tests.

use kestrel_model::{
    Decimal, Increment, Instrument, InstrumentId, Level, Price, Qty, Side, Symbol, Venue,
};

use crate::OrderBook;

pub(crate) fn instrument(tick: &str, lot: &str) -> Instrument {
    Instrument {
        id: InstrumentId::from_native(Venue::Okx, "BTC-USDT").unwrap(),
        native_symbol: Symbol::new("BTC-USDT").unwrap(),
        base: "BTC".parse().unwrap(),
        quote: "USDT".parse().unwrap(),
        tick: Increment::parse(tick).unwrap(),
        lot: Increment::parse(lot).unwrap(),
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: kestrel_model::Contract::spot("USDT".parse().unwrap()),
        rules: kestrel_model::TradingRules::default(),
    }
}

/// A book on a 0.1 tick and unit lot, from (price, lots) pairs.
pub(crate) fn book_with(bids: &[(f64, u64)], asks: &[(f64, u64)]) -> OrderBook {
    let mut book = OrderBook::new(&instrument("0.1", "1"));
    for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
        for &(price, lots) in levels {
            let level = lvl(price, lots);
            book.update_level(side, level.price, level.qty);
        }
    }
    book
}

/// A level on a 0.1 tick and unit lot.
pub(crate) fn lvl(price: f64, lots: u64) -> Level {
    Level {
        price: Price::from_ticks((price * 10.0).round() as i64),
        qty: Qty::from_lots(lots),
    }
}

/// A book on any grid, from venue strings.
pub(crate) fn book_with_grid(
    tick: &str,
    lot: &str,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> OrderBook {
    let inst = instrument(tick, lot);
    let mut book = OrderBook::new(&inst);
    for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
        for &(price, qty) in levels {
            book.update_level(
                side,
                Price::parse(price, &inst.tick).unwrap(),
                Qty::parse(qty, &inst.lot).unwrap(),
            );
        }
    }
    book
}
