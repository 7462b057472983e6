//! `kestrel instruments`: fetch a venue's instrument listing into a
//! catalogue file, and list or show what a catalogue holds. Every command
//! that trades or replays reads the same catalogue (`--catalogue`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use kestrel_instruments::Catalogue;
use kestrel_instruments::file::{CatalogueFile, Source};
use kestrel_model::{ContractKind, Decimal, Instrument, InstrumentStatus, Venue};
use kestrel_registry::Endpoint;

/// The catalogue files to read on top of the bundled one.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CatalogueArgs {
    /// Catalogue file(s) (from `kestrel instruments fetch`), read over the
    /// bundled offline catalogue; their listings win.
    #[arg(long = "catalogue", env = "KESTREL_CATALOGUE", value_delimiter = ',')]
    pub files: Vec<PathBuf>,
}

impl CatalogueArgs {
    /// The bundled catalogue with the given files over it.
    pub fn load(&self) -> anyhow::Result<Catalogue> {
        let mut catalogue = kestrel_registry::bundled()
            .map_err(anyhow::Error::msg)?
            .clone();
        for path in &self.files {
            let file = CatalogueFile::load(path)?;
            catalogue.extend(file.catalogue.iter().cloned());
        }
        Ok(catalogue)
    }
}

/// Options of `kestrel instruments`.
#[derive(clap::Args)]
pub struct InstrumentsArgs {
    #[command(subcommand)]
    command: InstrumentsCommand,
}

#[derive(clap::Subcommand)]
enum InstrumentsCommand {
    /// Read a venue's instrument endpoint and write a catalogue file
    /// (merged into FILE if it exists), pacing requests and waiting out
    /// rate limits as the venue asks.
    Fetch {
        /// binance_spot, binance_usdm, binance_coinm, okx, bybit_spot,
        /// bybit_linear or bybit_inverse.
        #[arg(long)]
        venue: Venue,
        /// Catalogue file to write; without it the catalogue goes to stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The API's base URL, for a simulator or a proxy.
        #[arg(long)]
        base_url: Option<String>,
        /// Your maker fee rate (e.g. 0.0002), instead of the venue's
        /// regular tier.
        #[arg(long, requires = "taker_fee")]
        maker_fee: Option<Decimal>,
        /// Your taker fee rate, instead of the venue's regular tier.
        #[arg(long, requires = "maker_fee")]
        taker_fee: Option<Decimal>,
    },
    /// One line per instrument.
    List {
        #[command(flatten)]
        catalogue: CatalogueArgs,
        /// Only this venue's.
        #[arg(long)]
        venue: Option<Venue>,
        /// Only spot, linear or inverse.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Every field of one instrument: `VENUE:NATIVE` or `CANONICAL@VENUE`.
    Show {
        /// E.g. binance_usdm:BTCUSDT or BTC/USDT:USDT@BINANCE_USDM.
        name: String,
        #[command(flatten)]
        catalogue: CatalogueArgs,
    },
}

pub fn run(args: &InstrumentsArgs) -> anyhow::Result<()> {
    match &args.command {
        InstrumentsCommand::Fetch {
            venue,
            output,
            base_url,
            maker_fee,
            taker_fee,
        } => {
            let fees = maker_fee.zip(*taker_fee);
            fetch(*venue, output.as_deref(), base_url.as_deref(), fees)
        }
        InstrumentsCommand::List {
            catalogue,
            venue,
            kind,
        } => list(&catalogue.load()?, *venue, kind.as_deref()),
        InstrumentsCommand::Show { name, catalogue } => {
            show(catalogue.load()?.resolve(name)?);
            Ok(())
        }
    }
}

fn fetch(
    venue: Venue,
    output: Option<&Path>,
    base_url: Option<&str>,
    fees: Option<(Decimal, Decimal)>,
) -> anyhow::Result<()> {
    let Some(endpoint) = Endpoint::for_venue(venue) else {
        bail!("{venue} has no instrument endpoint Kestrel reads");
    };
    let base_url = base_url
        .unwrap_or(endpoint.base_url())
        .trim_end_matches('/');
    kestrel_net::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fetched = runtime
        .block_on(kestrel_registry::fetch::fetch(endpoint, base_url))
        .with_context(|| format!("fetching {endpoint} from {base_url}"))?;
    let table = kestrel_registry::bundled_fee_schedule();
    let mut listed = fetched.parsed.instruments;
    for instrument in &mut listed {
        match fees {
            Some((maker, taker)) => (instrument.maker_fee, instrument.taker_fee) = (maker, taker),
            None => {
                table.apply(instrument);
            }
        }
    }
    let count = listed.len();
    let mut file = match output {
        Some(path) if path.exists() => CatalogueFile::load(path)?,
        _ => CatalogueFile::default(),
    };
    let fetched_at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    file.sources.retain(|s| s.endpoint != endpoint.to_string());
    file.sources.push(Source {
        endpoint: endpoint.to_string(),
        url: fetched.urls.join(" "),
        fetched_at_ms,
    });
    file.catalogue.extend(listed);
    eprintln!(
        "{endpoint}: {count} instruments in {} requests{}",
        fetched.requests,
        match fees {
            Some(_) => ", your fee rates".to_owned(),
            None =>
                ", the venue's regular-tier fees (override with --maker-fee/--taker-fee)".to_owned(),
        }
    );
    for skipped in &fetched.parsed.skipped {
        eprintln!("  left out {}: {}", skipped.symbol, skipped.reason);
    }
    match output {
        Some(path) => {
            file.save(path)?;
            eprintln!(
                "wrote {} ({} instruments)",
                path.display(),
                file.catalogue.len()
            );
        }
        None => println!("{}", file.to_json()),
    }
    Ok(())
}

fn list(catalogue: &Catalogue, venue: Option<Venue>, kind: Option<&str>) -> anyhow::Result<()> {
    let kind = match kind {
        None => None,
        Some("spot") => Some(ContractKind::Spot),
        Some("linear") => Some(ContractKind::Linear),
        Some("inverse") => Some(ContractKind::Inverse),
        Some(other) => bail!("--kind {other:?}: spot, linear or inverse"),
    };
    println!(
        "{:<32} {:<16} {:<8} {:>12} {:>12} {:>12} {:>10}  status",
        "instrument", "native", "kind", "tick", "lot", "min qty", "min value"
    );
    for i in catalogue
        .iter()
        .filter(|i| venue.is_none_or(|v| i.id.venue == v))
        .filter(|i| kind.is_none_or(|k| i.contract.kind == k))
    {
        println!(
            "{:<32} {:<16} {:<8} {:>12} {:>12} {:>12} {:>10}  {}",
            i.id.to_string(),
            i.native_symbol.as_str(),
            i.contract.kind.as_str(),
            i.tick.to_string(),
            i.lot.to_string(),
            qty_text(i, i.min_qty),
            i.min_notional.to_string(),
            i.rules.status.as_str()
        );
    }
    Ok(())
}

fn qty_text(i: &Instrument, qty: kestrel_model::Qty) -> String {
    match i.qty_decimal(qty) {
        Some(d) => d.to_string(),
        None => format!("{} lots", qty.lots()),
    }
}

fn show(i: &Instrument) {
    let units = match i.contract.kind {
        ContractKind::Spot => format!("{} (base)", i.base),
        ContractKind::Linear if i.contract.multiplier == Decimal::from(1) => {
            format!("{} (base)", i.base)
        }
        ContractKind::Linear => format!("contracts of {} {}", i.contract.multiplier, i.base),
        ContractKind::Inverse => format!("contracts of {} {}", i.contract.multiplier, i.quote),
    };
    let r = &i.rules;
    let opt = |d: Option<Decimal>| d.map_or("-".to_owned(), |d| d.to_string());
    let opt_qty = |q: Option<kestrel_model::Qty>| q.map_or("-".to_owned(), |q| qty_text(i, q));
    println!("{}", i.id);
    println!("  native symbol   {}", i.native_symbol);
    println!(
        "  kind            {} (settles in {})",
        i.contract.kind.as_str(),
        i.contract.settle
    );
    println!("  quantity unit   {units}");
    if let Some(expiry) = i.contract.expiry {
        println!("  delivers        {} ms", expiry.as_nanos() / 1_000_000);
    }
    println!("  tick            {} {}", i.tick, i.quote);
    println!("  lot             {}", i.lot);
    println!("  min quantity    {}", qty_text(i, i.min_qty));
    println!("  order step      {}", opt_qty(r.order_qty_step));
    println!("  min value       {} {}", i.min_notional, i.quote);
    println!(
        "  fees            maker {} / taker {}",
        i.maker_fee, i.taker_fee
    );
    println!("  status          {}", r.status.as_str());
    println!(
        "  price range     {} .. {}",
        opt(r.min_price),
        opt(r.max_price)
    );
    println!(
        "  max quantity    limit {} / market {}",
        opt_qty(r.max_qty),
        opt_qty(r.max_market_qty)
    );
    println!("  max value       {}", opt(r.max_notional));
    if let Some(b) = r.price_band {
        println!(
            "  price band      buy {}x..{}x, sell {}x..{}x of the reference price",
            b.bid_down, b.bid_up, b.ask_down, b.ask_up
        );
    }
    let count = |n: Option<u32>| n.map_or("-".to_owned(), |n| n.to_string());
    println!(
        "  open orders     {} (conditional {})",
        count(r.max_open_orders),
        count(r.max_algo_orders)
    );
    if r.status != InstrumentStatus::Trading {
        println!("  note            not trading: orders will be refused");
    }
}
