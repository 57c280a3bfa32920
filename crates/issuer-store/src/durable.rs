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
//!
//! A caller may also wait without a thread of its own ([`Durability::poll_synced`], for an
//! async task): a background thread, started on the first such wait, then runs the syncs
//! those tasks want and wakes them. One sync runs at a time, whoever runs it; the lock on the
//! counts is never held across one, so a task checking whether its commit is covered never
//! waits for the disk.

use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

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
    /// Signalled when a sync ends, when a task wants one, and at close.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Synced {
    /// Commits known to be on disk.
    upto: u64,
    /// The first sync that failed.
    failed: Option<String>,
    /// Whether a sync is running (its caller released this lock for it).
    syncing: bool,
    /// The latest commit an async task waits on.
    wanted: u64,
    /// The tasks waiting on a commit, woken after every sync.
    wakers: Vec<Waker>,
    /// The background syncer.
    syncer: Syncer,
    /// Threads waiting on [`Durability::changed`] (blocking callers and the syncer): a
    /// notification nobody waits for is skipped, as each costs a system call.
    sleepers: usize,
}

/// The state of the background thread that syncs for async tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Syncer {
    /// No task waited yet.
    #[default]
    NotStarted,
    Running,
    /// The database was closed: the thread ends.
    Closed,
}

impl Synced {
    /// What a wait on `commit` returns now: `None` while it is not on disk yet.
    fn outcome(&self, commit: Commit) -> Option<Result<(), StoreError>> {
        if let Some(failure) = &self.failed {
            return Some(Err(unavailable(failure)));
        }
        (self.upto >= commit.0).then_some(Ok(()))
    }
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
    pub(crate) fn on(wal: File) -> Self {
        Self {
            wal,
            committed: AtomicU64::new(0),
            synced: Mutex::new(Synced::default()),
            changed: Condvar::new(),
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

    fn lock(&self) -> MutexGuard<'_, Synced> {
        self.synced.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, mut synced: MutexGuard<'a, Synced>) -> MutexGuard<'a, Synced> {
        synced.sleepers = synced.sleepers.saturating_add(1);
        let mut synced = self
            .changed
            .wait(synced)
            .unwrap_or_else(PoisonError::into_inner);
        synced.sleepers = synced.sleepers.saturating_sub(1);
        synced
    }

    /// Wakes every thread waiting on [`Self::changed`], if any (`synced` is the lock they
    /// wait under, so none can start waiting meanwhile).
    fn notify(&self, synced: &Synced) {
        if synced.sleepers > 0 {
            self.changed.notify_all();
        }
    }

    /// Returns once `commit` is on disk: at once when a sync that started after it already
    /// finished, else after the sync running now (if it covers `commit`) or one this call
    /// runs, for every commit counted so far.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when this or any earlier sync failed.
    pub(crate) fn sync(&self, commit: Commit) -> Result<(), StoreError> {
        let mut synced = self.lock();
        loop {
            if let Some(outcome) = synced.outcome(commit) {
                return outcome;
            }
            synced = if synced.syncing {
                // Callers arriving during a sync wait for it and then find their commit
                // covered, or run the next one for everyone counted meanwhile: the grouping.
                self.wait(synced)
            } else {
                self.sync_now(synced)
            };
        }
    }

    /// Syncs the WAL for every commit counted so far, without holding the lock meanwhile,
    /// then wakes everyone waiting.
    fn sync_now<'a>(&'a self, mut synced: MutexGuard<'a, Synced>) -> MutexGuard<'a, Synced> {
        synced.syncing = true;
        // Every commit counted so far has written its frames: the sync covers them all.
        let covered = self.committed.load(Ordering::Acquire);
        drop(synced);
        let result = self.wal.sync_data();
        let mut synced = self.lock();
        synced.syncing = false;
        match result {
            Ok(()) => synced.upto = synced.upto.max(covered),
            Err(e) => {
                synced.failed.get_or_insert_with(|| e.to_string());
            }
        }
        for waker in synced.wakers.drain(..) {
            waker.wake();
        }
        self.notify(&synced);
        synced
    }

    /// [`Self::sync`] for an async task: `Ready` once `commit` is on disk (or a sync failed),
    /// else `Pending`, with the task woken after the background thread's next sync.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a sync failed, or the background thread could not be
    /// started.
    pub(crate) fn poll_synced(
        self: &Arc<Self>,
        commit: Commit,
        cx: &Context<'_>,
    ) -> Poll<Result<(), StoreError>> {
        let mut synced = self.lock();
        if let Some(outcome) = synced.outcome(commit) {
            return Poll::Ready(outcome);
        }
        if synced.syncer == Syncer::NotStarted {
            let durable = Arc::clone(self);
            let started = std::thread::Builder::new()
                .name("issuer-store-sync".to_owned())
                .spawn(move || durable.run_syncer());
            if let Err(e) = started {
                return Poll::Ready(Err(StoreError::Unavailable(format!(
                    "sqlite: cannot start the thread syncing the write-ahead log: {e}"
                ))));
            }
            synced.syncer = Syncer::Running;
        }
        if !synced.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            synced.wakers.push(cx.waker().clone());
        }
        synced.wanted = synced.wanted.max(commit.0);
        self.notify(&synced);
        Poll::Pending
    }

    /// The background syncer: runs a sync whenever a task waits on a commit not yet on disk
    /// and none is running, until [`Self::close`].
    fn run_syncer(&self) {
        let mut synced = self.lock();
        loop {
            if synced.syncer == Syncer::Closed {
                return;
            }
            let wanted = synced.failed.is_none() && synced.wanted > synced.upto;
            synced = if wanted && !synced.syncing {
                self.sync_now(synced)
            } else {
                self.wait(synced)
            };
        }
    }

    /// Ends the background syncer, if it runs (the database is closing; no task can wait
    /// any more, since each holds the database).
    pub(crate) fn close(&self) {
        let mut synced = self.lock();
        synced.syncer = Syncer::Closed;
        self.notify(&synced);
    }
}

#[cfg(test)]
impl Commit {
    /// The commit's place in the count.
    pub(crate) fn number(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
impl Durability {
    /// (commits counted, commits synced).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.committed.load(Ordering::Acquire), self.lock().upto)
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
