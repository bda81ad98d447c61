//! The commit journal of the on-disk store: a write is durable once its
//! group's frame is appended here and synced, before SQLite has seen it.
//! The applier writes the rows to SQLite later, in larger transactions in
//! which a record written twice meanwhile (a reboot accepted, then
//! finished) is written once, and records there how far it got. A restart
//! replays the frames past that point.
//!
//! The journal is a few segment files of [`SEGMENT_BYTES`] in a directory
//! beside the database, written in turn. A segment whose frames SQLite
//! already holds is written over from its start; SQLite's own log is reused
//! the same way, and syncing a write into blocks a file already has costs
//! about half of syncing one that grows it (0.2 against 0.5 ms measured
//! here). A frame is its payload's length, a CRC-32 of its sequence number
//! and payload, the sequence number, then the payload; a segment is read
//! up to the first frame that does not check or does not follow its
//! predecessor, so the rest of an earlier pass through it is never taken
//! for new frames.

use super::unavailable;
use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stratus_engine::ports::StoreError;

/// The size a segment is filled to before the next one is taken.
pub(crate) const SEGMENT_BYTES: u64 = 8 << 20;

/// Length, CRC and sequence number.
const HEADER: usize = 16;

/// How long an open waits for another store (a store of this process
/// being dropped, or another server) to let go of the directory.
#[cfg(not(test))]
const LOCK_WAIT: Duration = Duration::from_secs(10);
#[cfg(test)]
const LOCK_WAIT: Duration = Duration::from_millis(300);

/// The journal's directory for the database at `db`.
pub(crate) fn directory(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    db.with_file_name(name)
}

/// One frame read back: its sequence number and payload.
pub(crate) type Frame = (u64, Vec<u8>);

/// The appending end of the journal, owned by the writer thread.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    segments: Vec<Segment>,
    /// The segment being appended to, and where its next frame goes.
    current: Option<usize>,
    offset: u64,
    next_seq: u64,
    segment_bytes: u64,
    /// The last sequence number SQLite holds, set by the applier.
    applied: Arc<AtomicU64>,
    frame: Vec<u8>,
}

#[derive(Debug)]
struct Segment {
    file: File,
    /// The last frame written to it (0: none).
    last_seq: u64,
}

impl Journal {
    /// Opens the journal in `dir` (see [`lock`]), after SQLite holds
    /// every frame up to `applied`; answers the frames to replay past that,
    /// in order.
    pub fn open(dir: &Path, applied: u64) -> Result<(Journal, Vec<Frame>), StoreError> {
        Self::open_sized(dir, applied, SEGMENT_BYTES)
    }

    pub(crate) fn open_sized(
        dir: &Path,
        applied: u64,
        segment_bytes: u64,
    ) -> Result<(Journal, Vec<Frame>), StoreError> {
        let mut names: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(unavailable)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| segment_number(p).is_some())
            .collect();
        names.sort();
        let mut segments = Vec::new();
        let mut frames = Vec::new();
        let mut newest = applied;
        for path in names {
            let file = File::options()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(unavailable)?;
            let bytes = fs::read(&path).map_err(unavailable)?;
            let mut last_seq = 0;
            for (seq, payload) in frames_in(&bytes) {
                last_seq = seq;
                newest = newest.max(seq);
                if seq > applied {
                    frames.push((seq, payload.to_vec()));
                }
            }
            segments.push(Segment { file, last_seq });
        }
        frames.sort_by_key(|(seq, _)| *seq);
        // Each frame is synced before the next is written, so none can
        // follow a gap: one that seems to was acknowledged all the same, and
        // is not dropped without an operator's say.
        if let Some(((seq, _), expected)) = frames
            .iter()
            .zip(applied + 1..)
            .find(|((seq, _), expected)| seq != expected)
        {
            return Err(StoreError::Corrupt(format!(
                "the journal in {} lacks frame {expected} but holds frame {seq}; \
                 moving the directory aside starts without its {} frames past {applied}",
                dir.display(),
                frames.len()
            )));
        }
        let journal = Journal {
            dir: dir.to_path_buf(),
            segments,
            current: None,
            offset: 0,
            next_seq: newest + 1,
            segment_bytes,
            applied: Arc::new(AtomicU64::new(applied)),
            frame: Vec::new(),
        };
        Ok((journal, frames))
    }

    /// Where the applier says how far SQLite got.
    pub fn applied(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.applied)
    }

    /// The sequence number the next frame gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends one frame and syncs it; answers its sequence number. On an
    /// error nothing is counted: the next frame takes the same place and
    /// number.
    pub fn append(&mut self, payload: &[u8]) -> std::io::Result<u64> {
        let seq = self.next_seq;
        self.frame.clear();
        self.frame
            .extend_from_slice(&(payload.len() as u32).to_le_bytes());
        self.frame
            .extend_from_slice(&checksum(seq, payload).to_le_bytes());
        self.frame.extend_from_slice(&seq.to_le_bytes());
        self.frame.extend_from_slice(payload);
        let len = self.frame.len() as u64;
        let current = match self.current {
            Some(c) if self.offset == 0 || self.offset + len <= self.segment_bytes => c,
            _ => self.next_segment()?,
        };
        let segment = &mut self.segments[current];
        segment.file.write_all_at(&self.frame, self.offset)?;
        segment.file.sync_data()?;
        segment.last_seq = seq;
        self.offset += len;
        self.next_seq += 1;
        Ok(seq)
    }

    /// Takes the segment whose frames SQLite has held longest, or a new
    /// one if every other still holds frames it has not.
    fn next_segment(&mut self) -> std::io::Result<usize> {
        let applied = self.applied.load(Ordering::Acquire);
        let free = (0..self.segments.len())
            .filter(|&i| Some(i) != self.current && self.segments[i].last_seq <= applied)
            .min_by_key(|&i| self.segments[i].last_seq);
        let taken = match free {
            Some(i) => i,
            None => {
                let number = fs::read_dir(&self.dir)?
                    .filter_map(|e| segment_number(&e.ok()?.path()))
                    .max()
                    .unwrap_or(0)
                    + 1;
                let file = File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(self.dir.join(format!("segment-{number:06}")))?;
                // The new name must survive a crash as its frames do.
                File::open(&self.dir)?.sync_all()?;
                self.segments.push(Segment { file, last_seq: 0 });
                self.segments.len() - 1
            }
        };
        self.current = Some(taken);
        self.offset = 0;
        Ok(taken)
    }

    /// How many segment files the journal has.
    #[cfg(test)]
    pub fn segments(&self) -> usize {
        self.segments.len()
    }
}

/// Creates the journal's directory if needed and takes its lock, waiting a
/// little for a store that is closing. Held for as long as the returned
/// file lives: one store per directory, from before it reads the database
/// to after its last write to it.
pub(crate) fn lock(dir: &Path) -> Result<File, StoreError> {
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(unavailable)?;
        // The directory's name must survive a crash as its frames do.
        if let Some(parent) = dir.parent() {
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(unavailable)?;
        }
    }
    let path = dir.join("lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(unavailable)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Unavailable(format!(
                    "{} is held by another Stratus using the same data directory",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(unavailable(e)),
        }
    }
}

fn segment_number(path: &Path) -> Option<u64> {
    path.file_name()?
        .to_str()?
        .strip_prefix("segment-")?
        .parse()
        .ok()
}

fn checksum(seq: u64, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&seq.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// The frames of one segment, up to the first that does not check or does
/// not follow the one before it.
fn frames_in(bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let word = |from: usize| {
            u32::from_le_bytes([
                header[from],
                header[from + 1],
                header[from + 2],
                header[from + 3],
            ])
        };
        let (len, crc) = (word(0) as usize, word(4));
        let seq = u64::from(word(8)) | u64::from(word(12)) << 32;
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        let follows = frames
            .last()
            .is_none_or(|&(previous, _): &(u64, &[u8])| seq == previous + 1);
        if len == 0 || !follows || checksum(seq, payload) != crc {
            break;
        }
        frames.push((seq, payload));
        at += HEADER + len;
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("stratus-journal-{}", uuid::Uuid::new_v4()))
    }

    fn payload(n: u64) -> Vec<u8> {
        format!("frame {n} ")
            .repeat(n as usize % 7 + 1)
            .into_bytes()
    }

    #[test]
    fn frames_read_back_in_order_past_what_was_applied() {
        let dir = temp_dir();
        let _lock = lock(&dir).expect("locked");
        {
            let (mut journal, frames) = Journal::open(&dir, 0).expect("opens");
            assert!(frames.is_empty());
            for n in 1..=5 {
                assert_eq!(journal.append(&payload(n)).expect("appended"), n);
            }
        }
        let (journal, frames) = Journal::open(&dir, 2).expect("reopens");
        let expected: Vec<Frame> = (3..=5).map(|n| (n, payload(n))).collect();
        assert_eq!(frames, expected);
        assert_eq!(journal.next_seq(), 6);
    }

    #[test]
    fn a_torn_or_stale_tail_ends_the_segment() {
        let dir = temp_dir();
        let _lock = lock(&dir).expect("locked");
        {
            let (mut journal, _) = Journal::open(&dir, 0).expect("opens");
            for n in 1..=3 {
                journal.append(&payload(n)).expect("appended");
            }
        }
        let segment = dir.join("segment-000001");
        let mut bytes = fs::read(&segment).expect("read");
        let whole = bytes.len();
        // The last frame torn: one byte of its payload changed.
        bytes[whole - 1] ^= 0xff;
        fs::write(&segment, &bytes).expect("written");
        let (_, frames) = Journal::open(&dir, 0).expect("reopens");
        assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn segments_are_written_over_once_applied_and_stale_frames_stay_out() {
        let dir = temp_dir();
        let _lock = lock(&dir).expect("locked");
        // Room for three frames of the first pass per segment.
        let size = (HEADER + payload(1).len()) as u64 * 3;
        let (mut journal, _) = Journal::open_sized(&dir, 0, size).expect("opens");
        let applied = journal.applied();
        for _ in 1..=3 {
            journal.append(&payload(1)).expect("appended");
        }
        applied.store(3, Ordering::Release);
        // The first segment is the current one: a second is made.
        for _ in 4..=6 {
            journal.append(&payload(1)).expect("appended");
        }
        assert_eq!(journal.segments(), 2);
        // The first is applied and free; the second is not: shorter
        // frames go over the first, leaving the ends of its old ones.
        for _ in 7..=10 {
            journal.append(b"short").expect("appended");
        }
        assert_eq!(
            journal.segments(),
            2,
            "the applied segment was written over"
        );
        for _ in 11..=14 {
            journal.append(b"short").expect("appended");
        }
        assert_eq!(journal.segments(), 3, "a segment still to apply is kept");
        drop(journal);
        let (journal, frames) = Journal::open_sized(&dir, 3, size).expect("reopens");
        let seqs: Vec<u64> = frames.iter().map(|f| f.0).collect();
        assert_eq!(seqs, (4..=14).collect::<Vec<_>>());
        assert!(frames[..3].iter().all(|f| f.1 == payload(1)));
        assert!(frames[3..].iter().all(|f| f.1 == b"short"));
        assert_eq!(journal.next_seq(), 15);
    }

    #[test]
    fn a_second_store_cannot_take_a_held_directory() {
        let dir = temp_dir();
        let _held = lock(&dir).expect("locked");
        let started = Instant::now();
        match lock(&dir) {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("another Stratus"), "{why}"),
            other => panic!("expected the lock to be refused, got {other:?}"),
        }
        assert!(started.elapsed() >= LOCK_WAIT);
    }

    #[test]
    fn frames_after_a_gap_refuse_the_open_instead_of_being_dropped() {
        let dir = temp_dir();
        let _lock = lock(&dir).expect("locked");
        let size = (HEADER + payload(1).len()) as u64 * 3;
        {
            let (mut journal, _) = Journal::open_sized(&dir, 0, size).expect("opens");
            for _ in 1..=6 {
                journal.append(&payload(1)).expect("appended");
            }
        }
        // Frame 2 lost from the first segment: 4..=6 in the second follow
        // a gap.
        let first = dir.join("segment-000001");
        let mut bytes = fs::read(&first).expect("read");
        let second_frame = HEADER + payload(1).len();
        bytes[second_frame + HEADER] ^= 0xff;
        fs::write(&first, &bytes).expect("written");
        match Journal::open_sized(&dir, 0, size) {
            Err(StoreError::Corrupt(why)) => assert!(why.contains("lacks frame 2"), "{why}"),
            other => panic!("expected a refusal, got {:?}", other.map(|(_, f)| f.len())),
        }
    }
}
