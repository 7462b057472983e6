//! What the venue tells a client about its orders; the types live in
//! `kestrel-model` so the journal and the venue adapters share them.

pub use kestrel_model::report::*;
