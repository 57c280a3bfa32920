//! PostgreSQL as a fleet's store (feature `postgres`): two independent `PostgresStores`
//! (two pools, as two issuer processes would have) on one database share single use and
//! status indices; migrations run once when processes start together; expired rows are
//! purged and secrets are stored hashed. The server is started by the tests' own setup
//! (`support/pg.rs`).

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/pg.rs"]
mod pg;

use core::sync::atomic::{AtomicBool, Ordering};
use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use issuer::{ISSUER, NOW, PRE_AUTH, token};
use issuer_store::{
    MAX_AUDIT_PAGE, OpenError, POSTGRES_SCHEMA_VERSION, PostgresAuditSink, PostgresOptions,
    PostgresStores, StoredAuditEvent,
};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    AccessGrant, AuditEvent, AuditSink, EndpointRequest, GrantId, IssuerEngine, KeyChange,
    PreAuthGrant, StoreError,
};
use pop_verifier::{KeyProofClaims, NoncePurpose, ProofKey, ReplayError, build_key_proof};
use postgres::error::SqlState;
use serde_json::{Map, Value, json};

fn t(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn connect(url: &str, list_size: u32) -> PostgresStores {
    PostgresStores::connect(
        url,
        &PostgresOptions::default()
            .with_pool_size(8)
            .with_status_list_size(list_size),
    )
    .expect("connect")
}

/// Two "processes" on one fresh database.
fn two_instances(label: &str, list_size: u32) -> (String, [PostgresStores; 2]) {
    let url = pg::server().fresh_database(label);
    let a = connect(&url, list_size);
    let b = connect(&url, list_size);
    (url, [a, b])
}

#[test]
fn a_replay_key_raced_from_16_threads_on_two_instances_is_accepted_once() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 150;
    let (_, instances) = two_instances("replay_race", 64);
    let guards = [instances[0].replay_guard(), instances[1].replay_guard()];
    let barrier = Barrier::new(THREADS);
    let accepted: Vec<Vec<bool>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let guard = &guards[thread % 2];
                let barrier = &barrier;
                s.spawn(move || {
                    (0..ROUNDS)
                        .map(|round| {
                            barrier.wait();
                            let key = format!("dpop|4:jkt1|jti-{round}");
                            match guard.check_and_record(&key, t(1000), t(10)) {
                                Ok(()) => true,
                                Err(ReplayError::Replayed) => false,
                                Err(e) => panic!("round {round}: {e:?}"),
                            }
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for round in 0..ROUNDS {
        let winners = accepted.iter().filter(|thread| thread[round]).count();
        assert_eq!(winners, 1, "round {round}: accepted {winners} times");
    }
    // Both instances accepted some rounds: the race really spanned both pools.
    let per_instance = |i: usize| {
        accepted
            .iter()
            .enumerate()
            .filter(|(thread, _)| thread % 2 == i)
            .map(|(_, rounds)| rounds.iter().filter(|won| **won).count())
            .sum::<usize>()
    };
    assert_eq!(per_instance(0) + per_instance(1), ROUNDS);
    assert!(per_instance(0) > 0 && per_instance(1) > 0);
}

fn proof(engine: &IssuerEngine, holder: &LocalSigner, now: UnixTime) -> String {
    let nonce = engine.fresh(NoncePurpose::CNonce, now).unwrap();
    let claims = KeyProofClaims::new(ISSUER, now).with_nonce(nonce);
    build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), holder).unwrap()
}

#[test]
fn a_pre_authorized_code_redeemed_at_once_on_two_engines_succeeds_once() {
    const ROUNDS: usize = 20;
    const THREADS: usize = 8;
    let (_, [a, b]) = two_instances("code_race", 1024);
    let engines = [
        issuer::engine(a.stores(), a.replay_guard()),
        issuer::engine(b.stores(), b.replay_guard()),
    ];
    let barrier = Barrier::new(THREADS);
    for round in 0..ROUNDS {
        let code = engines[round % 2]
            .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
            .unwrap();
        let body = format!("{PRE_AUTH}&pre-authorized_code={code}");
        let answers: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let (engine, barrier, body) = (&engines[thread % 2], &barrier, &body);
                    s.spawn(move || {
                        barrier.wait();
                        (thread % 2, token(engine, body, NOW))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<_> = answers.iter().filter(|(_, a)| a.is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (_, answer) in &answers {
            if let Err(refusal) = answer {
                assert_eq!(refusal, &(400, "invalid_grant".to_owned()), "{answers:?}");
            }
        }
        if round == 0 {
            // The winner's access token is honoured by the other engine too.
            let (engine_idx, Ok(tokens)) = winners[0] else {
                unreachable!()
            };
            let other = &engines[1 - engine_idx];
            let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
            let authorization = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
            let headers: [(&str, &[u8]); 2] = [
                ("authorization", authorization.as_bytes()),
                ("content-type", b"application/json"),
            ];
            let body = json!({"credential_configuration_id": "pid",
                              "proofs": {"jwt": [proof(other, &holder, NOW)]}})
            .to_string();
            let answer = other
                .credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
                .map_err(|e| (e.status(), e.error().to_owned()))
                .unwrap();
            assert_eq!(answer.status, 200);
        }
    }
}

#[test]
fn status_indices_stay_unique_across_10_000_allocations_on_two_instances() {
    // Half of them in batches (`allocate_many`), on both instances.
    const LIST: u32 = 4096;
    const THREADS: usize = 8;
    const PER_THREAD: usize = 1250;
    let (_, instances) = two_instances("status_race", LIST);
    let stores = [instances[0].stores(), instances[1].stores()];
    let all: Vec<(String, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let status = &stores[thread % 2].status;
                s.spawn(move || {
                    let rng = SystemRandom::new();
                    // Half the threads allocate in batches of 5, as a credential request
                    // with 5 proofs does: one reservation for a batch that fits, entry by
                    // entry for one that does not.
                    if thread % 4 < 2 {
                        (0..PER_THREAD / 5)
                            .flat_map(|_| status.allocate_many(&rng, 5).unwrap())
                            .collect::<Vec<_>>()
                    } else {
                        (0..PER_THREAD)
                            .map(|_| status.allocate(&rng).unwrap())
                            .collect::<Vec<_>>()
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(all.len(), THREADS * PER_THREAD);
    let unique: HashSet<&(String, u64)> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "an index was handed out twice");
    assert!(all.iter().all(|(_, idx)| *idx < u64::from(LIST)));
    let per_list = |name: &str| all.iter().filter(|(l, _)| l == name).count();
    // 10,000 entries fill two lists of 4,096 exactly and start a third: no list overfilled,
    // none skipped, no fourth created by a race.
    assert_eq!(per_list("1"), 4096);
    assert_eq!(per_list("2"), 4096);
    assert_eq!(per_list("3"), 10_000 - 2 * 4096);
    // The partly filled list's indices spread over the whole list (drawn at random, not in
    // order): 1,808 draws in 8 buckets of 512 entries, about 226 each.
    let mut buckets = [0usize; 8];
    for (_, idx) in all.iter().filter(|(l, _)| l == "3") {
        buckets[usize::try_from(*idx / 512).unwrap()] += 1;
    }
    assert!(
        buckets.iter().all(|n| (126..=326).contains(n)),
        "{buckets:?}"
    );
    // Both instances see the same lists.
    let rng = SystemRandom::new();
    let (list, idx) = stores[0].status.allocate(&rng).unwrap();
    assert_eq!(list, "3");
    assert!(!unique.contains(&(list.clone(), idx)));
    assert_eq!(
        stores[1]
            .status
            .set(&list, idx, status_list::Status::INVALID),
        Ok(true)
    );
    assert_eq!(
        stores[0].status.status(&list, idx),
        Ok(Some(status_list::Status::INVALID))
    );
}

#[test]
fn processes_starting_together_migrate_once_and_a_newer_schema_is_refused() {
    let url = pg::server().fresh_database("migrate");
    let opened: Vec<PostgresStores> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| connect(&url, 64))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for db in &opened {
        assert_eq!(db.schema_version().unwrap(), POSTGRES_SCHEMA_VERSION);
    }
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let applied: i64 = admin
        .query_one("SELECT count(*) FROM issuer_store_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, POSTGRES_SCHEMA_VERSION, "each migration ran once");
    // Opening again runs nothing and keeps the data.
    opened[0]
        .replay_guard()
        .check_and_record("k", t(100), t(0))
        .unwrap();
    let again = connect(&url, 64);
    assert_eq!(
        again.replay_guard().check_and_record("k", t(100), t(1)),
        Err(ReplayError::Replayed)
    );

    admin
        .execute(
            "INSERT INTO issuer_store_schema (version) VALUES ($1)",
            &[&(POSTGRES_SCHEMA_VERSION + 1)],
        )
        .unwrap();
    match PostgresStores::connect(&url, &PostgresOptions::default()) {
        Err(OpenError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, POSTGRES_SCHEMA_VERSION + 1);
            assert_eq!(supported, POSTGRES_SCHEMA_VERSION);
        }
        other => panic!("a newer schema was opened: {other:?}"),
    }
}

#[test]
fn bad_urls_and_options_are_refused() {
    assert!(matches!(
        PostgresStores::connect("postgres://[bad", &PostgresOptions::default()),
        Err(OpenError::Postgres(_))
    ));
    let url = pg::server().url("postgres");
    assert!(matches!(
        PostgresStores::connect(&url, &PostgresOptions::default().with_pool_size(0)),
        Err(OpenError::Postgres(_))
    ));
    assert!(matches!(
        PostgresStores::connect(&url, &PostgresOptions::default().with_status_list_size(0)),
        Err(OpenError::EmptyStatusList)
    ));
    assert!(matches!(
        PostgresStores::connect(
            &pg::server().url("no_such_database"),
            &PostgresOptions::default()
        ),
        Err(OpenError::Postgres(_))
    ));
}

#[test]
fn expired_rows_are_purged_and_secrets_are_stored_hashed() {
    let url = pg::server().fresh_database("purge");
    let db = connect(&url, 64);
    let s = db.stores();
    s.codes
        .insert(
            "secret-code".into(),
            PreAuthGrant::new(vec!["pid".into()], Map::new(), None, t(100)),
            3,
            t(0),
        )
        .unwrap();
    s.tokens
        .insert(
            "secret-token".into(),
            AccessGrant::new(
                GrantId::new("g1".into()),
                vec!["pid".into()],
                Map::new(),
                "aud".into(),
                t(50),
            ),
            t(0),
        )
        .unwrap();
    db.replay_guard()
        .check_and_record("jti-1", t(30), t(0))
        .unwrap();

    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let dump: String = admin
        .query_one(
            "SELECT string_agg(code_hash || grant_json, ' ') FROM pre_auth_codes",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!dump.contains("secret-code"), "the code is stored hashed");
    let tokens: String = admin
        .query_one("SELECT string_agg(token_hash, ' ') FROM access_tokens", &[])
        .unwrap()
        .get(0);
    assert!(
        !tokens.contains("secret-token"),
        "the token is stored hashed"
    );
    assert_eq!(tokens.len(), 64, "a SHA-256 in hex");

    assert_eq!(db.purge_expired(t(40)).unwrap(), 1, "the replay entry");
    assert_eq!(db.purge_expired(t(60)).unwrap(), 1, "the access token");
    assert_eq!(db.purge_expired(t(60)).unwrap(), 0);
    assert_eq!(db.purge_expired(t(100)).unwrap(), 1, "the code");
    let rows: i64 = admin
        .query_one(
            "SELECT (SELECT count(*) FROM pre_auth_codes) + (SELECT count(*) FROM access_tokens)
                  + (SELECT count(*) FROM replay)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);

    // An insert purges its own table when its interval has passed.
    let replay = db.replay_guard();
    replay.check_and_record("old", t(200), t(150)).unwrap();
    replay.check_and_record("new", t(10_000), t(5_000)).unwrap();
    let keys: Vec<String> = admin
        .query("SELECT key FROM replay", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(keys, ["new"], "the expired entry went with the next insert");
}

#[test]
fn a_statement_stuck_on_a_lock_times_out_as_unavailable_and_accepts_nothing() {
    let url = pg::server().fresh_database("timeout");
    let db = PostgresStores::connect(
        &url,
        &PostgresOptions::default()
            .with_pool_size(2)
            .with_statement_timeout(core::time::Duration::from_millis(300)),
    )
    .unwrap();
    let codes = db.stores().codes;
    codes
        .insert(
            "locked-code".into(),
            PreAuthGrant::new(vec!["pid".into()], Map::new(), None, t(100)),
            3,
            t(0),
        )
        .unwrap();
    // Another session holds every code row.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = admin.transaction().unwrap();
    tx.query("SELECT * FROM pre_auth_codes FOR UPDATE", &[])
        .unwrap();
    let started = std::time::Instant::now();
    match codes.redeem("locked-code", None, t(1)) {
        Err(oid4vci_issuer::RedeemError::Store(StoreError::Unavailable(reason))) => {
            assert!(reason.contains("57014"), "a statement timeout: {reason}")
        }
        other => panic!("a redemption past the statement timeout: {other:?}"),
    }
    assert!(started.elapsed() < core::time::Duration::from_secs(3));
    tx.rollback().unwrap();
    // The lock is gone: the code was never consumed, and redeems now.
    codes.redeem("locked-code", None, t(1)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The audit trail

fn audited_engine(db: &PostgresStores, sink: Arc<PostgresAuditSink>) -> IssuerEngine {
    issuer::builder(db.stores(), db.replay_guard())
        .with_audit_sink(sink)
        .build()
        .unwrap()
}

/// Posts to the credential endpoint: the status and body.
fn credential(engine: &IssuerEngine, access: &str, body: &Value) -> (u16, Value) {
    let authorization = format!("Bearer {access}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let body = body.to_string();
    match engine.credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW) {
        Ok(answer) => (answer.status, answer.body.unwrap()),
        Err(e) => (e.status(), json!({"error": e.error()})),
    }
}

fn key_event(name: &str) -> AuditEvent {
    AuditEvent::key_changed(name, "credential", KeyChange::Created)
}

/// Every stored event, page by page.
fn read_all(db: &PostgresStores) -> Vec<StoredAuditEvent> {
    let mut all: Vec<StoredAuditEvent> = Vec::new();
    loop {
        let page = db
            .audit_events(all.last().map(|e| e.id), MAX_AUDIT_PAGE)
            .unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

#[test]
fn the_audit_trail_of_two_instances_is_one_paged_trail() {
    let (url, [a, b]) = two_instances("audit_shared", 1024);
    let sinks = [a.audit_sink(), b.audit_sink()];
    let engine_a = audited_engine(&a, Arc::clone(&sinks[0]));
    let engine_b = audited_engine(&b, Arc::clone(&sinks[1]));
    let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();

    // The code is redeemed on one instance, the credential issued on the other, and the same
    // key proof replayed on the first.
    let code = engine_a
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    let tokens = token(
        &engine_a,
        &format!("{PRE_AUTH}&pre-authorized_code={code}"),
        NOW,
    )
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let request = json!({
        "credential_configuration_id": "pid",
        "proofs": {"jwt": [proof(&engine_b, &holder, NOW)]},
    });
    assert_eq!(credential(&engine_b, access, &request).0, 200);
    assert_eq!(
        credential(&engine_a, access, &request),
        (400, json!({"error": "invalid_nonce"}))
    );
    // The deployment records a key change through the second instance's sink.
    let rotated = AuditEvent::key_changed("k2", "credential", KeyChange::Rotated);
    let last_id = sinks[1].append(&rotated, t(NOW.secs() + 1)).unwrap();

    let all = a.audit_events(None, 100).unwrap();
    assert_eq!(
        b.audit_events(None, 100).unwrap(),
        all,
        "both see every event"
    );
    let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "pre_authorized_code_redeemed",
            "credential_issued",
            "replay_detected",
            "key_changed"
        ]
    );
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "{all:?}");
    assert_eq!(all[3].id, last_id);
    assert!(all[..3].iter().all(|e| e.at == NOW));
    assert_eq!(all[3].at, t(NOW.secs() + 1));
    assert_eq!(all[1].details["key_id"], json!("k1"));
    assert_eq!(all[1].details["credential_configuration_id"], json!("pid"));
    assert_eq!(all[2].details["proof"], json!("key_proof"));
    assert_eq!(all[3].details, rotated.details());
    assert_eq!((sinks[0].failures(), sinks[1].failures()), (0, 0));
    let stored = format!("{all:?}");
    assert!(!stored.contains(&code) && !stored.contains(access));

    // Pages, read alternately through both instances.
    let first = a.audit_events(None, 3).unwrap();
    assert_eq!(first, all[..3]);
    let rest = b.audit_events(Some(first[2].id), 3).unwrap();
    assert_eq!(rest, all[3..]);
    assert!(a.audit_events(Some(last_id), 3).unwrap().is_empty());
    assert!(b.audit_events(None, 0).unwrap().is_empty());

    // A page holds at most MAX_AUDIT_PAGE events, whatever the limit asks.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "INSERT INTO audit_events (at, kind, details_json)
             SELECT n, 'bulk', '{\"n\": ' || n || '}' FROM generate_series(1, 1001) AS n",
        )
        .unwrap();
    let page = a.audit_events(Some(last_id), usize::MAX).unwrap();
    assert_eq!(page.len(), MAX_AUDIT_PAGE);
    assert_eq!(page[0].kind, "bulk");
    assert_eq!(page[0].details["n"], json!(1));
    let tail = b
        .audit_events(Some(page[MAX_AUDIT_PAGE - 1].id), usize::MAX)
        .unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].details["n"], json!(1001));
    assert_eq!(read_all(&b).len(), 4 + 1001);
}

#[test]
fn the_database_refuses_to_update_delete_or_truncate_audit_events() {
    let url = pg::server().fresh_database("audit_append_only");
    let db = connect(&url, 64);
    // A NUL in a field is kept (text, not jsonb, which would refuse the row).
    let odd = key_event("k\u{0}1");
    db.audit_sink().append(&odd, t(7)).unwrap();
    let before = db.audit_events(None, 10).unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].details, odd.details());

    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for sql in [
        "UPDATE audit_events SET kind = 'nothing'",
        "UPDATE audit_events SET at = 0 WHERE id < 0",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE id < 0",
        "TRUNCATE audit_events",
    ] {
        let err = admin.batch_execute(sql).unwrap_err();
        let db_err = err.as_db_error().expect("a refusal by the server");
        assert_eq!(db_err.code(), &SqlState::RESTRICT_VIOLATION, "{sql}");
        assert!(db_err.message().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        db.audit_events(None, 10).unwrap(),
        before,
        "nothing changed"
    );
    // Appending still works.
    db.audit_sink().append(&key_event("k2"), t(8)).unwrap();
    assert_eq!(db.audit_events(None, 10).unwrap().len(), 2);
}

#[test]
fn a_reader_paging_while_two_instances_append_from_8_threads_misses_no_event() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 60;
    let (_, [a, b]) = two_instances("audit_race", 64);
    let sinks = [a.audit_sink(), b.audit_sink()];
    let done = AtomicBool::new(false);
    let (appended, seen) = std::thread::scope(|s| {
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let sink = &sinks[thread % 2];
                s.spawn(move || {
                    (0..PER_THREAD)
                        .map(|n| sink.append(&key_event(&format!("t{thread}-{n}")), t(1)))
                        .collect::<Result<Vec<i64>, _>>()
                        .unwrap()
                })
            })
            .collect();
        let (reader_db, done) = (&b, &done);
        let reader = s.spawn(move || {
            let mut seen: Vec<StoredAuditEvent> = Vec::new();
            loop {
                // Read the flag before the page: an empty page after the writers finished
                // means everything was read.
                let finished = done.load(Ordering::SeqCst);
                let page = reader_db
                    .audit_events(seen.last().map(|e| e.id), 7)
                    .unwrap();
                if page.is_empty() && finished {
                    return seen;
                }
                seen.extend(page);
            }
        });
        let appended: Vec<i64> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        done.store(true, Ordering::SeqCst);
        (appended, reader.join().unwrap())
    });
    let all = read_all(&a);
    assert_eq!(all.len(), THREADS * PER_THREAD);
    let mut ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    let mut appended = appended;
    appended.sort_unstable();
    assert_eq!(ids, appended, "the ids append returned are the stored ones");
    assert_eq!(
        seen.len(),
        all.len(),
        "the reader missed events committed after a higher id"
    );
    assert_eq!(seen, all);
    assert_eq!((sinks[0].failures(), sinks[1].failures()), (0, 0));
}

#[test]
fn an_audit_insert_that_fails_is_counted_and_does_not_refuse_the_request() {
    let url = pg::server().fresh_database("audit_failure");
    let db = connect(&url, 64);
    let sink = db.audit_sink();
    let engine = audited_engine(&db, Arc::clone(&sink));
    // Another session removes the table under the open stores.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute("DROP TABLE audit_events").unwrap();

    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    let tokens = token(
        &engine,
        &format!("{PRE_AUTH}&pre-authorized_code={code}"),
        NOW,
    );
    assert!(tokens.is_ok(), "{tokens:?}");
    assert_eq!(sink.failures(), 1, "the redemption's event");
    sink.record(&key_event("k2"), NOW);
    assert_eq!(sink.failures(), 2);
    assert!(matches!(
        sink.append(&key_event("k3"), NOW),
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(sink.failures(), 2, "append reports instead of counting");
    assert!(matches!(
        db.audit_events(None, 10),
        Err(StoreError::Unavailable(_))
    ));
    // Another sink of the same stores has its own count.
    assert_eq!(db.audit_sink().failures(), 0);
}

/// The one-statement append takes the table's lock (what keeps ids in commit order): while
/// another session holds `ROW EXCLUSIVE` (what any insert holds, and what a plain `INSERT`
/// would not wait for) the append waits, and it goes through once that session commits.
#[test]
fn an_audit_append_waits_for_the_tables_lock() {
    let url = pg::server().fresh_database("audit_lock");
    let db = connect(&url, 64);
    let sink = db.audit_sink();
    let first = sink.append(&key_event("k1"), t(1)).unwrap();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut holder = admin.transaction().unwrap();
    holder
        .batch_execute("LOCK TABLE audit_events IN ROW EXCLUSIVE MODE")
        .unwrap();
    let appender = std::thread::spawn(move || sink.append(&key_event("k2"), t(2)));
    let mut watcher = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let waiting = (0..200).any(|_| {
        let row = watcher
            .query_one(
                "SELECT count(*) FROM pg_locks
                 WHERE relation = 'audit_events'::regclass AND NOT granted",
                &[],
            )
            .unwrap();
        let waiters: i64 = row.get(0);
        if waiters == 0 {
            std::thread::sleep(core::time::Duration::from_millis(25));
        }
        waiters == 1
    });
    assert!(waiting, "the append waits for the table's lock");
    assert!(!appender.is_finished());
    holder.commit().unwrap();
    let second = appender.join().unwrap().unwrap();
    assert!(second > first);
    let ids: Vec<i64> = db
        .audit_events(None, 10)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![first, second]);
}

#[test]
fn a_version_1_database_gains_the_audit_table_and_keeps_its_state() {
    let url = pg::server().fresh_database("audit_migration");
    let db = connect(&url, 64);
    db.replay_guard()
        .check_and_record("kept", t(100), t(0))
        .unwrap();
    drop(db);
    // Back to what version 1 wrote: no audit table.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DROP FUNCTION issuer_store_audit_append(BIGINT, TEXT, TEXT);
             DROP TABLE audit_events;
             DROP FUNCTION issuer_store_audit_events_append_only();
             DELETE FROM issuer_store_schema WHERE version >= 2;",
        )
        .unwrap();

    let db = connect(&url, 64);
    assert_eq!(db.schema_version().unwrap(), POSTGRES_SCHEMA_VERSION);
    assert!(db.audit_events(None, 10).unwrap().is_empty());
    let id = db.audit_sink().append(&key_event("k1"), t(1)).unwrap();
    assert_eq!(db.audit_events(None, 10).unwrap()[0].id, id);
    assert!(admin.batch_execute("DELETE FROM audit_events").is_err());
    assert_eq!(
        db.replay_guard().check_and_record("kept", t(100), t(1)),
        Err(ReplayError::Replayed),
        "the version 1 state is kept"
    );
}
