#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_model::OrderSpec;
use kestrel_model::{
    AccountId, BookDelta, BookSnapshot, ClientOrderId, Decimal, EventTime, ExecKind, ExecReport,
    ExpireReason, FeeAsset, Fill, Level, LevelUpdate, Liquidity, OrderId, OrderStatus, OrderType,
    Price, Qty, RejectReason, Side, TimeInForce, Trade, UnixNanos, UpdateIds,
};
use kestrel_risk::{BracketExit, Decision, Reason};
use proptest::prelude::*;

use super::*;
use crate::kernel::{OrderIntent, RiskEvent};

fn instrument() -> Instrument {
    kestrel_model::testing::instrument("0.10", "0.001")
}

/// The second market of the session these entries belong to.
fn other() -> Instrument {
    kestrel_registry::testing::spot_btcusdt()
}

/// Its index.
const OTHER: InstrumentIndex = InstrumentIndex(1);

fn ids() -> Vec<InstrumentId> {
    vec![instrument().id, other().id]
}

fn t(ns: u64) -> UnixNanos {
    UnixNanos::new(ns)
}

fn id(s: &str) -> ClientOrderId {
    ClientOrderId::new(s).unwrap()
}

fn roundtrip(entry: &Entry) -> Entry {
    let mut buf = Vec::new();
    let kind = encode(entry, &mut buf);
    decode(kind, &buf, &ids()).unwrap()
}

fn report(kind: ExecKind, status: OrderStatus) -> ExecReport {
    ExecReport {
        order_id: OrderId(77),
        client_id: id("km-abc-1"),
        account: AccountId(3),
        instrument: instrument().id,
        side: Side::Sell,
        kind,
        status,
        filled: Qty::from_lots(5),
        leaves: Qty::from_lots(0),
        time: t(9),
    }
}

fn every_entry() -> Vec<Entry> {
    let i = instrument();
    let time = EventTime {
        exchange: t(1),
        local: t(2),
    };
    let fill = Fill {
        trade_id: 12,
        price: Price::from_ticks(-3),
        qty: Qty::from_lots(5),
        liquidity: Liquidity::Maker,
        fee: Decimal::parse("-0.00012").unwrap(),
        fee_asset: FeeAsset::Base,
    };
    let mut entries = vec![
        Entry::Session(Box::new(SessionHeader {
            instruments: vec![i.clone(), other()],
            session_ms: 1_700_000_000_000,
            config: "[strategy]\nname = \"imbalance_mm\" # é\n".into(),
        })),
        Entry::Start { now: t(5) },
        Entry::Snapshot {
            now: t(6),
            ix: IX,
            book: BookSnapshot {
                instrument: i.id,
                last_update_id: 99,
                time,
                bids: vec![Level {
                    price: Price::from_ticks(10),
                    qty: Qty::from_lots(1),
                }],
                asks: vec![],
            },
        },
        Entry::Delta {
            now: t(7),
            ix: OTHER,
            delta: BookDelta {
                instrument: other().id,
                ids: UpdateIds {
                    first: 100,
                    last: 102,
                    prev: Some(99),
                },
                time,
                updates: vec![
                    LevelUpdate {
                        price: Price::from_ticks(11),
                        qty: Qty::ZERO,
                        side: Side::Sell,
                    },
                    LevelUpdate {
                        price: Price::from_ticks(9),
                        qty: Qty::from_lots(4),
                        side: Side::Buy,
                    },
                ],
            },
        },
        Entry::Gap {
            now: t(8),
            ix: OTHER,
        },
        Entry::CancelRejected {
            now: t(10),
            id: id("x-1"),
        },
        Entry::Timers { now: t(11) },
        Entry::ResetKillSwitch { now: t(12) },
        Entry::Stop { now: t(13) },
        Entry::CancelAll { now: t(24) },
        Entry::Intent {
            now: t(14),
            intent: OrderIntent::Submit(OrderSpec {
                instrument: IX,
                id: id("km-abc-2"),
                side: Side::Buy,
                kind: OrderType::PostOnly,
                time_in_force: TimeInForce::Gtx,
                price: Some(Price::from_ticks(9)),
                qty: Qty::from_lots(2),
            }),
        },
        Entry::Intent {
            now: t(15),
            intent: OrderIntent::Cancel(id("km-abc-2")),
        },
        Entry::Adopt {
            now: t(21),
            order: crate::kernel::AdoptedOrder {
                instrument: IX,
                id: id("kp-1-9"),
                side: Side::Sell,
                kind: OrderType::Limit,
                price: Some(Price::from_ticks(12)),
                qty: Qty::from_lots(3),
            },
        },
        Entry::Resume {
            now: t(22),
            session_ms: 1_800_000_000_000,
        },
        Entry::Balances {
            now: t(23),
            ix: OTHER,
            base: Decimal::parse("1.5").unwrap(),
            quote: Decimal::parse("-2.25").unwrap(),
        },
        Entry::Repaired {
            now: t(24),
            cut_at: 1_234,
            bytes: 567_890,
        },
        Entry::Risk(RiskEvent::Bracket {
            time: t(16),
            exit: BracketExit::TakeProfit,
        }),
        Entry::Risk(RiskEvent::Kill {
            time: t(17),
            reason: Reason::Latency,
        }),
        Entry::Risk(RiskEvent::Order {
            time: t(18),
            side: Side::Sell,
            price: None,
            qty: Qty::from_lots(1),
            decision: Decision::Approved,
        }),
    ];
    for aggressor in [None, Some(Side::Buy), Some(Side::Sell)] {
        entries.push(Entry::Trade {
            now: t(9),
            ix: OTHER,
            trade: Trade {
                instrument: other().id,
                trade_id: 5,
                price: Price::from_ticks(10),
                qty: Qty::from_lots(2),
                aggressor,
                time,
            },
        });
    }
    let kinds = [
        (ExecKind::New, OrderStatus::New),
        (ExecKind::Triggered, OrderStatus::New),
        (ExecKind::Trade(fill), OrderStatus::PartiallyFilled),
        (ExecKind::Canceled, OrderStatus::Canceled),
        (
            ExecKind::Rejected(RejectReason::WouldTake),
            OrderStatus::Rejected,
        ),
        (
            ExecKind::Rejected(RejectReason::Injected(-1015)),
            OrderStatus::Rejected,
        ),
        (
            ExecKind::Expired(ExpireReason::SelfTrade),
            OrderStatus::Expired,
        ),
    ];
    for (kind, status) in kinds {
        entries.push(Entry::Report {
            now: t(19),
            ix: IX,
            report: report(kind, status),
        });
    }
    for reason in Reason::ALL {
        entries.push(Entry::Risk(RiskEvent::Order {
            time: t(20),
            side: Side::Buy,
            price: Some(Price::from_ticks(1)),
            qty: Qty::from_lots(1),
            decision: Decision::Refused(reason),
        }));
    }
    entries
}

#[test]
fn every_entry_round_trips() {
    for entry in every_entry() {
        assert_eq!(roundtrip(&entry), entry);
    }
}

#[test]
fn borrowed_encoders_match_owned_ones() {
    for entry in every_entry() {
        let mut owned = Vec::new();
        encode(&entry, &mut owned);
        let mut borrowed = Vec::new();
        match &entry {
            Entry::Delta { now, ix, delta } => encode_delta(*now, *ix, delta, &mut borrowed),
            Entry::Snapshot { now, ix, book } => encode_snapshot(*now, *ix, book, &mut borrowed),
            _ => continue,
        };
        assert_eq!(owned, borrowed);
    }
}

#[test]
fn an_index_past_the_sessions_instruments_is_refused() {
    let mut buf = Vec::new();
    let kind = encode(
        &Entry::Gap {
            now: t(1),
            ix: InstrumentIndex(2),
        },
        &mut buf,
    );
    assert_eq!(
        decode(kind, &buf, &ids()),
        Err(EntryError::Invalid("instrument index"))
    );
}

#[test]
fn every_cut_of_a_payload_is_an_error() {
    for entry in every_entry() {
        let mut buf = Vec::new();
        let kind = encode(&entry, &mut buf);
        for len in 0..buf.len() {
            assert!(
                decode(kind, &buf[..len], &ids()).is_err(),
                "{entry:?} cut at {len}"
            );
        }
        buf.push(0);
        assert_eq!(
            decode(kind, &buf, &ids()),
            Err(EntryError::Invalid("trailing bytes"))
        );
    }
}

#[test]
fn a_count_larger_than_the_payload_is_refused_before_allocating() {
    let mut buf = Vec::new();
    encode_delta(
        t(1),
        IX,
        &BookDelta {
            instrument: instrument().id,
            ids: UpdateIds::default(),
            time: EventTime::default(),
            updates: vec![],
        },
        &mut buf,
    );
    // The last byte is the run count, 0: claim 2^63 runs instead.
    buf.pop();
    buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    assert_eq!(
        decode(kind::DELTA, &buf, &ids()),
        Err(EntryError::Truncated)
    );
    // A varint running past 64 bits is refused, not wrapped.
    buf.truncate(buf.len() - 9);
    buf.extend_from_slice(&[0xff; 10]);
    buf.push(0x01);
    assert_eq!(
        decode(kind::DELTA, &buf, &ids()),
        Err(EntryError::Invalid("varint overflow"))
    );
}

#[test]
fn unknown_types_are_named() {
    assert_eq!(
        decode(RecordType(999), &[], &ids()),
        Err(EntryError::UnknownType(999))
    );
}

proptest! {
    #[test]
    fn any_delta_round_trips(
        now in any::<u64>(),
        first in any::<u64>(),
        prev in any::<Option<u64>>(),
        updates in prop::collection::vec((any::<i64>(), any::<u64>(), any::<bool>()), 0..64),
    ) {
        let entry = Entry::Delta {
            now: t(now),
            ix: IX,
            delta: BookDelta {
                instrument: instrument().id,
                ids: UpdateIds { first, last: first.wrapping_add(1), prev },
                time: EventTime { exchange: t(now / 2), local: t(now) },
                updates: updates
                    .into_iter()
                    .map(|(p, q, buy)| LevelUpdate {
                        price: Price::from_ticks(p),
                        qty: Qty::from_lots(q),
                        side: if buy { Side::Buy } else { Side::Sell },
                    })
                    .collect(),
            },
        };
        prop_assert_eq!(roundtrip(&entry), entry);
    }

    #[test]
    fn any_trade_round_trips(
        now in any::<u64>(),
        trade_id in any::<u64>(),
        price in any::<i64>(),
        lots in any::<u64>(),
        aggressor in prop::option::of(any::<bool>()),
        exchange in any::<u64>(),
    ) {
        let entry = Entry::Trade {
            now: t(now),
            ix: IX,
            trade: Trade {
                instrument: instrument().id,
                trade_id,
                price: Price::from_ticks(price),
                qty: Qty::from_lots(lots),
                aggressor: aggressor.map(|buy| if buy { Side::Buy } else { Side::Sell }),
                time: EventTime { exchange: t(exchange), local: t(now.wrapping_sub(1)) },
            },
        };
        prop_assert_eq!(roundtrip(&entry), entry);
    }

    #[test]
    fn arbitrary_bytes_never_panic(kind in 0u16..40, bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(RecordType(kind), &bytes, &ids());
    }
}

#[test]
fn a_session_header_keeps_every_whole_instrument() {
    use kestrel_registry::testing::{coinm_btcusd_perp, spot_btcusdt, usdm_btcusdt};
    let all = [spot_btcusdt(), usdm_btcusdt(), coinm_btcusd_perp()];
    for n in 1..=all.len() {
        let header = SessionHeader {
            instruments: all[..n].to_vec(),
            session_ms: 1_723_161_255_000,
            config: "[venue]\n".into(),
        };
        let entry = Entry::Session(Box::new(header.clone()));
        assert_eq!(roundtrip(&entry), entry);
        let mut buf = Vec::new();
        encode(&entry, &mut buf);
        assert_eq!(decode_header(&buf).unwrap(), header);
        // Every cut of the payload is an error, never a panic.
        for cut in 0..buf.len() {
            assert!(decode_header(&buf[..cut]).is_err());
        }
    }
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
