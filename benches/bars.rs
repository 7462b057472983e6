//! Bars and indicators from trades, and `ema_cross` through the whole
//! backtest, on 1,000,000 trades of the seeded synthetic ETHUSDT tape
//! (`cargo bench -p kestrel-benches --bench bars`).
//!
//! * `bars/1m`: the trades into one 1-minute aggregator.
//! * `bars/1m_and_10_indicators_on_closes`: and ten streaming indicators
//!   (SMA, EMA, RSI, MACD, Bollinger, ATR, ADX, stochastic, CCI, %R) on
//!   each closed bar.
//! * `bars/1m_and_10_indicators_every_trade`: the ten on every trade too
//!   (each trade as a one-print bar): the indicators' own cost per input.
//! * `ema_cross/in_memory`: the trades, decoded beforehand, through the
//!   backtest runner: simulated venue, kernel (bars, risk, orders,
//!   positions, report series) and `ema_cross(10, 20)` on 1-minute bars.
//! * `ema_cross/from_csv`: the same from the trades as Binance's CSV, in
//!   memory, parsing included: what `kestrel backtest` does after reading
//!   the file.
//!
//! Throughput counts trades.
#![allow(clippy::expect_used)] // a bench whose run fails has nothing to measure

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kestrel_bars::{BarAggregator, BarEvent, BarOptions};
use kestrel_benches::backtest::backtest_config;
use kestrel_benches::trades::{TenIndicators, binance_csv, ema_cross, synthetic_eth};
use kestrel_binance::{BinanceTradesCsvReader, TradeLayout};
use kestrel_engine::backtest::TradeSource;
use kestrel_engine::run_backtest;
use kestrel_feed::TradeIter;
use kestrel_model::{BarSpec, Instrument};

const TRADES: usize = 1_000_000;

/// An indicator bar of a model bar.
fn as_bar(instrument: &Instrument, bar: &kestrel_model::Bar) -> kestrel_indicators::Bar {
    let px = |p: kestrel_model::Price| p.to_f64(&instrument.tick);
    kestrel_indicators::Bar {
        open: px(bar.open),
        high: px(bar.high),
        low: px(bar.low),
        close: px(bar.close),
        volume: bar.volume.to_f64(&instrument.lot),
    }
}

fn bench(c: &mut Criterion) {
    let (instrument, trades) = synthetic_eth(TRADES);
    let aggregator = || {
        BarAggregator::new(&instrument, BarSpec::MINUTE, BarOptions::default())
            .expect("a minute aggregator")
    };
    let mut group = c.benchmark_group("bars");
    group.throughput(Throughput::Elements(TRADES as u64));
    group.sample_size(20);
    group.bench_function("1m", |b| {
        b.iter(|| {
            let mut agg = aggregator();
            let mut out = Vec::with_capacity(4);
            let mut closed = 0usize;
            for t in &trades {
                out.clear();
                agg.on_trade(t, t.time.exchange, &mut out);
                closed += out.len();
            }
            black_box(closed)
        })
    });
    group.bench_function("1m_and_10_indicators_on_closes", |b| {
        b.iter(|| {
            let mut agg = aggregator();
            let mut ten = TenIndicators::default();
            let mut out = Vec::with_capacity(4);
            let mut sum = 0.0;
            for t in &trades {
                out.clear();
                agg.on_trade(t, t.time.exchange, &mut out);
                for e in &out {
                    if let BarEvent::Closed(bar) = e {
                        sum += ten.update(&as_bar(&instrument, bar));
                    }
                }
            }
            black_box(sum)
        })
    });
    group.bench_function("1m_and_10_indicators_every_trade", |b| {
        b.iter(|| {
            let mut agg = aggregator();
            let mut ten = TenIndicators::default();
            let mut out = Vec::with_capacity(4);
            let mut sum = 0.0;
            for t in &trades {
                out.clear();
                agg.on_trade(t, t.time.exchange, &mut out);
                let price = t.price.to_f64(&instrument.tick);
                let print = kestrel_indicators::Bar {
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: t.qty.to_f64(&instrument.lot),
                };
                sum += ten.update(&print);
            }
            black_box(sum)
        })
    });
    group.finish();

    let config = backtest_config();
    let mut group = c.benchmark_group("ema_cross");
    group.throughput(Throughput::Elements(TRADES as u64));
    group.sample_size(10);
    group.bench_function("in_memory", |b| {
        b.iter(|| {
            let source = TradeSource::new(TradeIter(trades.iter().copied()));
            let run = run_backtest(&instrument, source, ema_cross(), &config, |_| {})
                .expect("a backtest");
            black_box(run.kernel.counters().bars)
        })
    });
    let csv = binance_csv(&instrument, &trades);
    group.bench_function("from_csv", |b| {
        b.iter(|| {
            let reader = BinanceTradesCsvReader::new(&csv[..], &instrument, TradeLayout::Trades);
            let run = run_backtest(
                &instrument,
                TradeSource::new(reader),
                ema_cross(),
                &config,
                |_| {},
            )
            .expect("a backtest");
            black_box(run.kernel.counters().bars)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
