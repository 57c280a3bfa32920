//! An issuer engine over given stores, and a token endpoint call, for the engine-level tests.

#![allow(dead_code)]

use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerEngineBuilder,
    IssuerKeys, IssuerSettings, SigningKey, Stores,
};
use pop_verifier::ReplayGuard;
use serde_json::Value;

pub(crate) const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
pub(crate) const ISSUER: &str = "https://issuer.example";
pub(crate) const PRE_AUTH: &str =
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
/// The `Content-Type` of a form body, which the token endpoint requires.
const FORM: (&str, &[u8]) = ("content-type", b"application/x-www-form-urlencoded");

/// An engine with a `pid` and a deferred `pid-later` SD-JWT VC configuration over `stores`.
/// Every engine built here shares the same secret, as the processes of one fleet do.
pub(crate) fn engine(stores: Stores, replay: Arc<dyn ReplayGuard>) -> IssuerEngine {
    builder(stores, replay).build().unwrap()
}

/// The builder of [`engine`]: its signing key has the `kid` `k1`.
pub(crate) fn builder(stores: Stores, replay: Arc<dyn ReplayGuard>) -> IssuerEngineBuilder {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let format = CredentialFormat::SdJwtVc {
        vct: "urn:example:pid".into(),
        always_disclosed: Vec::new(),
    };
    IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![
            CredentialProfile::new("pid", format.clone()),
            CredentialProfile::new("pid-later", format).deferred(),
        ],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new()).with_kid("k1")),
        &[5u8; 32],
        Arc::new(rng),
    )
    .with_stores(stores)
    .with_replay_guard(replay)
}

/// Posts `body` to the token endpoint: the JSON answer, or the status and error code.
pub(crate) fn token(
    engine: &IssuerEngine,
    body: &str,
    now: UnixTime,
) -> Result<Value, (u16, String)> {
    engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), now)
        .map(|answer| answer.body.unwrap())
        .map_err(|e| (e.status(), e.error().to_owned()))
}
