//! The credential endpoint: proofs, nonces, configurations, DPoP-bound tokens, deferred.

use examples::config::DEFERRED_CONFIGURATION_ID;
use examples::wallet::{Wallet, credential_request_body};
use jose_core::{Header, UnsignedJws};
use serde_json::json;

use crate::common::{TestEnv, fresh_proof};

#[test]
fn happy_path_end_to_end() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, tx, _) = t.offer(true);
    let outcome = wallet.run_offer(&uri, tx.as_deref(), 3).unwrap();
    assert_eq!(outcome.tokens.token_type, "Bearer");
    assert_eq!(outcome.credentials.len(), 3);
    let mut indices: Vec<u64> = outcome.credentials.iter().map(|c| c.status_idx).collect();
    indices.dedup();
    assert_eq!(indices.len(), 3, "each credential has its own status index");
    for c in &outcome.credentials {
        assert_eq!(c.claims["given_name"], "Erika");
        assert_eq!(c.claims["birthdate"], "1984-01-26");
        assert_eq!(c.credential_type, examples::config::IDENTITY_VCT);
        assert_eq!(c.status, status_list::Status::VALID);
        // Selectively disclosable: each claim travels in a disclosure.
        assert_eq!(c.compact.matches('~').count(), 4);
    }
    let keys: Vec<String> = outcome
        .credentials
        .iter()
        .map(|c| c.holder_key.thumbprint_base64url())
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert_eq!(
        t.env.issuer.engine.stores().registry.list().unwrap().len(),
        3
    );
}

#[test]
fn happy_path_with_dpop_binds_the_token() {
    let t = TestEnv::start();
    let mut wallet = Wallet::new(t.clock.clone(), examples::narrate::Narrator::quiet())
        .unwrap()
        .with_dpop()
        .unwrap();
    wallet.fetch_attestation(&t.env.attester_url).unwrap();
    let (uri, _, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, None, 1).unwrap();
    assert_eq!(outcome.tokens.token_type, "DPoP");
    assert_eq!(outcome.credentials.len(), 1);
}

#[test]
fn dpop_bound_token_presented_without_dpop_is_invalid_token() {
    let t = TestEnv::start();
    let mut wallet = Wallet::new(t.clock.clone(), examples::narrate::Narrator::quiet())
        .unwrap()
        .with_dpop()
        .unwrap();
    wallet.fetch_attestation(&t.env.attester_url).unwrap();
    let (info, tokens) = t.tokens(&wallet);
    assert_eq!(tokens.token_type, "DPoP");
    let nonce = wallet.nonce(&info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let body = credential_request_body("IdentityCredential", &[proof]);
    let bearer = format!("Bearer {}", tokens.access_token);
    let reply = wallet
        .http
        .post_json(
            "credential",
            info.credential_endpoint().unwrap(),
            &body,
            &[("Authorization", &bearer)],
        )
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error_code(), Some("invalid_token"));
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("DPoP ")
    );
}

fn post_with_proofs(
    t: &TestEnv,
    wallet: &Wallet,
    configuration: &str,
    proofs: Vec<String>,
) -> examples::wallet::Reply {
    post_body(t, wallet, &credential_request_body(configuration, &proofs))
}

/// Posts `body` to the credential endpoint with a fresh access token.
fn post_body(t: &TestEnv, wallet: &Wallet, body: &serde_json::Value) -> examples::wallet::Reply {
    let (info, tokens) = t.tokens(wallet);
    wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            body,
        )
        .unwrap()
}

/// A key proof over `nonce` for `issuer` whose header names one new key and whose signature is
/// another's.
fn signed_by_another_key(wallet: &Wallet, issuer: &str, nonce: &str) -> String {
    let named = wallet.new_holder_key().unwrap();
    let header = Header::new(jose_core::Algorithm::Es256)
        .with_typ("openid4vci-proof+jwt")
        .with_jwk(named.public_jwk());
    let claims = json!({"aud": issuer, "iat": crate::common::START, "nonce": nonce});
    UnsignedJws::new(&header, claims.as_object().unwrap())
        .unwrap()
        .sign(&wallet.new_holder_key().unwrap())
        .unwrap()
}

#[test]
fn stale_nonce_is_invalid_nonce() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    t.clock.advance(301);
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let reply = post_with_proofs(&t, &wallet, "IdentityCredential", vec![proof]);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_nonce"));
}

/// A c_nonce serves one credential request: its proofs share it; a later request with a new
/// proof over it, or with the same proof again, is `invalid_nonce` (the wallet fetches a
/// fresh one, OpenID4VCI 1.0 §8.3.1.2); a refused request does not spend it.
#[test]
fn a_c_nonce_serves_one_credential_request() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let proof = || {
        let key = wallet.new_holder_key().unwrap();
        wallet.proof(&info.issuer, &key, &nonce).unwrap()
    };
    // A batch refused for one proof's signature spends nothing.
    let forged = signed_by_another_key(&wallet, &info.issuer, &nonce);
    let refused = post_with_proofs(&t, &wallet, "IdentityCredential", vec![proof(), forged]);
    assert_eq!(refused.error_code(), Some("invalid_proof"));
    let (first, second) = (proof(), proof());
    let body = credential_request_body("IdentityCredential", &[first, second]);
    let issued = post_body(&t, &wallet, &body);
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.body["credentials"].as_array().map(Vec::len), Some(2));
    for reply in [
        post_with_proofs(&t, &wallet, "IdentityCredential", vec![proof()]),
        post_body(&t, &wallet, &body),
    ] {
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error_code(), Some("invalid_nonce"), "{}", reply.body);
    }
    let fresh = fresh_proof(&wallet, &info);
    let reply = post_with_proofs(&t, &wallet, "IdentityCredential", vec![fresh]);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn foreign_nonce_is_invalid_nonce() {
    let t = TestEnv::start();
    let other = TestEnv::start();
    let wallet = t.wallet();
    let foreign_info = wallet.discover(&other.env.issuer_url).unwrap();
    let foreign = wallet.nonce(&foreign_info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&t.env.issuer_url, &key, &foreign).unwrap();
    let reply = post_with_proofs(&t, &wallet, "IdentityCredential", vec![proof]);
    assert_eq!(reply.error_code(), Some("invalid_nonce"));
}

#[test]
fn proof_signed_by_another_key_than_its_header_key_is_invalid_proof() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let proof = signed_by_another_key(&wallet, &info.issuer, &nonce);
    let reply = post_with_proofs(&t, &wallet, "IdentityCredential", vec![proof]);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_proof"));
}

#[test]
fn unknown_credential_configuration() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let reply = post_with_proofs(&t, &wallet, "NoSuchCredential", vec![proof]);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("unknown_credential_configuration"));
}

#[test]
fn more_proofs_than_batch_size_is_refused() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let proofs = (0..4)
        .map(|_| {
            wallet
                .proof(&info.issuer, &wallet.new_holder_key().unwrap(), &nonce)
                .unwrap()
        })
        .collect();
    let reply = post_with_proofs(&t, &wallet, "IdentityCredential", proofs);
    // The `proofs` parameter is invalid (OpenID4VCI 1.0 §8.3.1.2), as for too many
    // `attestation` proofs.
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_proof"));
}

/// A `proofs` object with two proof types is an invalid `proofs` parameter: `invalid_proof`
/// (OpenID4VCI 1.0 §8.2, §8.3.1.2), not a generic `invalid_credential_request`.
/// The pre-1.0 single `proof` (Sphereon's oid4vci-client 0.20 sends it): the default
/// configuration reads it as `proofs` and logs a lenient acceptance;
/// `acceptDraftCredentialRequests: false` refuses it as OpenID4VCI 1.0 does.
#[test]
fn a_single_draft_proof_is_read_by_default_and_refused_when_strict() {
    for accept in [true, false] {
        let t = TestEnv::with(None, |config| {
            config.accept_draft_credential_requests = accept;
        });
        let wallet = t.wallet();
        let info = wallet.discover(&t.env.issuer_url).unwrap();
        let nonce = wallet.nonce(&info).unwrap();
        let key = wallet.new_holder_key().unwrap();
        let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
        let body = json!({"credential_configuration_id": "IdentityCredential",
            "proof": {"proof_type": "jwt", "jwt": proof}});
        let reply = post_body(&t, &wallet, &body);
        if accept {
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.body["credentials"].as_array().map(Vec::len), Some(1));
            assert_eq!(
                t.env.issuer.lenient_warnings(),
                ["credential request with the pre-1.0 member proof, read as proofs"]
            );
        } else {
            assert_eq!(
                (reply.status, reply.error_code()),
                (400, Some("invalid_proof")),
                "{}",
                reply.body
            );
            assert!(t.env.issuer.lenient_warnings().is_empty());
        }
    }
}

#[test]
fn two_proof_types_are_invalid_proof() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let mut body = credential_request_body("IdentityCredential", &[proof]);
    body["proofs"]["attestation"] = json!(["eyJ9.e30.sig"]);
    let reply = post_body(&t, &wallet, &body);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_proof"));
}

#[test]
fn deferred_configuration_answers_202_then_delivers() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (info, tokens) = t.tokens_for(&wallet, DEFERRED_CONFIGURATION_ID);
    let proof = fresh_proof(&wallet, &info);
    let body = credential_request_body(DEFERRED_CONFIGURATION_ID, &[proof]);
    let reply = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            &body,
        )
        .unwrap();
    assert_eq!(reply.status, 202);
    assert_eq!(reply.body["interval"], 1);
    let tx = json!({"transaction_id": reply.str("transaction_id").unwrap()});
    let url = info
        .endpoint("deferred_credential_endpoint")
        .unwrap()
        .to_owned();
    let pending = wallet
        .post_authorized("deferred", &url, &tokens, &tx)
        .unwrap();
    assert_eq!(pending.status, 202);
    t.clock.advance(1);
    let ready = wallet
        .post_authorized("deferred", &url, &tokens, &tx)
        .unwrap();
    assert_eq!(ready.status, 200);
    let credential = ready.body["credentials"][0]["credential"].as_str().unwrap();
    assert!(wallet.verify_credential(&info, credential).is_ok());
    let again = wallet
        .post_authorized("deferred", &url, &tokens, &tx)
        .unwrap();
    assert_eq!(again.error_code(), Some("invalid_transaction_id"));
}
