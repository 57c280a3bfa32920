//! What only a durable store can show: state that survives closing the file, schema
//! versioning, two connections on one file, and database failures that refuse.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/temp.rs"]
mod temp;

use std::collections::HashSet;

use issuer_store::{OpenError, SCHEMA_VERSION, SqliteOptions, SqliteStores};
use jose_core::{SystemRandom, UnixTime};
use oid4vci_issuer::{
    AccessGrant, CodeError, DeferredError, GrantId, IssuedCode, IssuedCredential, PreAuthGrant,
    PushedRequest, RedeemError, RefreshError, RefreshGrant, StoreError,
};
use pop_verifier::ReplayError;
use rusqlite::Connection;
use serde_json::Map;
use status_list::Status;

fn t(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn g(id: &str) -> GrantId {
    GrantId::new(id.to_owned())
}

fn open(file: &temp::TempDb, list_size: u32) -> SqliteStores {
    SqliteStores::open(
        file.path(),
        &SqliteOptions::default().with_status_list_size(list_size),
    )
    .expect("open")
}

fn pre_auth(expires_at: i64) -> PreAuthGrant {
    PreAuthGrant::new(vec!["pid".into()], Map::new(), None, t(expires_at))
}

#[test]
fn state_survives_closing_and_reopening_the_file() {
    let file = temp::TempDb::new("reopen");
    let rng = SystemRandom::new();
    let (list, idx) = {
        let db = open(&file, 1024);
        let s = db.stores();
        s.codes
            .insert("code-used".into(), pre_auth(1000), 3, t(0))
            .unwrap();
        s.codes.redeem("code-used", None, t(1)).unwrap();
        s.codes
            .insert("code-live".into(), pre_auth(1000), 3, t(0))
            .unwrap();
        s.tokens
            .insert(
                "at".into(),
                AccessGrant::new(
                    g("g1"),
                    vec!["pid".into()],
                    Map::new(),
                    "aud".into(),
                    t(1000),
                ),
                t(0),
            )
            .unwrap();
        s.refresh
            .insert(
                "rt-1".into(),
                RefreshGrant::new(g("g1"), vec!["pid".into()], Map::new(), t(1000)),
                t(0),
            )
            .unwrap();
        s.refresh.rotate("rt-1", "rt-2".into(), None, t(1)).unwrap();
        s.deferred
            .insert(
                &g("g1"),
                "tx".into(),
                vec!["cred".into()],
                t(0),
                t(1000),
                t(0),
            )
            .unwrap();
        s.notifications
            .register(&g("g1"), "n".into(), vec!["cred".into()], t(1000), t(0))
            .unwrap();
        assert!(
            s.notifications
                .record(&g("g1"), "n", "credential_accepted", t(1))
                .unwrap()
        );
        let (list, idx) = s.status.allocate(&rng).unwrap();
        assert_eq!(s.status.set(&list, idx, Status::INVALID), Ok(true));
        s.registry
            .record(IssuedCredential::new(
                "cred".into(),
                g("g1"),
                "pid".into(),
                list.clone(),
                "https://issuer.example/status/1".into(),
                idx,
                t(1),
            ))
            .unwrap();
        let issued = IssuedCode::new(
            g("g3"),
            PushedRequest::new(
                "wallet".into(),
                "https://wallet.example/cb".into(),
                "challenge".into(),
                vec!["pid".into()],
                t(1000),
            ),
            Map::new(),
            t(1000),
        );
        s.authorizations
            .insert_code("ac".into(), issued, t(0))
            .unwrap();
        s.authorizations
            .redeem_code("ac", t(1), t(1000), &|_| Ok(()))
            .unwrap();
        db.replay_guard()
            .check_and_record("dpop|1:k|j", t(1000), t(1))
            .unwrap();
        (list, idx)
    };

    let db = open(&file, 1024);
    let s = db.stores();
    assert_eq!(
        s.codes.redeem("code-used", None, t(2)).unwrap_err(),
        RedeemError::Unknown,
        "a redeemed code stays redeemed"
    );
    assert!(s.codes.redeem("code-live", None, t(2)).is_ok());
    assert_eq!(s.tokens.get("at", t(2)).unwrap().unwrap().grant, g("g1"));
    assert_eq!(
        s.refresh
            .rotate("rt-1", "x".into(), None, t(2))
            .unwrap_err(),
        RefreshError::Reused { grant: g("g1") },
        "a rotated refresh token is still known as rotated"
    );
    assert!(s.refresh.is_revoked(&g("g1"), t(2)).unwrap());
    assert_eq!(s.deferred.take(&g("g1"), "tx", t(2)).unwrap(), ["cred"]);
    assert_eq!(
        s.notifications.events(&g("g1"), "n", t(2)).unwrap(),
        ["credential_accepted"]
    );
    assert_eq!(s.status.status(&list, idx), Ok(Some(Status::INVALID)));
    assert_eq!(s.registry.list().unwrap().len(), 1);
    assert_eq!(s.registry.list().unwrap()[0].status_idx, idx);
    assert_eq!(
        s.authorizations
            .redeem_code("ac", t(2), t(1000), &|_| Ok(()))
            .unwrap_err(),
        CodeError::Reused { grant: g("g3") }
    );
    assert_eq!(
        db.replay_guard()
            .check_and_record("dpop|1:k|j", t(1000), t(2)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn status_indices_stay_unique_across_restarts() {
    let file = temp::TempDb::new("indices");
    let rng = SystemRandom::new();
    let mut seen = HashSet::new();
    // Three opens, each allocating part of a 16-entry list; the last open fills it and
    // starts the next.
    for round in 0..3 {
        let db = open(&file, 16);
        for _ in 0..7 {
            let got = db.stores().status.allocate(&rng).unwrap();
            assert!(
                seen.insert(got.clone()),
                "{got:?} handed out twice (round {round})"
            );
        }
    }
    let first: Vec<_> = seen.iter().filter(|(l, _)| l == "1").collect();
    assert_eq!(
        first.len(),
        16,
        "the first list is used up before the second starts"
    );
    assert_eq!(seen.len(), 21);
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let file = temp::TempDb::new("schema");
    drop(open(&file, 16));
    let db = open(&file, 16);
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    drop(db);

    let conn = Connection::open(file.path()).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    match SqliteStores::open(file.path(), &SqliteOptions::default()) {
        Err(OpenError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("a newer schema was not refused: {other:?}"),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let file = temp::TempDb::new("corrupt");
    std::fs::write(file.path(), vec![0x5a; 8192]).unwrap();
    assert!(matches!(
        SqliteStores::open(file.path(), &SqliteOptions::default()),
        Err(OpenError::Sqlite(_))
    ));
    assert!(matches!(
        SqliteStores::open(
            file.path(),
            &SqliteOptions::default().with_status_list_size(0)
        ),
        Err(OpenError::EmptyStatusList)
    ));
}

fn is_unavailable(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_))
}

#[test]
fn a_database_failure_refuses_and_never_accepts() {
    let file = temp::TempDb::new("failure");
    let db = open(&file, 16);
    let s = db.stores();
    let replay = db.replay_guard();
    s.codes
        .insert("code".into(), pre_auth(1000), 3, t(0))
        .unwrap();
    s.tokens
        .insert(
            "at".into(),
            AccessGrant::new(g("g1"), vec![], Map::new(), "aud".into(), t(1000)),
            t(0),
        )
        .unwrap();
    s.deferred
        .insert(&g("g1"), "tx".into(), vec!["c".into()], t(0), t(1000), t(0))
        .unwrap();

    // Another connection breaks the schema under the open store.
    let conn = Connection::open(file.path()).unwrap();
    conn.execute_batch(
        "DROP TABLE pre_auth_codes; DROP TABLE access_tokens; DROP TABLE replay;
         DROP TABLE refresh_tokens; DROP TABLE rotated_refresh_tokens;
         DROP TABLE revoked_grants; DROP TABLE deferred; DROP TABLE status_indices;
         DROP TABLE issued_credentials;",
    )
    .unwrap();
    drop(conn);

    match s.codes.redeem("code", None, t(1)) {
        Err(RedeemError::Store(e)) => assert!(is_unavailable(&e)),
        other => panic!("a failed redemption answered {other:?}"),
    }
    assert!(is_unavailable(
        &s.codes
            .insert("c2".into(), pre_auth(1000), 3, t(1))
            .unwrap_err()
    ));
    // The store cannot tell: neither "no such token" nor "revoked", but its failure, which
    // the engine answers as its own (500), not as the wallet's.
    assert!(is_unavailable(&s.tokens.get("at", t(1)).unwrap_err()));
    assert!(is_unavailable(
        &s.refresh.is_revoked(&g("g1"), t(1)).unwrap_err()
    ));
    assert!(matches!(
        s.refresh.rotate("rt", "next".into(), None, t(1)),
        Err(RefreshError::Store(StoreError::Unavailable(_)))
    ));
    assert!(matches!(
        s.deferred.take(&g("g1"), "tx", t(1)),
        Err(DeferredError::Store(StoreError::Unavailable(_)))
    ));
    assert!(matches!(
        s.tokens.revoke_grant(&g("g1")),
        Err(StoreError::Unavailable(_))
    ));
    assert!(is_unavailable(
        &s.status.allocate(&SystemRandom::new()).unwrap_err()
    ));
    assert!(is_unavailable(
        &s.registry
            .record(IssuedCredential::new(
                "c".into(),
                g("g1"),
                "pid".into(),
                "1".into(),
                "u".into(),
                0,
                t(1),
            ))
            .unwrap_err()
    ));
    assert!(matches!(
        replay.check_and_record("k", t(1000), t(1)),
        Err(ReplayError::Unavailable { .. })
    ));
    assert!(is_unavailable(&db.purge_expired(t(1)).unwrap_err()));
}

#[test]
fn expired_rows_are_purged_and_secrets_are_stored_hashed() {
    let file = temp::TempDb::new("purge");
    let db = open(&file, 16);
    let s = db.stores();
    s.codes
        .insert("plain-secret-code".into(), pre_auth(100), 3, t(0))
        .unwrap();
    s.codes
        .insert("short-lived".into(), pre_auth(10), 3, t(0))
        .unwrap();
    db.replay_guard()
        .check_and_record("k1", t(10), t(0))
        .unwrap();

    let conn = Connection::open(file.path()).unwrap();
    let hits: i64 = conn
        .query_row(
            "SELECT count(*) FROM pre_auth_codes WHERE code_hash LIKE '%plain-secret-code%'
             OR grant_json LIKE '%plain-secret-code%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(hits, 0, "a code is stored only as its hash");

    assert_eq!(db.purge_expired(t(10)).unwrap(), 2);
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM pre_auth_codes) + (SELECT count(*) FROM replay)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(left, 1, "only the live code remains");
    // An insert purges its own table too.
    s.codes
        .insert("x".into(), pre_auth(1000), 3, t(200))
        .unwrap();
    let codes: i64 = conn
        .query_row("SELECT count(*) FROM pre_auth_codes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        codes, 1,
        "the code that expired at 100 went with the insert at 200"
    );
}

#[test]
fn two_handles_on_one_file_share_single_use() {
    let file = temp::TempDb::new("two");
    let a = open(&file, 16);
    let b = open(&file, 16);
    a.stores()
        .codes
        .insert("shared".into(), pre_auth(1000), 3, t(0))
        .unwrap();
    let (sa, sb) = (a.stores(), b.stores());
    let (ra, rb) = (a.replay_guard(), b.replay_guard());
    let wins = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (stores, replay) = if i % 2 == 0 { (&sa, &ra) } else { (&sb, &rb) };
                scope.spawn(move || {
                    (
                        usize::from(stores.codes.redeem("shared", None, t(1)).is_ok()),
                        usize::from(replay.check_and_record("jti", t(100), t(1)).is_ok()),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |(c, r), (x, y)| (c + x, r + y))
    });
    assert_eq!(
        wins,
        (1, 1),
        "one code redemption and one replay record across both"
    );
    let rng = SystemRandom::new();
    let mut seen = HashSet::new();
    for i in 0..20 {
        let s = if i % 2 == 0 { &sa } else { &sb };
        assert!(seen.insert(s.status.allocate(&rng).unwrap()));
    }
}

#[test]
fn a_locked_database_is_unavailable_then_recovers() {
    let file = temp::TempDb::new("locked");
    let db = SqliteStores::open(
        file.path(),
        &SqliteOptions::default()
            .with_status_list_size(16)
            .with_busy_timeout(core::time::Duration::from_millis(50)),
    )
    .unwrap();
    let s = db.stores();
    let replay = db.replay_guard();
    s.codes
        .insert("code".into(), pre_auth(1000), 3, t(0))
        .unwrap();

    // Another process holds the write lock past the busy timeout.
    let other = Connection::open(file.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    match s.codes.redeem("code", None, t(1)) {
        Err(RedeemError::Store(e)) => assert!(is_unavailable(&e)),
        other => panic!("a redemption under a held lock answered {other:?}"),
    }
    assert!(matches!(
        replay.check_and_record("jti", t(100), t(1)),
        Err(ReplayError::Unavailable { .. })
    ));
    other.execute_batch("ROLLBACK").unwrap();

    // The lock is gone: the same code and jti work, once.
    assert!(s.codes.redeem("code", None, t(2)).is_ok());
    assert_eq!(
        s.codes.redeem("code", None, t(2)).unwrap_err(),
        RedeemError::Unknown
    );
    assert_eq!(replay.check_and_record("jti", t(100), t(2)), Ok(()));
    assert_eq!(
        replay.check_and_record("jti", t(100), t(2)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn a_version_1_database_gains_the_audit_table_and_keeps_its_state() {
    let file = temp::TempDb::new("migrate-v1");
    let db = open(&file, 16);
    db.stores()
        .codes
        .insert("code".into(), pre_auth(2_000), 3, t(1_000))
        .unwrap();
    drop(db);
    // Back to what version 1 wrote: no audit table.
    let conn = Connection::open(file.path()).unwrap();
    conn.execute_batch("DROP TABLE audit_events; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    let db = open(&file, 16);
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 3);
    assert!(db.audit_events(None, 10).unwrap().is_empty());
    assert!(db.stores().codes.redeem("code", None, t(1_001)).is_ok());
}
