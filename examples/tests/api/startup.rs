//! Issue 10 §3: the issuer validates its `clientAttestationConfig` once, at start-up, and
//! refuses to start on a bad one with a message naming the configuration path.

use std::sync::Arc;

use examples::clock::{Clock, ManualClock};
use examples::config::{DEMO_ATTESTER_KEY_REFERENCE, IssuerConfig};
use examples::error::DemoError;
use examples::keystore::Keystore;
use jose_core::{Algorithm, SystemRandom, UnixTime};
use rcgen::{CertificateParams, CustomExtension, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};

use crate::common::START;

/// Starts an issuer with `attestation` as its `clientAttestationConfig` and a keystore holding
/// only the demo attester key; returns the start-up error's message.
fn start_error(attestation: Value) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut keystore = Keystore::new();
    keystore
        .generate(
            DEMO_ATTESTER_KEY_REFERENCE,
            Algorithm::Es256,
            &SystemRandom::new(),
        )
        .unwrap();
    let mut config = IssuerConfig::default_config();
    config.keystore = None;
    config.client_attestation_config = Some(attestation);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let result = runtime.block_on(examples::issuer::start(
        config,
        "127.0.0.1:0",
        keystore,
        clock,
        &examples::issuer::Storage::InMemory,
    ));
    match result {
        Err(error @ DemoError::Config(_)) => error.to_string(),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("the issuer started with a bad clientAttestationConfig"),
    }
}

/// A self-signed CA certificate (critical BasicConstraints cA, keyCertSign) without a
/// SubjectKeyIdentifier, which RFC 5280 §4.2.1.2 requires of a CA. rcgen writes the SKI for
/// every CA it marks as one, so BasicConstraints is added as a custom extension.
fn root_without_ski_pem() -> String {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "Attester Root Without SKI");
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // BasicConstraints ::= SEQUENCE { cA BOOLEAN TRUE }
    let mut basic_constraints =
        CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x03, 0x01, 0x01, 0xFF]);
    basic_constraints.set_criticality(true);
    params.custom_extensions = vec![basic_constraints];
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn an_x509_chain_root_without_ski_stops_the_issuer_at_start_up() {
    let message = start_error(json!({
        "required": false,
        "verificationMethod": {
            "type": "x509-chain",
            "trustedRootCertificatesPem": [root_without_ski_pem()]
        }
    }));
    assert_eq!(
        message,
        "configuration: clientAttestationConfig: verificationMethod.trustedRootCertificatesPem[0]: \
         trust anchor #0: CA certificate lacks a SubjectKeyIdentifier (RFC 5280 4.2.1.2)"
    );
}

#[test]
fn a_kms_key_reference_missing_from_the_keystore_stops_the_issuer_at_start_up() {
    let message = start_error(json!({
        "required": false,
        "verificationMethod": {"type": "kms-key", "keyReference": "no-such-key"}
    }));
    assert_eq!(
        message,
        "configuration: clientAttestationConfig: verificationMethod.keyReference: does not \
         resolve: keyReference no-such-key is not in the keystore"
    );
}
