//! The run's report from the kernel at its end: each leg's figures and the
//! portfolio across the markets (exposure in the kernel's currency, and
//! what the fills did to each venue account's balances).

use kestrel_analytics::{AccountBalances, AssetBalance, Basis, Portfolio, Report, RunSeries};
use kestrel_model::{ContractKind, Decimal, InstrumentIndex, Qty};
use kestrel_strategy::Strategy;

use super::Kernel;
use super::state::{Core, Market, in_currency};

impl<S: Strategy> Kernel<S> {
    /// The run's report, titled `title`, in the kernel's currency and the
    /// first instrument's units (each leg in its own), over `series`: the
    /// points drained from this kernel, folded by [`Self::series_builder`].
    /// A run of several markets carries the portfolio at its end.
    pub fn into_report(mut self, title: &str, mut series: RunSeries) -> Report {
        const YEAR_NS: f64 = 365.0 * 86_400e9;
        // Each leg's closing figures, over every strategy.
        let core = &mut self.core;
        let inventories: Vec<f64> = (0..self.markets.len())
            .map(|i| core.inventory(&self.markets, InstrumentIndex(i as u16)))
            .collect();
        let markets = &self.markets;
        for (i, leg) in series.legs.iter_mut().enumerate() {
            let market = &markets[i];
            let mark = market.mark();
            let value = |amount: Decimal| in_currency(markets, market, amount).to_f64();
            for s in &core.strategies {
                let p = &s.positions[i];
                leg.traded += p.traded().to_f64();
                leg.fees += value(p.fees());
                leg.realised += value(p.realised_net());
                leg.unrealised += mark.map_or(0.0, |m| value(p.unrealised(m)));
            }
            leg.position = inventories[i];
        }
        let interval = self.core.recorder.interval_ns() as f64;
        let basis = Basis {
            currency: self.core.currency.to_string(),
            qty_unit: self.markets[0].instrument.qty_unit(),
            sample_seconds: interval / 1e9,
            periods_per_year: YEAR_NS / interval,
        };
        let portfolio = (self.markets.len() > 1).then(|| self.core.portfolio(&self.markets));
        let (trades, activity) = self.core.recorder.finish();
        let mut report = Report::new(title, series, trades, activity, basis);
        report.portfolio = portfolio;
        report
    }
}

impl Core {
    /// Gross and net exposure in the kernel's currency: each market's open
    /// position at its mark, valued in its settlement asset (face value
    /// over price for an inverse contract) and converted.
    pub fn exposures(&self, markets: &[Market]) -> (Decimal, Decimal) {
        let (mut gross, mut net) = (Decimal::ZERO, Decimal::ZERO);
        for (market, lots, mark) in self.marked_positions(markets) {
            let value = market
                .instrument
                .settle_value(mark, Qty::from_lots(lots.unsigned_abs()))
                .map_or(Decimal::ZERO, |v| in_currency(markets, market, v));
            gross = gross.checked_add(value).unwrap_or(gross);
            let signed = if lots < 0 {
                value.checked_neg().unwrap_or(value)
            } else {
                value
            };
            net = net.checked_add(signed).unwrap_or(net);
        }
        (gross, net)
    }

    /// The portfolio: exposure, and each venue account's assets as the
    /// fills of every strategy moved them (spot: base and quote; a
    /// derivative: its margin, by realised PnL less fees, with the open
    /// PnL beside it).
    pub fn portfolio(&self, markets: &[Market]) -> Portfolio {
        let mut accounts: Vec<AccountBalances> = Vec::new();
        for (i, market) in markets.iter().enumerate() {
            let instrument = &market.instrument;
            let mark = market.mark();
            let venue = instrument.id.venue.to_string();
            let n = match accounts.iter().position(|a| a.venue == venue) {
                Some(n) => n,
                None => {
                    accounts.push(AccountBalances {
                        venue,
                        assets: Vec::new(),
                    });
                    accounts.len() - 1
                }
            };
            let account = &mut accounts[n];
            for s in &self.strategies {
                let p = &s.positions[i];
                if instrument.contract.kind == ContractKind::Spot {
                    add(account, instrument.base.as_str(), p.base_flow(), 0.0);
                    add(account, instrument.quote.as_str(), p.quote_flow(), 0.0);
                } else {
                    let open = mark.map_or(0.0, |m| p.unrealised(m).to_f64());
                    let settle = instrument.contract.settle;
                    add(account, settle.as_str(), p.realised_net(), open);
                }
            }
        }
        let (gross, net) = self.exposures(markets);
        Portfolio {
            gross_exposure: gross.to_f64(),
            net_exposure: net.to_f64(),
            accounts,
        }
    }
}

/// Adds `moved` and `open` to `asset` of `account`.
fn add(account: &mut AccountBalances, asset: &str, moved: Decimal, open: f64) {
    let entry = match account.assets.iter().position(|a| a.asset == asset) {
        Some(n) => &mut account.assets[n],
        None => {
            account.assets.push(AssetBalance {
                asset: asset.to_owned(),
                ..AssetBalance::default()
            });
            let last = account.assets.len() - 1;
            &mut account.assets[last]
        }
    };
    entry.moved += moved.to_f64();
    entry.open += open;
}
