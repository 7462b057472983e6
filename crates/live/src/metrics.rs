//! `GET /metrics`: the session's counters and stage latencies as
//! Prometheus text, from a plain HTTP/1.1 listener (one small handler does
//! not justify a web framework in the engine).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::gateway::GatewayStats;

/// Serves until the listener fails: the kernel thread's latest rendering
/// (refreshed each second) and the gateway's latencies, rendered per request.
pub async fn serve(listener: TcpListener, kernel: Arc<Mutex<String>>, gateway: Arc<GatewayStats>) {
    while let Ok((mut socket, _)) = listener.accept().await {
        let (kernel, gateway) = (Arc::clone(&kernel), Arc::clone(&gateway));
        tokio::spawn(async move {
            let mut request = [0u8; 2048];
            let Ok(n) = socket.read(&mut request).await else {
                return;
            };
            let response = if request[..n].starts_with(b"GET /metrics") {
                let mut body = kernel.lock().map(|k| k.clone()).unwrap_or_default();
                if let Ok(l) = gateway.latency.lock() {
                    l.prometheus_stage(super::latency::Stage::DispatchToSent, &mut body);
                }
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}
