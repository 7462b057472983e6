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
use kestrel_model::{Asset, Decimal, Instrument, InstrumentIndex};
use kestrel_strategy::Strategy;
use kestrel_venue::{ExecutionClient, VenueError};

use super::reconcile::{self, AssetMove, ReconcileMode, Reconciled, UnknownOrderPolicy};
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
    /// The account it trades on: legs of one account share its balances,
    /// which are checked against all their fills together.
    pub account: usize,
}

/// Catches a resumed session up with its venues: reconciles each market's
/// orders and fills, starts a new id session, and checks each account's
/// balances against the fills of every market traded on it. Trading must
/// not begin if this fails. What each market's reconciliation found, in
/// `legs` order.
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
    // Before the new id session: what the journal says was issued.
    let generators: Vec<_> = session.kernel().id_generators().cloned().collect();
    let lost = reconcile::LostIds {
        generators: &generators,
        after: session.kernel().last_input_time(),
    };
    let mut found: Vec<Option<Reconciled>> = legs.iter().map(|_| None).collect();
    let mut checks = Vec::new();
    for group in by_account(legs) {
        let known: Vec<_> = group
            .iter()
            .map(|&n| {
                let ix = legs[n].ix;
                (session.known_orders(ix), session.last_trade_id(ix))
            })
            .collect();
        let pass = || async {
            let mut out = Vec::with_capacity(group.len());
            for (&n, (known, last_trade_id)) in group.iter().zip(&known) {
                let leg = &legs[n];
                let market = (leg.ix, leg.instrument);
                out.push(
                    patiently(|| {
                        reconcile::reconcile(
                            leg.venue,
                            market,
                            known,
                            *last_trade_id,
                            mode,
                            Some(lost),
                        )
                    })
                    .await
                    .map_err(venue_error)?,
                );
            }
            Ok(out)
        };
        let starts: Option<Vec<(Decimal, Decimal)>> = group
            .iter()
            .map(|&n| plan.start_balances.get(&legs[n].ix).copied())
            .collect();
        let reconciled = match starts {
            // Nothing to check the balances against: one pass will do.
            None => pass().await?,
            Some(starts) => {
                let assets = assets(legs, &group);
                let b = bracketed(legs[group[0]].venue, &assets, pass).await?;
                checks.push((group.clone(), starts, assets, b.balances, b.steady));
                b.found
            }
        };
        for (&n, r) in group.iter().zip(reconciled) {
            found[n] = Some(r);
        }
    }
    let now = WallClock.now();
    // The restart's boundary in the journal, before anything it applies:
    // ids from here are the new session's, whatever the strategy does in
    // answer to the corrections.
    session.resume(plan.session_ms, now);
    let found: Vec<Reconciled> = found.into_iter().map(Option::unwrap_or_default).collect();
    for (leg, reconciled) in legs.iter().zip(&found) {
        session.correct(leg.ix, &reconciled.corrections, now);
    }
    for (group, starts, assets, balances, steady) in checks {
        let markets: Vec<_> = group
            .iter()
            .zip(starts)
            .map(|(&n, start)| {
                let i = legs[n].instrument;
                (i, session.kernel().flows(legs[n].ix), start)
            })
            .collect();
        let moves = account_moves(&markets, &assets, &balances);
        reconcile::balances_agree(&moves).map_err(|why| {
            let moving = if steady {
                ""
            } else {
                " (the balances moved during every pass)"
            };
            let names: Vec<String> = group
                .iter()
                .map(|&n| legs[n].instrument.id.to_string())
                .collect();
            LiveError::Unreconciled(format!("{}: {why}{moving}", names.join(" + ")))
        })?;
    }
    Ok(found)
}

/// Starts a new session: on each market, open venue orders with our id
/// prefix (an earlier session's, its journal gone) are adopted with their
/// fills and then cancelled or left working by `policy`, and the balances
/// each account begins with are journaled as they stood before those
/// fills, so the positions and the balances agree from here on. What each
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
    let mut found: Vec<Option<Reconciled>> = legs.iter().map(|_| None).collect();
    for group in by_account(legs) {
        let pass = || async {
            let mut out = Vec::with_capacity(group.len());
            for &n in &group {
                let leg = &legs[n];
                let market = (leg.ix, leg.instrument);
                out.push(
                    patiently(|| reconcile::leftovers(leg.venue, market, id_prefix, policy))
                        .await
                        .map_err(venue_error)?,
                );
            }
            Ok(out)
        };
        let assets = assets(legs, &group);
        let b = bracketed(legs[group[0]].venue, &assets, pass).await?;
        let now = WallClock.now();
        for (&n, r) in group.iter().zip(&b.found) {
            session.correct(legs[n].ix, &r.corrections, now);
        }
        // Each asset's start: its balance now less what the adopted fills
        // of every market of the account moved it by.
        let mut start = Vec::with_capacity(assets.len());
        for (&asset, &balance) in assets.iter().zip(&b.balances) {
            let fills = fills_of(session, legs, &group, asset);
            start.push(balance.checked_sub(fills).ok_or_else(|| {
                LiveError::Venue(format!(
                    "{asset} balance {balance} less fills {fills} overflows"
                ))
            })?);
        }
        let of = |asset: Asset| {
            assets
                .iter()
                .position(|a| *a == asset)
                .and_then(|i| start.get(i).copied())
                .unwrap_or(Decimal::ZERO)
        };
        for &n in &group {
            let i = legs[n].instrument;
            session.note_balances(legs[n].ix, (of(i.base), of(i.quote)), now);
        }
        for (&n, r) in group.iter().zip(b.found) {
            found[n] = Some(r);
        }
    }
    Ok(found.into_iter().map(Option::unwrap_or_default).collect())
}

/// The positions in `legs` of each account's legs, accounts in order of
/// first appearance.
fn by_account<C>(legs: &[Leg<'_, C>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (n, leg) in legs.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(account, _)| *account == leg.account)
        {
            Some((_, group)) => group.push(n),
            None => groups.push((leg.account, vec![n])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// The assets the markets of a group trade, each once.
fn assets<C>(legs: &[Leg<'_, C>], group: &[usize]) -> Vec<Asset> {
    let mut assets = Vec::new();
    for &n in group {
        for asset in [legs[n].instrument.base, legs[n].instrument.quote] {
            if !assets.contains(&asset) {
                assets.push(asset);
            }
        }
    }
    assets
}

/// `asset`'s side of a market's (base, quote) pair, if it is one of them.
fn side_of(i: &Instrument, asset: Asset, pair: (Decimal, Decimal)) -> Option<Decimal> {
    if i.base == asset {
        Some(pair.0)
    } else if i.quote == asset {
        Some(pair.1)
    } else {
        None
    }
}

/// What the journal's fills of a group's markets moved `asset` by.
fn fills_of<S: Strategy, D: FrameDecoder, Q: Sequencer, C>(
    session: &LiveSession<S, D, Q>,
    legs: &[Leg<'_, C>],
    group: &[usize],
    asset: Asset,
) -> Decimal {
    let flows = group
        .iter()
        .map(|&n| (legs[n].instrument, session.kernel().flows(legs[n].ix)));
    sum_of(asset, flows)
}

/// The sum of `asset`'s side of each market's (base, quote) pair.
fn sum_of<'i>(
    asset: Asset,
    pairs: impl Iterator<Item = (&'i Instrument, (Decimal, Decimal))>,
) -> Decimal {
    pairs
        .filter_map(|(i, pair)| side_of(i, asset, pair))
        .fold(Decimal::ZERO, |sum, f| sum.checked_add(f).unwrap_or(sum))
}

/// A market's (base, quote) amounts.
type Pair = (Decimal, Decimal);

/// An account's assets since the session began, from its markets (each
/// with its fills' (base, quote) flows and the (base, quote) balances it
/// noted at the start) and the balances of `assets` now: a shared asset
/// moved by the fills of every market that uses it.
fn account_moves(
    markets: &[(&Instrument, Pair, Pair)],
    assets: &[Asset],
    now: &[Decimal],
) -> Vec<AssetMove> {
    assets
        .iter()
        .zip(now)
        .map(|(&asset, &now)| AssetMove {
            asset,
            fills: sum_of(asset, markets.iter().map(|&(i, flows, _)| (i, flows))),
            // Every market listing the asset noted the same start.
            start: markets
                .iter()
                .find_map(|&(i, _, start)| side_of(i, asset, start))
                .unwrap_or(Decimal::ZERO),
            now,
        })
        .collect()
}

/// Reconciliation passes of an account's markets and the balances they
/// account for.
struct Bracketed {
    found: Vec<Reconciled>,
    balances: Vec<Decimal>,
    /// The balances were the same before and after the pass.
    steady: bool,
}

/// Runs `pass` between two reads of the account's `assets` until they
/// agree, up to [`PASSES`] times.
async fn bracketed<C, F, Fut>(
    venue: &C,
    assets: &[Asset],
    mut pass: F,
) -> Result<Bracketed, LiveError>
where
    C: ExecutionClient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<Reconciled>, LiveError>>,
{
    let read = || async {
        patiently(|| balances(venue, assets))
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
                found: found
                    .into_iter()
                    .map(|r| Reconciled { passes, ..r })
                    .collect(),
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

/// The venue's totals (free + locked) of `assets`, in their order.
pub(super) async fn balances<C: ExecutionClient>(
    venue: &C,
    assets: &[Asset],
) -> Result<Vec<Decimal>, VenueError> {
    let all = venue.balances().await?;
    Ok(assets
        .iter()
        .map(|asset| {
            all.iter()
                .find(|b| b.asset == *asset)
                .and_then(|b| b.free.checked_add(b.locked))
                .unwrap_or(Decimal::ZERO)
        })
        .collect())
}

#[cfg(test)]
mod tests;
