//! Key attestation end to end over HTTP: the attester as wallet provider, the issuer's
//! configuration that requires it, and the wallet that fetches it.

use examples::config::KEY_ATTESTED_CONFIGURATION_ID;
use examples::narrate::Narrator;
use examples::wallet::{Wallet, credential_request_body};
use serde_json::json;

use crate::common::TestEnv;

/// A wallet with a client attestation and the demo attester as its key attester.
fn attested_wallet(t: &TestEnv) -> Wallet {
    let mut wallet = Wallet::new(t.clock.clone(), Narrator::quiet())
        .unwrap()
        .with_key_attester(&t.env.attester_url);
    wallet.fetch_attestation(&t.env.attester_url).unwrap();
    wallet
}

#[test]
fn a_key_attested_configuration_issues_to_a_wallet_with_key_attestations() {
    let t = TestEnv::start();
    let wallet = attested_wallet(&t);
    let (uri, _, _) = t.offer_for(
        KEY_ATTESTED_CONFIGURATION_ID,
        &examples::demo::demo_claims(),
        false,
    );
    let outcome = wallet.run_offer(&uri, None, 2).unwrap();
    assert!(
        outcome
            .info
            .requires_key_attestation(KEY_ATTESTED_CONFIGURATION_ID)
    );
    assert!(!outcome.info.requires_key_attestation("IdentityCredential"));
    assert_eq!(outcome.credentials.len(), 2);
    assert_ne!(
        outcome.credentials[0].holder_key.thumbprint_base64url(),
        outcome.credentials[1].holder_key.thumbprint_base64url()
    );
}

#[test]
fn a_wallet_without_key_attestation_is_refused_with_invalid_proof() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer_for(
        KEY_ATTESTED_CONFIGURATION_ID,
        &examples::demo::demo_claims(),
        false,
    );
    let tokens = wallet.redeem(&info, &code, None).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let body = credential_request_body(KEY_ATTESTED_CONFIGURATION_ID, &[proof]);
    let reply = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            &body,
        )
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_proof"));
    assert_eq!(
        reply.body["error_description"],
        "the credential configuration requires a key attestation: the jwt proof has no key_attestation header"
    );
}

#[test]
fn the_attestation_proof_type_works_over_http() {
    let t = TestEnv::start();
    let wallet = attested_wallet(&t);
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer_for(
        KEY_ATTESTED_CONFIGURATION_ID,
        &examples::demo::demo_claims(),
        false,
    );
    let tokens = wallet.redeem(&info, &code, None).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let keys = [
        wallet.new_holder_key().unwrap(),
        wallet.new_holder_key().unwrap(),
    ];
    let public: Vec<_> = keys
        .iter()
        .map(jose_core::LocalSigner::public_jwk)
        .collect();
    let attestation = wallet.fetch_key_attestation(&public, &nonce).unwrap();
    let body = json!({
        "credential_configuration_id": KEY_ATTESTED_CONFIGURATION_ID,
        "proofs": {"attestation": [attestation]}
    });
    let reply = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            &body,
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["credentials"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_attester_refuses_a_private_key_to_attest() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let key = wallet.new_holder_key().unwrap();
    let mut jwk = key.public_jwk().to_value();
    jwk["d"] = json!("AAAA");
    let reply = wallet
        .http
        .post_json(
            "key attestation",
            &format!("{}/key-attestations", t.env.attester_url),
            &json!({"keys": [jwk]}),
            &[],
        )
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_request"));
}
