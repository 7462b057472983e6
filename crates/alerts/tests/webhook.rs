//! The alert engine to a local webhook receiver: each crossing fires once,
//! every request is signed over its timestamp and body, a 500 is retried,
//! and a receiver that hangs ends in a dead letter, never a lost alert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kestrel_alerts::{AlertWatch, Condition, Dispatcher, RuleConfig, Sink, Webhook, WebhookConfig};
use kestrel_engine::backtest::TradeSource;
use kestrel_engine::{BacktestConfig, ClockOffset, run_backtest};
use kestrel_feed::TradeIter;
use kestrel_model::testing::instrument;
use kestrel_model::{EventTime, InstrumentIndex, Price, Qty, Side, Trade, UnixNanos};

const SECRET: &str = "a shared secret";

/// What the receiver got: (alert id, signature valid, timestamp fresh).
type Received = Arc<Mutex<Vec<(String, bool, bool)>>>;

/// How the receiver answers its n-th request (from 0).
#[derive(Clone, Copy)]
enum Script {
    /// 500 to the first request, 200 after.
    FailFirst,
    /// Never answers.
    Hang,
}

/// A receiver on a free port: its URL and what it got.
fn receiver(script: Script) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    let seen = got.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut id, mut ts, mut sig) = (0, String::new(), 0u64, String::new());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.trim().to_owned();
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.parse().unwrap(),
                        "x-kestrel-alert-id" => id = value,
                        "x-kestrel-timestamp" => ts = value.parse().unwrap(),
                        "x-kestrel-signature" => sig = value,
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let now_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64;
                let valid = sig == Webhook::signature(SECRET, ts, &body);
                let fresh = now_ms.abs_diff(ts) < 60_000;
                seen.lock().unwrap().push((id, valid, fresh));
                let status = match script {
                    Script::Hang => {
                        std::thread::sleep(Duration::from_secs(30));
                        return;
                    }
                    Script::FailFirst if n == 0 => "500 Internal Server Error",
                    Script::FailFirst => "200 OK",
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            });
        }
    });
    (url, got)
}

/// The watch's events on prices crossing 100.0 up, down and up again.
fn crossings() -> Vec<kestrel_alerts::WatchEvent> {
    let inst = instrument("0.1", "0.001");
    let rule = RuleConfig {
        name: "up".into(),
        instrument: "binance_spot:BTCUSDT".into(),
        when: Condition::PriceAbove(100.0),
        hysteresis: 0.0,
        cooldown_s: 0,
    };
    let watch = AlertWatch::new(
        &[(rule, InstrumentIndex::FIRST)],
        std::slice::from_ref(&inst),
    )
    .unwrap();
    let trades: Vec<Trade> = [990, 1005, 1010, 990, 1005]
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let at = UnixNanos::new((i as u64 + 1) * 1_000_000_000);
            Trade {
                instrument: inst.id,
                trade_id: i as u64,
                price: Price::from_ticks(p),
                qty: Qty::from_lots(1),
                aggressor: Some(Side::Buy),
                time: EventTime {
                    exchange: at,
                    local: at,
                },
            }
        })
        .collect();
    let config = BacktestConfig {
        kernel: kestrel_engine::testing::kernel_config(),
        sim: kestrel_sim::SimConfig::default(),
        offset: ClockOffset::Fixed(0),
    };
    let run = run_backtest(
        &inst,
        TradeSource::new(TradeIter(trades.into_iter())),
        watch,
        &config,
        |_| {},
    )
    .unwrap();
    run.kernel.strategy().events().to_vec()
}

fn webhook(url: String, attempts: u32, timeout_ms: u64) -> Sink {
    Sink::Webhook(Box::new(
        Webhook::new(WebhookConfig {
            url,
            secret: SECRET.into(),
            attempts,
            first_backoff: Duration::from_millis(50),
            timeout: Duration::from_millis(timeout_ms),
        })
        .unwrap(),
    ))
}

fn journal_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-webhook-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn each_crossing_reaches_the_receiver_once_signed_after_a_retry() {
    let (url, got) = receiver(Script::FailFirst);
    let dir = journal_dir("ok");
    let mut d = Dispatcher::open(&dir, vec![webhook(url, 3, 2_000)]).unwrap();
    let events = crossings();
    for e in &events {
        d.on_event(e).unwrap();
    }
    assert_eq!(d.counts().fired, 2);
    assert_eq!(d.counts().delivered, 2);
    let requests = got.lock().unwrap().clone();
    // Three requests: the first alert twice (a 500, then 200), the second once.
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[0].0, requests[1].0);
    assert_ne!(requests[1].0, requests[2].0);
    assert!(
        requests.iter().all(|(_, valid, fresh)| *valid && *fresh),
        "{requests:?}"
    );
    // Again over the same journal (a replayed recording): nothing is sent twice.
    for e in &events {
        d.on_event(e).unwrap();
    }
    d.close().unwrap();
    assert_eq!(got.lock().unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_receiver_that_hangs_ends_in_a_dead_letter_not_a_lost_alert() {
    let (url, got) = receiver(Script::Hang);
    let dir = journal_dir("hang");
    let mut d = Dispatcher::open(&dir, vec![webhook(url, 2, 200)]).unwrap();
    let events = crossings();
    d.on_event(&events[0]).unwrap();
    assert_eq!(d.counts().dead, 1);
    let letters = std::fs::read_to_string(d.dead_letters()).unwrap();
    assert!(letters.contains("\"sink\":\"webhook\""), "{letters}");
    assert!(letters.contains("timed out"), "{letters}");
    assert_eq!(got.lock().unwrap().len(), 2, "both tries reached it");
    d.close().unwrap();
    // Reopened, the alert is settled: it is in the dead letters, not pending.
    let d = Dispatcher::open(&dir, Vec::new()).unwrap();
    assert_eq!(d.recovered().pending("webhook").count(), 0);
    assert_eq!(d.recovered().fired.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
