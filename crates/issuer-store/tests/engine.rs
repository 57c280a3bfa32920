//! The issuer engine on SQLite across a restart: a pre-authorized issuance on one engine,
//! then a new engine on the reopened file honours the refresh token, the deferred
//! transaction and the status list, and still refuses the used code.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/temp.rs"]
mod temp;

#[path = "support/issuer.rs"]
mod issuer;

use issuer::{ISSUER, NOW, PRE_AUTH, token};
use issuer_store::{SqliteOptions, SqliteStores};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{EndpointRequest, IssuerEngine};
use pop_verifier::{KeyProofClaims, NoncePurpose, ProofKey, build_key_proof};
use serde_json::{Map, Value, json};
use status_list::Status;

fn engine(db: &SqliteStores) -> IssuerEngine {
    issuer::engine(db.stores(), db.replay_guard())
}

fn proof(engine: &IssuerEngine, holder: &LocalSigner, now: UnixTime) -> String {
    let nonce = engine.fresh(NoncePurpose::CNonce, now).unwrap();
    let claims = KeyProofClaims::new(ISSUER, now).with_nonce(nonce);
    build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), holder).unwrap()
}

/// Posts to the credential endpoint: the status and body.
fn credential(engine: &IssuerEngine, access: &str, body: &Value, now: UnixTime) -> (u16, Value) {
    let authorization = format!("Bearer {access}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let body = body.to_string();
    match engine.credential(&EndpointRequest::new(&headers, body.as_bytes()), now) {
        Ok(answer) => (answer.status, answer.body.unwrap()),
        Err(e) => (e.status(), json!({"error": e.error()})),
    }
}

#[test]
fn an_issuance_survives_a_restart_of_the_engine_and_the_database() {
    let file = temp::TempDb::new("engine");
    let options = SqliteOptions::default().with_status_list_size(1024);
    let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();

    let (code, refresh_token, transaction_id, first_ref) = {
        let db = SqliteStores::open(file.path(), &options).unwrap();
        let engine = engine(&db);
        let code = engine
            .create_pre_authorized_code(
                vec!["pid".into(), "pid-later".into()],
                json!({"given_name": "Erika"})
                    .as_object()
                    .cloned()
                    .unwrap_or_else(Map::new),
                None,
                NOW,
            )
            .unwrap();
        let tokens = token(
            &engine,
            &format!("{PRE_AUTH}&pre-authorized_code={code}"),
            NOW,
        )
        .unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

        let now = NOW;
        let (status, issued) = credential(
            &engine,
            &access,
            &json!({"credential_configuration_id": "pid",
                    "proofs": {"jwt": [proof(&engine, &holder, now)]}}),
            now,
        );
        assert_eq!(status, 200, "{issued}");
        let (status, deferred) = credential(
            &engine,
            &access,
            &json!({"credential_configuration_id": "pid-later",
                    "proofs": {"jwt": [proof(&engine, &holder, now)]}}),
            now,
        );
        assert_eq!(status, 202, "{deferred}");
        let transaction_id = deferred["transaction_id"].as_str().unwrap().to_owned();
        let records = db.stores().registry.list().unwrap();
        assert_eq!(records.len(), 2, "both credentials are recorded");
        let first = (records[0].status_list_id.clone(), records[0].status_idx);
        (code, refresh_token, transaction_id, first)
        // The engine and the database close here.
    };

    let db = SqliteStores::open(file.path(), &options).unwrap();
    let engine = engine(&db);
    let later = NOW.saturating_add(5);

    // The used pre-authorized code stays used.
    assert_eq!(
        token(
            &engine,
            &format!("{PRE_AUTH}&pre-authorized_code={code}"),
            later
        )
        .unwrap_err(),
        (400, "invalid_grant".to_owned())
    );

    // The refresh token still works, once.
    let body = format!("grant_type=refresh_token&refresh_token={refresh_token}");
    let refreshed = token(&engine, &body, later).unwrap();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();

    // The deferred transaction is collected under the refreshed token (same grant).
    let authorization = format!("Bearer {access}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let deferred_body = json!({"transaction_id": transaction_id}).to_string();
    let answer = engine.deferred_credential(
        &EndpointRequest::new(&headers, deferred_body.as_bytes()),
        later,
    );
    match answer {
        Ok(answer) => {
            assert_eq!(answer.status, 200);
            let body = answer.body.unwrap();
            assert_eq!(
                body["credentials"].as_array().map(Vec::len),
                Some(1),
                "{body}"
            );
        }
        Err(e) => panic!(
            "the deferred transaction was lost: {} {}",
            e.status(),
            e.error()
        ),
    }

    // The rotated refresh token presented again is a reuse: the grant is revoked, its
    // access token with it.
    assert_eq!(token(&engine, &body, later).unwrap_err().1, "invalid_grant");
    let (status, _) = credential(
        &engine,
        &access,
        &json!({"credential_configuration_id": "pid",
                "proofs": {"jwt": [proof(&engine, &holder, later)]}}),
        later,
    );
    assert_eq!(status, 401, "the revoked grant's access token is refused");

    // The status list kept the first credential's index: it can be revoked now, and the new
    // engine never hands the same index out again.
    let stores = db.stores();
    let (list, idx) = first_ref;
    assert_eq!(stores.status.status(&list, idx), Ok(Some(Status::VALID)));
    assert_eq!(stores.status.set(&list, idx, Status::INVALID), Ok(true));
    assert_eq!(stores.status.status(&list, idx), Ok(Some(Status::INVALID)));
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, later)
        .unwrap();
    let tokens = token(
        &engine,
        &format!("{PRE_AUTH}&pre-authorized_code={code}"),
        later,
    )
    .unwrap();
    let (status, issued) = credential(
        &engine,
        tokens["access_token"].as_str().unwrap(),
        &json!({"credential_configuration_id": "pid",
                "proofs": {"jwt": [proof(&engine, &holder, later)]}}),
        later,
    );
    assert_eq!(status, 200, "{issued}");
    let records = stores.registry.list().unwrap();
    assert_eq!(records.len(), 3, "two before the restart, one after");
    let mut refs: Vec<_> = records
        .iter()
        .map(|r| (r.status_list_id.clone(), r.status_idx))
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 3, "no status index was handed out twice");
}

fn audited_engine(
    db: &SqliteStores,
    sink: std::sync::Arc<issuer_store::SqliteAuditSink>,
) -> IssuerEngine {
    issuer::builder(db.stores(), db.replay_guard())
        .with_audit_sink(sink)
        .build()
        .unwrap()
}

#[test]
fn the_audit_trail_is_stored_append_only_paged_and_kept_across_a_restart() {
    let file = temp::TempDb::new("audit");
    let options = SqliteOptions::default().with_status_list_size(1024);
    let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let db = SqliteStores::open(file.path(), &options).unwrap();
    let sink = db.audit_sink();
    let engine = audited_engine(&db, sink.clone());
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    let tokens = token(
        &engine,
        &format!("{PRE_AUTH}&pre-authorized_code={code}"),
        NOW,
    )
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let request = json!({
        "credential_configuration_id": "pid",
        "proofs": {"jwt": [proof(&engine, &holder, NOW)]},
    });
    assert_eq!(credential(&engine, access, &request, NOW).0, 200);
    assert_eq!(
        credential(&engine, access, &request, NOW),
        (400, json!({"error": "invalid_nonce"}))
    );
    drop(engine);

    let all = db.audit_events(None, 100).unwrap();
    let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "pre_authorized_code_redeemed",
            "credential_issued",
            "replay_detected"
        ]
    );
    assert!(all.iter().all(|e| e.at == NOW));
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all[1].details["key_id"], json!("k1"));
    assert_eq!(all[2].details["proof"], json!("key_proof"));
    assert_eq!(sink.failures(), 0);
    // Nothing secret in the stored rows.
    let stored = format!("{all:?}");
    assert!(!stored.contains(&code) && !stored.contains(access));

    // Pages: two, then the rest after the last id, then nothing.
    let first = db.audit_events(None, 2).unwrap();
    assert_eq!(first.len(), 2);
    let rest = db.audit_events(Some(first[1].id), 2).unwrap();
    assert_eq!(rest, all[2..]);
    assert!(db.audit_events(Some(rest[0].id), 2).unwrap().is_empty());
    assert!(db.audit_events(None, 0).unwrap().is_empty());

    // Append-only in the database itself.
    let conn = rusqlite::Connection::open(file.path()).unwrap();
    assert!(
        conn.execute("UPDATE audit_events SET kind = 'nothing'", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM audit_events", []).is_err());
    drop(conn);

    // A restart keeps the trail.
    drop(db);
    let reopened = SqliteStores::open(file.path(), &options).unwrap();
    assert_eq!(reopened.audit_events(None, 100).unwrap(), all);
}

#[test]
fn an_audit_table_that_fails_is_counted_and_does_not_refuse_the_request() {
    let file = temp::TempDb::new("audit-failure");
    let db = SqliteStores::open(file.path(), &SqliteOptions::default()).unwrap();
    let sink = db.audit_sink();
    let engine = audited_engine(&db, sink.clone());
    // Another connection removes the table under the open store.
    let conn = rusqlite::Connection::open(file.path()).unwrap();
    conn.execute_batch("DROP TABLE audit_events;").unwrap();
    drop(conn);
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    let tokens = token(
        &engine,
        &format!("{PRE_AUTH}&pre-authorized_code={code}"),
        NOW,
    );
    assert!(tokens.is_ok(), "{tokens:?}");
    assert_eq!(sink.failures(), 1);
    assert!(db.audit_events(None, 10).is_err());
}

/// A batch of events (a request's credentials) is appended in one transaction, in order; when
/// the table fails, every event of the batch is counted as lost.
#[test]
fn an_audit_batch_is_appended_in_order_and_counted_whole_when_lost() {
    use oid4vci_issuer::{AuditEvent, AuditSink, KeyChange};
    let file = temp::TempDb::new("audit-batch");
    let db = SqliteStores::open(file.path(), &SqliteOptions::default()).unwrap();
    let sink = db.audit_sink();
    let event = |name: &str| AuditEvent::key_changed(name, "credential", KeyChange::Created);
    let at = UnixTime::from_secs(7);
    sink.record(&event("k0"), at);
    sink.record_all(&[event("k1"), event("k2"), event("k3")], at);
    sink.record_all(&[], at);
    let stored = db.audit_events(None, 10).unwrap();
    let names: Vec<&Value> = stored.iter().map(|e| &e.details["key_id"]).collect();
    assert_eq!(
        names,
        [&json!("k0"), &json!("k1"), &json!("k2"), &json!("k3")]
    );
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(sink.failures(), 0);

    let conn = rusqlite::Connection::open(file.path()).unwrap();
    conn.execute_batch("DROP TABLE audit_events;").unwrap();
    drop(conn);
    sink.record_all(&[event("k4"), event("k5"), event("k6")], at);
    assert_eq!(sink.failures(), 3, "each event of the lost batch");
}
