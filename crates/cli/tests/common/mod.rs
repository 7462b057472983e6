//! What the live-session tests share: the simulator in its own process,
//! session files written from `configs/paper.toml`, and `kestrel live`
//! runs with their logs.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kestrel_binance::{BinanceConfig, BinanceExecution};
use kestrel_engine::OrderIntent;
use kestrel_engine::entry::{self, Entry};
use kestrel_journal::JournalReader;
use kestrel_model::{Decimal, ExecKind, Side};
use kestrel_venue::{Credentials, ExecutionClient};

pub mod rewrite;

pub const KEY: &str = "crash-key";
pub const SECRET: &str = "crash-secret";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A seeded xorshift: the same kill moments every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The simulator, in its own process; killed when dropped.
pub struct Sim {
    pub child: Child,
    pub port: u16,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_sim(faults: Option<&Path>) -> Sim {
    start_sim_at("3", faults)
}

/// The control token the tests' simulators require.
pub const SIM_CONTROL: &str = "kestrel-test-control";

/// The simulator replaying at `speed` times the recorded pace.
pub fn start_sim_at(speed: &str, faults: Option<&Path>) -> Sim {
    let mut args = vec![
        "sim",
        "serve",
        "--port",
        "0",
        "--clock",
        "speed",
        "--speed",
        speed,
        "--api-key",
        KEY,
        "--api-secret",
        SECRET,
        // Fifty restarts in about 90 s spend some 7,000 weight a minute,
        // more than Binance's 6,000: a real venue would ban the storm for
        // two minutes, and the final run would wait it out. Rate limits
        // are the venue tests' and the 429 faults' business, not this one.
        "--weight-per-minute",
        "60000",
        "--control-token",
        SIM_CONTROL,
        // Restarts resend and reprice in bursts; Binance's 100 orders in
        // 10 s are the venue tests' business, not this one's.
        "--orders-per-10s",
        "100000",
    ];
    let faults = faults.map(|f| f.to_string_lossy().into_owned());
    if let Some(f) = &faults {
        args.extend(["--faults", f.as_str()]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(&args)
        .current_dir(repo())
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Sim { child, port }
}

pub fn live_config(dir: &Path, port: u16, unknown_orders: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("configs/paper.toml")).unwrap();
    let text = edit(&text, "127.0.0.1:8765", &format!("127.0.0.1:{port}"));
    let text = edit(
        &text,
        "journal = \"journal/paper\"",
        &format!("journal = {:?}", dir.join("journal")),
    );
    // Snapshots often, so restarts recover from them.
    let text = edit(&text, "snapshot_every = 50000", "snapshot_every = 300");
    let text = edit(
        &text,
        "unknown_orders = \"cancel\"",
        &format!("unknown_orders = {unknown_orders:?}"),
    );
    let path = dir.join("live.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `text` with `from` replaced by `to`; fails the test if `from` is not
/// there, so a config edit never silently does nothing.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the config has no {from:?} to edit");
    text.replace(from, to)
}

pub fn live(config: &Path, log: &Path, seconds: Option<u64>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kestrel"));
    cmd.args(["live", "--config"]).arg(config);
    if let Some(s) = seconds {
        cmd.args(["--seconds", &s.to_string()]);
    }
    cmd.current_dir(repo())
        .env("KESTREL_API_KEY", KEY)
        .env("KESTREL_API_SECRET", SECRET)
        .env("RUST_BACKTRACE", "0")
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .unwrap()
}

pub fn show(log: &Path) -> String {
    format!(
        "{}{}",
        std::fs::read_to_string(log).unwrap_or_default(),
        std::fs::read_to_string(log.with_extension("err")).unwrap_or_default()
    )
}

/// Runs `kestrel` with `args` to the end, at most `limit`; fails the
/// test if it runs longer. Its output is read as it comes, so a chatty
/// command never stalls on a full pipe.
pub fn kestrel(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .current_dir(repo())
        .env("RUST_BACKTRACE", "0")
        .env("KESTREL_API_KEY", KEY)
        .env("KESTREL_API_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    wait_at_most(&mut child, limit, &format!("kestrel {}", args.join(" ")));
    Output {
        status: child.wait().unwrap(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Waits for `child` to exit, killing it and failing the test past `limit`.
pub fn wait_at_most(child: &mut Child, limit: Duration, what: &str) {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} ran past its {limit:?} deadline");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stdout and stderr of a finished command, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What the journal says happened.
#[derive(Default)]
pub struct Journaled {
    /// Trade id → (side, price ticks, lots, fee).
    pub fills: BTreeMap<u64, (Side, i64, u64, Decimal)>,
    pub duplicate_fills: Vec<u64>,
    /// Client ids the session submitted, adopted or had reports on.
    pub orders: BTreeSet<String>,
    /// Venue orders a restart found that the journal lacked.
    pub adopted: u64,
    /// Reading stopped at a bad record (a session still writing, or a
    /// crash).
    pub torn: bool,
}

pub fn read_journal(dir: &Path) -> Journaled {
    let header = kestrel_engine::replay::read_header(dir).unwrap();
    let mut reader = JournalReader::open(dir, 0).unwrap();
    let mut out = Journaled::default();
    while let Some(record) = reader.next_record().unwrap() {
        match entry::decode(record.kind, record.payload, &header.ids()).unwrap() {
            Entry::Report { report, .. } => {
                // An order a crash cut from the journal before its intent
                // was written is rebuilt by replay and reconciled at the
                // restart; its reports are journaled from there.
                out.orders.insert(report.client_id.as_str().to_owned());
                if let ExecKind::Trade(f) = report.kind {
                    let fill = (report.side, f.price.ticks(), f.qty.lots(), f.fee);
                    if out.fills.insert(f.trade_id, fill).is_some() {
                        out.duplicate_fills.push(f.trade_id);
                    }
                }
            }
            Entry::Intent {
                intent: OrderIntent::Submit(order),
                ..
            } => {
                out.orders.insert(order.id.as_str().to_owned());
            }
            Entry::Adopt { order, .. } => {
                out.adopted += 1;
                out.orders.insert(order.id.as_str().to_owned());
            }
            _ => {}
        }
    }
    out.torn = reader.tail().is_some();
    out
}

/// A client of the simulator's account, its clock synced.
pub fn venue_client(runtime: &tokio::runtime::Runtime, port: u16) -> BinanceExecution {
    let venue = BinanceExecution::new(
        BinanceConfig::simulator(port),
        Credentials::new(KEY, SECRET),
        kestrel_registry::testing::spot_btcusdt(),
    )
    .unwrap();
    // Faults may be on: the clock sync rides them out as a session does.
    runtime
        .block_on(kestrel_live::patiently(|| venue.sync_clock()))
        .unwrap();
    venue
}

/// Checks the journal against the venue, which opened the account with
/// 1 BTC and 100,000 USDT: no fill lost, none twice, none invented; no
/// client order id sent twice; every order the venue saw known to the
/// journal (unless `every_order`is false); none left open; the balances
/// moved by exactly the journal's fills. The number of orders the venue
/// saw.
pub fn venue_agrees(
    runtime: &tokio::runtime::Runtime,
    venue: &BinanceExecution,
    journal: &Journaled,
    every_order: bool,
) -> usize {
    assert!(
        journal.duplicate_fills.is_empty(),
        "fills journaled twice: {:?}",
        journal.duplicate_fills
    );
    let venue_fills = runtime.block_on(venue.fills(0)).unwrap();
    let venue_ids: BTreeSet<u64> = venue_fills.iter().map(|f| f.trade_id).collect();
    let journal_ids: BTreeSet<u64> = journal.fills.keys().copied().collect();
    assert_eq!(
        venue_ids.difference(&journal_ids).collect::<Vec<_>>(),
        Vec::<&u64>::new(),
        "fills the venue made that the journal lost"
    );
    assert_eq!(
        journal_ids.difference(&venue_ids).collect::<Vec<_>>(),
        Vec::<&u64>::new(),
        "fills the journal has that the venue never made"
    );
    let all = runtime.block_on(venue.all_orders()).unwrap();
    let mut seen = BTreeSet::new();
    for o in &all {
        let id = o.client_id.as_str().to_owned();
        assert!(
            !every_order || journal.orders.contains(&id),
            "an order unknown to the journal: {o:?}"
        );
        assert!(seen.insert(id), "a client order id sent twice: {o:?}");
    }
    assert!(runtime.block_on(venue.open_orders()).unwrap().is_empty());

    // Balances moved by exactly what the journaled fills say.
    let instrument = venue.instrument().clone();
    let (mut base, mut quote) = (Decimal::ZERO, Decimal::ZERO);
    for (side, ticks, lots, fee) in journal.fills.values() {
        let qty = Decimal::from_steps(i64::try_from(*lots).unwrap(), &instrument.lot);
        let notional = Decimal::from_steps(*ticks, &instrument.tick)
            .checked_mul(qty)
            .unwrap();
        let (b, q) = match side {
            Side::Buy => (qty, Decimal::ZERO.checked_sub(notional).unwrap()),
            Side::Sell => (Decimal::ZERO.checked_sub(qty).unwrap(), notional),
        };
        base = base.checked_add(b).unwrap();
        quote = quote.checked_add(q).unwrap().checked_sub(*fee).unwrap();
    }
    let balances = runtime.block_on(venue.balances()).unwrap();
    let total = |asset: &str| {
        let b = balances.iter().find(|b| b.asset.as_str() == asset).unwrap();
        b.free.checked_add(b.locked).unwrap()
    };
    assert_eq!(total("BTC").checked_sub(Decimal::from(1)).unwrap(), base);
    assert_eq!(
        total("USDT").checked_sub(Decimal::from(100_000)).unwrap(),
        quote
    );

    all.len()
}
