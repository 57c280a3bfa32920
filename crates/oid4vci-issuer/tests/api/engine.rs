//! The engine end to end, without HTTP: exact answers at its edges.

use crate::FORM;
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    AccessGrant, AccessTokenStore, CredentialFormat, CredentialProfile, EndpointRequest, GrantId,
    InMemoryAccessTokens, IssuerEngine, IssuerKeys, IssuerSettings, MAX_BEARER_TOKEN_TTL_SECONDS,
    SigningKey, StoreError, StoreLimits, Stores,
};
use pop_verifier::{DpopProofClaims, ReplayError, ReplayGuard, build_dpop_proof};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const PRE_AUTH: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";

#[derive(Debug)]
struct BrokenGuard;

impl ReplayGuard for BrokenGuard {
    fn check_and_record(&self, _: &str, _: UnixTime, _: UnixTime) -> Result<(), ReplayError> {
        Err(ReplayError::Unavailable {
            reason: "replay store down".into(),
        })
    }
}

fn profile() -> CredentialProfile {
    CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:example:pid".into(),
            always_disclosed: Vec::new(),
        },
    )
}

fn engine(guard: Option<Arc<dyn ReplayGuard>>) -> IssuerEngine {
    let mut builder = builder(IssuerSettings::new(ISSUER));
    if let Some(guard) = guard {
        builder = builder.with_replay_guard(guard);
    }
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

/// The builder of an engine with `settings`, the `pid` profile and a fresh ES256 key.
fn builder(settings: IssuerSettings) -> oid4vci_issuer::IssuerEngineBuilder {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    IssuerEngine::builder(
        settings,
        vec![profile()],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[5u8; 32],
        Arc::new(rng),
    )
}

/// Access tokens that are kept and found, but cannot be revoked (a database gone mid-way).
#[derive(Debug, Default)]
struct UnrevocableTokens(InMemoryAccessTokens);

impl AccessTokenStore for UnrevocableTokens {
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError> {
        self.0.insert(token, grant, now)
    }
    fn get(&self, token: &str, now: UnixTime) -> Result<Option<AccessGrant>, StoreError> {
        self.0.get(token, now)
    }
    fn revoke_grant(&self, _: &GrantId) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("token store down".into()))
    }
}

/// A token request body redeeming a fresh pre-authorized code of `engine` for `pid`.
fn pre_authorized_body(engine: &IssuerEngine) -> String {
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{PRE_AUTH}&pre-authorized_code={code}")
}

fn dpop_proof(jti: &str) -> String {
    let key = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
        .unwrap_or_else(|e| panic!("{e}"));
    dpop_proof_by(&key, jti)
}

/// A DPoP proof for the token endpoint signed with `key`.
fn dpop_proof_by(key: &LocalSigner, jti: &str) -> String {
    let claims = DpopProofClaims::new("POST", format!("{ISSUER}/token"), jti, NOW);
    build_dpop_proof(&claims, &key.public_jwk(), key).unwrap_or_else(|e| panic!("{e}"))
}

/// A refresh token bound to a DPoP key is not rotated (FAPI 2.0 SP §5.3.2.1): the answer
/// carries the same token, which works again (a wallet that lost an answer retries with it),
/// and only with a proof of that key. A Bearer refresh token rotates.
#[test]
fn a_dpop_bound_refresh_token_is_kept_and_a_bearer_one_rotates() {
    let engine = builder(IssuerSettings::new(ISSUER))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let key = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let token = |body: &str, proof: Option<&str>| {
        let mut headers: Vec<(&str, &[u8])> = vec![FORM];
        headers.extend(proof.map(|p| ("dpop", p.as_bytes())));
        engine
            .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|a| a.body.unwrap_or_default())
            .map_err(|e| (e.status(), e.error().to_owned()))
    };
    let redeem = |proof: Option<&str>| {
        token(&pre_authorized_body(&engine), proof).unwrap_or_else(|e| panic!("{e:?}"))
    };
    let refresh_body = |tokens: &Value| {
        format!(
            "grant_type=refresh_token&refresh_token={}",
            tokens["refresh_token"].as_str().unwrap_or_default()
        )
    };

    let bound = redeem(Some(&dpop_proof_by(&key, "jti-grant")));
    let body = refresh_body(&bound);
    let mut access_tokens = vec![bound["access_token"].to_string()];
    for jti in ["jti-refresh-1", "jti-refresh-2"] {
        let refreshed = token(&body, Some(&dpop_proof_by(&key, jti)))
            .unwrap_or_else(|e| panic!("{jti}: {e:?}"));
        assert_eq!(refreshed["refresh_token"], bound["refresh_token"], "{jti}");
        assert_eq!(refreshed["token_type"], "DPoP");
        access_tokens.push(refreshed["access_token"].to_string());
    }
    let distinct: std::collections::HashSet<&String> = access_tokens.iter().collect();
    assert_eq!(distinct.len(), 3, "a new access token each time");
    assert_eq!(
        token(&body, None),
        Err((400, "invalid_grant".to_owned())),
        "without a proof"
    );
    assert_eq!(
        token(&body, Some(&dpop_proof("jti-other-key"))),
        Err((400, "invalid_grant".to_owned())),
        "with another key's proof"
    );
    assert!(
        token(&body, Some(&dpop_proof_by(&key, "jti-refresh-3"))).is_ok(),
        "refused attempts leave the token usable"
    );

    let bearer = redeem(None);
    let body = refresh_body(&bearer);
    let rotated = token(&body, None).unwrap_or_else(|e| panic!("{e:?}"));
    assert_ne!(rotated["refresh_token"], bearer["refresh_token"]);
    assert_eq!(token(&body, None), Err((400, "invalid_grant".to_owned())));
    assert_eq!(
        token(&refresh_body(&rotated), None),
        Err((400, "invalid_grant".to_owned())),
        "presenting the rotated token again revoked the family"
    );
}

/// A token request is a form (RFC 6749 §4.1.3): a body without that `Content-Type`, or with
/// another, is `invalid_request` and leaves the code usable; a `charset` parameter is allowed.
#[test]
fn a_token_request_that_is_not_a_form_is_invalid_request() {
    let engine = builder(IssuerSettings::new(ISSUER))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let body = pre_authorized_body(&engine);
    let refused = |headers: &[(&str, &[u8])]| {
        let error = engine
            .token(&EndpointRequest::new(headers, body.as_bytes()), NOW)
            .err()
            .unwrap_or_else(|| panic!("a token was issued"));
        (
            error.status(),
            error.error().to_owned(),
            error.description().to_owned(),
        )
    };
    assert_eq!(
        refused(&[]),
        (
            400,
            "invalid_request".to_owned(),
            "the request body must be application/x-www-form-urlencoded (no Content-Type given)"
                .to_owned()
        )
    );
    assert_eq!(
        refused(&[("content-type", b"application/json")]),
        (
            400,
            "invalid_request".to_owned(),
            "the request body must be application/x-www-form-urlencoded, not application/json"
                .to_owned()
        )
    );
    assert_eq!(
        refused(&[FORM, FORM]).1,
        "invalid_request",
        "a repeated Content-Type"
    );
    let charset: (&str, &[u8]) = (
        "Content-Type",
        b"Application/X-WWW-Form-Urlencoded; charset=UTF-8",
    );
    let tokens = engine
        .token(&EndpointRequest::new(&[charset], body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tokens.status, 200);
}

/// With `dpop_required` (HAIP, FAPI 2.0), a token request without a DPoP proof is refused and
/// leaves the code usable; with a proof, the token is DPoP-bound.
#[test]
fn a_required_dpop_proof_refuses_bearer_token_requests() {
    let mut settings = IssuerSettings::new(ISSUER);
    settings.dpop_required = true;
    let engine = builder(settings).build().unwrap_or_else(|e| panic!("{e}"));
    let body = pre_authorized_body(&engine);
    let error = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .err()
        .unwrap_or_else(|| panic!("a Bearer token was issued"));
    // A missing proof is a missing parameter; `invalid_dpop_proof` is for a proof that failed.
    assert_eq!((error.status(), error.error()), (400, "invalid_request"));
    let proof = dpop_proof("jti-required");
    let headers: [(&str, &[u8]); 2] = [FORM, ("dpop", proof.as_bytes())];
    let tokens = engine
        .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{e}"))
        .body
        .unwrap_or_default();
    assert_eq!(tokens["token_type"], "DPoP");
    // The credential endpoint's challenge to a request without a token offers DPoP only.
    let bare = engine
        .credential(&EndpointRequest::new(&[], b"{}"), NOW)
        .err()
        .unwrap_or_else(|| panic!("answered without a token"));
    let challenge = bare
        .headers()
        .find(|(name, _)| *name == "www-authenticate")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    assert!(challenge.starts_with("DPoP algs=\""), "{challenge}");
    assert!(!challenge.contains("Bearer") && !challenge.contains("error="));
}

/// A Bearer access token lives at most five minutes (OpenID4VCI 1.0 §13: longer ones must be
/// sender-constrained); a DPoP-bound one the configured lifetime.
#[test]
fn a_bearer_token_lives_at_most_five_minutes() {
    let mut settings = IssuerSettings::new(ISSUER);
    settings.access_token_ttl_seconds = 600;
    let engine = builder(settings).build().unwrap_or_else(|e| panic!("{e}"));
    let redeem = |headers: &[(&str, &[u8])]| {
        let body = pre_authorized_body(&engine);
        engine
            .token(&EndpointRequest::new(headers, body.as_bytes()), NOW)
            .unwrap_or_else(|e| panic!("{e}"))
            .body
            .unwrap_or_default()
    };
    let bearer = redeem(&[FORM]);
    assert_eq!(
        (&bearer["token_type"], &bearer["expires_in"]),
        (&json!("Bearer"), &json!(MAX_BEARER_TOKEN_TTL_SECONDS))
    );
    let proof = dpop_proof("jti-ttl");
    let bound = redeem(&[FORM, ("dpop", proof.as_bytes())]);
    assert_eq!(
        (&bound["token_type"], &bound["expires_in"]),
        (&json!("DPoP"), &json!(600))
    );
    // The store keeps the Bearer token for the five minutes only.
    let token = bearer["access_token"].as_str().unwrap_or_default();
    let auth = format!("Bearer {token}");
    let call = |at: u64| {
        let headers: [(&str, &[u8]); 1] = [("authorization", auth.as_bytes())];
        engine
            .credential(
                &EndpointRequest::new(&headers, b"{}"),
                NOW.saturating_add(at),
            )
            .err()
            .map(|e| e.error().to_owned())
    };
    assert_ne!(
        call(MAX_BEARER_TOKEN_TTL_SECONDS - 1).as_deref(),
        Some("invalid_token")
    );
    assert_eq!(
        call(MAX_BEARER_TOKEN_TTL_SECONDS + 1).as_deref(),
        Some("invalid_token")
    );
}

/// `authorization_details` the pre-authorized grant does not cover, or malformed ones, are
/// `invalid_authorization_details`, which the wallet may correct (RFC 9396 §8): the code,
/// with its tx_code, is still there for the corrected request.
#[test]
fn refused_authorization_details_leave_the_pre_authorized_code_usable() {
    let engine = engine(None);
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), Some("1234".into()), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let token = |extra: &str| {
        let body = format!("{PRE_AUTH}&pre-authorized_code={code}&tx_code=1234{extra}");
        engine
            .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
            .map(|answer| answer.body.unwrap_or_default())
            .map_err(|e| (e.status(), e.error().to_owned()))
    };
    let other = "&authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%2C%22credential_configuration_id%22%3A%22other%22%7D%5D";
    assert_eq!(
        token(other).err(),
        Some((400, "invalid_authorization_details".to_owned()))
    );
    // Malformed ones, too (RFC 9396 §8), as at PAR: not JSON, the draft-13 shape, empty.
    for malformed in [
        "%5B",
        "%5B%7B%22type%22%3A%22openid_credential%22%2C%22format%22%3A%22dc%2Bsd-jwt%22%7D%5D",
        "%5B%5D",
    ] {
        assert_eq!(
            token(&format!("&authorization_details={malformed}")).err(),
            Some((400, "invalid_authorization_details".to_owned())),
            "{malformed}"
        );
    }
    let tokens = token("").unwrap_or_else(|e| panic!("{e:?}"));
    assert!(tokens["access_token"].is_string());
    assert_eq!(
        token("").err(),
        Some((400, "invalid_grant".to_owned())),
        "and used once"
    );
}

/// A grant started without DPoP is bound to the key of its first refresh with a DPoP proof
/// (RFC 9449 §5: refresh tokens issued to a public client using DPoP are bound to its key): a
/// later refresh with another key, or none, is `invalid_grant`.
#[test]
fn a_refresh_with_dpop_binds_a_bearer_grant_to_its_key() {
    let engine = engine(None);
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let post = |body: &str, key: Option<(&LocalSigner, &str)>| {
        let proof = key.map(|(key, jti)| {
            let claims = DpopProofClaims::new("POST", format!("{ISSUER}/token"), jti, NOW);
            build_dpop_proof(&claims, &key.public_jwk(), key).unwrap_or_else(|e| panic!("{e}"))
        });
        let headers: Vec<(&str, &[u8])> = core::iter::once(FORM)
            .chain(proof.iter().map(|p| ("dpop", p.as_bytes())))
            .collect();
        engine
            .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|answer| answer.body.unwrap_or_default())
            .map_err(|e| (e.error().to_owned(), e.description().to_owned()))
    };
    let refresh = |tokens: &Value| {
        format!(
            "grant_type=refresh_token&refresh_token={}",
            tokens["refresh_token"].as_str().unwrap_or_default()
        )
    };
    let bearer = post(&format!("{PRE_AUTH}&pre-authorized_code={code}"), None)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(bearer["token_type"], "Bearer");
    let new_key = || {
        LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (key, other) = (new_key(), new_key());
    let bound = post(&refresh(&bearer), Some((&key, "k-1"))).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(bound["token_type"], "DPoP");
    let refused = Some((
        "invalid_grant".to_owned(),
        "the refresh token is bound to another DPoP key".to_owned(),
    ));
    assert_eq!(post(&refresh(&bound), Some((&other, "o-1"))).err(), refused);
    assert_eq!(post(&refresh(&bound), None).err(), refused);
    let again = post(&refresh(&bound), Some((&key, "k-2"))).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again["token_type"], "DPoP");
}

#[test]
fn a_replay_guard_that_cannot_record_is_503_and_the_code_survives() {
    let engine = engine(Some(Arc::new(BrokenGuard)));
    let body = pre_authorized_body(&engine);
    let proof = dpop_proof("jti-1");
    let headers: [(&str, &[u8]); 2] = [FORM, ("dpop", proof.as_bytes())];
    let error = engine
        .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(
        (error.status(), error.error()),
        (503, "temporarily_unavailable")
    );
    assert_eq!(
        error.internal_detail(),
        Some("replay guard unavailable: replay store down")
    );
    // Without DPoP the same code still redeems: the failure burnt nothing.
    let answer = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, 200);
}

#[test]
fn a_replayed_dpop_proof_is_invalid_dpop_proof() {
    let engine = engine(None);
    let proof = dpop_proof("jti-2");
    let headers: [(&str, &[u8]); 2] = [FORM, ("dpop", proof.as_bytes())];
    let mut answers = Vec::new();
    for _ in 0..2 {
        let body = pre_authorized_body(&engine);
        answers.push(
            engine
                .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
                .map(|a| a.status)
                .map_err(|e| (e.status(), e.error().to_owned())),
        );
    }
    assert_eq!(
        answers,
        vec![Ok(200), Err((400, "invalid_dpop_proof".to_owned()))]
    );
}

#[test]
fn a_bad_configuration_is_refused_at_build_with_its_path() {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let mdoc = CredentialProfile::new(
        "mdl",
        CredentialFormat::Mdoc {
            doctype: "org.iso.18013.5.1.mDL".into(),
            name_space: "org.iso.18013.5.1".into(),
        },
    );
    let error = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile(), mdoc, profile()],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[5u8; 32],
        Arc::new(rng),
    )
    .build()
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("credentialConfigurations[1].format: mso_mdoc needs an mdoc Document Signer key")
    );
}

/// An engine whose access tokens go to `tokens`, and the token response of a pre-authorized
/// code it issued (no DPoP).
fn granted_with(tokens: Arc<dyn AccessTokenStore>) -> (IssuerEngine, Value) {
    let mut stores = Stores::in_memory(&StoreLimits::default(), 64);
    stores.tokens = tokens;
    let engine = builder(IssuerSettings::new(ISSUER))
        .with_stores(stores)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let body = pre_authorized_body(&engine);
    let tokens = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{e}"))
        .body
        .unwrap_or_default();
    (engine, tokens)
}

#[test]
fn a_token_store_that_cannot_revoke_is_a_server_error_not_an_invalid_grant() {
    let (engine, tokens) = granted_with(Arc::new(UnrevocableTokens::default()));
    let refresh = tokens["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refresh_body = format!("grant_type=refresh_token&refresh_token={refresh}");
    let rotated = engine.token(&EndpointRequest::new(&[FORM], refresh_body.as_bytes()), NOW);
    assert!(rotated.is_ok(), "{rotated:?}");
    // The old refresh token again: the family must be revoked, and the access tokens cannot
    // be. The answer says the server failed; it does not claim the grant is revoked.
    let error = engine
        .token(&EndpointRequest::new(&[FORM], refresh_body.as_bytes()), NOW)
        .err()
        .unwrap_or_else(|| panic!("a reused refresh token was accepted"));
    assert_eq!((error.status(), error.error()), (500, "server_error"));
    assert_eq!(
        error.internal_detail(),
        Some("store unavailable: token store down")
    );
}

/// Access tokens that are kept but cannot be read back (a database gone after issuance).
#[derive(Debug, Default)]
struct UnreadableTokens(InMemoryAccessTokens);

impl AccessTokenStore for UnreadableTokens {
    fn insert(&self, token: String, grant: AccessGrant, now: UnixTime) -> Result<(), StoreError> {
        self.0.insert(token, grant, now)
    }
    fn get(&self, _: &str, _: UnixTime) -> Result<Option<AccessGrant>, StoreError> {
        Err(StoreError::Unavailable("token store down".into()))
    }
    fn revoke_grant(&self, grant: &GrantId) -> Result<(), StoreError> {
        self.0.revoke_grant(grant)
    }
}

/// A token store that cannot answer is the server's failure at the credential endpoint: 500
/// `server_error`, not `401 invalid_token`, which would make the wallet drop a valid token.
#[test]
fn a_token_store_that_cannot_answer_is_a_server_error_not_an_invalid_token() {
    let (engine, tokens) = granted_with(Arc::new(UnreadableTokens::default()));
    let authorization = format!(
        "Bearer {}",
        tokens["access_token"].as_str().unwrap_or_default()
    );
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let error = engine
        .credential(
            &EndpointRequest::new(&headers, br#"{"credential_configuration_id":"pid"}"#),
            NOW,
        )
        .err()
        .unwrap_or_else(|| panic!("answered without its token store"));
    assert_eq!((error.status(), error.error()), (500, "server_error"));
    assert_eq!(
        error.internal_detail(),
        Some("store unavailable: token store down")
    );
}

#[test]
fn replaced_keys_sign_from_then_on_and_a_snapshot_keeps_the_old_ones() {
    let rng = SystemRandom::new();
    let engine = engine(None);
    let before = engine.keys();
    let next = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let previous = engine
        .replace_keys(IssuerKeys::new(
            SigningKey::new(Arc::new(next), vec![vec![1, 2, 3]]).with_kid("key-b"),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    // The snapshot taken before (a request in flight) still has the old key.
    assert!(Arc::ptr_eq(&previous, &before));
    assert_eq!(before.credential.kid(), None);
    assert!(before.credential.chain().is_empty());
    let after = engine.keys();
    assert_eq!(after.credential.kid(), Some("key-b"));
    assert_eq!(after.credential.chain(), [vec![1u8, 2, 3]]);
}

#[test]
fn keys_without_an_mdoc_signer_do_not_replace_those_of_an_mdoc_issuer() {
    let rng = SystemRandom::new();
    let key = || {
        let signer =
            LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
        SigningKey::new(Arc::new(signer), Vec::new())
    };
    let mdoc = CredentialProfile::new(
        "mdl",
        CredentialFormat::Mdoc {
            doctype: "org.iso.18013.5.1.mDL".into(),
            name_space: "org.iso.18013.5.1".into(),
        },
    );
    let engine = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile(), mdoc],
        IssuerKeys::new(key().with_kid("key-a")).with_mdoc(key()),
        &[5u8; 32],
        Arc::new(SystemRandom::new()),
    )
    .build()
    .unwrap_or_else(|e| panic!("{e}"));
    let refused = engine
        .replace_keys(IssuerKeys::new(key().with_kid("key-b")))
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(
        refused.to_string(),
        "credentialConfigurations[1].format: mso_mdoc needs an mdoc Document Signer key"
    );
    assert_eq!(engine.keys().credential.kid(), Some("key-a"));
}

/// ABCA DPoP combined mode through the engine: the token endpoint verifies and records the
/// DPoP proof first, and the attestation verifier takes that accepted proof as the proof of
/// possession (it used to verify it again without a request target: 500). The token is
/// bound to the instance key; the proof cannot be used again, and a DPoP proof by another
/// key than the attested one does not authenticate.
#[test]
fn abca_dpop_combined_mode_authenticates_and_binds_the_token() {
    use attestation_jwt::{
        AttestationClaims, AttesterKeyId, ClientAttestationConfig, ClientAttestationVerifier,
        VerificationMethod, issue_attestation,
    };
    let rng = SystemRandom::new();
    let key = || LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let (attester, instance, stranger) = (key(), key(), key());
    let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk: attester.public_jwk(),
        additional_jwks: Vec::new(),
    })
    .with_required(true);
    let verifier = ClientAttestationVerifier::builder(config, ISSUER)
        .with_combined_mode(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let engine = builder(IssuerSettings::new(ISSUER))
        .with_client_authenticator(verifier)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let claims = AttestationClaims::new(
        "wallet-1",
        instance.public_jwk(),
        NOW.saturating_sub(60),
        NOW.saturating_add(3600),
    );
    let attestation = issue_attestation(&claims, &AttesterKeyId::Kid("att-1".into()), &attester)
        .unwrap_or_else(|e| panic!("{e}"));
    let token_request = |signer: &LocalSigner, jti: &str| {
        let body = pre_authorized_body(&engine);
        let claims = DpopProofClaims::new("POST", format!("{ISSUER}/token"), jti, NOW);
        let proof = build_dpop_proof(&claims, &signer.public_jwk(), signer)
            .unwrap_or_else(|e| panic!("{e}"));
        let headers: [(&str, &[u8]); 3] = [
            FORM,
            ("oauth-client-attestation", attestation.as_bytes()),
            ("dpop", proof.as_bytes()),
        ];
        engine
            .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|answer| answer.body.unwrap_or_default())
            .map_err(|e| (e.status(), e.error().to_owned()))
    };
    let Ok(tokens) = token_request(&instance, "combined-1") else {
        panic!("combined mode authenticates")
    };
    assert_eq!(tokens["token_type"], "DPoP");
    assert_eq!(
        token_request(&instance, "combined-1"),
        Err((400, "invalid_dpop_proof".to_owned())),
        "the proof is recorded once and refused the second time"
    );
    assert_eq!(
        token_request(&stranger, "combined-2"),
        Err((401, "invalid_client".to_owned()))
    );
}
