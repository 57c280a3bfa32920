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
        let records = db.stores().registry.list();
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
    assert_eq!(stores.status.status(&list, idx), Some(Status::VALID));
    assert!(stores.status.set(&list, idx, Status::INVALID));
    assert_eq!(stores.status.status(&list, idx), Some(Status::INVALID));
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
    let records = stores.registry.list();
    assert_eq!(records.len(), 3, "two before the restart, one after");
    let mut refs: Vec<_> = records
        .iter()
        .map(|r| (r.status_list_id.clone(), r.status_idx))
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 3, "no status index was handed out twice");
}
