//! The authorization code flow through the engine (issue 11): PAR, the authorization request
//! by `request_uri`, consent, and code redemption, with the exact answer to each bad input.

use crate::FORM;
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    AuditEvent, CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerKeys,
    IssuerSettings, PendingAuthorization, RevocationCause, SigningKey,
};
use oid4vci_types::OAuthError;
use pop_verifier::{DpopProofClaims, build_dpop_proof};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const REDIRECT: &str = "https://wallet.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn engine() -> IssuerEngine {
    engine_with(Arc::new(oid4vci_issuer::NoAudit::default()))
}

fn engine_with(audit: Arc<dyn oid4vci_issuer::AuditSink>) -> IssuerEngine {
    builder()
        .with_audit_sink(audit)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The builder of the engine these tests use: the `pid` profile (scope `pid_scope`).
fn builder() -> oid4vci_issuer::IssuerEngineBuilder {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let pid = CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:example:pid".into(),
            always_disclosed: Vec::new(),
        },
    )
    .with_scope("pid_scope");
    IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![pid],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[3u8; 32],
        Arc::new(rng),
    )
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn par_body(client_id: &str, ask: &str) -> String {
    format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&code_challenge={CHALLENGE}\
         &code_challenge_method=S256&state=st-1&{ask}",
        enc(REDIRECT)
    )
}

fn details(id: &str) -> String {
    format!(
        "authorization_details={}",
        enc(&json!([{"type": "openid_credential", "credential_configuration_id": id}]).to_string())
    )
}

/// A DPoP key and a fresh proof of it for `path`.
struct DpopKey(LocalSigner);

impl DpopKey {
    fn new() -> Self {
        Self(
            LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    fn proof(&self, path: &str, jti: &str) -> String {
        let claims = DpopProofClaims::new("POST", format!("{ISSUER}{path}"), jti, NOW);
        build_dpop_proof(&claims, &self.0.public_jwk(), &self.0).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A proof for a request with `access_token` (its `ath`).
    fn proof_for_token(&self, path: &str, jti: &str, access_token: &str) -> String {
        let claims = DpopProofClaims::new("POST", format!("{ISSUER}{path}"), jti, NOW)
            .with_access_token(access_token);
        build_dpop_proof(&claims, &self.0.public_jwk(), &self.0).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn par(engine: &IssuerEngine, body: &str, dpop: Option<&str>) -> Result<String, OAuthError> {
    let mut headers: Vec<(&str, &[u8])> = vec![FORM];
    if let Some(proof) = dpop {
        headers.push(("dpop", proof.as_bytes()));
    }
    let answer = engine.par(&EndpointRequest::new(&headers, body.as_bytes()), NOW)?;
    assert_eq!(answer.status, 201);
    let body = answer.body.unwrap_or(Value::Null);
    assert_eq!(body["expires_in"], 60);
    Ok(body["request_uri"].as_str().unwrap_or_default().to_owned())
}

fn begin(
    engine: &IssuerEngine,
    client_id: &str,
    request_uri: &str,
) -> Result<PendingAuthorization, OAuthError> {
    let query = format!("client_id={client_id}&request_uri={}", enc(request_uri));
    engine.begin_authorization(query.as_bytes(), NOW)
}

/// The code of a redirect URL, after checking its `state` and `iss`.
fn code_of(redirect: &str) -> String {
    let query = redirect
        .strip_prefix(&format!("{REDIRECT}?"))
        .unwrap_or_else(|| panic!("{redirect}"));
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    assert!(params.contains(&("state", "st-1")), "{redirect}");
    assert!(
        params.contains(&("iss", "https%3A%2F%2Fissuer.example")),
        "{redirect}"
    );
    params
        .iter()
        .find(|(n, _)| *n == "code")
        .map(|(_, v)| (*v).to_owned())
        .unwrap_or_else(|| panic!("{redirect}"))
}

fn claims() -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("given_name".into(), "Erika".into());
    claims
}

/// PAR (with DPoP), consent, and the code.
fn authorized(engine: &IssuerEngine, key: &DpopKey) -> String {
    let proof = key.proof("/par", "par-1");
    let request_uri = par(engine, &par_body("wallet", &details("pid")), Some(&proof))
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending.configuration_ids(), ["pid"]);
    code_of(
        &engine
            .approve(pending, claims(), NOW)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn redeem(
    engine: &IssuerEngine,
    code: &str,
    extra: &str,
    dpop: Option<&str>,
) -> Result<Value, (u16, String)> {
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=wallet{extra}",
        enc(REDIRECT)
    );
    post_token(engine, &body, dpop)
}

/// The token endpoint's answer to the form `body`, with `dpop`'s proof if any.
fn post_token(
    engine: &IssuerEngine,
    body: &str,
    dpop: Option<&str>,
) -> Result<Value, (u16, String)> {
    let mut headers: Vec<(&str, &[u8])> = vec![FORM];
    if let Some(proof) = dpop {
        headers.push(("dpop", proof.as_bytes()));
    }
    engine
        .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
        .map(|a| a.body.unwrap_or(Value::Null))
        .map_err(|e| (e.status(), e.error().to_owned()))
}

fn verifier() -> String {
    format!("&code_verifier={VERIFIER}")
}

/// The token response of a code flow through PAR, consent and the token endpoint, all with
/// DPoP `key`.
fn dpop_tokens(engine: &IssuerEngine, key: &DpopKey) -> Value {
    let code = authorized(engine, key);
    redeem(
        engine,
        &code,
        &verifier(),
        Some(&key.proof("/token", "t-1")),
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_code_flow_issues_dpop_bound_tokens_with_credential_identifiers() {
    let engine = engine();
    let key = DpopKey::new();
    let tokens = dpop_tokens(&engine, &key);
    assert_eq!(tokens["token_type"], "DPoP");
    assert!(tokens["refresh_token"].is_string());
    let detail = &tokens["authorization_details"][0];
    assert_eq!(detail["credential_configuration_id"], "pid");
    assert_eq!(
        detail["credential_identifiers"].as_array().map(Vec::len),
        Some(1)
    );
}

/// A refresh at the token endpoint with `dpop`'s proof, if any.
fn refresh_with(
    engine: &IssuerEngine,
    refresh_token: &str,
    dpop: Option<&str>,
) -> Result<Value, (u16, String)> {
    let body = format!("grant_type=refresh_token&refresh_token={refresh_token}&client_id=wallet");
    post_token(engine, &body, dpop)
}

/// RFC 9449 §5: the refresh token of a grant made with a DPoP proof is bound to that key.
/// Another key or no proof is refused with `invalid_grant` and leaves the token usable; the
/// bound key refreshes and gets a DPoP-bound access token.
#[test]
fn a_refresh_token_is_bound_to_the_dpop_key_of_its_grant() {
    let engine = engine();
    let key = DpopKey::new();
    let tokens = dpop_tokens(&engine, &key);
    let refresh_token = tokens["refresh_token"].as_str().unwrap_or_default();
    let other = DpopKey::new();
    assert_eq!(
        refresh_with(&engine, refresh_token, Some(&other.proof("/token", "r-1"))),
        Err((400, "invalid_grant".into()))
    );
    assert_eq!(
        refresh_with(&engine, refresh_token, None),
        Err((400, "invalid_grant".into()))
    );
    let refreshed = refresh_with(&engine, refresh_token, Some(&key.proof("/token", "r-2")))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(refreshed["token_type"], "DPoP");
}

/// Refresh tokens whose `peek` fails while `down` is set (a database gone mid-way).
#[derive(Debug, Default)]
struct PeekFails {
    inner: oid4vci_issuer::InMemoryRefreshTokens,
    down: core::sync::atomic::AtomicBool,
}

impl oid4vci_issuer::RefreshTokenStore for PeekFails {
    fn insert(
        &self,
        token: String,
        grant: oid4vci_issuer::RefreshGrant,
        now: UnixTime,
    ) -> Result<(), oid4vci_issuer::StoreError> {
        self.inner.insert(token, grant, now)
    }
    fn rotate(
        &self,
        presented: &str,
        next: String,
        bind_dpop: Option<&str>,
        now: UnixTime,
    ) -> Result<oid4vci_issuer::RefreshGrant, oid4vci_issuer::RefreshError> {
        self.inner.rotate(presented, next, bind_dpop, now)
    }
    fn peek(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Option<oid4vci_issuer::RefreshGrant>, oid4vci_issuer::StoreError> {
        if self.down.load(core::sync::atomic::Ordering::SeqCst) {
            return Err(oid4vci_issuer::StoreError::Unavailable("down".into()));
        }
        self.inner.peek(token, now)
    }
    fn is_revoked(
        &self,
        grant: &oid4vci_issuer::GrantId,
        now: UnixTime,
    ) -> Result<bool, oid4vci_issuer::StoreError> {
        self.inner.is_revoked(grant, now)
    }
    fn revoke_grant(
        &self,
        grant: &oid4vci_issuer::GrantId,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), oid4vci_issuer::StoreError> {
        self.inner.revoke_grant(grant, until, now)
    }
}

/// A refresh store that cannot say what a token is bound to fails the refresh (500): the key
/// bindings are never skipped, so a refresh with another key does not pass during an outage,
/// and the token is still unused after it.
#[test]
fn a_refresh_whose_bindings_cannot_be_read_is_a_server_error() {
    let refresh = Arc::new(PeekFails::default());
    let mut stores = oid4vci_issuer::Stores::in_memory(&oid4vci_issuer::StoreLimits::default(), 64);
    stores.refresh = refresh.clone();
    let engine = builder()
        .with_stores(stores)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let key = DpopKey::new();
    let tokens = dpop_tokens(&engine, &key);
    let refresh_token = tokens["refresh_token"].as_str().unwrap_or_default();
    let other = DpopKey::new();
    refresh
        .down
        .store(true, core::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        refresh_with(&engine, refresh_token, Some(&other.proof("/token", "o-1"))),
        Err((500, "server_error".into()))
    );
    refresh
        .down
        .store(false, core::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        refresh_with(&engine, refresh_token, Some(&other.proof("/token", "o-2"))),
        Err((400, "invalid_grant".into()))
    );
    assert!(refresh_with(&engine, refresh_token, Some(&key.proof("/token", "k-1"))).is_ok());
}

/// Pushed requests whose `take_pushed` fails while `down` is set.
#[derive(Debug, Default)]
struct TakeFails {
    inner: oid4vci_issuer::InMemoryAuthorizations,
    down: core::sync::atomic::AtomicBool,
}

impl oid4vci_issuer::AuthorizationStore for TakeFails {
    fn push(
        &self,
        request_uri: String,
        request: oid4vci_issuer::PushedRequest,
        now: UnixTime,
    ) -> Result<(), oid4vci_issuer::StoreError> {
        self.inner.push(request_uri, request, now)
    }
    fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<oid4vci_issuer::PushedRequest>, oid4vci_issuer::StoreError> {
        if self.down.load(core::sync::atomic::Ordering::SeqCst) {
            return Err(oid4vci_issuer::StoreError::Unavailable("down".into()));
        }
        self.inner.take_pushed(request_uri, client_id, now)
    }
    fn insert_code(
        &self,
        code: String,
        issued: oid4vci_issuer::IssuedCode,
        now: UnixTime,
    ) -> Result<(), oid4vci_issuer::StoreError> {
        self.inner.insert_code(code, issued, now)
    }
    fn redeem_code(
        &self,
        code: &str,
        now: UnixTime,
        remember_until: UnixTime,
        accept: &dyn Fn(&oid4vci_issuer::IssuedCode) -> Result<(), oid4vci_issuer::CodeRefusal>,
    ) -> Result<oid4vci_issuer::IssuedCode, oid4vci_issuer::CodeError> {
        self.inner.redeem_code(code, now, remember_until, accept)
    }
}

/// A store that cannot read pushed requests is a server error at `/authorize`, not the
/// wallet's unknown `request_uri` (which it would not retry), and the request stays usable.
#[test]
fn a_pushed_request_that_cannot_be_read_is_a_server_error() {
    let authorizations = Arc::new(TakeFails::default());
    let mut stores = oid4vci_issuer::Stores::in_memory(&oid4vci_issuer::StoreLimits::default(), 64);
    stores.authorizations = authorizations.clone();
    let engine = builder()
        .with_stores(stores)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let request_uri = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    authorizations
        .down
        .store(true, core::sync::atomic::Ordering::SeqCst);
    let answer = begin(&engine, "wallet", &request_uri)
        .err()
        .map(|e| (e.status(), e.error().to_owned()));
    assert_eq!(answer, Some((500, "server_error".into())));
    authorizations
        .down
        .store(false, core::sync::atomic::Ordering::SeqCst);
    assert!(begin(&engine, "wallet", &request_uri).is_ok());
}

/// Authenticates the client named in the `x-client` header (its instance key is
/// `key-<name>`, or the `x-key` header's); a request without it is accepted anonymously, as a
/// lenient mode does.
#[derive(Debug)]
struct ByHeader;

impl oid4vci_issuer::ClientAuthenticator for ByHeader {
    fn authenticate(
        &self,
        request: &EndpointRequest<'_>,
        _: Option<&str>,
        _: &oid4vci_issuer::ClientAuthContext<'_>,
        _: UnixTime,
    ) -> Result<oid4vci_issuer::ClientIdentity, OAuthError> {
        let mut identity = oid4vci_issuer::ClientIdentity::default();
        if let Some((_, name)) = request.headers().iter().find(|(n, _)| *n == "x-client") {
            let name = String::from_utf8_lossy(name).into_owned();
            let key = request.headers().iter().find(|(n, _)| *n == "x-key");
            identity.instance_key = Some(key.map_or_else(
                || format!("key-{name}"),
                |(_, key)| String::from_utf8_lossy(key).into_owned(),
            ));
            identity.client_id = Some(name);
        } else {
            identity.lenient_warning = Some("anonymous".into());
        }
        Ok(identity)
    }
}

/// A code pushed without client authentication (a lenient mode) and redeemed by an attested
/// instance binds the refresh tokens to that instance (ABCA §9.3); a refresh by another
/// authenticated client, or anonymously, is `invalid_grant` (RFC 6749 §6).
#[test]
fn a_refresh_token_belongs_to_the_instance_that_redeemed_the_code() {
    let engine = builder()
        .with_client_authenticator(Arc::new(ByHeader))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let request_uri =
        par(&engine, &par_body("wallet", &details("pid")), None).unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    let code = code_of(
        &engine
            .approve(pending, claims(), NOW)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let post = |body: &str, client: Option<&str>| {
        let mut headers: Vec<(&str, &[u8])> = vec![FORM];
        if let Some(client) = client {
            let (name, key) = client.split_once('/').unwrap_or((client, ""));
            headers.push(("x-client", name.as_bytes()));
            if !key.is_empty() {
                headers.push(("x-key", key.as_bytes()));
            }
        }
        engine
            .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|a| a.body.unwrap_or(Value::Null))
            .map_err(|e| (e.status(), e.error().to_owned(), e.description().to_owned()))
    };
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=wallet{}",
        enc(REDIRECT),
        verifier()
    );
    let tokens = post(&body, Some("wallet")).unwrap_or_else(|e| panic!("{e:?}"));
    let refresh = format!(
        "grant_type=refresh_token&refresh_token={}",
        tokens["refresh_token"].as_str().unwrap_or_default()
    );
    for (client, why) in [
        (
            Some("mallory"),
            "the refresh token is bound to another wallet instance key",
        ),
        (
            None,
            "the refresh token is bound to another wallet instance key",
        ),
        // The wallet's instance key, presented under another client id.
        (
            Some("mallory/key-wallet"),
            "the refresh token was issued to another client",
        ),
    ] {
        assert_eq!(
            post(&refresh, client).err(),
            Some((400, "invalid_grant".into(), why.into())),
            "{client:?}"
        );
    }
    assert!(post(&refresh, Some("wallet")).is_ok());
}

/// RFC 6749 §3.3: a token response names the scope granted when it is less than the scope
/// asked for (a value no configuration claims was dropped), and needs not otherwise.
#[test]
fn the_token_response_names_a_narrowed_scope() {
    let engine = engine();
    let tokens = |scope: &str| {
        let request_uri =
            par(&engine, &par_body("wallet", scope), None).unwrap_or_else(|e| panic!("{e}"));
        let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
        let code = code_of(
            &engine
                .approve(pending, claims(), NOW)
                .unwrap_or_else(|e| panic!("{e}")),
        );
        redeem(&engine, &code, &verifier(), None).unwrap_or_else(|e| panic!("{e:?}"))
    };
    assert_eq!(tokens("scope=openid%20pid_scope")["scope"], "pid_scope");
    assert!(tokens("scope=pid_scope").get("scope").is_none());
}

#[test]
fn bad_pushed_requests_get_their_exact_answers() {
    let engine = engine();
    let error = |body: &str| {
        par(&engine, body, None)
            .err()
            .map(|e| (e.status(), e.error().to_owned()))
    };
    assert_eq!(
        error(&par_body("w", &details("nope"))),
        Some((400, "invalid_authorization_details".into()))
    );
    let other_type = format!(
        "authorization_details={}",
        enc(&json!([{"type": "payment_initiation"}]).to_string())
    );
    assert_eq!(
        error(&par_body("w", &other_type)),
        Some((400, "invalid_authorization_details".into()))
    );
    assert_eq!(
        error(&par_body("w", "scope=unknown")),
        Some((400, "invalid_scope".into()))
    );
    // An empty list, and a draft-13 entry: the details are invalid, not the request.
    let draft13 = format!(
        "authorization_details={}",
        enc(&json!([{"type": "openid_credential", "format": "dc+sd-jwt"}]).to_string())
    );
    for asked in [format!("authorization_details={}", enc("[]")), draft13] {
        assert_eq!(
            error(&par_body("w", &asked)),
            Some((400, "invalid_authorization_details".into())),
            "{asked}"
        );
    }
    // Only the query response mode; no request_uri in a PAR request; an absolute redirect URI.
    for refused in [
        par_body("w", "scope=pid_scope&response_mode=fragment"),
        par_body("w", "scope=pid_scope&request_uri=urn%3Ax"),
        par_body("w", "scope=pid_scope").replace(&enc(REDIRECT), "cb"),
    ] {
        assert_eq!(
            error(&refused),
            Some((400, "invalid_request".into())),
            "{refused}"
        );
    }
    // Unknown values beside a known one are ignored (OpenID4VCI 1.0 §5.1.2).
    let mixed = format!("scope={}", enc("openid pid_scope offline_access"));
    assert_eq!(error(&par_body("w", &mixed)), None);
    let plain = par_body("w", "scope=pid_scope")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(error(&plain), Some((400, "invalid_request".into())));
    let token =
        par_body("w", "scope=pid_scope").replace("response_type=code", "response_type=token");
    assert_eq!(
        error(&token),
        Some((400, "unsupported_response_type".into()))
    );
    // A dpop_jkt parameter that is not the proof's key.
    let key = DpopKey::new();
    let proof = key.proof("/par", "p-1");
    let mismatch = par(
        &engine,
        &par_body("w", "scope=pid_scope&dpop_jkt=abc"),
        Some(&proof),
    );
    assert_eq!(
        mismatch.err().map(|e| e.error().to_owned()).as_deref(),
        Some("invalid_dpop_proof")
    );
    // The scope form of the request works.
    assert!(par(&engine, &par_body("w", "scope=pid_scope"), None).is_ok());
}

#[test]
fn a_request_uri_is_single_use_and_only_its_clients() {
    let engine = engine();
    let request_uri = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = |r: Result<PendingAuthorization, OAuthError>| {
        r.err().map(|e| (e.status(), e.error().to_owned()))
    };
    assert_eq!(
        answer(begin(&engine, "mallory", &request_uri)),
        Some((400, "invalid_request".into()))
    );
    assert!(
        begin(&engine, "wallet", &request_uri).is_ok(),
        "untouched by the other client"
    );
    assert_eq!(
        answer(begin(&engine, "wallet", &request_uri)),
        Some((400, "invalid_request".into()))
    );
    let query = format!(
        "client_id=wallet&request_uri={}&scope=pid_scope",
        enc(&request_uri)
    );
    let extra = engine
        .begin_authorization(query.as_bytes(), NOW)
        .err()
        .map(|e| e.error().to_owned());
    assert_eq!(extra.as_deref(), Some("invalid_request"));
    let stale = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let later = format!("client_id=wallet&request_uri={}", enc(&stale));
    let expired = engine.begin_authorization(later.as_bytes(), NOW.saturating_add(60));
    assert_eq!(answer(expired), Some((400, "invalid_request".into())));
}

#[test]
fn refused_redemptions_leave_the_code_usable() {
    let engine = engine();
    let key = DpopKey::new();
    let code = authorized(&engine, &key);
    let proof = |jti: &str| key.proof("/token", jti);
    assert_eq!(
        redeem(&engine, &code, "", Some(&proof("a"))).err(),
        Some((400, "invalid_grant".into())),
        "PKCE missing"
    );
    let wrong = "&code_verifier=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMxx";
    assert_eq!(
        redeem(&engine, &code, wrong, Some(&proof("b"))).err(),
        Some((400, "invalid_grant".into())),
        "wrong verifier"
    );
    let other_redirect = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fevil.example&client_id=wallet{}",
        verifier()
    );
    let headers: Vec<(&str, &[u8])> = vec![FORM];
    let redirect = engine.token(
        &EndpointRequest::new(&headers, other_redirect.as_bytes()),
        NOW,
    );
    assert_eq!(
        redirect.err().map(|e| e.error().to_owned()).as_deref(),
        Some("invalid_grant")
    );
    let other_client = redeem(&engine, &code, &format!("{}&client_id=x", verifier()), None);
    assert_eq!(
        other_client.err().map(|e| e.0),
        Some(400),
        "a repeated client_id is a malformed request"
    );
    // Without client authentication, client_id is required (RFC 6749 §4.1.3).
    let anonymous = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}{}",
        enc(REDIRECT),
        verifier()
    );
    let proof_e = proof("e");
    let headers: Vec<(&str, &[u8])> = vec![FORM, ("dpop", proof_e.as_bytes())];
    let answer = engine.token(&EndpointRequest::new(&headers, anonymous.as_bytes()), NOW);
    assert_eq!(
        answer.err().map(|e| (e.status(), e.error().to_owned())),
        Some((400, "invalid_request".into())),
        "no client_id"
    );
    let other_key = DpopKey::new().proof("/token", "c");
    assert_eq!(
        redeem(&engine, &code, &verifier(), Some(&other_key)).err(),
        Some((400, "invalid_dpop_proof".into()))
    );
    assert_eq!(
        redeem(&engine, &code, &verifier(), None).err(),
        Some((400, "invalid_dpop_proof".into())),
        "no proof"
    );
    // authorization_details the grant does not cover (RFC 9396 §8): correctable, so the
    // code is not spent (a retry is no reuse, and no tokens are revoked).
    let entry = json!({"type": "openid_credential", "credential_configuration_id": "pid"});
    let twice = format!(
        "authorization_details={}",
        enc(&json!([entry, entry]).to_string())
    );
    for (details, why) in [(details("other"), "not granted"), (twice, "twice")] {
        let extra = format!("{}&{details}", verifier());
        assert_eq!(
            redeem(&engine, &code, &extra, Some(&proof(why))).err(),
            Some((400, "invalid_authorization_details".into())),
            "{why}"
        );
    }
    assert!(redeem(&engine, &code, &verifier(), Some(&proof("d"))).is_ok());
}

#[test]
fn a_code_of_another_client_is_invalid_grant() {
    let engine = engine();
    let key = DpopKey::new();
    let code = authorized(&engine, &key);
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=mallory{}",
        enc(REDIRECT),
        verifier()
    );
    let proof = key.proof("/token", "m");
    let headers: Vec<(&str, &[u8])> = vec![FORM, ("dpop", proof.as_bytes())];
    let answer = engine.token(&EndpointRequest::new(&headers, body.as_bytes()), NOW);
    assert_eq!(
        answer.err().map(|e| (e.status(), e.error().to_owned())),
        Some((400, "invalid_grant".into()))
    );
}

#[test]
fn a_reused_code_is_refused_and_revokes_the_first_tokens() {
    let engine = engine();
    let key = DpopKey::new();
    let code = authorized(&engine, &key);
    let first = redeem(&engine, &code, &verifier(), Some(&key.proof("/token", "1")))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let access = first["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        redeem(&engine, &code, &verifier(), Some(&key.proof("/token", "2"))).err(),
        Some((400, "invalid_grant".into()))
    );
    // The first access token no longer works at the credential endpoint.
    let authorization = format!("DPoP {access}");
    let proof = key.proof_for_token("/credential", "3", &access);
    let headers: Vec<(&str, &[u8])> = vec![
        ("authorization", authorization.as_bytes()),
        ("dpop", proof.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let answer = engine.credential(&EndpointRequest::new(&headers, b"{}"), NOW);
    assert_eq!(
        answer.err().map(|e| (e.status(), e.error().to_owned())),
        Some((401, "invalid_token".into()))
    );
}

#[test]
fn redemption_and_reuse_of_a_code_are_audited_under_one_grant() {
    let audit = Arc::new(crate::audit::Recorder::default());
    let engine = engine_with(audit.clone());
    let key = DpopKey::new();
    let code = authorized(&engine, &key);
    let tokens = redeem(&engine, &code, &verifier(), Some(&key.proof("/token", "1")))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        redeem(&engine, &code, &verifier(), Some(&key.proof("/token", "2"))).is_err(),
        "a reused code redeemed"
    );
    let events = audit.events();
    let [
        AuditEvent::AuthorizationCodeRedeemed {
            grant: redeemed,
            client_id,
            configuration_ids,
            ..
        },
        AuditEvent::RefreshFamilyRevoked {
            grant: revoked,
            cause: RevocationCause::AuthorizationCodeReused,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("unexpected events {events:?}");
    };
    assert_eq!(redeemed, revoked);
    assert_eq!(client_id.as_deref(), Some("wallet"));
    assert_eq!(configuration_ids, &["pid".to_owned()]);
    let text = format!("{events:?}");
    assert!(!text.contains(&code));
    assert!(!text.contains(tokens["access_token"].as_str().unwrap_or("-")));
}

#[test]
fn a_credential_request_outside_the_authorization_details_is_refused() {
    let engine = engine();
    let key = DpopKey::new();
    let code = authorized(&engine, &key);
    let tokens = redeem(&engine, &code, &verifier(), Some(&key.proof("/token", "1")))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let authorization = format!("DPoP {access}");
    let request = |jti: &str, body: &Value| {
        let proof = key.proof_for_token("/credential", jti, access);
        let headers: Vec<(&str, &[u8])> = vec![
            ("authorization", authorization.as_bytes()),
            ("dpop", proof.as_bytes()),
            ("content-type", b"application/json"),
        ];
        engine
            .credential(
                &EndpointRequest::new(&headers, body.to_string().as_bytes()),
                NOW,
            )
            .err()
            .map(|e| (e.status(), e.error().to_owned()))
    };
    let by_id = json!({"credential_identifier": "not-issued", "proofs": {"jwt": ["a.b.c"]}});
    assert_eq!(
        request("2", &by_id),
        Some((400, "unknown_credential_identifier".into()))
    );
    let by_configuration =
        json!({"credential_configuration_id": "pid", "proofs": {"jwt": ["a.b.c"]}});
    assert_eq!(
        request("3", &by_configuration),
        Some((400, "invalid_credential_request".into()))
    );
    // A configuration the issuer does not have is named as such, identifiers or not.
    let unknown = json!({"credential_configuration_id": "no-such", "proofs": {"jwt": ["a.b.c"]}});
    assert_eq!(
        request("4", &unknown),
        Some((400, "unknown_credential_configuration".into()))
    );
}

#[test]
fn a_denied_consent_redirects_with_access_denied() {
    let engine = engine();
    let request_uri = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    let url = engine.deny(pending);
    assert!(
        url.starts_with(&format!("{REDIRECT}?error=access_denied&")),
        "{url}"
    );
    assert!(
        url.contains("&state=st-1&iss=https%3A%2F%2Fissuer.example"),
        "{url}"
    );
}

#[test]
fn the_user_has_the_interaction_window_after_the_request_uri_is_taken() {
    let engine = engine();
    let window = engine.settings().user_interaction_ttl_seconds;
    assert!(window > engine.settings().par_ttl_seconds);
    let request_uri = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    // Past the request_uri's 60 s, within the window: the consent still counts.
    let slow = NOW.saturating_add(window.saturating_sub(1));
    assert!(pending.is_live(slow));
    assert!(engine.approve(pending.clone(), claims(), slow).is_ok());
    let late = NOW.saturating_add(window);
    assert!(!pending.is_live(late));
    let refused = engine.approve(pending, claims(), late).err();
    assert_eq!(
        refused.map(|e| (e.status(), e.error().to_owned())),
        Some((400, "invalid_request".into()))
    );
}

/// The host's claims that no credential of the request could carry give no code (they would
/// fail only at the credential request); the same pending authorization with good claims does.
#[test]
fn consent_with_claims_no_credential_could_carry_gives_no_code() {
    let engine = engine();
    let request_uri = par(&engine, &par_body("wallet", "scope=pid_scope"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = claims();
    bad.insert("cnf".into(), serde_json::json!({"jkt": "x"}));
    let refused = engine.approve(pending.clone(), bad, NOW).err();
    assert_eq!(
        refused.map(|e| (e.status(), e.error().to_owned(), e.description().to_owned())),
        Some((
            400,
            "invalid_request".into(),
            "the claims cannot be issued as pid: claim 'cnf' is reserved here and cannot be set directly".into()
        ))
    );
    assert!(engine.approve(pending, claims(), NOW).is_ok());
}

/// An engine with two scoped profiles: `pid` (`pid_scope`) and `mdl` (`mdl_scope`).
fn two_scoped_profiles() -> IssuerEngine {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let profile = |id: &str| {
        CredentialProfile::new(
            id,
            CredentialFormat::SdJwtVc {
                vct: format!("urn:example:{id}"),
                always_disclosed: Vec::new(),
            },
        )
        .with_scope(&format!("{id}_scope"))
    };
    IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile("pid"), profile("mdl")],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[3u8; 32],
        Arc::new(rng),
    )
    .build()
    .unwrap_or_else(|e| panic!("{e}"))
}

/// RFC 6749 §6 and RFC 9396 §6: a refresh asks for no more than its grant. A known scope
/// value or an `authorization_details` entry outside it is refused (`invalid_scope`,
/// `invalid_authorization_details`) and the refresh token still works; scope values no
/// configuration claims are ignored (as at PAR). A request that names a scope gets the
/// token's scope back (RFC 6749 §3.3), at the pre-authorized grant too.
#[test]
fn a_refresh_asks_for_no_more_than_its_grant() {
    let engine = two_scoped_profiles();
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], claims(), None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let tokens = post_token(
        &engine,
        &format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}&scope=mdl_scope"
        ),
        None,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(tokens["scope"], "pid_scope");
    let refresh_token = tokens["refresh_token"].as_str().unwrap_or_default();
    let refresh = |extra: &str, token: &str| {
        post_token(
            &engine,
            &format!("grant_type=refresh_token&refresh_token={token}{extra}"),
            None,
        )
    };
    let mdl_details = enc(r#"[{"type":"openid_credential","credential_configuration_id":"mdl"}]"#);
    assert_eq!(
        refresh("&scope=mdl_scope", refresh_token),
        Err((400, "invalid_scope".to_owned()))
    );
    assert_eq!(
        refresh("&scope=pid_scope%20mdl_scope", refresh_token),
        Err((400, "invalid_scope".to_owned()))
    );
    assert_eq!(
        refresh(
            &format!("&authorization_details={mdl_details}"),
            refresh_token
        ),
        Err((400, "invalid_authorization_details".to_owned()))
    );
    // Refused requests rotated nothing: the token refreshes, with the grant's scope named.
    let refreshed =
        refresh("&scope=openid%20pid_scope", refresh_token).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(refreshed["scope"], "pid_scope");
    let rotated = refreshed["refresh_token"].as_str().unwrap_or_default();
    let plain = refresh("", rotated).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(plain.get("scope").is_none(), "{plain}");
}

/// A PAR whose scope values are all unknown but whose `authorization_details` carry the
/// request: the token response has no `scope` member (RFC 6749 §3.3 has no empty scope).
#[test]
fn no_empty_scope_when_only_authorization_details_were_granted() {
    let engine = engine();
    let key = DpopKey::new();
    let body = format!("{}&scope=openid", par_body("wallet", &details("pid")));
    let request_uri =
        par(&engine, &body, Some(&key.proof("/par", "par-1"))).unwrap_or_else(|e| panic!("{e}"));
    let pending = begin(&engine, "wallet", &request_uri).unwrap_or_else(|e| panic!("{e}"));
    let code = code_of(
        &engine
            .approve(pending, claims(), NOW)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let tokens = redeem(
        &engine,
        &code,
        &verifier(),
        Some(&key.proof("/token", "t-1")),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(tokens.get("scope").is_none(), "{tokens}");
    assert_eq!(
        tokens["authorization_details"][0]["credential_configuration_id"],
        "pid"
    );
}
