//! oid4vci-issuer: the server side of the HAIP authorization code flow (issue 11), one timed
//! call being everything the engine does for one wallet: `IssuerEngine::par` (an attested
//! client with a DPoP proof, `authorization_details`, PKCE S256), `begin_authorization` by the
//! `request_uri`, `approve`, and `IssuerEngine::token` redeeming the code (`authorization_code`
//! with `code_verifier` and `redirect_uri`, the same attestation and PoP, a DPoP proof of the
//! same key), against its signature floor.
//!
//! The floor is six bare verifications (on ring and on aws-lc-rs) of the same algorithm, over the same bytes the
//! engine verifies: what the flow cannot avoid, counted from the engine's code:
//! - `POST /par`: the DPoP proof (1), the client attestation (1) and its PoP (1);
//! - `GET /authorize` (`begin_authorization`) and the consent (`approve`): none (a store
//!   lookup, a fresh code, a redirect URL);
//! - `POST /token`: the DPoP proof (1), the client attestation (1) and its PoP (1); PKCE is
//!   one SHA-256, and the access and refresh tokens are random handles, not signed tokens.
//!
//! The engine and its attestation verifier are built once, before the loop, as a server
//! builds them. All proofs are built before the loop too: the replay guard accepts every
//! `jti` (the in-memory guard's own cost is measured by the pop_verifier bench), so the same
//! attestation, PoP (its `aud` is the issuer, valid at both endpoints) and DPoP proofs (one
//! for `/par`, one for `/token`: their `htu` differ) are presented over and over. The setup
//! runs the flow once and asserts its answers, so a broken fixture fails before timing.

use core::hint::black_box;

use benches::VerifyInput;
use criterion::Criterion;
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{EndpointRequest, EndpointResponse, IssuerEngine, PAR_PATH};
use pop_verifier::{DpopProofClaims, build_dpop_proof};
use serde_json::{Map, Value, json};

use super::{ISSUER, NOW, engine};
/// The attestation `sub` of [`benches::AttestedClient`]: the client id at both endpoints.
const CLIENT_ID: &str = "https://wallet.example.com";
const REDIRECT: &str = "https://wallet.example.com/cb";
/// RFC 7636 App. B's verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const TOKEN_PATH: &str = "/token";

/// Percent-encodes `text` for a form or query value.
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

/// A DPoP proof by `key` for `POST {ISSUER}{path}`.
fn dpop_proof(key: &LocalSigner, path: &str, jti: &str, now: UnixTime) -> String {
    let claims = DpopProofClaims::new("POST", format!("{ISSUER}{path}"), jti, now);
    build_dpop_proof(&claims, &key.public_jwk(), key).unwrap()
}

/// What one wallet sends, all built before timing.
struct Wallet<'a> {
    par_headers: [(&'a str, &'a [u8]); 4],
    par_body: String,
    token_headers: [(&'a str, &'a [u8]); 4],
    claims: Map<String, Value>,
}

/// The answers of one run of the flow: PAR's, the redirect URL, the token endpoint's.
struct Answers {
    par: EndpointResponse,
    redirect: String,
    token: EndpointResponse,
}

/// The flow as a server runs it for one wallet: PAR, authorization request, consent, token.
fn flow(engine: &IssuerEngine, wallet: &Wallet<'_>, now: UnixTime) -> Answers {
    let par = engine
        .par(
            &EndpointRequest::new(&wallet.par_headers, wallet.par_body.as_bytes()),
            now,
        )
        .unwrap();
    let request_uri = par
        .body
        .as_ref()
        .and_then(|b| b["request_uri"].as_str())
        .unwrap();
    let query = format!(
        "client_id={}&request_uri={}",
        enc(CLIENT_ID),
        enc(request_uri)
    );
    let pending = engine.begin_authorization(query.as_bytes(), now).unwrap();
    let redirect = engine.approve(pending, wallet.claims.clone(), now).unwrap();
    let code = redirect
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|p| p.strip_prefix("code=")))
        .unwrap();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={}&code_verifier={VERIFIER}",
        enc(REDIRECT),
        enc(CLIENT_ID)
    );
    let token = engine
        .token(
            &EndpointRequest::new(&wallet.token_headers, body.as_bytes()),
            now,
        )
        .unwrap();
    Answers {
        par,
        redirect,
        token,
    }
}

/// The flow's answers are a success: a `request_uri`, a redirect with `code`, `state` and
/// `iss`, a DPoP-bound access token with a `credential_identifier` for `pid`, and no lenient
/// warning (the client was authenticated, not waved through).
fn assert_success(answers: &Answers) {
    assert_eq!(answers.par.status, 201);
    assert!(
        answers.par.warnings.is_empty(),
        "{:?}",
        answers.par.warnings
    );
    let par = answers.par.body.as_ref().unwrap();
    assert!(
        par["request_uri"]
            .as_str()
            .unwrap()
            .starts_with("urn:ietf:params:oauth:request_uri:"),
        "{par}"
    );
    assert!(
        answers.redirect.starts_with(&format!("{REDIRECT}?code=")),
        "{}",
        answers.redirect
    );
    assert!(
        answers
            .redirect
            .contains(&format!("&state=st-1&iss={}", enc(ISSUER))),
        "{}",
        answers.redirect
    );
    assert_eq!(answers.token.status, 200);
    assert!(
        answers.token.warnings.is_empty(),
        "{:?}",
        answers.token.warnings
    );
    let token = answers.token.body.as_ref().unwrap();
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{token}"
    );
    assert_eq!(token["token_type"], "DPoP", "{token}");
    let detail = &token["authorization_details"][0];
    assert_eq!(detail["credential_configuration_id"], "pid", "{token}");
    assert_eq!(
        detail["credential_identifiers"].as_array().map(Vec::len),
        Some(1),
        "{token}"
    );
}

/// The code-flow benchmarks (called from the issuer bench's group).
pub(crate) fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let cases = [(Algorithm::Es256, "ES256"), (Algorithm::EdDsa, "EdDSA")];
    for (alg, name) in cases {
        let client = benches::AttestedClient::new(alg, ISSUER, now);
        let dpop_key = LocalSigner::generate(alg, &rng).unwrap();
        let par_dpop = dpop_proof(&dpop_key, PAR_PATH, "par-1", now);
        let token_dpop = dpop_proof(&dpop_key, TOKEN_PATH, "token-1", now);
        let engine = engine(&client.attester, &rng);
        let form: (&str, &[u8]) = ("content-type", b"application/x-www-form-urlencoded");
        let attestation: (&str, &[u8]) =
            ("oauth-client-attestation", client.attestation.as_bytes());
        let pop: (&str, &[u8]) = ("oauth-client-attestation-pop", client.pop.as_bytes());
        let details = json!([{"type": "openid_credential", "credential_configuration_id": "pid"}]);
        let mut claims = Map::new();
        claims.insert("given_name".into(), "Erika".into());
        claims.insert("family_name".into(), "Mustermann".into());
        let wallet = Wallet {
            par_headers: [form, attestation, pop, ("dpop", par_dpop.as_bytes())],
            par_body: format!(
                "response_type=code&client_id={}&redirect_uri={}&state=st-1\
                 &code_challenge={CHALLENGE}&code_challenge_method=S256&authorization_details={}",
                enc(CLIENT_ID),
                enc(REDIRECT),
                enc(&details.to_string())
            ),
            token_headers: [form, attestation, pop, ("dpop", token_dpop.as_bytes())],
            claims,
        };
        assert_success(&flow(&engine, &wallet, now));

        let ours = || {
            black_box(flow(&engine, &wallet, now));
        };
        let dpop =
            |token: &str| VerifyInput::of_jws(token, dpop_key.public_jwk().key().clone(), alg);
        let mut inputs = vec![dpop(&par_dpop)];
        inputs.extend(client.floor_inputs(alg));
        inputs.push(dpop(&token_dpop));
        inputs.extend(client.floor_inputs(alg));
        let floor = benches::verify_floor(inputs);
        c.bench_function(&format!("issuer/code_flow/{name}"), |b| b.iter(ours));
        benches::print_floors(
            &format!(
                "oid4vci-issuer code flow (PAR + authorize + consent + token, attested, DPoP) {name} vs six bare verifies"
            ),
            &benches::measure_floors(30, 20, ours, floor),
        );
    }
}
