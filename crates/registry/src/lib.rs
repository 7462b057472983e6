//! The registry of venue adapters: which adapter reads which venue.
//!
//! Commands name venues and read captures as data; this crate turns that
//! data into the adapter that serves it, so nothing else matches on venue:
//! * [`identify`]: a capture's protocol and symbols, read from its frames,
//!   and the decoder and sequencer of that protocol;
//! * [`listing`]: every instrument endpoint, parsed by its adapter;
//! * [`bundled`]: the offline catalogue shipped in the repository, read by
//!   those same parsers;
//! * `fetch` (feature `live`): reading a listing from the venue, politely;
//! * `testing` (feature `testing`): the bundled recordings' markets by name.
//!
//! A new venue is an adapter crate (`crates/adapters/`, laid out like
//! `kestrel-binance`) plus one arm in each match here.

mod bundled;
#[cfg(feature = "live")]
pub mod fetch;
pub mod identify;
pub mod listing;
#[cfg(feature = "testing")]
pub mod testing;

pub use bundled::{bundled, fee_schedule as bundled_fee_schedule};
pub use identify::{IdentifyError, Identity, Protocol, WithFeed, identify};
pub use listing::{Endpoint, parse};
