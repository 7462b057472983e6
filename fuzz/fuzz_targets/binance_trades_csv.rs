//! Binance's trades and aggTrades CSV: any bytes, with or without a header
//! row, read in both layouts without panicking; every trade read goes
//! through bars of a time, a tick and a volume spec, whose closed bars are
//! always consistent.
#![no_main]

use kestrel_bars::{BarAggregator, BarEvent, BarOptions, LatePolicy};
use kestrel_binance::{BinanceTradesCsvReader, TradeLayout};
use kestrel_feed::TradeFile;
use kestrel_registry::testing::usdm_btcusdt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let instrument = usdm_btcusdt();
    let options = BarOptions {
        watermark_ns: 2_000_000_000,
        late: LatePolicy::Correct,
        ..BarOptions::default()
    };
    for layout in [TradeLayout::Trades, TradeLayout::AggTrades] {
        let mut reader = BinanceTradesCsvReader::new(data, &instrument, layout);
        let mut bars: Vec<BarAggregator> = ["1s", "ticks:3", "volume:0.005"]
            .iter()
            .filter_map(|s| s.parse().ok())
            .filter_map(|spec| BarAggregator::new(&instrument, spec, options).ok())
            .collect();
        let mut out = Vec::new();
        while let Some(item) = reader.next_trade() {
            let Ok(trade) = item else {
                continue;
            };
            for agg in &mut bars {
                out.clear();
                agg.on_trade(&trade, trade.time.exchange, &mut out);
                for event in &out {
                    let (BarEvent::Closed(bar) | BarEvent::Corrected(bar)) = event;
                    assert!(bar.is_consistent(), "{bar:?}");
                }
            }
        }
    }
});
