//! The journal: every input to the kernel, in order, on disk.
//!
//! * [`frame`]: one record is a 20-byte header (payload length, CRC32C,
//!   type, sequence number) and a payload. The checksum covers the type,
//!   the sequence and the payload, so a torn write or a flipped bit is
//!   found, never replayed.
//! * [`segment`]: records go to segment files named by their first
//!   sequence number, each opening with a magic and a version.
//! * [`JournalWriter`]: a thread fed by a bounded queue, so the kernel
//!   never waits on the disk; it commits in groups under an [`FsyncPolicy`],
//!   rotates segments and publishes a durable high-watermark.
//! * [`JournalReader`]: replays from a sequence number and stops at the
//!   first torn or corrupt record, saying how many bytes it cut.
//!
//! * [`snapshot`]: the folded state at a sequence number, written by the
//!   writer thread once the records before it are durable.
//! * [`inspect()`]: every file checked, nothing changed: the intact prefix,
//!   a torn tail, and every piece of damage. [`repair()`] (an operator's
//!   command) cuts at damage into a [`quarantine`] folder; the writer
//!   refuses a damaged journal and cuts only a torn tail, keeping it too.
//! * [`marker`]: a clean stop leaves a marker of where the log ends.
//!
//! Payloads are opaque here: the engine encodes kernel events into them.

pub mod frame;
pub mod inspect;
pub mod marker;
pub mod quarantine;
pub mod reader;
pub mod segment;
pub mod snapshot;
pub mod writer;

pub use frame::{FrameError, HEADER_LEN, RecordHeader, RecordType};
pub use inspect::{Damage, Inspection, TornTail, inspect};
pub use quarantine::{QUARANTINE_DIR, Quarantined, repair};
pub use reader::{JournalReader, Record, TailReport};
pub use segment::{SEGMENT_MAGIC, segment_files};
pub use snapshot::{Snapshot, SnapshotFault};
pub use writer::{FsyncPolicy, JournalError, JournalWriter, Opened, WriterConfig};
