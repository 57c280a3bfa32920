//! Two issuer engines (two processes of a fleet) on one PostgreSQL database, the replay guard
//! in the same database or (feature `redis`) in Redis: the same key proof sent to both at
//! once, from 16 threads, or (every other round) 16 different proofs over one c_nonce, is
//! accepted exactly once per round, and every accepted credential got its own status index.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/pg.rs"]
mod pg;
#[cfg(feature = "redis")]
#[path = "support/redis_server.rs"]
mod redis_server;

use std::collections::HashSet;
use std::sync::Barrier;

use issuer::{ISSUER, NOW, PRE_AUTH, token};
use issuer_store::{PostgresOptions, PostgresStores};
use jose_core::{Algorithm, LocalSigner, SystemRandom};
use oid4vci_issuer::{EndpointRequest, IssuerEngine};
use pop_verifier::{KeyProofClaims, NoncePurpose, ProofKey, build_key_proof};
use serde_json::{Map, json};

const THREADS: usize = 16;
const ROUNDS: usize = 8;

fn connect(url: &str) -> PostgresStores {
    PostgresStores::connect(
        url,
        &PostgresOptions::default()
            .with_pool_size(8)
            .with_status_list_size(1024),
    )
    .unwrap()
}

/// Runs the rounds on `engines`; `stores` reads the shared registry afterwards.
fn the_same_key_proof_is_accepted_once(engines: &[IssuerEngine; 2], stores: &PostgresStores) {
    let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let barrier = Barrier::new(THREADS);
    for round in 0..ROUNDS {
        let code = engines[round % 2]
            .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
            .unwrap();
        let tokens = token(
            &engines[round % 2],
            &format!("{PRE_AUTH}&pre-authorized_code={code}"),
            NOW,
        )
        .unwrap();
        let authorization = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
        let nonce = engines[0].fresh(NoncePurpose::CNonce, NOW).unwrap();
        // Odd rounds: each thread's proof is its own (another `iat`), over the same nonce.
        let bodies: Vec<String> = (0..THREADS)
            .map(|thread| {
                let iat = if round % 2 == 1 {
                    NOW.saturating_sub(u64::try_from(thread).unwrap())
                } else {
                    NOW
                };
                let claims = KeyProofClaims::new(ISSUER, iat).with_nonce(nonce.clone());
                let key = ProofKey::Jwk(holder.public_jwk());
                let proof = build_key_proof(&claims, &key, &holder).unwrap();
                json!({"credential_configuration_id": "pid", "proofs": {"jwt": [proof]}})
                    .to_string()
            })
            .collect();
        let answers: Vec<Result<u16, (u16, String)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let (engine, barrier) = (&engines[thread % 2], &barrier);
                    let (authorization, body) = (&authorization, &bodies[thread]);
                    s.spawn(move || {
                        let headers: [(&str, &[u8]); 2] = [
                            ("authorization", authorization.as_bytes()),
                            ("content-type", b"application/json"),
                        ];
                        barrier.wait();
                        engine
                            .credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
                            .map(|answer| answer.status)
                            .map_err(|e| (e.status(), e.error().to_owned()))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let accepted = answers.iter().filter(|a| a == &&Ok(200)).count();
        assert_eq!(accepted, 1, "round {round}: {answers:?}");
        for answer in &answers {
            if let Err((status, error)) = answer {
                assert_eq!(
                    (*status, error.as_str()),
                    (400, "invalid_nonce"),
                    "a replayed proof (its spent c_nonce) is the client's error: {answers:?}"
                );
            }
        }
    }
    let records = stores.stores().registry.list().unwrap();
    assert_eq!(records.len(), ROUNDS, "one credential per round");
    let refs: HashSet<_> = records
        .iter()
        .map(|r| (r.status_list_id.clone(), r.status_idx))
        .collect();
    assert_eq!(refs.len(), ROUNDS, "each with its own status index");
}

#[test]
fn two_engines_with_replay_in_postgres_accept_a_key_proof_once() {
    let url = pg::server().fresh_database("fleet_pg");
    let (a, b) = (connect(&url), connect(&url));
    let engines = [
        issuer::engine(a.stores(), a.replay_guard()),
        issuer::engine(b.stores(), b.replay_guard()),
    ];
    the_same_key_proof_is_accepted_once(&engines, &a);
}

#[cfg(feature = "redis")]
#[test]
fn two_engines_with_replay_in_redis_accept_a_key_proof_once() {
    use issuer_store::{RedisOptions, RedisReplayGuard};
    use pop_verifier::ReplayGuard;
    use std::sync::Arc;
    let redis = redis_server::RedisServer::start();
    let url = pg::server().fresh_database("fleet_redis");
    let (a, b) = (connect(&url), connect(&url));
    let guard = || -> Arc<dyn ReplayGuard> {
        Arc::new(RedisReplayGuard::connect(&redis.url(), &RedisOptions::default()).unwrap())
    };
    let engines = [
        issuer::engine(a.stores(), guard()),
        issuer::engine(b.stores(), guard()),
    ];
    the_same_key_proof_is_accepted_once(&engines, &a);
}
