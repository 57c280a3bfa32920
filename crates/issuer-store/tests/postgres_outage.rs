//! PostgreSQL stopped mid-run (feature `postgres`): while the database is down every call
//! refuses (`Unavailable`, a 5xx from the engine) and nothing is accepted; after it starts
//! again the same stores object works, and nothing committed before the stop was lost; the
//! audit sink counts the event it could not store and appends again.
//!
//! This binary has its own server (`support/pg.rs`: one per test binary) and one test, so
//! stopping the server disturbs no other test.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/pg.rs"]
mod pg;

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use issuer::{NOW, PRE_AUTH, token};
use issuer_store::{PostgresOptions, PostgresStores};
use jose_core::SystemRandom;
use oid4vci_issuer::{
    AccessGrant, AuditEvent, AuditSink, GrantId, IssuedCredential, KeyChange, PreAuthGrant,
    RedeemError, StoreError,
};
use pop_verifier::ReplayError;
use serde_json::Map;
use status_list::Status;

fn is_unavailable(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_))
}

#[test]
fn a_stopped_database_refuses_everything_and_the_same_stores_recover() {
    let server = pg::server();
    let url = server.fresh_database("outage");
    let db = PostgresStores::connect(
        &url,
        &PostgresOptions::default()
            .with_pool_size(4)
            .with_connect_timeout(Duration::from_millis(500))
            .with_statement_timeout(Duration::from_secs(2))
            .with_status_list_size(1024),
    )
    .unwrap();
    let stores = db.stores();
    let replay = db.replay_guard();
    let audit = db.audit_sink();
    let engine = issuer::builder(db.stores(), db.replay_guard())
        .with_audit_sink(audit.clone())
        .build()
        .unwrap();
    let key_event = |name: &str| AuditEvent::key_changed(name, "credential", KeyChange::Created);
    let rng = SystemRandom::new();
    let later = NOW.saturating_add(10);

    // State from before the outage.
    let used = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    token(
        &engine,
        &format!("{PRE_AUTH}&pre-authorized_code={used}"),
        NOW,
    )
    .unwrap();
    let waiting = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    replay
        .check_and_record("jti-before", later.saturating_add(1000), NOW)
        .unwrap();
    audit.record(&key_event("k-before"), NOW);
    let (list, idx) = stores.status.allocate(&rng).unwrap();
    assert_eq!(stores.status.set(&list, idx, Status::INVALID), Ok(true));
    let grant = GrantId::new("g-outage".into());
    stores
        .registry
        .record(IssuedCredential::new(
            "cred-before".into(),
            grant.clone(),
            "pid".into(),
            list.clone(),
            "https://issuer.example/status/1".into(),
            idx,
            NOW,
        ))
        .unwrap();
    stores
        .tokens
        .insert(
            "at-before".into(),
            AccessGrant::new(
                grant.clone(),
                vec!["pid".into()],
                Map::new(),
                "aud".into(),
                later.saturating_add(1000),
            ),
            NOW,
        )
        .unwrap();

    // Traffic while the database stops: every accepted key must still be recorded after
    // the restart, and some calls must have been refused.
    let stop = AtomicBool::new(false);
    let (accepted, refused) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|thread| {
                let (replay, stop) = (&replay, &stop);
                s.spawn(move || {
                    let (mut accepted, mut refused) = (Vec::new(), 0usize);
                    let mut n = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        let key = format!("jti-{thread}-{n}");
                        n += 1;
                        match replay.check_and_record(&key, later.saturating_add(1000), NOW) {
                            Ok(()) => accepted.push(key),
                            Err(ReplayError::Unavailable { .. }) => refused += 1,
                            Err(e) => panic!("{key}: {e:?}"),
                        }
                    }
                    (accepted, refused)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        server.stop_server();
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).fold(
            (Vec::new(), 0),
            |(mut keys, r), (k, n)| {
                keys.extend(k);
                (keys, r + n)
            },
        )
    });
    assert!(!accepted.is_empty(), "traffic ran before the stop");
    assert!(
        refused > 0,
        "traffic was refused while the database was down"
    );

    // The database is down: every call refuses, nothing is accepted.
    let body = format!("{PRE_AUTH}&pre-authorized_code={waiting}");
    let (status, error) = token(&engine, &body, later).unwrap_err();
    assert!(
        status >= 500,
        "a server error, not a client error: {status} {error}"
    );
    match stores.codes.redeem(&waiting, None, later) {
        Err(RedeemError::Store(e)) => assert!(is_unavailable(&e), "{e:?}"),
        other => panic!("a redemption while the database is down: {other:?}"),
    }
    assert!(matches!(
        replay.check_and_record("jti-during", later.saturating_add(1000), later),
        Err(ReplayError::Unavailable { .. })
    ));
    assert!(matches!(
        replay.check_and_record("jti-before", later.saturating_add(1000), later),
        Err(ReplayError::Unavailable { .. })
    ));
    // Neither "unknown token" nor "revoked": the store cannot tell, and says so.
    assert!(is_unavailable(
        &stores.tokens.get("at-before", later).unwrap_err()
    ));
    assert!(is_unavailable(
        &stores.refresh.is_revoked(&grant, later).unwrap_err()
    ));
    assert!(is_unavailable(&stores.status.allocate(&rng).unwrap_err()));
    // Neither "no such entry" nor "no such list" (a status endpoint would answer 404).
    assert!(is_unavailable(
        &stores.status.status(&list, idx).unwrap_err()
    ));
    assert!(is_unavailable(
        &stores.status.set(&list, idx, Status::VALID).unwrap_err()
    ));
    assert!(is_unavailable(&stores.status.snapshot(&list).unwrap_err()));
    // Not an empty registry: a revocation tool would take the outage for "nothing issued".
    assert!(is_unavailable(&stores.registry.list().unwrap_err()));
    // Not "unknown request_uri" (a wallet's error) nor "no events".
    assert!(is_unavailable(
        &stores
            .authorizations
            .take_pushed("urn:ietf:params:oauth:request_uri:x", "wallet", later)
            .unwrap_err()
    ));
    assert!(is_unavailable(
        &stores
            .notifications
            .events(&grant, "n-1", later)
            .unwrap_err()
    ));
    assert!(
        stores
            .codes
            .insert(
                "during".into(),
                PreAuthGrant::new(vec!["pid".into()], Map::new(), None, later),
                3,
                later
            )
            .is_err()
    );

    // The audit sink counts the event it cannot store, without panicking or blocking.
    assert_eq!(audit.failures(), 0);
    audit.record(&key_event("k-during"), later);
    assert_eq!(audit.failures(), 1);
    assert!(is_unavailable(&db.audit_events(None, 10).unwrap_err()));

    // The database is back: the same objects work, and nothing was lost.
    server.start_server();
    let tokens = token(&engine, &body, later).expect("the waiting code redeems after the restart");
    assert!(tokens["access_token"].is_string());
    assert_eq!(
        token(
            &engine,
            &format!("{PRE_AUTH}&pre-authorized_code={used}"),
            later
        )
        .unwrap_err(),
        (400, "invalid_grant".to_owned()),
        "the code used before the outage stays used"
    );
    assert_eq!(
        replay.check_and_record("jti-before", later.saturating_add(1000), later),
        Err(ReplayError::Replayed)
    );
    for key in &accepted {
        assert_eq!(
            replay.check_and_record(key, later.saturating_add(1000), later),
            Err(ReplayError::Replayed),
            "{key} was accepted, so it was recorded"
        );
    }
    replay
        .check_and_record("jti-during", later.saturating_add(1000), later)
        .expect("the key refused during the outage was never recorded");
    assert_eq!(stores.status.status(&list, idx), Ok(Some(Status::INVALID)));
    assert!(stores.tokens.get("at-before", later).unwrap().is_some());
    assert!(!stores.refresh.is_revoked(&grant, later).unwrap());
    let (list2, idx2) = stores.status.allocate(&rng).unwrap();
    assert_ne!((list2, idx2), (list, idx));
    let records = stores.registry.list().unwrap();
    assert_eq!(records.len(), 1, "the record from before the outage");
    assert_eq!(records[0].credential_id, "cred-before");
    // The trail kept what was stored before the outage, lacks the lost event, and grows again.
    let trail: Vec<(String, Option<String>)> = db
        .audit_events(None, 100)
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.kind,
                e.details
                    .get("key_id")
                    .and_then(|k| k.as_str())
                    .map(str::to_owned),
            )
        })
        .collect();
    let expected = |key: Option<&str>| (String::from("key_changed"), key.map(str::to_owned));
    let redeemed = (String::from("pre_authorized_code_redeemed"), None);
    assert_eq!(
        trail,
        [redeemed.clone(), expected(Some("k-before")), redeemed],
        "the code redeemed before the outage, the key event, the code redeemed after it"
    );
    audit.record(&key_event("k-after"), later);
    assert_eq!(audit.failures(), 1);
    assert_eq!(db.audit_events(None, 100).unwrap().len(), 4);
}
