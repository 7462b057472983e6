//! The portfolio across the kernel's markets: exposure in the kernel's
//! currency, and what the fills did to each venue account's balances.

use kestrel_analytics::{AccountBalances, AssetBalance, Portfolio};
use kestrel_model::{ContractKind, Decimal, InstrumentIndex, Qty};

use super::state::{Core, Market, in_currency, mark_price};

impl Core {
    /// Gross and net exposure in the kernel's currency: each market's open
    /// position at its mark, valued in its settlement asset (face value
    /// over price for an inverse contract) and converted.
    pub fn exposures(&self, markets: &[Market]) -> (Decimal, Decimal) {
        let (mut gross, mut net) = (Decimal::ZERO, Decimal::ZERO);
        for (i, market) in markets.iter().enumerate() {
            let lots = self.net_lots(InstrumentIndex(i as u16));
            let value = mark_price(&market.book)
                .and_then(|m| {
                    market
                        .instrument
                        .settle_value(m, Qty::from_lots(lots.unsigned_abs()))
                })
                .map(|v| in_currency(markets, market, v))
                .unwrap_or(Decimal::ZERO);
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
            let mark = mark_price(&market.book);
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
