//! Margin accounts for linear perpetual contracts, by Binance USDⓈ-M's
//! documented rules, one-way position mode:
//!
//! * **Wallet**: deposits, plus realised profit, less fees and funding.
//! * **Initial margin**: a position's notional at the mark price ÷ leverage
//!   (cross), or the margin put in when it opened (isolated); an open
//!   order's, the part of it that would open a position, at its price ÷
//!   leverage.
//! * **Maintenance margin**: notional × the tier's rate − the tier's amount
//!   ([`Brackets`]).
//! * **Available balance**: cross wallet + cross unrealised profit − cross
//!   position margin − open-order margin. An order needs its margin plus
//!   its open loss (what it would lose at once at the mark price) from it.
//! * **Liquidation**: when a position's margin balance (isolated) or the
//!   cross margin balance falls to its maintenance margin at the mark
//!   price. The position is closed at the mark price and its maintenance
//!   margin, at most what it has left, is the clearance fee.
//! * **Funding**: each funding time a position pays `qty × mark × rate`
//!   (a long pays a positive rate, a short receives it).
//!
//! Quantities are in base units (a linear contract's quantity × its
//! multiplier), values in the settlement asset.

mod brackets;
mod liquidation;
mod position;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use kestrel_model::{ContractKind, Decimal, Instrument, InstrumentId, Qty, Side};

pub use brackets::{Bracket, BracketError, BracketView, Brackets};
pub use position::{FillEffect, MarginType, Position};

use crate::order::AccountId;
use position::abs;

/// Binance's leverage for a symbol never set.
pub const DEFAULT_LEVERAGE: u32 = 20;

/// Why a margin action was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarginError {
    /// Not a linear contract served here.
    #[error("not a linear contract of this venue")]
    UnknownInstrument,
    /// The available balance does not cover the order.
    #[error("margin is insufficient")]
    Insufficient,
    /// Above the contract's highest leverage.
    #[error("leverage above {max}")]
    LeverageTooHigh {
        /// The highest allowed.
        max: u32,
    },
    /// The position (with the order) would pass the leverage's cap.
    #[error("exceeded the maximum allowable position at current leverage")]
    PositionTooLarge,
    /// Asked for the margin type it has.
    #[error("no need to change margin type")]
    SameMarginType,
    /// Margin type cannot change while a position is open.
    #[error("margin type cannot be changed if there exists position")]
    PositionOpen,
    /// An amount left the representable range.
    #[error("amount out of range")]
    Overflow,
}

/// An account's choices for one contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// 1 to the contract's highest.
    pub leverage: u32,
    /// Cross or isolated.
    pub margin_type: MarginType,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            leverage: DEFAULT_LEVERAGE,
            margin_type: MarginType::Cross,
        }
    }
}

/// An open order as margin sees it: side, quantity left, price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// Buy or sell.
    pub side: Side,
    /// Quantity still open, base units.
    pub qty: Decimal,
    /// Limit price (or trigger, or mark for a market order).
    pub price: Decimal,
}

/// A position as of a mark price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionView {
    /// Size, entry and isolated margin.
    pub position: Position,
    /// Leverage and margin type.
    pub settings: Settings,
    /// The mark price it is valued at.
    pub mark: Decimal,
    /// (mark − entry) × qty.
    pub unrealized: Decimal,
    /// |qty| × mark.
    pub notional: Decimal,
    /// Cross: notional ÷ leverage; isolated: the margin put in.
    pub initial_margin: Decimal,
    /// By the tier of the notional.
    pub maintenance: Decimal,
    /// Where the margin balance meets maintenance; `None` if no price does.
    pub liquidation: Option<Decimal>,
    /// The largest notional the leverage allows.
    pub max_notional: Decimal,
}

/// An account's totals as of the mark prices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountView {
    /// Deposits and everything realised.
    pub wallet: Decimal,
    /// The wallet less isolated margin.
    pub cross_wallet: Decimal,
    /// Unrealised profit of every position.
    pub unrealized: Decimal,
    /// Unrealised profit of cross positions.
    pub cross_unrealized: Decimal,
    /// Initial margin of positions.
    pub position_margin: Decimal,
    /// Initial margin of open orders.
    pub order_margin: Decimal,
    /// Maintenance margin of positions.
    pub maintenance: Decimal,
    /// What a new order may use.
    pub available: Decimal,
}

/// A position closed by liquidation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liquidation {
    /// Whose.
    pub account: AccountId,
    /// The side of the closing trade.
    pub side: Side,
    /// Closed, base units.
    pub qty: Decimal,
    /// At the mark price.
    pub price: Decimal,
    /// Profit realised (a loss, as a rule).
    pub realized: Decimal,
    /// Clearance fee charged.
    pub fee: Decimal,
}

#[derive(Clone, Debug, Default)]
struct Account {
    wallet: Decimal,
    positions: BTreeMap<InstrumentId, Position>,
    settings: BTreeMap<InstrumentId, Settings>,
}

impl Account {
    fn isolated(&self) -> Decimal {
        self.positions
            .values()
            .fold(Decimal::ZERO, |s, p| s.checked_add(p.isolated).unwrap_or(s))
    }
}

/// Every account's wallet, positions and settings, over the contracts
/// registered with their brackets.
#[derive(Clone, Debug, Default)]
pub struct MarginAccounts {
    contracts: BTreeMap<InstrumentId, Brackets>,
    accounts: BTreeMap<AccountId, Account>,
}

fn sum(values: impl IntoIterator<Item = Option<Decimal>>) -> Option<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |s, v| s.checked_add(v?))
}

/// `qty` of `instrument` in base units: quantity × multiplier.
pub fn base_qty(instrument: &Instrument, qty: Qty) -> Option<Decimal> {
    instrument
        .qty_decimal(qty)?
        .checked_mul(instrument.contract.multiplier)
}

impl MarginAccounts {
    /// No contracts, no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `instrument`, a linear contract, with its leverage tiers.
    pub fn add_contract(
        &mut self,
        instrument: &Instrument,
        brackets: Brackets,
    ) -> Result<(), MarginError> {
        if instrument.contract.kind != ContractKind::Linear {
            return Err(MarginError::UnknownInstrument);
        }
        self.contracts.insert(instrument.id, brackets);
        Ok(())
    }

    /// Whether `instrument` is margined here.
    pub fn serves(&self, instrument: InstrumentId) -> bool {
        self.contracts.contains_key(&instrument)
    }

    /// A contract's tiers.
    pub fn brackets(&self, instrument: InstrumentId) -> Option<&Brackets> {
        self.contracts.get(&instrument)
    }

    /// Adds to the wallet.
    pub fn deposit(&mut self, account: AccountId, amount: Decimal) -> Result<(), MarginError> {
        let a = self.accounts.entry(account).or_default();
        a.wallet = a.wallet.checked_add(amount).ok_or(MarginError::Overflow)?;
        Ok(())
    }

    /// Whether the account was ever funded.
    pub fn has_account(&self, account: AccountId) -> bool {
        self.accounts.contains_key(&account)
    }

    /// The wallet balance.
    pub fn wallet(&self, account: AccountId) -> Decimal {
        self.accounts
            .get(&account)
            .map_or(Decimal::ZERO, |a| a.wallet)
    }

    /// The position (flat if none).
    pub fn position(&self, account: AccountId, instrument: InstrumentId) -> Position {
        self.accounts
            .get(&account)
            .and_then(|a| a.positions.get(&instrument))
            .copied()
            .unwrap_or_default()
    }

    /// Leverage and margin type (Binance's defaults if never set).
    pub fn settings(&self, account: AccountId, instrument: InstrumentId) -> Settings {
        self.accounts
            .get(&account)
            .and_then(|a| a.settings.get(&instrument))
            .copied()
            .unwrap_or_default()
    }

    /// Sets the leverage; refused above the contract's highest, or when the
    /// position already passes what the new leverage allows. The largest
    /// notional it allows.
    pub fn set_leverage(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        leverage: u32,
        mark: Decimal,
    ) -> Result<Decimal, MarginError> {
        let brackets = self
            .contracts
            .get(&instrument)
            .ok_or(MarginError::UnknownInstrument)?;
        let max = brackets.max_leverage();
        if leverage == 0 || leverage > max {
            return Err(MarginError::LeverageTooHigh { max });
        }
        let cap = brackets.max_notional(leverage);
        let held = self.position(account, instrument).notional(mark);
        if held.ok_or(MarginError::Overflow)? > cap {
            return Err(MarginError::PositionTooLarge);
        }
        let a = self.accounts.entry(account).or_default();
        a.settings.entry(instrument).or_default().leverage = leverage;
        Ok(cap)
    }

    /// Sets the margin type, with no position open.
    pub fn set_margin_type(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        margin_type: MarginType,
    ) -> Result<(), MarginError> {
        if !self.contracts.contains_key(&instrument) {
            return Err(MarginError::UnknownInstrument);
        }
        if self.settings(account, instrument).margin_type == margin_type {
            return Err(MarginError::SameMarginType);
        }
        if !self.position(account, instrument).is_flat() {
            return Err(MarginError::PositionOpen);
        }
        let a = self.accounts.entry(account).or_default();
        a.settings.entry(instrument).or_default().margin_type = margin_type;
        Ok(())
    }

    /// Books a fill: the position moves, the wallet takes the profit it
    /// realised less `fee`.
    pub fn on_fill(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        side: Side,
        price: Decimal,
        qty: Decimal,
        fee: Decimal,
    ) -> Result<FillEffect, MarginError> {
        let settings = self.settings(account, instrument);
        let isolated = (settings.margin_type == MarginType::Isolated).then_some(settings.leverage);
        let a = self.accounts.entry(account).or_default();
        let p = a.positions.entry(instrument).or_default();
        let effect = p
            .fill(side, price, qty, isolated)
            .ok_or(MarginError::Overflow)?;
        a.wallet = a
            .wallet
            .checked_add(effect.realized)
            .and_then(|w| w.checked_sub(fee))
            .ok_or(MarginError::Overflow)?;
        Ok(effect)
    }

    /// The position's figures at `mark`.
    pub fn position_view(
        &self,
        account: AccountId,
        instrument: InstrumentId,
        mark: Decimal,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
    ) -> Option<PositionView> {
        let brackets = self.contracts.get(&instrument)?;
        let position = self.position(account, instrument);
        let settings = self.settings(account, instrument);
        let unrealized = position.unrealized(mark)?;
        let notional = position.notional(mark)?;
        let leverage = Decimal::from(i64::from(settings.leverage));
        let initial_margin = match settings.margin_type {
            MarginType::Cross => notional.checked_div(leverage)?,
            MarginType::Isolated => position.isolated,
        };
        let tier = brackets.at(notional);
        let maintenance = brackets.maintenance(notional)?;
        // What the position may lose: its own margin, or the cross margin
        // balance left by every other cross position.
        let balance = match settings.margin_type {
            MarginType::Isolated => position.isolated,
            MarginType::Cross => {
                let a = self.accounts.get(&account)?;
                let others = a
                    .positions
                    .iter()
                    .filter(|(i, p)| **i != instrument && !p.is_flat())
                    .filter(|(i, _)| self.settings(account, **i).margin_type == MarginType::Cross)
                    .map(|(i, p)| {
                        let m = marks(*i)?;
                        let mm = self.contracts.get(i)?.maintenance(p.notional(m)?)?;
                        p.unrealized(m)?.checked_sub(mm)
                    });
                a.wallet
                    .checked_sub(a.isolated())?
                    .checked_add(sum(others)?)?
            }
        };
        let liquidation =
            liquidation::liquidation_price(&position, balance, tier.bracket.maint_rate, tier.cum);
        Some(PositionView {
            position,
            settings,
            mark,
            unrealized,
            notional,
            initial_margin,
            maintenance,
            liquidation,
            max_notional: brackets.max_notional(settings.leverage),
        })
    }

    /// The account's totals, with `orders` its open orders per contract.
    pub fn account_view(
        &self,
        account: AccountId,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
        orders: &dyn Fn(InstrumentId) -> Vec<OpenOrder>,
    ) -> Option<AccountView> {
        let a = self.accounts.get(&account)?;
        let mut v = AccountView {
            wallet: a.wallet,
            cross_wallet: a.wallet.checked_sub(a.isolated())?,
            ..AccountView::default()
        };
        for &instrument in self.contracts.keys() {
            let mark = marks(instrument)?;
            let p = self.position_view(account, instrument, mark, marks)?;
            v.unrealized = v.unrealized.checked_add(p.unrealized)?;
            v.position_margin = v.position_margin.checked_add(p.initial_margin)?;
            v.maintenance = v.maintenance.checked_add(p.maintenance)?;
            if p.settings.margin_type == MarginType::Cross {
                v.cross_unrealized = v.cross_unrealized.checked_add(p.unrealized)?;
            }
            let open = orders(instrument);
            v.order_margin = v.order_margin.checked_add(order_margin(
                &p.position,
                p.settings.leverage,
                &open,
            )?)?;
        }
        let cross_margin = v.position_margin.checked_sub(sum(self
            .contracts
            .keys()
            .map(|i| Some(self.position(account, *i).isolated)))?)?;
        let available = v
            .cross_wallet
            .checked_add(v.cross_unrealized)?
            .checked_sub(cross_margin)?
            .checked_sub(v.order_margin)?;
        v.available = available.max(Decimal::ZERO);
        Some(v)
    }

    /// Whether the account may place a `side` order of `qty` at `price`
    /// (a market order: the mark price), beside its `open` orders.
    pub fn check_order(
        &self,
        account: AccountId,
        instrument: InstrumentId,
        order: OpenOrder,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
        orders: &dyn Fn(InstrumentId) -> Vec<OpenOrder>,
    ) -> Result<(), MarginError> {
        let brackets = self
            .contracts
            .get(&instrument)
            .ok_or(MarginError::UnknownInstrument)?;
        let mark = marks(instrument).ok_or(MarginError::UnknownInstrument)?;
        let position = self.position(account, instrument);
        let settings = self.settings(account, instrument);
        let opening = position.opening_part(order.side, order.qty);
        if opening == Decimal::ZERO {
            // Only reduces: no margin needed.
            return Ok(());
        }
        let after = abs(position.qty)
            .checked_add(opening)
            .and_then(|q| q.checked_mul(order.price))
            .ok_or(MarginError::Overflow)?;
        if after > brackets.max_notional(settings.leverage) {
            return Err(MarginError::PositionTooLarge);
        }
        let cost = (|| {
            let margin = opening
                .checked_mul(order.price)?
                .checked_div(Decimal::from(i64::from(settings.leverage)))?;
            // A buy above the mark (a sell below) loses the gap at once.
            let gap = match order.side {
                Side::Buy => order.price.checked_sub(mark)?,
                Side::Sell => mark.checked_sub(order.price)?,
            };
            let open_loss = opening.checked_mul(gap.max(Decimal::ZERO))?;
            margin.checked_add(open_loss)
        })()
        .ok_or(MarginError::Overflow)?;
        let view = self
            .account_view(account, marks, orders)
            .ok_or(MarginError::Insufficient)?;
        if cost > view.available {
            return Err(MarginError::Insufficient);
        }
        Ok(())
    }

    /// Pays funding on `instrument` at `mark` and `rate`: what each account
    /// paid (negative: received).
    pub fn fund(
        &mut self,
        instrument: InstrumentId,
        mark: Decimal,
        rate: Decimal,
    ) -> Vec<(AccountId, Decimal)> {
        let mut paid = Vec::new();
        for (id, a) in &mut self.accounts {
            let Some(p) = a.positions.get_mut(&instrument).filter(|p| !p.is_flat()) else {
                continue;
            };
            let Some(fee) = p.qty.checked_mul(mark).and_then(|n| n.checked_mul(rate)) else {
                continue;
            };
            // At most 18 decimals, as every figure the venue shows.
            let fee = fee.checked_div(Decimal::from(1)).unwrap_or(fee);
            if let Some(w) = a.wallet.checked_sub(fee) {
                a.wallet = w;
            }
            if p.isolated != Decimal::ZERO {
                p.isolated = p.isolated.checked_sub(fee).unwrap_or(p.isolated);
            }
            paid.push((*id, fee));
        }
        paid
    }
}

/// The margin open orders need: on each side, the part that would open a
/// position (beyond closing the current one), at the orders' average
/// price, ÷ leverage.
fn order_margin(position: &Position, leverage: u32, open: &[OpenOrder]) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for side in [Side::Buy, Side::Sell] {
        let (mut qty, mut notional) = (Decimal::ZERO, Decimal::ZERO);
        for o in open.iter().filter(|o| o.side == side) {
            qty = qty.checked_add(o.qty)?;
            notional = notional.checked_add(o.qty.checked_mul(o.price)?)?;
        }
        if qty == Decimal::ZERO {
            continue;
        }
        let opening = position.opening_part(side, qty);
        let margin = notional
            .checked_mul(opening)?
            .checked_div(qty.checked_mul(Decimal::from(i64::from(leverage)))?)?;
        total = total.checked_add(margin)?;
    }
    Some(total)
}
