//! Catching a resumed session up with the venue before it trades: its
//! orders and fills reconciled, then its position checked against the
//! venue's balances.
//!
//! The venue keeps trading while we look: an order left working through
//! the restart can fill between the reconciliation's last query and the
//! balance read, and the balances would then show a fill the corrections
//! lack. So a pass counts only if the balances read before and after it
//! are the same; otherwise it is made again.

use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{Decimal, Instrument, InstrumentIndex};
use kestrel_strategy::Strategy;
use kestrel_venue::{ExecutionClient, VenueError};

use super::reconcile::{self, ReconcileMode, Reconciled, UnknownOrderPolicy};
use super::{LiveError, LiveSession, RecoveryPlan, patiently};
use kestrel_engine::clock::{Clock, WallClock};

/// Passes made while the balances move under them; after the last, its
/// result is checked as it stands.
const PASSES: u64 = 5;

/// One market of a session and the venue connection that trades it.
pub struct Leg<'a, C> {
    /// The kernel's index of the instrument.
    pub ix: InstrumentIndex,
    /// The venue connection.
    pub venue: &'a C,
    /// The instrument.
    pub instrument: &'a Instrument,
}

/// Catches a resumed session up with its venues: reconciles each market's
/// orders and fills, starts a new id session, and checks each position
/// against the balances. Trading must not begin if this fails. What each
/// market's reconciliation found, in `legs` order.
pub async fn recover<S, D, Q, C>(
    session: &mut LiveSession<S, D, Q>,
    legs: &[Leg<'_, C>],
    plan: RecoveryPlan,
) -> Result<Vec<Reconciled>, LiveError>
where
    S: Strategy,
    D: FrameDecoder,
    Q: Sequencer,
    C: ExecutionClient,
{
    session.set_history(plan.applied.iter().copied(), plan.start_balances.clone());
    let mode = ReconcileMode::Restart(plan.unknown_orders);
    let mut found = Vec::with_capacity(legs.len());
    for leg in legs {
        let known = session.known_orders(leg.ix);
        let last_trade_id = session.last_trade_id(leg.ix);
        let market = (leg.ix, leg.instrument);
        let pass = || async {
            patiently(|| reconcile::reconcile(leg.venue, market, &known, last_trade_id, mode))
                .await
                .map_err(venue_error)
        };
        found.push(match plan.start_balances.get(&leg.ix) {
            // Nothing to check the position against: one pass will do.
            None => (pass().await?, None),
            Some(start) => {
                let b = bracketed(leg.venue, leg.instrument, pass).await?;
                (b.found, Some((*start, b.balances, b.steady)))
            }
        });
    }
    let now = WallClock.now();
    // The restart's boundary in the journal, before anything it applies:
    // ids from here are the new session's, whatever the strategy does in
    // answer to the corrections.
    session.resume(plan.session_ms, now);
    for (leg, (reconciled, _)) in legs.iter().zip(&found) {
        session.correct(leg.ix, &reconciled.corrections, now);
    }
    for (leg, (_, checked)) in legs.iter().zip(&found) {
        let Some((start, balances, steady)) = checked else {
            continue;
        };
        let flows = session.kernel().flows(leg.ix);
        reconcile::balances_agree(leg.instrument, flows, *start, *balances).map_err(|why| {
            let moving = if *steady {
                ""
            } else {
                " (the balances moved during every pass)"
            };
            LiveError::Unreconciled(format!("{}: {why}{moving}", leg.instrument.id))
        })?;
    }
    Ok(found.into_iter().map(|(r, _)| r).collect())
}

/// Starts a new session: on each market, open venue orders with our id
/// prefix (an earlier session's, its journal gone) are adopted with their
/// fills and then cancelled or left working by `policy`, and the balances
/// the session begins with are journaled as they stood before those fills,
/// so the positions and the balances agree from here on. What each
/// market's look found, in `legs` order.
pub async fn start_fresh<S, D, Q, C>(
    session: &mut LiveSession<S, D, Q>,
    legs: &[Leg<'_, C>],
    id_prefix: &str,
    policy: UnknownOrderPolicy,
) -> Result<Vec<Reconciled>, LiveError>
where
    S: Strategy,
    D: FrameDecoder,
    Q: Sequencer,
    C: ExecutionClient,
{
    let mut found = Vec::with_capacity(legs.len());
    for leg in legs {
        let market = (leg.ix, leg.instrument);
        let pass = || async {
            patiently(|| reconcile::leftovers(leg.venue, market, id_prefix, policy))
                .await
                .map_err(venue_error)
        };
        let b = bracketed(leg.venue, leg.instrument, pass).await?;
        let now = WallClock.now();
        session.correct(leg.ix, &b.found.corrections, now);
        let (base_flow, quote_flow) = session.kernel().flows(leg.ix);
        let before = |now: Decimal, flow: Decimal| {
            now.checked_sub(flow).ok_or_else(|| {
                LiveError::Venue(format!("balance {now} less fills {flow} overflows"))
            })
        };
        let start = (
            before(b.balances.0, base_flow)?,
            before(b.balances.1, quote_flow)?,
        );
        session.note_balances(leg.ix, start, now);
        found.push(b.found);
    }
    Ok(found)
}

/// A reconciliation pass and the balances it accounts for.
struct Bracketed {
    found: Reconciled,
    balances: (Decimal, Decimal),
    /// The balances were the same before and after the pass.
    steady: bool,
}

/// Runs `pass` between two balance reads until they agree, up to
/// [`PASSES`] times.
async fn bracketed<C, F, Fut>(
    venue: &C,
    instrument: &Instrument,
    mut pass: F,
) -> Result<Bracketed, LiveError>
where
    C: ExecutionClient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Reconciled, LiveError>>,
{
    let read = || async {
        patiently(|| balances(venue, instrument))
            .await
            .map_err(venue_error)
    };
    let mut before = read().await?;
    let mut passes: u64 = 1;
    loop {
        let found = pass().await?;
        let after = read().await?;
        let steady = after == before;
        if steady || passes == PASSES {
            return Ok(Bracketed {
                found: Reconciled { passes, ..found },
                balances: after,
                steady,
            });
        }
        before = after;
        passes += 1;
    }
}

fn venue_error(e: VenueError) -> LiveError {
    LiveError::Venue(e.to_string())
}

/// The venue's totals (free + locked) of the instrument's base and quote.
pub(super) async fn balances<C: ExecutionClient>(
    venue: &C,
    instrument: &Instrument,
) -> Result<(Decimal, Decimal), VenueError> {
    let all = venue.balances().await?;
    let total = |asset: &kestrel_model::Asset| {
        all.iter()
            .find(|b| b.asset == *asset)
            .and_then(|b| b.free.checked_add(b.locked))
            .unwrap_or(Decimal::ZERO)
    };
    Ok((total(&instrument.base), total(&instrument.quote)))
}

#[cfg(test)]
mod tests;
