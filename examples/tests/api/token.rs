//! The token endpoint: client attestation, pre-authorized codes, tx_code.

use examples::clock::Clock as _;
use examples::pki::{DemoCa, LeafKind};
use examples::wallet::PRE_AUTHORIZED_GRANT;
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use serde_json::json;

use crate::common::{START, TestEnv};

fn pre_auth(code: &str) -> [(&str, &str); 2] {
    [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code),
    ]
}

#[test]
fn attestation_missing_with_required_true_is_invalid_client() {
    let t = TestEnv::start();
    let mut wallet = t.wallet();
    let attestation = wallet.attestation().map(str::to_owned);
    wallet.set_attestation(None);
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let headers = wallet.token_headers(&info).unwrap();
    assert!(headers.is_empty());
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_client"));
    // The code was not burnt by the failed authentication.
    wallet.set_attestation(attestation);
    assert!(wallet.redeem(&info, &code, None).is_ok());
}

#[test]
fn attestation_missing_with_required_false_issues_and_logs_a_warning() {
    let t = TestEnv::lenient();
    let mut wallet = t.wallet();
    wallet.set_attestation(None);
    let (uri, _, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, None, 1).unwrap();
    assert_eq!(outcome.credentials.len(), 1);
    assert_eq!(
        t.env.issuer.lenient_warnings(),
        vec!["no client attestation presented".to_owned()]
    );
}

#[test]
fn lenient_mode_accepts_an_invalid_attestation_with_its_reason() {
    let t = TestEnv::lenient();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let headers = vec![
        (
            "OAuth-Client-Attestation".to_owned(),
            "not.a.jwt".to_owned(),
        ),
        (
            "OAuth-Client-Attestation-PoP".to_owned(),
            wallet.pop(info.as_issuer().unwrap(), None).unwrap(),
        ),
    ];
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 200);
    let warnings = t.env.issuer.lenient_warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("invalid client attestation:"),
        "{warnings:?}"
    );
}

#[test]
fn expired_attestation_is_invalid_client() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    // Default attestation lifetime 3600 s, skew 300 s.
    t.clock.advance(3600 + 301);
    let (_, _, code) = t.offer(false);
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_client"));
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("attest_jwt_client_auth")),
        "{:?}",
        reply.header("www-authenticate")
    );
}

/// OpenID4VCI 1.0 App. I.2's wallet attestation has no `iat` (ABCA -07 makes it optional):
/// the issuer accepts it.
#[test]
fn an_attestation_without_iat_as_in_openid4vci_is_accepted() {
    let ca = DemoCa::generate("Test Attester CA", UnixTime::from_secs(START)).unwrap();
    let config = examples::demo::x509_attestation_config(ca.root_pem());
    let t = TestEnv::with_attester_ca(&ca, Some(config), |_| {});
    let mut wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let attester = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let chain = ca
        .issue(
            "Another attester",
            &attester.public_jwk(),
            &LeafKind::Attester,
            t.clock.now(),
        )
        .unwrap();
    let issued = wallet.attestation().unwrap().to_owned();
    let claims = jose_core::CompactJws::parse(&issued, &jose_core::Limits::default())
        .unwrap()
        .into_claims();
    // The demo attester names itself (ABCA -07 requires `iss`; oid4vc-ts refuses without).
    assert_eq!(
        claims.get("iss").and_then(serde_json::Value::as_str),
        Some(examples::attester::DEMO_ATTESTER_ISSUER)
    );
    let mut shaped = serde_json::Map::new();
    for name in ["iss", "sub", "exp", "cnf", "wallet_name"] {
        if let Some(value) = claims.get(name) {
            shaped.insert(name.into(), value.clone());
        }
    }
    shaped.insert("nbf".into(), json!(t.clock.now().secs()));
    let header = jose_core::Header::new(Algorithm::Es256)
        .with_typ("oauth-client-attestation+jwt")
        .with_x5c(chain);
    let without_iat = jose_core::UnsignedJws::new(&header, &shaped)
        .unwrap()
        .sign(&attester)
        .unwrap();
    wallet.set_attestation(Some(without_iat));
    let (_, _, code) = t.offer(false);
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[test]
fn expired_within_skew_is_accepted() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    t.clock.advance(3600 + 200);
    let (_, _, code) = t.offer(false);
    assert!(wallet.redeem(&info, &code, None).is_ok());
}

#[test]
fn replayed_pop_is_invalid_client() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let headers = wallet.token_headers(&info).unwrap();
    let (_, _, first) = t.offer(false);
    let ok = wallet
        .post_token(&info, &pre_auth(&first), &headers)
        .unwrap();
    assert_eq!(ok.status, 200);
    let (_, _, second) = t.offer(false);
    let replay = wallet
        .post_token(&info, &pre_auth(&second), &headers)
        .unwrap();
    assert_eq!(replay.status, 401);
    assert_eq!(replay.error_code(), Some("invalid_client"));
}

#[test]
fn challenge_required_refuses_a_pop_without_challenge_with_a_fresh_one() {
    let t = TestEnv::with(
        Some(json!({
            "verificationMethod": {"type": "kms-key", "keyReference": "demo-attester"},
            "challengeRequired": true
        })),
        |_| {},
    );
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    assert_eq!(
        info.as_endpoint("challenge_endpoint"),
        Some(format!("{}/challenge", t.env.issuer_url).as_str())
    );
    let (_, _, code) = t.offer(false);
    let headers = vec![
        (
            "OAuth-Client-Attestation".to_owned(),
            wallet.attestation().unwrap().to_owned(),
        ),
        (
            "OAuth-Client-Attestation-PoP".to_owned(),
            wallet.pop(info.as_issuer().unwrap(), None).unwrap(),
        ),
    ];
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("use_attestation_challenge"));
    // RFC 6749 §5.2: the token endpoint's errors are not cached, by HTTP/1.0 caches either.
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    let challenge = reply.header("oauth-client-attestation-challenge").unwrap();
    // The wallet's normal path fetches a challenge from the endpoint and succeeds.
    assert!(!challenge.is_empty());
    let endpoint = wallet
        .http
        .post_json(
            "challenge",
            &format!("{}/challenge", t.env.issuer_url),
            &json!(null),
            &[],
        )
        .unwrap();
    assert_eq!(endpoint.header("cache-control"), Some("no-store"));
    assert_eq!(endpoint.header("pragma"), Some("no-cache"));
    // No DPoP nonce is handed out: none is checked.
    assert_eq!(endpoint.header("dpop-nonce"), None);
    assert!(endpoint.str("attestation_challenge").is_some());
    assert!(wallet.redeem(&info, &code, None).is_ok());
}

#[test]
fn wrong_tx_code_is_invalid_grant_and_attempts_are_bounded() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, tx, code) = t.offer(true);
    let tx = tx.unwrap();
    assert_eq!(tx.len(), 6);
    let wrong = if tx == "000000" { "111111" } else { "000000" };
    for left in [2, 1, 0] {
        let headers = wallet.token_headers(&info).unwrap();
        let form = [pre_auth(&code)[0], pre_auth(&code)[1], ("tx_code", wrong)];
        let reply = wallet.post_token(&info, &form, &headers).unwrap();
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error_code(), Some("invalid_grant"));
        assert_eq!(
            reply.str("error_description"),
            Some(format!("wrong tx_code ({left} attempts left)").as_str())
        );
    }
    // Burnt: even the right code no longer works.
    let headers = wallet.token_headers(&info).unwrap();
    let form = [
        pre_auth(&code)[0],
        pre_auth(&code)[1],
        ("tx_code", tx.as_str()),
    ];
    let reply = wallet.post_token(&info, &form, &headers).unwrap();
    assert_eq!(reply.error_code(), Some("invalid_grant"));
}

#[test]
fn missing_tx_code_is_invalid_request() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(true);
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_request"));
}

#[test]
fn pre_authorized_code_used_twice_is_invalid_grant() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    assert!(wallet.redeem(&info, &code, None).is_ok());
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_grant"));
}

#[test]
fn expired_pre_authorized_code_is_invalid_grant() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    t.clock.advance(301);
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.error_code(), Some("invalid_grant"));
    assert_eq!(
        reply.str("error_description"),
        Some("the pre-authorized code has expired")
    );
}

/// A token request whose body is not a form is refused over HTTP as the engine refuses it:
/// 400 `invalid_request` in JSON; the same request as a form then redeems the code.
#[test]
fn a_token_request_that_is_not_a_form_is_400_invalid_request() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let url = format!("{}/token", t.env.issuer_url);
    let (_, _, code) = t.offer(false);
    let body = pre_auth(&code)
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    for content_type in ["application/json", "text/plain"] {
        let headers = [("Content-Type", content_type)];
        let reply = wallet
            .http
            .post_raw("token", &url, body.as_bytes(), &headers)
            .unwrap();
        assert_eq!(reply.status, 400, "{content_type}");
        assert_eq!(reply.error_code(), Some("invalid_request"));
        assert_eq!(
            reply.str("error_description"),
            Some(
                format!(
                    "the request body must be application/x-www-form-urlencoded, not {content_type}"
                )
                .as_str()
            )
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let headers = wallet.token_headers(&info).unwrap();
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 200);
}

/// A body past the issuer's limit is refused before any handler reads it, with the OAuth JSON
/// error every other refusal has (axum's own answer is plain text); one within the limit but
/// past the form limit is the engine's `invalid_request`.
#[test]
fn an_oversized_body_is_413_invalid_request_in_json() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let url = format!("{}/token", t.env.issuer_url);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let mut body = b"grant_type=refresh_token&refresh_token=".to_vec();
    body.resize(examples::issuer::MAX_REQUEST_BODY_BYTES + 1, b'a');
    let reply = wallet.http.post_raw("token", &url, &body, &form).unwrap();
    assert_eq!(reply.status, 413);
    assert_eq!(reply.error_code(), Some("invalid_request"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    body.truncate(100 * 1024);
    let reply = wallet.http.post_raw("token", &url, &body, &form).unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_request"));
}

/// RFC 6749 §2.3: a client uses one authentication method per request. Valid attestation
/// headers with a second method (a `client_assertion`, a `client_secret`, HTTP Basic) are
/// `400 invalid_request` (§5.2) at the token and PAR endpoints, and a `client_assertion_type`
/// the server does not know is `401 invalid_client`; before, the form and the `Authorization`
/// header were not looked at. The code is not burnt by the refusals.
#[test]
fn a_second_client_authentication_method_is_invalid_request() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let two_methods = (
        400,
        "invalid_request",
        "more than one client authentication method was used",
    );
    let unknown_type = (401, "invalid_client", "unsupported client_assertion_type");
    let jwt_bearer: &[(&str, &str)] = &[
        ("client_assertion_type", assertion_type),
        ("client_assertion", "x.y.z"),
    ];
    let unknown: &[(&str, &str)] = &[
        ("client_assertion_type", "urn:example:unknown"),
        ("client_assertion", "x"),
    ];
    let seconds = [
        (jwt_bearer, None, two_methods),
        (&[("client_secret", "s3cret")], None, two_methods),
        (&[], Some("Basic YTpi"), two_methods),
        (unknown, None, unknown_type),
    ];
    for (extra, authorization, (status, error, description)) in seconds {
        let mut headers = wallet.token_headers(&info).unwrap();
        headers.extend(authorization.map(|v| ("Authorization".to_owned(), v.to_owned())));
        let mut form = pre_auth(&code).to_vec();
        form.extend_from_slice(extra);
        let reply = wallet.post_token(&info, &form, &headers).unwrap();
        assert_eq!(
            (
                reply.status,
                reply.error_code(),
                reply.str("error_description")
            ),
            (status, Some(error), Some(description)),
            "{extra:?} {authorization:?}"
        );
    }
    // At PAR too: the same attestation headers with HTTP Basic.
    let par_url = info
        .as_endpoint("pushed_authorization_request_endpoint")
        .unwrap();
    let mut headers = wallet.client_auth_headers(&info).unwrap();
    headers.push(("Authorization".to_owned(), "Basic YTpi".to_owned()));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let client_id = wallet.client_id().unwrap();
    let form = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", "https://wallet.example/cb"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("scope", "IdentityCredential"),
    ];
    let reply = examples::wallet::Http::new()
        .post_form("PAR", par_url, &form, &headers)
        .unwrap();
    assert_eq!(
        (reply.status, reply.error_code()),
        (400, Some("invalid_request")),
        "{}",
        reply.body
    );
    // The refusals spent nothing: the code still redeems.
    assert!(wallet.redeem(&info, &code, None).is_ok());
}

/// Without an attestation, HTTP Basic is the one method: with no client secret fallback
/// configured it is `401 invalid_client`, also in lenient mode (a fallback credential that
/// fails is never let through).
#[test]
fn http_basic_without_a_client_secret_fallback_is_invalid_client() {
    let t = TestEnv::lenient();
    let mut wallet = t.wallet();
    wallet.set_attestation(None);
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    let headers = vec![("Authorization".to_owned(), "Basic YTpi".to_owned())];
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(
        (reply.status, reply.error_code()),
        (401, Some("invalid_client")),
        "{}",
        reply.body
    );
    assert_eq!(
        reply.str("error_description"),
        Some("client authentication method client_secret_basic is not enabled")
    );
    // RFC 6749 §5.2: the challenge names the scheme the client used.
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic "), "{challenge}");
}

/// An `Authorization` header of another scheme at the token endpoint is not client
/// authentication (an HTTP client may add a `Bearer` token to every request to a host): the
/// attestation alone authenticates. A repeated one is `invalid_request`.
#[test]
fn a_bearer_authorization_header_at_the_token_endpoint_is_ignored() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer(false);
    // Two of them are refused (one could hide a second method behind the other).
    let mut headers = wallet.token_headers(&info).unwrap();
    headers.push(("Authorization".to_owned(), "Bearer unrelated".to_owned()));
    headers.push(("Authorization".to_owned(), "Basic YTpi".to_owned()));
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(
        (
            reply.status,
            reply.error_code(),
            reply.str("error_description")
        ),
        (
            400,
            Some("invalid_request"),
            Some("the Authorization header is repeated")
        )
    );
    let mut headers = wallet.token_headers(&info).unwrap();
    headers.push(("Authorization".to_owned(), "Bearer unrelated".to_owned()));
    let reply = wallet
        .post_token(&info, &pre_auth(&code), &headers)
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
}
