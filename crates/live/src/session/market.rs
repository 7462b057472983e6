//! One market of a session: its feed sync and its venue connection's
//! channels, indexed like the kernel's instruments.

use kestrel_model::{InstrumentId, TouchBounds};
use tokio::sync::mpsc::UnboundedSender;

use super::GatewayCommand;
use kestrel_feed::{FeedEvent, FrameSync};

/// One market of a session, the kernel's instrument of the same index:
/// its feed sync and the channels to its venue connection.
pub struct SessionMarket<D, Q> {
    pub(super) instrument: InstrumentId,
    pub(super) frames: FrameSync<D, Q>,
    pub(super) slot: FeedEvent,
    pub(super) gateway: UnboundedSender<GatewayCommand>,
    pub(super) resync: UnboundedSender<()>,
    /// What the kernel reads of this book, asked between inputs for the
    /// next diff (see `Kernel::touch_bounds`).
    pub(super) bounds: Option<TouchBounds>,
}

impl<D, Q> SessionMarket<D, Q> {
    /// A market of `instrument` synced by `frames`, whose orders go to
    /// `gateway` and whose snapshot requests to `resync`.
    pub fn new(
        instrument: InstrumentId,
        frames: FrameSync<D, Q>,
        gateway: UnboundedSender<GatewayCommand>,
        resync: UnboundedSender<()>,
    ) -> Self {
        Self {
            instrument,
            frames,
            slot: FeedEvent::new(instrument),
            gateway,
            resync,
            bounds: None,
        }
    }
}

/// Why a session could not be put together.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The markets are not the kernel's instruments, in its order.
    #[error("market {ix} is {got}, where the kernel's instrument is {want}")]
    Market {
        /// The place.
        ix: usize,
        /// The market given.
        got: String,
        /// The kernel's instrument there.
        want: String,
    },
    /// A market for each of the kernel's instruments, no more, no fewer.
    #[error("{got} markets for a kernel of {want} instruments")]
    Count {
        /// Markets given.
        got: usize,
        /// The kernel's instruments.
        want: usize,
    },
}
