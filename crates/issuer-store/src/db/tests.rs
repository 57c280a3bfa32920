//! The connection's commits and syncs, alone and inside `deferring` scopes.

use super::*;

#[path = "../../tests/support/temp.rs"]
mod temp;

use temp::TempDb;

/// A fresh database file (removed with its WAL files when the `TempDb` drops).
fn fresh(name: &str) -> (TempDb, Db) {
    let file = TempDb::new(name);
    let Ok(db) = Db::open(file.path(), Duration::from_secs(1)) else {
        panic!("the database opens")
    };
    (file, db)
}

/// A second connection on the file that fails at once when the write lock is held.
fn impatient(db_file: &Path) -> Connection {
    let Ok(conn) = Connection::open(db_file) else {
        panic!("a second connection opens")
    };
    assert!(conn.busy_timeout(Duration::ZERO).is_ok());
    conn
}

/// Whether the write lock is free: an impatient connection can write (and does).
fn lock_is_free(db_file: &Path, key: &str) -> bool {
    matches!(impatient(db_file).execute(INSERT, [key]), Ok(1))
}

/// Both ways of writing (a transaction, and statements committing on their own) return
/// only after a sync that covers them; a read commits and syncs nothing.
#[test]
fn every_write_is_synced_before_it_returns_and_a_read_is_not_counted() {
    let (_file, db) = fresh("sync");
    let before = db.durable.counts();
    assert_eq!(before.0, before.1, "the migration's writes are not counted");
    let insert = "INSERT INTO replay (key, expires_at) VALUES (?1, 10)";
    let wrote = db.write(|tx| tx.exec(insert, ["a"]).map_err(unavailable));
    assert!(matches!(wrote, Ok(1)));
    assert_eq!(db.durable.counts(), (before.0 + 1, before.0 + 1));
    let wrote = db.with(|conn| conn.exec(insert, ["b"]).map_err(unavailable));
    assert!(matches!(wrote, Ok(1)));
    assert_eq!(db.durable.counts(), (before.0 + 2, before.0 + 2));
    let count = db.with(|conn| {
        conn.row("SELECT COUNT(*) FROM replay", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(unavailable)
    });
    assert!(matches!(count, Ok(2)));
    assert_eq!(db.durable.counts(), (before.0 + 2, before.0 + 2));
}

const INSERT: &str = "INSERT INTO replay (key, expires_at) VALUES (?1, 10)";

fn insert(db: &Db, key: &str) -> Result<usize, StoreError> {
    db.write(|conn| conn.exec(INSERT, [key]).map_err(unavailable))
}

/// The keys in the replay table, as a connection of its own sees them (committed only).
fn committed_keys(db_file: &Path) -> Vec<String> {
    let Ok(conn) = Connection::open(db_file) else {
        panic!("a second connection opens")
    };
    let Ok(mut stmt) = conn.prepare("SELECT key FROM replay ORDER BY key") else {
        panic!("the query prepares")
    };
    let Ok(rows) = stmt.query_map([], |row| row.get::<_, String>(0)) else {
        panic!("the query runs")
    };
    rows.map(|row| row.unwrap_or_default()).collect()
}

/// Inside `deferring`, the writes of every call (also a nested scope's) wait in one
/// transaction, which another connection cannot see yet; the scope's end commits them once
/// and syncs once. Outside, a write commits and syncs on its own again.
#[test]
fn a_scope_commits_and_syncs_its_writes_once_at_its_end() {
    let (file, db) = fresh("defer");
    let (start, _) = db.durable.counts();
    let inside = db.deferring(|| {
        let first = insert(&db, "a");
        let nested = db.deferring(|| insert(&db, "b"));
        assert!(matches!(nested, Ok(Ok(1))));
        assert_eq!(db.durable.counts(), (start, start), "nothing committed yet");
        assert!(
            committed_keys(file.path()).is_empty(),
            "not visible before the commit"
        );
        first
    });
    assert!(matches!(inside, Ok(Ok(1))));
    assert_eq!(
        db.durable.counts(),
        (start + 1, start + 1),
        "one commit, one sync"
    );
    assert_eq!(committed_keys(file.path()), ["a", "b"]);
    assert!(matches!(insert(&db, "c"), Ok(1)));
    assert_eq!(db.durable.counts(), (start + 2, start + 2));
    let quiet = db.deferring(|| 7);
    assert!(matches!(quiet, Ok(7)));
    assert_eq!(db.durable.counts(), (start + 2, start + 2));
}

/// Two scopes running at once write into one transaction: the first to end commits both,
/// and the other, ending later, finds its writes committed and only syncs.
#[test]
fn concurrent_scopes_share_one_commit() {
    let (file, db) = fresh("share");
    let (start, _) = db.durable.counts();
    let ((early, committed), late) = beside_a_writer(&db, || {
        (
            db.deferring(|| insert(&db, "early")),
            committed_keys(file.path()),
        )
    });
    assert!(matches!(early, Ok(Ok(1))));
    assert_eq!(committed, ["early", "x"], "one commit holds both");
    assert!(matches!(late, Some(Ok(Ok(1)))));
    assert_eq!(db.durable.counts(), (start + 1, start + 1));
}

/// A refused call's changes are rolled back, and when nothing else is pending the write lock
/// is given back at once: another connection writes without waiting for it.
#[test]
fn a_refused_call_leaves_nothing_and_holds_no_lock() {
    let (file, db) = fresh("refuse");
    let (start, _) = db.durable.counts();
    let refused = db.deferring(|| {
        let refused = db.write_unless(|conn| {
            conn.exec(INSERT, ["refused"]).map_err(unavailable)?;
            Ok(Err::<(), _>("no"))
        });
        assert!(lock_is_free(file.path(), "elsewhere"));
        refused
    });
    assert!(matches!(refused, Ok(Ok(Err("no")))));
    assert_eq!(committed_keys(file.path()), ["elsewhere"]);
    assert_eq!(db.durable.counts(), (start, start), "nothing to commit");
}

/// Rolls the shared transaction back as SQLite does by itself after an I/O error or a full
/// disk.
fn roll_back_underneath(db: &Db) {
    let rolled = db.with(|conn| conn.execute_batch("ROLLBACK").map_err(unavailable));
    assert!(rolled.is_ok());
}

/// When SQLite rolls the shared transaction back by itself, the scope that wrote into it
/// fails instead of answering, and the next write begins a fresh transaction.
#[test]
fn a_transaction_rolled_back_underneath_fails_its_scope() {
    let (file, db) = fresh("lost");
    let lost = db.deferring(|| {
        let wrote = insert(&db, "a");
        roll_back_underneath(&db);
        wrote
    });
    assert!(matches!(lost, Err(StoreError::Unavailable(_))), "{lost:?}");
    assert!(committed_keys(file.path()).is_empty());
    assert!(matches!(insert(&db, "b"), Ok(1)));
    assert_eq!(committed_keys(file.path()), ["b"]);
}

/// A scope that wrote into a transaction that then failed fails too, even when it wrote
/// into the next transaction afterwards.
#[test]
fn a_scope_fails_when_an_earlier_transaction_it_wrote_into_failed() {
    let (file, db) = fresh("earlier");
    let lost = db.deferring(|| {
        let first = insert(&db, "a");
        roll_back_underneath(&db);
        let second = insert(&db, "b");
        (first, second)
    });
    assert!(matches!(lost, Err(StoreError::Unavailable(_))), "{lost:?}");
    // The later call was whole and is committed, so the write lock is free again.
    assert_eq!(committed_keys(file.path()), ["b"]);
    assert!(matches!(insert(&db, "c"), Ok(1)));
}

/// A panic inside a call rolls that call back; the scope's earlier, finished call is
/// committed on the way out, so the write lock is not held after the panic.
#[test]
fn a_panic_in_a_call_rolls_it_back_and_releases_the_lock() {
    let (file, db) = fresh("panic");
    let unwound = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
        db.deferring(|| {
            let first = insert(&db, "kept");
            let _never: Result<(), StoreError> = db.write(|conn| {
                conn.exec(INSERT, ["half"]).map_err(unavailable)?;
                panic!("a bug in the middle of a call")
            });
            first
        })
    }));
    assert!(unwound.is_err());
    assert_eq!(committed_keys(file.path()), ["kept"]);
    assert!(lock_is_free(file.path(), "after"));
}

/// A call that panics in a transaction begun for it ends that transaction: inside a scope
/// whose first call it is, and outside any scope.
#[test]
fn a_panic_in_the_first_call_releases_the_lock() {
    let (file, db) = fresh("first-panic");
    let panicking = || -> Result<(), StoreError> {
        db.write(|conn| {
            conn.exec(INSERT, ["half"]).map_err(unavailable)?;
            panic!("a bug in the middle of a call")
        })
    };
    let in_scope =
        std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| db.deferring(panicking)));
    assert!(in_scope.is_err());
    assert!(lock_is_free(file.path(), "after-scope"));
    let alone = std::panic::catch_unwind(core::panic::AssertUnwindSafe(panicking));
    assert!(alone.is_err());
    assert!(lock_is_free(file.path(), "after-alone"));
    assert_eq!(committed_keys(file.path()), ["after-alone", "after-scope"]);
}

/// Single use across handles: another handle (another process, in production) that writes
/// the same key while a scope holds it uncommitted waits for SQLite's write lock, then sees
/// the commit and is refused.
#[test]
fn another_handle_waits_for_the_scope_and_then_sees_its_commit() {
    let (file, db) = fresh("handles");
    let Ok(other) = Db::open(file.path(), Duration::from_secs(10)) else {
        panic!("a second handle opens")
    };
    let held = std::sync::Barrier::new(2);
    let scope_done = core::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let racing = s.spawn(|| {
            held.wait();
            let second = insert(&other, "k");
            (
                second,
                scope_done.load(core::sync::atomic::Ordering::SeqCst),
            )
        });
        let first = db.deferring(|| {
            let wrote = insert(&db, "k");
            held.wait();
            // Give the other handle time to reach the lock (the order holds either way).
            std::thread::sleep(Duration::from_millis(100));
            // The last step of the scope's body: the commit comes after it.
            scope_done.store(true, core::sync::atomic::Ordering::SeqCst);
            wrote
        });
        assert!(matches!(first, Ok(Ok(1))));
        let Ok((second, after)) = racing.join() else {
            panic!("the racing thread panicked")
        };
        assert!(
            after,
            "the other handle's write finished before the scope's body ended"
        );
        assert!(
            matches!(second, Err(StoreError::Unavailable(ref e)) if e.contains("UNIQUE")),
            "{second:?}"
        );
    });
    assert_eq!(committed_keys(file.path()), ["k"]);
}

/// What a scope that inserted one key returned.
type ScopeOutcome = Result<Result<usize, StoreError>, StoreError>;

/// Runs `body` while another thread's scope holds an uncommitted write of `x`; returns what
/// `body` returned and what that scope returned (it ends after `body`).
fn beside_a_writer<T>(db: &Db, body: impl FnOnce() -> T) -> (T, Option<ScopeOutcome>) {
    let wrote = std::sync::Barrier::new(2);
    let done = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            db.deferring(|| {
                let wrote_x = insert(db, "x");
                wrote.wait();
                done.wait();
                wrote_x
            })
        });
        wrote.wait();
        let out = body();
        done.wait();
        (out, writer.join().ok())
    })
}

/// A scope that only read, but saw another scope's uncommitted write, returns only once that
/// write is committed (it may answer with what it saw).
#[test]
fn a_reader_of_uncommitted_writes_waits_for_their_commit() {
    let (file, db) = fresh("reader");
    let ((seen, committed), writer) = beside_a_writer(&db, || {
        (db.deferring(|| count(&db)), committed_keys(file.path()))
    });
    assert!(matches!(seen, Ok(Ok(1))), "{seen:?}");
    assert_eq!(committed, ["x"], "committed before the reader answered");
    assert!(matches!(writer, Some(Ok(Ok(1)))));
}

/// When the transaction whose uncommitted write a scope read is lost, that scope fails too,
/// like the writer.
#[test]
fn a_reader_of_a_lost_write_fails() {
    let (file, db) = fresh("lost-read");
    let (seen, writer) = beside_a_writer(&db, || {
        db.deferring(|| {
            let seen = count(&db);
            roll_back_underneath(&db);
            seen
        })
    });
    assert!(matches!(seen, Err(StoreError::Unavailable(_))), "{seen:?}");
    assert!(matches!(writer, Some(Err(StoreError::Unavailable(_)))));
    assert!(committed_keys(file.path()).is_empty());
}

/// A `COMMIT` that SQLite refuses (here a deferred foreign key that is still violated) fails
/// the scope, leaves nothing behind and gives the write lock back.
#[test]
fn a_refused_commit_fails_the_scope_and_releases_the_lock() {
    let (file, db) = fresh("commit");
    let made = db.with(|conn| {
        conn.execute_batch(
            "CREATE TABLE pointer (list INTEGER REFERENCES status_lists (id) \
             DEFERRABLE INITIALLY DEFERRED)",
        )
        .map_err(unavailable)
    });
    assert!(made.is_ok());
    let refused = db.deferring(|| {
        let kept = insert(&db, "a");
        let dangling = db.write(|conn| {
            conn.exec("INSERT INTO pointer (list) VALUES (42)", [])
                .map_err(unavailable)
        });
        (kept, dangling)
    });
    assert!(
        matches!(refused, Err(StoreError::Unavailable(ref e)) if e.contains("FOREIGN KEY")),
        "{refused:?}"
    );
    assert!(committed_keys(file.path()).is_empty());
    assert!(lock_is_free(file.path(), "after"));
}

fn count(db: &Db) -> Result<i64, StoreError> {
    db.with(|conn| {
        conn.row("SELECT COUNT(*) FROM replay", [], |row| row.get(0))
            .map_err(unavailable)
    })
}

#[path = "../../tests/support/block_on.rs"]
mod block_on;

/// `committing` commits the scope's writes (another connection sees them) but leaves the
/// sync to whoever answers; awaiting the [`crate::Committed`] has the background thread run
/// it, and returns the value only after.
#[test]
fn an_awaited_commit_is_synced_by_the_background_thread() {
    let (file, db) = fresh("await");
    let db = Arc::new(db);
    let (start, _) = db.durable.counts();
    let Ok((value, Some(commit))) = db.committing(|| insert(&db, "a")) else {
        panic!("the scope commits and has a commit to sync")
    };
    assert_eq!(committed_keys(file.path()), ["a"]);
    assert_eq!(
        db.durable.counts(),
        (start + 1, start),
        "committed, not synced"
    );
    let pending = crate::Committed::new(value, Some(commit), Arc::clone(&db));
    let (out, polls) = block_on::block_on(pending);
    assert!(matches!(out, Ok(Ok(1))));
    assert!(polls >= 2, "pending until the background sync ran");
    assert_eq!(db.durable.counts(), (start + 1, start + 1));
    // A scope that only read has nothing to sync: ready at the first poll.
    let Ok((read, None)) = db.committing(|| 5) else {
        panic!("nothing to sync")
    };
    let (out, polls) = block_on::block_on(crate::Committed::new(read, None, Arc::clone(&db)));
    assert!(matches!(out, Ok(5)));
    assert_eq!(polls, 1);
}

/// Tasks awaiting on several threads at once all get their value after a sync that covers
/// their commit, also when blocking waiters sync beside them.
#[test]
fn awaiting_and_blocking_waiters_all_end_synced() {
    let (_file, db) = fresh("many");
    let db = Arc::new(db);
    let outcomes: Vec<bool> = std::thread::scope(|scope| {
        let waiters: Vec<_> = (0..8)
            .map(|n| {
                let db = Arc::clone(&db);
                scope.spawn(move || {
                    let key = format!("k{n}");
                    let Ok((value, commit)) = db.committing(|| insert(&db, &key)) else {
                        return false;
                    };
                    let pending = crate::Committed::new(value, commit, Arc::clone(&db));
                    let out = if n % 2 == 0 {
                        block_on::block_on(pending).0
                    } else {
                        pending.wait()
                    };
                    // Returned only once a sync covered its commit.
                    matches!(out, Ok(Ok(1)))
                        && commit.is_some_and(|c| db.durable.counts().1 >= c.number())
                })
            })
            .collect();
        waiters
            .into_iter()
            .map(|w| w.join().unwrap_or(false))
            .collect()
    });
    assert_eq!(outcomes, [true; 8]);
    let (counted, synced) = db.durable.counts();
    assert_eq!(counted, synced, "every commit is on disk");
}

/// A task awaiting a sync that fails gets the failure (woken by the background thread),
/// and so does every later one; closing ends the thread.
#[cfg(unix)]
#[test]
fn an_awaited_sync_that_fails_reports_it() {
    let Ok((_reader, writer)) = std::io::pipe() else {
        panic!("a pipe")
    };
    let durable = Arc::new(Durability::on(std::fs::File::from(
        std::os::fd::OwnedFd::from(writer),
    )));
    let first = durable.committed();
    let awaited =
        |commit| block_on::block_on(core::future::poll_fn(|cx| durable.poll_synced(commit, cx))).0;
    let Err(StoreError::Unavailable(reason)) = awaited(first) else {
        panic!("syncing a pipe fails")
    };
    assert!(reason.contains("syncing the write-ahead log failed"));
    let second = durable.committed();
    assert!(matches!(awaited(second), Err(StoreError::Unavailable(again)) if again == reason));
    durable.close();
    // The thread let go of its handle when it ended.
    for _ in 0..1000 {
        if Arc::strong_count(&durable) == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(Arc::strong_count(&durable), 1);
}
