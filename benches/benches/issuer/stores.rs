//! oid4vci-issuer on each store backend (issue 13): one timed call is one wallet's whole
//! pre-authorized issuance as the engine runs it (the operator's `create_pre_authorized_code`,
//! `IssuerEngine::token` redeeming it, and `IssuerEngine::credential` with a key proof for an
//! SD-JWT VC, which allocates a status index and records the credential), against the same
//! call on the engine's in-memory stores, interleaved in the same run.
//!
//! Both engines are identical but for their stores and replay guard: same keys, profile and
//! settings, no client attestation (its cost is the same on every backend and is measured by
//! the token bench). The key proof is built inside the call (one ES256 signature, the same on
//! both sides) with a fresh `c_nonce`, as a wallet would send it.
//!
//! SQLite is a file in the temp directory with the crate's defaults: WAL and
//! `synchronous = FULL`, so every single-use write waits for the disk; the ratio is mostly
//! that fsync. PostgreSQL (`ISSUER_BENCH_POSTGRES=postgres://…`) and the Redis replay guard
//! (`ISSUER_BENCH_REDIS=redis://…`) are measured when their URLs are given; the bench starts
//! no server. Each row is printed as `RATIO ... vs in-memory stores`.

use core::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::Criterion;
use issuer_store::{
    PostgresOptions, PostgresStores, RedisOptions, RedisReplayGuard, SqliteOptions, SqliteStores,
};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerKeys, IssuerSettings,
    SigningKey, StoreLimits, Stores,
};
use pop_verifier::{KeyProofClaims, NoncePurpose, ProofKey, ReplayGuard, build_key_proof};
use serde_json::{Map, json};

use super::{ISSUER, NOW};

const PRE_AUTH: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
const FORM: (&str, &[u8]) = ("content-type", b"application/x-www-form-urlencoded");

/// An engine on `stores` and `replay`, otherwise the same for every backend.
fn engine(
    stores: Stores,
    replay: Option<Arc<dyn ReplayGuard>>,
    signer: &Arc<LocalSigner>,
) -> IssuerEngine {
    let profile = CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:eudi:pid:1".into(),
            always_disclosed: Vec::new(),
        },
    );
    let mut builder = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile],
        IssuerKeys::new(SigningKey::new(signer.clone(), Vec::new())),
        &[7u8; 32],
        Arc::new(SystemRandom::new()),
    )
    .with_stores(stores);
    if let Some(replay) = replay {
        builder = builder.with_replay_guard(replay);
    }
    builder.build().unwrap()
}

/// One wallet's issuance: code, token, credential. Panics on any refusal (a broken fixture).
fn issue(engine: &IssuerEngine, holder: &LocalSigner, now: UnixTime) {
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, now)
        .unwrap();
    let body = format!("{PRE_AUTH}&pre-authorized_code={code}");
    let tokens = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), now)
        .unwrap()
        .body
        .unwrap();
    let authorization = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let nonce = engine.fresh(NoncePurpose::CNonce, now).unwrap();
    let claims = KeyProofClaims::new(ISSUER, now).with_nonce(nonce);
    let proof = build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), holder).unwrap();
    let request = json!({"credential_configuration_id": "pid", "proofs": {"jwt": [proof]}});
    let request = request.to_string();
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let answer = engine
        .credential(&EndpointRequest::new(&headers, request.as_bytes()), now)
        .unwrap();
    assert_eq!(answer.status, 200);
    black_box(answer);
}

/// A database path in the temp directory, removed (with its WAL files) when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

pub(super) fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let signer = Arc::new(LocalSigner::generate(Algorithm::Es256, &rng).unwrap());
    let holder = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    // Room for every call criterion makes: a full store or list would end the run.
    let limits = StoreLimits::new()
        .with_max_pre_authorized_codes(1 << 24)
        .with_max_access_tokens(1 << 24)
        .with_max_refresh_tokens(1 << 24);
    let lists = 1 << 20;
    let in_memory = engine(Stores::in_memory(&limits, lists), None, &signer);

    let file =
        TempFile(std::env::temp_dir().join(format!("issuer-bench-{}.sqlite3", std::process::id())));
    let db = SqliteStores::open(
        &file.0,
        &SqliteOptions::default().with_status_list_size(lists),
    )
    .unwrap();
    let sqlite = engine(db.stores(), Some(db.replay_guard()), &signer);

    let baseline = || issue(&in_memory, &holder, now);
    c.bench_function("issuer/issuance/in-memory", |b| b.iter(baseline));
    let on_sqlite = || issue(&sqlite, &holder, now);
    c.bench_function("issuer/issuance/sqlite", |b| b.iter(on_sqlite));
    benches::print_ratio(
        "oid4vci-issuer pre-authorized issuance (code, token, credential) on SQLite vs in-memory stores",
        &benches::measure_ratio(20, 20, on_sqlite, baseline),
    );

    // PostgreSQL (and Redis for the replay guard) only when given: the bench starts no server.
    let Ok(url) = std::env::var(POSTGRES_ENV) else {
        println!(
            "SKIPPED PostgreSQL and Redis rows: set {POSTGRES_ENV}=postgres://… (and {REDIS_ENV}=redis://…)"
        );
        return;
    };
    let options = PostgresOptions::default().with_status_list_size(lists);
    let db = PostgresStores::connect(&url, &options).unwrap();
    let postgres = engine(db.stores(), Some(db.replay_guard()), &signer);
    let on_postgres = || issue(&postgres, &holder, now);
    c.bench_function("issuer/issuance/postgres", |b| b.iter(on_postgres));
    benches::print_ratio(
        "oid4vci-issuer pre-authorized issuance (code, token, credential) on PostgreSQL vs in-memory stores",
        &benches::measure_ratio(20, 20, on_postgres, baseline),
    );
    if let Ok(redis) = std::env::var(REDIS_ENV) {
        let guard = RedisReplayGuard::connect(&redis, &RedisOptions::default()).unwrap();
        let with_redis = engine(db.stores(), Some(Arc::new(guard)), &signer);
        let on_both = || issue(&with_redis, &holder, now);
        c.bench_function("issuer/issuance/postgres+redis", |b| b.iter(on_both));
        benches::print_ratio(
            "oid4vci-issuer pre-authorized issuance on PostgreSQL with the replay guard in Redis vs in-memory stores",
            &benches::measure_ratio(20, 20, on_both, baseline),
        );
    }
}

/// The PostgreSQL URL of the optional rows.
const POSTGRES_ENV: &str = "ISSUER_BENCH_POSTGRES";
/// The Redis URL of the optional row.
const REDIS_ENV: &str = "ISSUER_BENCH_REDIS";
