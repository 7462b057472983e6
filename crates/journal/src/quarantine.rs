//! Cutting a journal without losing anything: whatever is cut goes to a
//! quarantine folder inside the journal's directory, with a report.
//!
//! Two callers: opening the journal for writing cuts a torn tail (the
//! policy allows it, as the bytes are only a crash's partial write), and an
//! operator's [`repair`] cuts at damage. Nothing else in the crate removes
//! or shortens a segment.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::inspect::{Inspection, inspect};
use crate::marker::{self, sync_dir};
use crate::segment::SEGMENT_MAGIC;

/// The folder, inside a journal's directory, that holds what was cut.
pub const QUARANTINE_DIR: &str = "quarantine";

/// One thing set aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// Where it was (a file, or a file from an offset on).
    pub from: PathBuf,
    /// The offset in `from` it started at (0: the whole file).
    pub offset: u64,
    /// Its length.
    pub bytes: u64,
    /// Where it is now.
    pub kept: PathBuf,
}

/// What a cut set aside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quarantined {
    /// The quarantine folder of this cut.
    pub folder: PathBuf,
    /// Everything moved there.
    pub kept: Vec<Kept>,
    /// Records `0..next_seq` remain.
    pub next_seq: u64,
}

impl Quarantined {
    /// Bytes set aside in all.
    pub fn bytes(&self) -> u64 {
        self.kept.iter().map(|k| k.bytes).sum()
    }
}

/// Cuts `dir`'s journal at the first damage (or its torn tail), moving
/// the rest of that segment, every later segment, every snapshot that is
/// damaged or past the new end, and the clean-stop marker to a new
/// quarantine folder, with a `REPORT.txt` of what was wrong. Only an
/// operator should ask for this: records after the damage are given up
/// (kept, not replayed). `None` when there is nothing to cut.
pub fn repair(dir: &Path) -> io::Result<Option<Quarantined>> {
    let found = inspect(dir)?;
    if found.damage.is_empty() && found.torn.is_none() {
        return Ok(None);
    }
    cut(&found, "repair").map(Some)
}

/// Cuts a torn tail (and nothing else), keeping its bytes.
pub(crate) fn cut_torn_tail(found: &Inspection) -> io::Result<Option<Quarantined>> {
    if found.torn.is_none() || found.blocking().next().is_some() {
        return Ok(None);
    }
    cut(found, "torn-tail").map(Some)
}

fn cut(found: &Inspection, why: &str) -> io::Result<Quarantined> {
    let dir = &found.dir;
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let folder = dir.join(QUARANTINE_DIR).join(format!("{ms}-{why}"));
    std::fs::create_dir_all(&folder)?;
    let mut out = Quarantined {
        folder: folder.clone(),
        kept: Vec::new(),
        next_seq: found.next_seq,
    };
    let keep_whole = |path: &Path, out: &mut Quarantined| -> io::Result<()> {
        let bytes = std::fs::metadata(path)?.len();
        let kept = folder.join(path.file_name().unwrap_or_default());
        std::fs::rename(path, &kept)?;
        out.kept.push(Kept {
            from: path.to_path_buf(),
            offset: 0,
            bytes,
            kept,
        });
        Ok(())
    };
    if let Some((segment, offset)) = &found.stop {
        let mut later = false;
        for s in &found.segments {
            if later {
                keep_whole(&s.path, &mut out)?;
            } else if s.path == *segment {
                later = true;
                if *offset <= SEGMENT_MAGIC.len() as u64 {
                    keep_whole(&s.path, &mut out)?;
                } else {
                    out.kept.push(split(&s.path, *offset, &folder)?);
                }
            }
        }
    }
    for snap in &found.snapshots {
        if snap.state.is_err() || snap.seq > found.next_seq {
            keep_whole(&snap.path, &mut out)?;
        }
    }
    if marker::read(dir)?.is_some() {
        keep_whole(&marker::path(dir), &mut out)?;
    }
    let mut report = found.report();
    report.push_str(&format!(
        "\n{why}: records 0..{} remain; set aside here:\n",
        found.next_seq
    ));
    for k in &out.kept {
        report.push_str(&format!(
            "  {} from offset {} ({} bytes) -> {}\n",
            k.from.display(),
            k.offset,
            k.bytes,
            k.kept.display()
        ));
    }
    let mut file = std::fs::File::create(folder.join("REPORT.txt"))?;
    file.write_all(report.as_bytes())?;
    file.sync_all()?;
    sync_dir(&folder);
    sync_dir(dir);
    Ok(out)
}

/// Copies `path` from `offset` on into `folder` (durably), then shortens
/// `path` to `offset`.
fn split(path: &Path, offset: u64, folder: &Path) -> io::Result<Kept> {
    let bytes = std::fs::read(path)?;
    let tail = bytes.get(offset as usize..).unwrap_or_default();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let kept = folder.join(format!("{name}.from-{offset}"));
    let mut file = std::fs::File::create(&kept)?;
    file.write_all(tail)?;
    file.sync_all()?;
    sync_dir(folder);
    let segment = OpenOptions::new().write(true).open(path)?;
    segment.set_len(offset)?;
    segment.sync_all()?;
    Ok(Kept {
        from: path.to_path_buf(),
        offset,
        bytes: tail.len() as u64,
        kept,
    })
}
