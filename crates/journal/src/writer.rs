//! The journal writer: a thread that owns the files, fed through a bounded
//! queue, committing records in groups.
//!
//! The kernel frames each record (header and CRC32C) straight into a batch
//! buffer, and hands whole batches to the writer thread: when one fills,
//! and whenever the kernel is about to wait for input ([`JournalWriter::flush`]).
//! An append is then a copy into memory, with no allocation and no
//! channel operation per record; emptied batches come back for reuse.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::frame::{self, RecordType};
use crate::inspect::{Inspection, inspect};
use crate::marker::{self, sync_dir};
use crate::quarantine::{self, Quarantined};
use crate::segment::{SEGMENT_MAGIC, segment_path};

/// When written records are forced to the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every group that holds a record: nothing acknowledged is lost.
    EveryRecord,
    /// At most this long after a record is written.
    Interval(Duration),
    /// Never by us; the OS writes back when it likes.
    Never,
}

/// Settings of a [`JournalWriter`].
#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// The journal's directory (created if missing).
    pub dir: PathBuf,
    /// The fsync policy.
    pub fsync: FsyncPolicy,
    /// Size past which a segment is closed and the next one opened.
    pub segment_bytes: u64,
    /// Batches the queue holds before a flush waits for the writer.
    pub queue: usize,
}

/// What can go wrong writing.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system refused.
    #[error("journal I/O: {0}")]
    Io(#[from] io::Error),
    /// The writer thread has stopped (after an I/O error or `close`).
    #[error("the journal writer has stopped")]
    Stopped,
    /// The journal is damaged: nothing is written to it until an operator
    /// repairs it.
    #[error("the journal is damaged; nothing was changed:\n{}", .0.report())]
    Damaged(Box<Inspection>),
}

/// What opening a journal found.
#[derive(Clone, Debug, Default)]
pub struct Opened {
    /// The sequence number the next record gets.
    pub next_seq: u64,
    /// A torn tail cut off, and where its bytes are kept.
    pub torn: Option<Quarantined>,
}

/// A batch is handed to the writer once it holds this many bytes.
const BATCH_BYTES: usize = 32 << 10;

enum Message {
    /// Framed records; `next` is the sequence number after the last.
    Batch { bytes: Vec<u8>, next: u64 },
    /// Write and fsync everything queued, then answer.
    Sync(SyncSender<Result<(), String>>),
    /// The state after every record below `seq`: written once they are
    /// durable.
    Snapshot {
        seq: u64,
        schema: u32,
        bytes: Vec<u8>,
    },
}

/// The kernel's side of the journal: records are numbered and framed
/// here, and written by the writer thread.
pub struct JournalWriter {
    tx: Option<SyncSender<Message>>,
    batch: Vec<u8>,
    spare: Receiver<Vec<u8>>,
    next_seq: u64,
    durable: Arc<AtomicU64>,
    thread: Option<JoinHandle<Result<(), io::Error>>>,
    dir: PathBuf,
}

impl JournalWriter {
    /// Opens the journal in `config.dir` for appending. The files are
    /// inspected first: damage refuses the open and changes nothing; a
    /// torn tail is cut, its bytes kept in the quarantine folder; the
    /// clean-stop marker is removed; numbering continues after the last
    /// record. The first segment is created with the first record.
    pub fn open(config: WriterConfig) -> Result<(Self, Opened), JournalError> {
        let found = inspect(&config.dir)?;
        if found.blocking().next().is_some() {
            return Err(JournalError::Damaged(Box::new(found)));
        }
        std::fs::create_dir_all(&config.dir)?;
        let torn = quarantine::cut_torn_tail(&found)?;
        marker::remove(&config.dir)?;
        let next_seq = found.next_seq;
        let durable = Arc::new(AtomicU64::new(next_seq));
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let (spare_tx, spare) = mpsc::sync_channel(config.queue.max(1));
        let mut files = Files::start(&config, next_seq);
        let published = Arc::clone(&durable);
        let thread = std::thread::Builder::new()
            .name("kestrel-journal".into())
            .spawn(move || files.run(&rx, &spare_tx, &published))?;
        Ok((
            Self {
                tx: Some(tx),
                batch: Vec::with_capacity(2 * BATCH_BYTES),
                spare,
                next_seq,
                durable,
                thread: Some(thread),
                dir: config.dir,
            },
            Opened { next_seq, torn },
        ))
    }

    /// Frames a record into the current batch; its sequence number. The
    /// batch goes to the writer when it fills or at [`Self::flush`].
    pub fn append(&mut self, kind: RecordType, payload: &[u8]) -> Result<u64, JournalError> {
        if self.tx.is_none() {
            return Err(JournalError::Stopped);
        }
        let seq = self.next_seq;
        frame::encode(&mut self.batch, kind, seq, payload);
        self.next_seq += 1;
        if self.batch.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(seq)
    }

    /// Hands the records appended so far to the writer thread, waiting only
    /// if its queue is full. Call it before waiting for input, so records
    /// reach the disk within the fsync interval.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let tx = self.tx.as_ref().ok_or(JournalError::Stopped)?;
        let fresh = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(2 * BATCH_BYTES));
        let bytes = std::mem::replace(&mut self.batch, fresh);
        tx.send(Message::Batch {
            bytes,
            next: self.next_seq,
        })
        .map_err(|_| JournalError::Stopped)
    }

    /// Records below this sequence number are on disk (fsynced).
    pub fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Queues a snapshot of the state after every record appended so far,
    /// encoded by `schema`; the writer thread writes it once those records
    /// are durable. Its sequence number.
    pub fn snapshot(&mut self, schema: u32, bytes: Vec<u8>) -> Result<u64, JournalError> {
        self.flush()?;
        let seq = self.next_seq;
        let tx = self.tx.as_ref().ok_or(JournalError::Stopped)?;
        tx.send(Message::Snapshot { seq, schema, bytes })
            .map_err(|_| JournalError::Stopped)?;
        Ok(seq)
    }

    /// Writes and fsyncs everything appended, whatever the policy.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.flush()?;
        let tx = self.tx.as_ref().ok_or(JournalError::Stopped)?;
        let (answer, done) = mpsc::sync_channel(1);
        tx.send(Message::Sync(answer))
            .map_err(|_| JournalError::Stopped)?;
        match done.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(JournalError::Io(io::Error::other(e))),
            Err(_) => Err(JournalError::Stopped),
        }
    }

    /// Flushes, fsyncs and stops the writer thread, then leaves the
    /// clean-stop marker: the log ends here, and nothing is missing.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.sync()?;
        self.shutdown()?;
        marker::write(&self.dir, self.next_seq)?;
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), JournalError> {
        let _ = self.flush();
        drop(self.tx.take());
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => Ok(result?),
            Some(Err(_)) => Err(JournalError::Stopped),
            None => Ok(()),
        }
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The writer thread's state.
struct Files {
    dir: PathBuf,
    fsync: FsyncPolicy,
    segment_bytes: u64,
    /// The open segment; the next is created with its first record.
    file: Option<File>,
    written: u64,
    /// Sequence after the last record written / fsynced.
    next: u64,
    synced_next: u64,
    last_sync: Instant,
}

impl Files {
    fn start(config: &WriterConfig, next_seq: u64) -> Self {
        Self {
            dir: config.dir.clone(),
            fsync: config.fsync,
            segment_bytes: config.segment_bytes.max(1 << 16),
            file: None,
            written: 0,
            next: next_seq,
            synced_next: next_seq,
            last_sync: Instant::now(),
        }
    }

    fn run(
        &mut self,
        rx: &Receiver<Message>,
        spare: &SyncSender<Vec<u8>>,
        durable: &AtomicU64,
    ) -> io::Result<()> {
        let tick = match self.fsync {
            FsyncPolicy::Interval(d) => d,
            _ => Duration::from_millis(100),
        };
        loop {
            let first = match rx.recv_timeout(tick) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => {
                    self.commit(true, durable)?;
                    return Ok(());
                }
            };
            // Group commit: everything already queued, then one fsync.
            let mut syncs = Vec::new();
            for message in first
                .into_iter()
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                match message {
                    Message::Batch { mut bytes, next } => {
                        self.write_batch(&bytes, next)?;
                        bytes.clear();
                        let _ = spare.try_send(bytes);
                    }
                    Message::Sync(answer) => syncs.push(answer),
                    Message::Snapshot { seq, schema, bytes } => {
                        self.commit(true, durable)?;
                        crate::snapshot::write(&self.dir, seq, schema, &bytes)?;
                    }
                }
            }
            let force = !syncs.is_empty();
            let result = self.commit(force, durable);
            for answer in syncs {
                let _ = answer.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            }
            result?;
        }
    }

    /// Writes a batch of whole records, then starts the next segment if
    /// this one is full.
    fn write_batch(&mut self, bytes: &[u8], next: u64) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                self.written = SEGMENT_MAGIC.len() as u64;
                self.file.insert(new_segment(&self.dir, self.next)?)
            }
        };
        file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        self.next = next;
        if self.written >= self.segment_bytes {
            file.sync_data()?;
            self.synced_next = self.next;
            self.file = None;
        }
        Ok(())
    }

    /// Fsyncs what is written as the policy (or `force`) says.
    fn commit(&mut self, force: bool, durable: &AtomicU64) -> io::Result<()> {
        let due = match self.fsync {
            FsyncPolicy::EveryRecord => true,
            FsyncPolicy::Interval(d) => self.last_sync.elapsed() >= d,
            FsyncPolicy::Never => false,
        };
        if (force || due) && self.synced_next < self.next {
            if let Some(file) = &self.file {
                file.sync_data()?;
            }
            self.synced_next = self.next;
            self.last_sync = Instant::now();
        }
        durable.store(self.synced_next, Ordering::Release);
        Ok(())
    }
}

/// Creates the segment starting at `first_seq`, with its magic, synced.
/// It appears under its name whole (temporary name, then rename), so a
/// segment shorter than its magic is always damage, never a crash.
fn new_segment(dir: &Path, first_seq: u64) -> io::Result<File> {
    let path = segment_path(dir, first_seq);
    let tmp = path.with_extension("kjl.tmp");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)?;
    file.write_all(&SEGMENT_MAGIC)?;
    file.sync_data()?;
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir);
    Ok(file)
}

#[cfg(test)]
mod tests;
