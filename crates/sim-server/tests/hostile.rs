//! Hostile local clients against a running server, while a well-behaved
//! client on another address keeps asking for market data: one huge
//! `SUBSCRIBE`, large control bodies, WebSocket messages announced at
//! 60 MiB, and 1,500 half-sent connections. Each is refused or let go; the
//! server's memory stays bounded and the other client never waits more
//! than 100 ms for an answer.
//!
//! The server runs in a child process (this test binary again, running the
//! ignored `server_child`), so that its resident memory is its own and not
//! the attackers'.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim_server::{ClockMode, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "hostile-control";

/// Resident memory of process `pid`, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The server, when this binary is run as the child: prints its address,
/// then serves until its parent closes its stdin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by hostile_clients_neither_bloat_nor_stall_the_server as its server process"]
async fn server_child() {
    if std::env::var_os("KESTREL_HOSTILE_CHILD").is_none() {
        return;
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let config = ServerConfig {
        clock: ClockMode::RealTime,
        control_token: TOKEN.into(),
        idle_timeout: Duration::from_secs(2),
        // The well-behaved client asks far more than Binance's weight allows.
        weight_per_minute: u32::MAX / 2,
        ..ServerConfig::loopback(data, spot_btcusdt())
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    println!("ADDR {}", server.addr);
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await
    .unwrap();
    server.shutdown().await;
}

/// Starts the server child; its process and address.
fn spawn_server() -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "server_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KESTREL_HOSTILE_CHILD", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(out).lines();
    let addr = lines
        .find_map(|l| Some(l.ok()?.split_once("ADDR ")?.1.trim().to_owned()))
        .expect("the server child prints its address");
    // The rest of what it prints is read, so that it never writes to a
    // closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr.parse().unwrap())
}

/// Whether the server has closed `stream` (EOF or reset) within `wait`.
async fn closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// A connection from `ip` (any 127.x address reaches the loopback server).
async fn connect_from(ip: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(ip), 0))?;
    socket.connect(to).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_neither_bloat_nor_stall_the_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (mut child, addr) = spawn_server();
    let pid = child.id();
    let base = format!("http://{addr}");

    // The well-behaved client, on its own address, timing every answer.
    let victim = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .unwrap();
    let url = format!("{base}/api/v3/ticker/price?symbol=BTCUSDT");
    let _ = victim.get(&url).send().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, victim, url) = (Arc::clone(&stop), victim.clone(), url.clone());
        tokio::spawn(async move {
            let (mut worst, mut calls) = (Duration::ZERO, 0u32);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = victim.get(&url).send().await.unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
                worst = worst.max(t.elapsed());
                calls += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (worst, calls)
        })
    };
    // Settled: the replay's first minutes held, the allocator warm.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);

    // 1. One SUBSCRIBE of 120,000 names (1.6 MB): past the 64 KiB message
    // cap, the connection is closed, nothing parsed.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let names: Vec<String> = (0..120_000).map(|n| format!("btcusdt@s{n}")).collect();
    let subscribe = serde_json::json!({ "method": "SUBSCRIBE", "params": names, "id": 1 });
    let _ = ws.send(Message::Text(subscribe.to_string().into())).await;
    let answer = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(
        !matches!(answer, Some(Ok(Message::Text(_)))),
        "a 1.6 MB SUBSCRIBE is not read: {answer:?}"
    );

    // 2. 100 control bodies of 2 MB: refused at the 64 KiB body cap.
    // A refused body closes its connection: no connection is reused.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let big = format!("{{\"seed\": 1, \"pad\": \"{}\"}}", "x".repeat(2 << 20));
    for _ in 0..100 {
        let r = http
            .post(format!("{base}/sim/faults"))
            .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
            .header("Content-Type", "application/json")
            .body(big.clone())
            .send()
            .await;
        if let Ok(r) = r {
            assert_eq!(r.status().as_u16(), 413);
        }
    }
    let log = http
        .get(format!("{base}/sim/faults/log"))
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .send()
        .await
        .unwrap();
    assert!(log.bytes().await.unwrap().len() < 1 << 20);

    // 3. Eight WebSocket messages announced at 60 MiB: closed on the header.
    for _ in 0..8 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let upgrade = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(upgrade.as_bytes()).await.unwrap();
        let mut head = [0u8; 1024];
        let n = s.read(&mut head).await.unwrap();
        assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 101"));
        // A masked text frame with a 64-bit length of 60 MiB, then a little.
        let mut frame = vec![0x81, 0xFF];
        frame.extend_from_slice(&(60u64 << 20).to_be_bytes());
        frame.extend_from_slice(&[1, 2, 3, 4]);
        frame.extend_from_slice(&[b'x'; 4096]);
        let _ = s.write_all(&frame).await;
        assert!(
            closed(&mut s, Duration::from_secs(5)).await,
            "a 60 MiB frame is refused"
        );
    }

    // 4. 1,500 half-sent requests from one address: at most 512 are held,
    // and those go once idle for the (shortened) idle time.
    let mut held = Vec::new();
    for _ in 0..1_500 {
        if let Ok(mut s) = connect_from(Ipv4Addr::LOCALHOST, addr).await {
            let _ = s
                .write_all(b"GET /api/v3/time HTTP/1.1\r\nHost: x\r\n")
                .await;
            held.push(s);
        }
    }
    let mut open = 0;
    for s in &mut held {
        if !closed(s, Duration::from_millis(2)).await {
            open += 1;
        }
    }
    assert!(
        open <= 512,
        "{open} half-sent connections held from one address"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut still = 0;
    for s in &mut held {
        if !closed(s, Duration::from_millis(50)).await {
            still += 1;
        }
    }
    assert_eq!(still, 0, "idle connections are let go");
    drop(held);

    stop.store(true, Ordering::Relaxed);
    let (worst, calls) = watcher.await.unwrap();
    let rss_after = rss_kib(pid);
    drop(child.stdin.take());
    let _ = child.wait();
    let grown = rss_after.saturating_sub(rss_before);
    println!(
        "other client: {calls} calls, slowest {worst:?}; server RSS {} -> {} MiB",
        rss_before / 1024,
        rss_after / 1024
    );
    assert!(calls > 100, "the other client kept being served");
    assert!(
        worst <= Duration::from_millis(100),
        "slowest answer {worst:?}"
    );
    assert!(grown < 48 * 1024, "server RSS grew {} MiB", grown / 1024);
}
