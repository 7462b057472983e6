//! Every (state, event) pair: the legal edges are listed by hand, and every
//! pair not listed must be refused, leaving the order unchanged.

use kestrel_model::{Price, Qty};

use super::*;

const QTY: u64 = 10;

fn fill(n: u64) -> OrderEvent {
    OrderEvent::Fill(Qty::from_lots(n))
}

fn replace() -> OrderEvent {
    OrderEvent::ReplaceSent {
        price: Price::from_ticks(101),
        qty: Qty::from_lots(QTY),
    }
}

/// An order driven into each state, named, with 4 filled where partly.
fn orders() -> Vec<(&'static str, ManagedOrder)> {
    let reach = |events: &[OrderEvent]| {
        let mut o = ManagedOrder::new(Qty::from_lots(QTY), Some(Price::from_ticks(100)));
        for e in events {
            o.apply(*e).unwrap();
        }
        o
    };
    use OrderEvent::*;
    vec![
        ("pending_new", reach(&[])),
        ("new", reach(&[Accepted])),
        ("partial", reach(&[Accepted, fill(4)])),
        ("pending_cancel_new", reach(&[Accepted, CancelSent])),
        (
            "pending_cancel_partial",
            reach(&[Accepted, fill(4), CancelSent]),
        ),
        ("pending_replace_new", reach(&[Accepted, replace()])),
        (
            "pending_replace_partial",
            reach(&[Accepted, fill(4), replace()]),
        ),
        ("filled", reach(&[Accepted, fill(QTY)])),
        ("cancelled", reach(&[Accepted, CancelSent, CancelAccepted])),
        ("rejected", reach(&[Rejected])),
        ("expired", reach(&[Accepted, Expired])),
    ]
}

fn events() -> Vec<(&'static str, OrderEvent)> {
    use OrderEvent::*;
    vec![
        ("accepted", Accepted),
        ("rejected", Rejected),
        ("fill_some", fill(2)),
        ("fill_rest", fill(0)), // replaced per state by the exact rest
        ("overfill", fill(QTY + 1)),
        ("cancel_sent", CancelSent),
        ("cancel_accepted", CancelAccepted),
        ("cancel_rejected", CancelRejected),
        ("replace_sent", replace()),
        ("replace_accepted", ReplaceAccepted),
        ("replace_rejected", ReplaceRejected),
        ("expired", Expired),
    ]
}

/// The legal edges: (state, event) → state after.
fn legal() -> Vec<(&'static str, &'static str, OrderState)> {
    use OrderState::*;
    let pc = |was| PendingCancel { was };
    let pr = |was| PendingReplace { was };
    vec![
        ("pending_new", "accepted", New),
        ("pending_new", "rejected", Rejected),
        ("pending_new", "fill_some", PartiallyFilled),
        ("pending_new", "fill_rest", Filled),
        ("pending_new", "expired", Expired),
        ("new", "fill_some", PartiallyFilled),
        ("new", "fill_rest", Filled),
        ("new", "cancel_sent", pc(Working::New)),
        ("new", "replace_sent", pr(Working::New)),
        ("new", "expired", Expired),
        ("partial", "fill_some", PartiallyFilled),
        ("partial", "fill_rest", Filled),
        ("partial", "cancel_sent", pc(Working::PartiallyFilled)),
        ("partial", "replace_sent", pr(Working::PartiallyFilled)),
        ("partial", "expired", Expired),
        (
            "pending_cancel_new",
            "fill_some",
            pc(Working::PartiallyFilled),
        ),
        ("pending_cancel_new", "fill_rest", Filled),
        ("pending_cancel_new", "cancel_accepted", Cancelled),
        ("pending_cancel_new", "cancel_rejected", New),
        ("pending_cancel_new", "expired", Expired),
        (
            "pending_cancel_partial",
            "fill_some",
            pc(Working::PartiallyFilled),
        ),
        ("pending_cancel_partial", "fill_rest", Filled),
        ("pending_cancel_partial", "cancel_accepted", Cancelled),
        ("pending_cancel_partial", "cancel_rejected", PartiallyFilled),
        ("pending_cancel_partial", "expired", Expired),
        (
            "pending_replace_new",
            "fill_some",
            pr(Working::PartiallyFilled),
        ),
        ("pending_replace_new", "fill_rest", Filled),
        ("pending_replace_new", "replace_accepted", New),
        ("pending_replace_new", "replace_rejected", New),
        ("pending_replace_new", "expired", Expired),
        (
            "pending_replace_partial",
            "fill_some",
            pr(Working::PartiallyFilled),
        ),
        ("pending_replace_partial", "fill_rest", Filled),
        (
            "pending_replace_partial",
            "replace_accepted",
            PartiallyFilled,
        ),
        (
            "pending_replace_partial",
            "replace_rejected",
            PartiallyFilled,
        ),
        ("pending_replace_partial", "expired", Expired),
    ]
}

#[test]
fn every_edge_of_the_life_cycle_and_nothing_else() {
    let legal = legal();
    let mut checked = 0;
    for (state_name, order) in orders() {
        for (event_name, event) in events() {
            let event = match event_name {
                "fill_rest" => fill(QTY - order.filled().lots()),
                _ => event,
            };
            let mut after = order;
            let result = after.apply(event);
            match legal
                .iter()
                .find(|(s, e, _)| *s == state_name && *e == event_name)
            {
                Some((_, _, expected)) => {
                    assert_eq!(result, Ok(*expected), "{state_name} + {event_name}");
                    assert_eq!(after.state(), *expected);
                }
                None => {
                    assert!(
                        result.is_err(),
                        "{state_name} + {event_name} must be refused, got {result:?}"
                    );
                    assert_eq!(
                        after, order,
                        "{state_name} + {event_name}: a refusal changes nothing"
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 11 * 12);
}

#[test]
fn a_replace_takes_effect_only_when_accepted() {
    let mut o = ManagedOrder::new(Qty::from_lots(QTY), Some(Price::from_ticks(100)));
    o.apply(OrderEvent::Accepted).unwrap();
    o.apply(fill(3)).unwrap();
    o.apply(OrderEvent::ReplaceSent {
        price: Price::from_ticks(99),
        qty: Qty::from_lots(8),
    })
    .unwrap();
    assert_eq!(
        (o.price(), o.qty()),
        (Some(Price::from_ticks(100)), Qty::from_lots(QTY))
    );
    o.apply(OrderEvent::ReplaceAccepted).unwrap();
    assert_eq!(
        (o.price(), o.qty(), o.leaves()),
        (
            Some(Price::from_ticks(99)),
            Qty::from_lots(8),
            Qty::from_lots(5)
        )
    );
    // A replace down to what is already filled is refused.
    let refused = o.apply(OrderEvent::ReplaceSent {
        price: Price::from_ticks(99),
        qty: Qty::from_lots(3),
    });
    assert!(refused.is_err());
    o.apply(OrderEvent::CancelSent).unwrap();
    o.apply(OrderEvent::CancelAccepted).unwrap();
    assert_eq!(o.leaves(), Qty::ZERO);
    assert_eq!(o.filled(), Qty::from_lots(3));
}
