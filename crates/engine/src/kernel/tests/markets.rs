//! Kernels of several markets and strategies: subscriptions, a bad set-up,
//! a settlement asset converted into equity, a strategy halted alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// Reads the other subscribed book on every update of the first, and
/// tries one it did not subscribe to.
#[derive(Default)]
struct Reader {
    seen: Vec<(InstrumentIndex, Option<i64>)>,
    refused: Vec<ContextError>,
}

impl Strategy for Reader {
    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        changed: InstrumentIndex,
        _: &OrderBook,
        _: &kestrel_signals::SignalValues,
    ) {
        let other = InstrumentIndex(1 - changed.0.min(1));
        let best = ctx
            .book(other)
            .ok()
            .and_then(|b| b.best_bid().map(|l| l.price.ticks()));
        self.seen.push((changed, best));
        if let Err(e) = ctx.book(InstrumentIndex(2)) {
            self.refused.push(e);
        }
        if let Err(e) = ctx.place(NewOrder::post_only(
            InstrumentIndex(2),
            Side::Buy,
            Price::from_ticks(1),
            Qty::from_lots(1),
        )) {
            self.refused.push(e);
        }
    }
}

fn two_markets() -> Vec<MarketSetup> {
    let a = instrument();
    let b = Instrument {
        id: InstrumentId::from_native(kestrel_model::Venue::BinanceUsdm, "BTCUSDT").unwrap(),
        contract: kestrel_model::Contract {
            kind: kestrel_model::ContractKind::Linear,
            ..a.contract
        },
        ..a.clone()
    };
    let c = Instrument {
        id: InstrumentId::from_native(kestrel_model::Venue::BinanceSpot, "ETHUSDT").unwrap(),
        ..a.clone()
    };
    [a, b, c]
        .into_iter()
        .map(|instrument| MarketSetup {
            instrument,
            limits: config().risk,
            prices: crate::kernel::PriceSource::Book,
        })
        .collect()
}

#[test]
fn a_strategy_reads_its_other_book_and_nothing_it_did_not_subscribe_to() {
    let mut k = Kernel::build(
        KernelSetup {
            markets: two_markets(),
            strategies: vec![StrategySetup {
                strategy: Reader::default(),
                subscriptions: vec![InstrumentIndex(0), InstrumentIndex(1)],
                max_loss: None,
            }],
        },
        &config(),
    )
    .unwrap();
    let ids: Vec<_> = k.instruments().map(|i| i.id).collect();
    k.on_delta(
        InstrumentIndex(1),
        &delta(ids[1], &[(Side::Buy, 95, 1)]),
        UnixNanos::new(1),
    );
    k.on_delta(
        InstrumentIndex(0),
        &delta(ids[0], &[(Side::Buy, 99, 1)]),
        UnixNanos::new(2),
    );
    // A book of instrument 2 (not subscribed) reaches no one.
    k.on_delta(
        InstrumentIndex(2),
        &delta(ids[2], &[(Side::Buy, 50, 1)]),
        UnixNanos::new(3),
    );
    let r = k.strategy();
    assert_eq!(
        r.seen,
        [(InstrumentIndex(1), None), (InstrumentIndex(0), Some(95))]
    );
    assert!(
        r.refused
            .iter()
            .all(|e| *e == ContextError::NotSubscribed(InstrumentIndex(2)))
    );
    assert_eq!(r.refused.len(), 4);
    assert_eq!(k.drain_intents().count(), 0);
}

#[test]
fn a_kernel_refuses_a_bad_setup_with_the_reason() {
    let build = |markets: Vec<MarketSetup>, subscriptions: Vec<InstrumentIndex>| {
        Kernel::build(
            KernelSetup {
                markets,
                strategies: vec![StrategySetup {
                    strategy: Reader::default(),
                    subscriptions,
                    max_loss: None,
                }],
            },
            &config(),
        )
        .err()
    };
    assert!(matches!(
        build(two_markets(), vec![InstrumentIndex(7)]),
        Some(KernelError::UnknownInstrument { held: 3, .. })
    ));
    assert!(matches!(
        build(two_markets(), vec![]),
        Some(KernelError::NoSubscription(_))
    ));
    assert!(matches!(
        build(vec![], vec![InstrumentIndex(0)]),
        Some(KernelError::Empty)
    ));
    // Settled in ETH, which no market prices in USDT.
    let mut mixed = two_markets();
    mixed[1].instrument.contract.settle = "ETH".parse().unwrap();
    let err = build(mixed, vec![InstrumentIndex(0)]).unwrap();
    assert!(matches!(err, KernelError::NoConversion { .. }));
    assert!(err.to_string().contains("ETH/USDT"), "{err}");
}

/// A coin-settled inverse leg counts in equity at the spot mark of its
/// coin: long 2 contracts of 100 USD from 100 to a mark of 125 gains
/// 200/100 − 200/125 = 0.4 BTC, which at a BTC/USDT mark of 50,000 is
/// 20,000 USDT.
#[test]
fn a_coin_settled_leg_counts_in_equity_at_its_coins_mark() {
    let spot = instrument();
    let inverse = Instrument {
        id: InstrumentId::from_native(kestrel_model::Venue::BinanceCoinm, "BTCUSD_PERP").unwrap(),
        quote: "USD".parse().unwrap(),
        contract: kestrel_model::Contract {
            kind: kestrel_model::ContractKind::Inverse,
            multiplier: "100".parse().unwrap(),
            settle: "BTC".parse().unwrap(),
            expiry: None,
        },
        ..spot.clone()
    };
    let markets = [spot.clone(), inverse.clone()]
        .into_iter()
        .map(|instrument| MarketSetup {
            instrument,
            limits: config().risk,
            prices: crate::kernel::PriceSource::Book,
        })
        .collect();
    let mut k = Kernel::build(
        KernelSetup {
            markets,
            strategies: vec![StrategySetup {
                strategy: OneBid {
                    price: 100,
                    ..OneBid::default()
                },
                subscriptions: vec![InstrumentIndex(1)],
                max_loss: None,
            }],
        },
        &config(),
    )
    .unwrap();
    assert_eq!(k.currency().as_str(), "USDT");
    for m in &mut k.markets {
        m.synced = true;
    }
    let cash = k.equity();
    let book = |bid, ask| [(Side::Buy, bid, 5), (Side::Sell, ask, 5)];
    k.on_delta(
        InstrumentIndex(0),
        &delta(spot.id, &book(49_999, 50_001)),
        UnixNanos::new(10),
    );
    k.on_delta(
        InstrumentIndex(1),
        &delta(inverse.id, &book(99, 101)),
        UnixNanos::new(11),
    );
    let id = k.strategy().placed.unwrap().unwrap();
    k.on_report(
        &report(id, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(12),
    );
    k.on_report(
        &report(id, fill(100, 2), OrderStatus::Filled, Side::Buy),
        UnixNanos::new(13),
    );
    k.on_delta(
        InstrumentIndex(1),
        &delta(inverse.id, &[(Side::Buy, 99, 0), (Side::Sell, 101, 0)]),
        UnixNanos::new(14),
    );
    k.on_delta(
        InstrumentIndex(1),
        &delta(inverse.id, &book(124, 126)),
        UnixNanos::new(15),
    );
    let gain = k.equity().checked_sub(cash).unwrap();
    assert_eq!(gain, "20000".parse().unwrap());
}

/// Two strategies on two markets: halting one cancels its order and
/// refuses its next, while the other trades on.
#[test]
fn a_halted_strategy_stops_alone() {
    let setup = |ix: u16| StrategySetup {
        strategy: OneBid {
            price: 99,
            ..OneBid::default()
        },
        subscriptions: vec![InstrumentIndex(ix)],
        max_loss: None,
    };
    let mut k = Kernel::build(
        KernelSetup {
            markets: two_markets().into_iter().take(2).collect(),
            strategies: vec![setup(0), setup(1)],
        },
        &config(),
    )
    .unwrap();
    let ids: Vec<_> = k.instruments().map(|i| i.id).collect();
    for m in &mut k.markets {
        m.synced = true;
    }
    let book = [(Side::Buy, 99, 5), (Side::Sell, 101, 5)];
    k.on_delta(
        InstrumentIndex(0),
        &delta(ids[0], &book),
        UnixNanos::new(10),
    );
    let first = k.strategy().placed.unwrap().unwrap();
    assert!(first.as_str().starts_with("t0-"), "{first}");
    k.on_report(
        &report(first, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(11),
    );
    k.drain_intents().for_each(drop);
    k.halt_strategy(StrategyIndex(0), UnixNanos::new(11));
    let intents: Vec<_> = k.drain_intents().collect();
    assert_eq!(intents, [OrderIntent::Cancel(first)]);
    assert!(k.drain_decisions().any(|d| matches!(
        d,
        RiskEvent::Halt {
            strategy: StrategyIndex(0),
            reason: Reason::StrategyHalted,
            ..
        }
    )));
    // The other strategy places its bid on the second market.
    k.on_delta(
        InstrumentIndex(1),
        &delta(ids[1], &book),
        UnixNanos::new(12),
    );
    let second = k.strategies()[1]
        .placed
        .unwrap()
        .unwrap_or_else(|| panic!("refused: {:?}", k.refusals()));
    assert!(second.as_str().starts_with("t1-"), "{second}");
    assert_eq!(k.strategy_halted(StrategyIndex(1)), None);
    assert_eq!(
        k.strategy_halted(StrategyIndex(0)),
        Some(Reason::StrategyHalted)
    );
}
