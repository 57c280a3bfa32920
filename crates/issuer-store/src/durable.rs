//! Group commit: every commit is on disk before the call that made it returns, and commits
//! that finish together share one `fdatasync` of the write-ahead log.
//!
//! The connection runs with `synchronous = NORMAL`, so SQLite itself does not sync the WAL at
//! a commit (it still syncs around every checkpoint, so the database file never depends on an
//! unsynced WAL). After a commit, and after releasing the connection, the call waits on
//! [`Durability::sync`]: one caller syncs the WAL file for everyone who committed before it
//! started, the others find their commit already covered. That is the guarantee of
//! `synchronous = FULL` (a commit that was answered survives a power loss), at one sync per
//! group of concurrent commits instead of one per commit, and with `fdatasync` (the WAL is
//! reused in place, so its size rarely changes) where SQLite's FULL calls `fsync`.
//!
//! A failed sync leaves the state of the file unknown (Linux may drop the pages it could not
//! write and report success for them at the next sync), so the first failure is sticky:
//! every later call fails with it, and the store answers `temporarily_unavailable` until the
//! process is restarted and SQLite recovers the file.

use core::sync::atomic::{AtomicU64, Ordering};
use std::fs::File;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use oid4vci_issuer::StoreError;

/// The WAL file and how much of it is known to be on disk.
#[derive(Debug)]
pub(crate) struct Durability {
    /// The `-wal` file, opened once. SQLite keeps it (and its inode) while this process holds
    /// a connection, resetting it in place after a checkpoint.
    wal: File,
    /// Commits made so far, counted under the connection's lock (so in commit order) and
    /// apart from `synced`, so a commit is never held up by a sync in progress.
    committed: AtomicU64,
    synced: Mutex<Synced>,
}

#[derive(Debug, Default)]
struct Synced {
    /// Commits known to be on disk.
    upto: u64,
    /// The first sync that failed.
    failed: Option<String>,
}

/// The number of a commit, which a caller waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Commit(u64);

impl Durability {
    /// Opens the WAL file of the database at `db_path` (it exists once the connection is in
    /// WAL mode and has run a transaction).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub(crate) fn open(db_path: &Path) -> std::io::Result<Self> {
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(Self::on(File::options().read(true).write(true).open(wal)?))
    }

    /// Syncing through `wal`, with no commit counted yet.
    fn on(wal: File) -> Self {
        Self {
            wal,
            committed: AtomicU64::new(0),
            synced: Mutex::new(Synced::default()),
        }
    }

    /// Counts one commit; call it while still holding the connection, right after the commit.
    pub(crate) fn committed(&self) -> Commit {
        // Release: the commit's writes to the WAL come before any sync that sees this count.
        Commit(
            self.committed
                .fetch_add(1, Ordering::Release)
                .saturating_add(1),
        )
    }

    /// The latest commit counted: waiting on it covers every commit made before.
    pub(crate) fn counted(&self) -> Commit {
        Commit(self.committed.load(Ordering::Acquire))
    }

    /// Returns once `commit` is on disk: at once when a sync that started after it already
    /// finished, else after syncing the WAL for every commit counted so far.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when this or any earlier sync failed.
    pub(crate) fn sync(&self, commit: Commit) -> Result<(), StoreError> {
        // The lock is held across the sync: callers arriving meanwhile wait for it and then
        // find their commit covered, which is the grouping.
        let mut synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(failure) = &synced.failed {
            return Err(unavailable(failure));
        }
        if synced.upto >= commit.0 {
            return Ok(());
        }
        // Every commit counted so far has written its frames: the sync covers them all.
        let covered = self.committed.load(Ordering::Acquire);
        match self.wal.sync_data() {
            Ok(()) => {
                synced.upto = covered;
                Ok(())
            }
            Err(e) => {
                let failure = e.to_string();
                let error = unavailable(&failure);
                synced.failed = Some(failure);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
impl Durability {
    /// (commits counted, commits synced).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        (self.committed.load(Ordering::Acquire), synced.upto)
    }
}

fn unavailable(failure: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "sqlite: syncing the write-ahead log failed: {failure}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced_upto(durable: &Durability) -> u64 {
        durable.counts().1
    }

    #[test]
    fn one_sync_covers_every_commit_counted_before_it() {
        let dir = std::env::temp_dir().join(format!("durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let db = dir.join("group.db");
        std::fs::write(dir.join("group.db-wal"), b"frames").unwrap_or_default();
        let Ok(durable) = Durability::open(&db) else {
            panic!("the WAL file opens")
        };
        let first = durable.committed();
        let second = durable.committed();
        let third = durable.committed();
        assert_eq!(synced_upto(&durable), 0);
        assert!(durable.sync(first).is_ok());
        assert_eq!(synced_upto(&durable), 3, "the first sync covers all three");
        assert!(durable.sync(third).is_ok());
        assert!(durable.sync(second).is_ok());
        assert_eq!(synced_upto(&durable), 3);
        let fourth = durable.committed();
        assert!(durable.sync(fourth).is_ok());
        assert_eq!(synced_upto(&durable), 4);
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }

    #[test]
    fn a_missing_wal_file_does_not_open() {
        let db = std::env::temp_dir().join("durable-no-such-dir/none.db");
        assert!(Durability::open(&db).is_err());
    }

    #[cfg(unix)]
    /// `fdatasync` on a pipe fails (EINVAL): the failure is reported, and every later sync
    /// fails with it, also for a commit an earlier sync might have covered.
    #[test]
    fn a_failed_sync_fails_every_later_call() {
        let Ok((_reader, writer)) = std::io::pipe() else {
            panic!("a pipe")
        };
        let durable = Durability::on(File::from(std::os::fd::OwnedFd::from(writer)));
        let first = durable.committed();
        let Err(StoreError::Unavailable(reason)) = durable.sync(first) else {
            panic!("syncing a pipe fails")
        };
        assert!(
            reason.contains("syncing the write-ahead log failed"),
            "{reason}"
        );
        assert_eq!(synced_upto(&durable), 0);
        assert!(matches!(
            durable.sync(first),
            Err(StoreError::Unavailable(again)) if again == reason
        ));
        let second = durable.committed();
        assert!(matches!(
            durable.sync(second),
            Err(StoreError::Unavailable(again)) if again == reason
        ));
    }
}
