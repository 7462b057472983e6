//! USDⓈ-M futures state beside the matching engine: margin accounts, the
//! mark price, funding and the income history.
//!
//! The recordings carry no index price (Binance's is a weighted spot
//! average across venues), so the index here is the contract's own mid
//! price. With the index at the mid, the premium is zero, the funding rate
//! is the interest-rate part alone (0.01 % per 8 hours, configurable), and
//! the mark price is Binance's median of `index × (1 + rate × time to
//! funding ÷ 8 h)`, the index plus its (zero) basis, and the last price.

pub mod request;
pub mod wire;

use std::collections::{HashMap, VecDeque};

use kestrel_model::{Decimal, Level};
use kestrel_sim::AccountId;
use kestrel_sim::margin::{Brackets, MarginAccounts};

/// Funding times are every 8 hours from midnight UTC.
pub const FUNDING_INTERVAL_MS: u64 = 8 * 3_600_000;
/// Funding records kept for `GET /fapi/v1/fundingRate`.
const FUNDING_KEPT: usize = 1_000;
/// Income records kept per account for `GET /fapi/v1/income`.
const INCOME_KEPT: usize = 10_000;

/// What a futures venue is set up with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuturesConfig {
    /// The contract's leverage tiers.
    pub brackets: Brackets,
    /// Funding rate per 8 hours.
    pub funding_rate: Decimal,
}

impl Default for FuturesConfig {
    /// Binance's BTCUSDT tiers and its interest-rate part of funding.
    fn default() -> Self {
        Self {
            brackets: Brackets::binance_btcusdt(),
            funding_rate: Decimal::parse("0.0001").unwrap_or(Decimal::ZERO),
        }
    }
}

/// One funding event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingRecord {
    /// Funding time, ms.
    pub time_ms: u64,
    /// The rate paid.
    pub rate: Decimal,
    /// The mark price it was paid at.
    pub mark: Decimal,
}

/// Kinds of income, by Binance's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncomeKind {
    /// Profit realised by a fill.
    RealizedPnl,
    /// A fee paid (negative) on a fill.
    Commission,
    /// Funding paid or received.
    FundingFee,
    /// What a liquidation's clearance fee took.
    InsuranceClear,
}

impl IncomeKind {
    /// Binance's `incomeType`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RealizedPnl => "REALIZED_PNL",
            Self::Commission => "COMMISSION",
            Self::FundingFee => "FUNDING_FEE",
            Self::InsuranceClear => "INSURANCE_CLEAR",
        }
    }
}

/// One line of an account's income history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Income {
    /// What it was.
    pub kind: IncomeKind,
    /// Signed, in the settlement asset.
    pub amount: Decimal,
    /// Market-clock ms.
    pub time_ms: u64,
    /// The trade it came from, if any.
    pub trade_id: Option<u64>,
    /// Increasing per server.
    pub id: u64,
}

/// Margin, mark price, funding and income of the served contract.
#[derive(Debug)]
pub struct Futures {
    /// Wallets, positions and settings.
    pub margin: MarginAccounts,
    /// Funding rate per 8 hours.
    pub funding_rate: Decimal,
    /// The index (the mid price), once the book has both sides.
    pub index: Option<Decimal>,
    /// The mark price, once there is an index.
    pub mark: Option<Decimal>,
    /// The last funding time already paid, ms.
    paid_through: Option<u64>,
    fundings: VecDeque<FundingRecord>,
    income: HashMap<AccountId, VecDeque<Income>>,
    next_income: u64,
}

impl Futures {
    /// No mark price yet.
    pub fn new(margin: MarginAccounts, funding_rate: Decimal) -> Self {
        Self {
            margin,
            funding_rate,
            index: None,
            mark: None,
            paid_through: None,
            fundings: VecDeque::new(),
            income: HashMap::new(),
            next_income: 1,
        }
    }

    /// The next funding time after `now_ms`.
    pub fn next_funding_ms(now_ms: u64) -> u64 {
        (now_ms / FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
    }

    /// Recomputes the index and mark price from the book's best levels and
    /// the last trade price, as of `now_ms`.
    pub fn reprice(
        &mut self,
        best: (Option<Level>, Option<Level>),
        last: Option<Decimal>,
        now_ms: u64,
        tick: &kestrel_model::Increment,
    ) {
        let (Some(bid), Some(ask)) = best else {
            return;
        };
        let mid = Decimal::from_steps(bid.price.ticks().saturating_add(ask.price.ticks()), tick)
            .checked_div(Decimal::from(2));
        let Some(index) = mid else {
            return;
        };
        let left = Self::next_funding_ms(now_ms).saturating_sub(now_ms);
        let price1 = self
            .funding_rate
            .checked_mul_ratio(left, FUNDING_INTERVAL_MS)
            .and_then(|r| r.checked_add(Decimal::from(1)))
            .and_then(|f| f.checked_mul(index));
        let mut three = [price1.unwrap_or(index), index, last.unwrap_or(index)];
        three.sort_unstable();
        self.index = Some(round_dp(index, 8));
        self.mark = Some(round_dp(three[1], 8));
    }

    /// The funding time `now_ms` has reached and not yet paid, if any. The
    /// first call only notes where the market is: a replay that starts
    /// between funding times owes nothing for the time before it.
    pub fn funding_due(&mut self, now_ms: u64) -> Option<u64> {
        let last = now_ms / FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS;
        match self.paid_through {
            None => {
                self.paid_through = Some(last);
                None
            }
            Some(paid) if last > paid => {
                self.paid_through = Some(last);
                Some(last)
            }
            Some(_) => None,
        }
    }

    /// Notes a funding event.
    pub fn on_funding(&mut self, record: FundingRecord) {
        if self.fundings.len() == FUNDING_KEPT {
            self.fundings.pop_front();
        }
        self.fundings.push_back(record);
    }

    /// Funding events, oldest first.
    pub fn fundings(&self) -> impl Iterator<Item = &FundingRecord> {
        self.fundings.iter()
    }

    /// Adds to an account's income history (zero amounts are skipped).
    pub fn on_income(
        &mut self,
        account: AccountId,
        kind: IncomeKind,
        amount: Decimal,
        time_ms: u64,
        trade_id: Option<u64>,
    ) {
        if amount == Decimal::ZERO {
            return;
        }
        let list = self.income.entry(account).or_default();
        if list.len() == INCOME_KEPT {
            list.pop_front();
        }
        list.push_back(Income {
            kind,
            amount,
            time_ms,
            trade_id,
            id: self.next_income,
        });
        self.next_income += 1;
    }

    /// An account's income, oldest first.
    pub fn income(&self, account: AccountId) -> Vec<Income> {
        self.income
            .get(&account)
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// `d` rounded half to even at `scale` decimals.
pub fn round_dp(d: Decimal, scale: u8) -> Decimal {
    let (mantissa, s) = d.to_parts();
    if s <= scale {
        return d;
    }
    let div = 10i128.pow(u32::from(s - scale));
    let (q, r) = (mantissa / div, mantissa % div);
    let twice = r.abs() * 2;
    let q = if twice > div || (twice == div && q % 2 != 0) {
        q + mantissa.signum()
    } else {
        q
    };
    Decimal::from_parts(q, scale).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kestrel_model::{Increment, Price, Qty};

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(round_dp(d("1.234565"), 5), d("1.23456"));
        assert_eq!(round_dp(d("1.234575"), 5), d("1.23458"));
        assert_eq!(round_dp(d("-1.234576"), 5), d("-1.23458"));
        assert_eq!(round_dp(d("1.2"), 5), d("1.2"));
    }

    /// Bid 60 000.0, ask 60 000.2: index 60 000.1. Two hours before
    /// funding, price1 = 60 000.1 × (1 + 0.0001 × 2/8) = 60 001.6000025.
    /// A last trade at 60 000 gives the median the index; one at 60 001
    /// lies between the two and is the mark; one at 60 100 leaves price1.
    #[test]
    fn the_mark_is_binances_median() {
        let tick = Increment::parse("0.1").unwrap();
        let level = |p: &str| Level {
            price: Price::parse(p, &tick).unwrap(),
            qty: Qty::from_lots(1),
        };
        let mut f = Futures::new(MarginAccounts::new(), d("0.0001"));
        let now = 6 * 3_600_000;
        let best = (Some(level("60000.0")), Some(level("60000.2")));
        f.reprice(best, Some(d("60000")), now, &tick);
        assert_eq!((f.index, f.mark), (Some(d("60000.1")), Some(d("60000.1"))));
        f.reprice(best, Some(d("60001")), now, &tick);
        assert_eq!(f.mark, Some(d("60001")));
        f.reprice(best, Some(d("60100")), now, &tick);
        assert_eq!(f.mark, Some(d("60001.6000025")));
    }

    /// A replay that starts at 23:54 owes nothing at its start, and pays
    /// once at 00:00.
    #[test]
    fn funding_falls_due_once_per_funding_time() {
        let mut f = Futures::new(MarginAccounts::new(), d("0.0001"));
        let day = 24 * 3_600_000;
        assert_eq!(f.funding_due(day - 360_000), None);
        assert_eq!(f.funding_due(day - 1), None);
        assert_eq!(f.funding_due(day + 5), Some(day));
        assert_eq!(f.funding_due(day + 6), None);
        assert_eq!(Futures::next_funding_ms(day + 6), day + FUNDING_INTERVAL_MS);
    }
}
