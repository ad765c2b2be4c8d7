//! Keeps the write-ahead log's pages in memory, so that a commit never waits for the disk to
//! read back a page the kernel dropped.
//!
//! A WAL frame is 4,120 bytes (a 4 KiB page and its 24-byte header), so every commit writes
//! part of a file block at each end of what it appends. Once the log starts over (see
//! `store::catch_up`), commits write over the blocks it already has; if the kernel dropped one
//! of those from the page cache meanwhile, the partial write first reads the block back from the
//! disk, with the shared connection held: every request waits. A kernel that reclaims memory
//! proactively does drop them: on the 2-core VM `make bench-load` runs on, DAMON's `pageout`
//! scheme (`/sys/kernel/mm/damon/admin`) reclaims whole physical regions it judges cold, hot
//! pages among them. Under load the commits then stalled 10–45 ms on `ext4_block_write_begin`
//! reading blocks back, and p99 rose from 5–6 ms to 85–645 ms (docs/benchmarks.md, session 14).
//!
//! The checkpoint thread maps the log (and its shared-memory index) read-only and locks the
//! mapping (`mlock`): locked pages are never reclaimed. It maps again whenever the file's size
//! changed, at most [`MAX_PINNED`] bytes of each. A process that may not lock that much
//! (`RLIMIT_MEMLOCK` without `CAP_IPC_LOCK`) falls back to asking the kernel to read the log's
//! pages back ahead of the writer (`POSIX_FADV_WILLNEED`) once a second, and says so once.

use memmap2::{Mmap, MmapOptions};
use std::path::PathBuf;

/// The most of one file kept locked: the log's size limit (`journal_size_limit`, 64 MiB) and
/// room for a log that grew past it before a checkpoint cut it back.
pub const MAX_PINNED: u64 = 128 * 1024 * 1024;

/// How a file's pages are being kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// This many bytes from the start are mapped and locked.
    Locked(u64),
    /// Locking is not permitted: this many bytes were asked to be read ahead.
    Advised(u64),
    /// The file does not exist or is empty.
    Absent,
}

/// One file whose pages are kept in memory. Not thread-safe by design: the checkpoint thread
/// owns it.
///
/// The file is mapped in [`CHUNK`]-sized pieces, each locked once: a log that grows costs a
/// lock of its new pieces only. Locking walks the pages of what it locks with the process's
/// memory map lock held, and a lock of the whole log on each growth held up every thread of
/// the process that allocated memory meanwhile (`mprotect` waiting 10–20 ms).
pub struct Resident {
    path: PathBuf,
    /// Whole chunks from the start of the file, in order.
    chunks: Vec<Mmap>,
    /// The part of the last chunk the file covers, if it ends inside one.
    tail: Option<Mmap>,
    may_lock: bool,
    /// For the log: its blocks are allocated ahead of its end ([`preallocate`]).
    growth: Option<Growth>,
}

/// How far ahead a growing file's blocks are allocated: twice what it grew by since the last
/// refresh, [`AHEAD_MIN`] to [`AHEAD_MAX`], never past `limit`.
struct Growth {
    limit: u64,
    last_len: u64,
}

/// A file that does not grow keeps this much allocated past its end (a test suite opens
/// hundreds of databases: each reserving the whole limit would be gigabytes)...
pub const AHEAD_MIN: u64 = 4 * 1024 * 1024;
/// ...and one that grows fast at most this much.
pub const AHEAD_MAX: u64 = 64 * 1024 * 1024;

/// The size of the pieces the file is locked in.
pub const CHUNK: u64 = 2 * 1024 * 1024;

impl Resident {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), chunks: Vec::new(), tail: None, may_lock: true, growth: None }
    }

    /// A file (the log) whose blocks are also allocated ahead of its end, up to `limit` bytes.
    pub fn growing(path: impl Into<PathBuf>, limit: u64) -> Self {
        Self { growth: Some(Growth { limit, last_len: 0 }), ..Self::new(path) }
    }

    fn covered(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK + self.tail.as_ref().map_or(0, |t| t.len() as u64)
    }

    /// Locks (or advises) the file's current pages, and for a growing file allocates blocks
    /// ahead; cheap when its size has not changed.
    pub fn refresh(&mut self) -> Held {
        let opened = std::fs::OpenOptions::new().read(true).write(self.growth.is_some()).open(&self.path);
        let Some((file, meta)) = opened.ok().and_then(|f| f.metadata().ok().map(|m| (f, m))) else {
            self.release();
            return Held::Absent;
        };
        if let Some(g) = &mut self.growth {
            let ahead = (2 * meta.len().saturating_sub(g.last_len)).clamp(AHEAD_MIN, AHEAD_MAX);
            g.last_len = meta.len();
            preallocate(&file, &meta, (meta.len() + ahead).min(g.limit));
        }
        let len = meta.len().min(MAX_PINNED);
        if len == 0 {
            self.release();
            return Held::Absent;
        }
        if self.may_lock {
            match self.lock_to(&file, len) {
                Ok(()) => return Held::Locked(len),
                Err(e) => {
                    tracing::info!(
                        file = %self.path.display(),
                        error = %e,
                        "the log's pages cannot be locked in memory (RLIMIT_MEMLOCK); asking the kernel to read them ahead instead"
                    );
                    self.release();
                    self.may_lock = false;
                }
            }
        }
        advise_will_need(&file, len);
        Held::Advised(len)
    }

    /// Unmaps (and so unlocks) everything.
    fn release(&mut self) {
        self.chunks.clear();
        self.tail = None;
    }

    fn lock_to(&mut self, file: &std::fs::File, len: u64) -> std::io::Result<()> {
        if len == self.covered() {
            return Ok(());
        }
        if len < self.covered() {
            // Cut back: pages past the new end are gone; start over.
            self.release();
        }
        self.tail = None;
        let map = |offset: u64, size: u64| -> std::io::Result<Mmap> {
            // SAFETY: the mapping is never read or written through: it exists only so that its
            // pages can be locked. A file that changes or shrinks under a mapping makes reading
            // it undefined; nothing reads it.
            let m = unsafe { MmapOptions::new().offset(offset).len(size as usize).map(file) }?;
            m.lock()?;
            Ok(m)
        };
        while (self.chunks.len() as u64 + 1) * CHUNK <= len {
            let offset = self.chunks.len() as u64 * CHUNK;
            self.chunks.push(map(offset, CHUNK)?);
        }
        let whole = self.chunks.len() as u64 * CHUNK;
        if len > whole {
            self.tail = Some(map(whole, len - whole)?);
        }
        Ok(())
    }
}

/// Gives the file its disk blocks up to `bytes` ahead of the writes (`fallocate` keeping the
/// size), so that a commit growing the log writes into blocks it has. A write into a block the
/// file does not have yet reserves one under the inode's block-map lock, which the log's own
/// writeback holds while it allocates (and, with the allocation bitmaps read back from the
/// disk, for up to 30 ms here): the commit waited with the shared connection held. Answers
/// whether blocks were added. Where the file system cannot (not Linux, or no `fallocate`),
/// nothing happens.
pub fn preallocate(file: &std::fs::File, meta: &std::fs::Metadata, bytes: u64) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        if meta.len() == 0 || meta.blocks() * 512 >= bytes {
            return false;
        }
        // SAFETY: a valid descriptor opened for writing; fallocate reads no memory.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, bytes as libc::off_t) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "the log's blocks could not be allocated ahead");
            return false;
        }
        true
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, meta, bytes);
        false
    }
}

/// Asks the kernel to read the file's first `len` bytes into the page cache (asynchronously;
/// pages already there cost a lookup).
fn advise_will_need(file: &std::fs::File, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor and a range inside the file; fadvise reads no memory.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, len as libc::off_t, libc::POSIX_FADV_WILLNEED) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::from_raw_os_error(rc), "read-ahead advice refused");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, len);
}

#[cfg(all(test, target_os = "linux"))]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    /// Drops the file's clean pages from the page cache (what reclaim does to pages nobody
    /// holds) and answers how many of its pages are still in memory, of how many.
    pub(crate) fn drop_cache_and_count_resident(path: &std::path::Path) -> (usize, usize) {
        let f = std::fs::File::open(path).unwrap();
        f.sync_all().unwrap();
        let len = f.metadata().unwrap().len() as usize;
        // SAFETY: a valid descriptor; fadvise reads no memory.
        assert_eq!(unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, len as libc::off_t, libc::POSIX_FADV_DONTNEED) }, 0);
        resident_pages(&f, len)
    }

    /// (pages in memory, pages) of the file's first `len` bytes, by `mincore` on a fresh mapping.
    pub(crate) fn resident_pages(f: &std::fs::File, len: usize) -> (usize, usize) {
        // SAFETY: only mincore looks at the mapping; nothing reads through it.
        let m = unsafe { MmapOptions::new().len(len).map(f) }.unwrap();
        let page = 4096;
        let pages = len.div_ceil(page);
        let mut vec = vec![0u8; pages];
        // SAFETY: the mapping is `len` bytes long and `vec` holds one byte per page of it.
        let rc = unsafe { libc::mincore(m.as_ptr() as *mut libc::c_void, len, vec.as_mut_ptr()) };
        assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
        (vec.iter().filter(|b| **b & 1 == 1).count(), pages)
    }

    fn file_of(bytes: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&vec![7u8; bytes]).unwrap();
        f.sync_all().unwrap();
        (dir, path)
    }

    #[test]
    fn a_locked_files_pages_stay_in_memory_when_the_cache_is_dropped() {
        let (_dir, path) = file_of(4 << 20);
        let (before, pages) = drop_cache_and_count_resident(&path);
        assert!(before < pages, "the cache was not dropped: {before} of {pages} pages still in memory");
        let mut r = Resident::new(&path);
        match r.refresh() {
            Held::Locked(len) => {
                assert_eq!(len, 4 << 20);
                let (kept, pages) = drop_cache_and_count_resident(&path);
                assert_eq!(kept, pages, "locked pages were dropped");
            }
            Held::Advised(len) => {
                // No permission to lock here: the advice reads the pages back.
                assert_eq!(len, 4 << 20);
                let f = std::fs::File::open(&path).unwrap();
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while resident_pages(&f, len as usize).0 < pages {
                    assert!(std::time::Instant::now() < deadline, "the advised pages were not read back");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
            Held::Absent => panic!("the file exists"),
        }
    }

    #[test]
    fn the_log_gets_its_blocks_ahead_without_changing_its_size() {
        use std::os::unix::fs::MetadataExt;
        let (_dir, path) = file_of(64 << 10);
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        assert!(preallocate(&file, &file.metadata().unwrap(), 8 << 20), "no blocks were added");
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 64 << 10, "the size changed");
        assert!(meta.blocks() * 512 >= 8 << 20, "{} bytes allocated", meta.blocks() * 512);
        assert!(!preallocate(&file, &file.metadata().unwrap(), 8 << 20), "allocated twice");
    }

    #[test]
    fn a_file_that_grew_is_locked_again_to_its_new_size_and_a_missing_one_is_absent() {
        let (dir, path) = file_of(1 << 20);
        let mut r = Resident::new(&path);
        let first = r.refresh();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&vec![1u8; 1 << 20]).unwrap();
        let second = r.refresh();
        match (first, second) {
            (Held::Locked(a), Held::Locked(b)) | (Held::Advised(a), Held::Advised(b)) => {
                assert_eq!((a, b), (1 << 20, 2 << 20))
            }
            other => panic!("the mode changed between refreshes: {other:?}"),
        }
        assert_eq!(Resident::new(dir.path().join("nothing")).refresh(), Held::Absent);
    }
}
