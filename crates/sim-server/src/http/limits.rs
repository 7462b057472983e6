//! Caps on what one client can hold open: connections in total and per
//! address, and an idle timeout on each, so idle or half-sent connections
//! are let go instead of piling up.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// Connections served at once; more are closed as they arrive.
pub const MAX_CONNECTIONS: usize = 1024;
/// Connections served at once from one address.
pub const MAX_PER_ADDRESS: usize = 512;
/// A connection that sends nothing for this long is closed. A WebSocket
/// client answers the server's pings (every 20 s), so a live one never
/// idles this long.
pub const IDLE: Duration = Duration::from_secs(60);

/// Connections open, in total and by address.
#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// A listener that refuses connections past the caps and closes idle ones.
pub struct CappedListener {
    inner: TcpListener,
    open: Arc<Mutex<Open>>,
    idle: Duration,
}

impl CappedListener {
    /// Caps `inner` at the module's limits, closing connections idle for
    /// `idle`.
    pub fn new(inner: TcpListener, idle: Duration) -> Self {
        Self {
            inner,
            open: Arc::default(),
            idle,
        }
    }

    /// Admits a connection from `ip` if the caps allow.
    fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = open.by_address.get(&ip).copied().unwrap_or(0);
        if open.total >= MAX_CONNECTIONS || mine >= MAX_PER_ADDRESS {
            return None;
        }
        open.total += 1;
        *open.by_address.entry(ip).or_default() += 1;
        Some(Slot {
            open: Arc::clone(&self.open),
            ip,
        })
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = IdleStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Past a cap the stream is dropped: closed at once.
                    if let Some(slot) = self.admit(addr.ip()) {
                        return (IdleStream::new(stream, self.idle, slot), addr);
                    }
                }
                // Out of file descriptors and the like: wait, then retry.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's place under the caps, given back when it closes.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_address.remove(&self.ip);
            }
        }
    }
}

/// A TCP stream whose reads fail once the peer has sent nothing for the
/// idle time, which ends the connection.
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _slot: Slot,
}

impl IdleStream {
    fn new(inner: TcpStream, idle: Duration, slot: Slot) -> Self {
        Self {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            _slot: slot,
        }
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                let next = Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                Poll::Ready(result)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "idle connection closed",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn past_the_cap_a_connection_is_closed_and_an_idle_one_times_out() {
        let mut listener = CappedListener::new(
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            Duration::from_millis(200),
        );
        let addr = listener.inner.local_addr().unwrap();
        // Fill the address's share, then one more.
        let held: Vec<Slot> = (0..MAX_PER_ADDRESS)
            .map(|_| listener.admit(addr.ip()).unwrap())
            .collect();
        assert!(listener.admit(addr.ip()).is_none());
        drop(held);
        assert!(listener.admit(addr.ip()).is_some(), "slots come back");

        let client = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; 1];
            // The server closes it: a read sees the end.
            s.read(&mut buf).await.unwrap_or(0)
        });
        let (mut stream, _) = axum::serve::Listener::accept(&mut listener).await;
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = stream.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(stream);
        assert_eq!(client.await.unwrap(), 0);
        assert_eq!(listener.open.lock().unwrap().total, 0);
    }
}
