//! oid4vci-types: parsing the messages an issuer reads on every request, each against the
//! floor of a bare `serde_json::from_slice::<Value>` of the same JSON (there is no
//! cryptography in this crate, so the JSON parse is the floor).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::path::PathBuf;

use benches::{measure_ratio, print_ratio};
use criterion::{Criterion, criterion_group, criterion_main};
use oid4vci_types::{
    CredentialIssuerMetadata, CredentialOffer, CredentialOfferRequest, CredentialRequest,
    ParseOptions, TokenRequest,
};
use serde_json::Value;

fn metadata_bytes() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/openid4vci/credential_issuer_metadata_sd_jwt_long.json");
    std::fs::read(path).unwrap()
}

/// A batch request with 10 `jwt` proofs of realistic size (~650 characters each).
fn request_bytes() -> Vec<u8> {
    let proof = format!(
        "eyJ{}.eyJ{}.{}",
        "a".repeat(300),
        "b".repeat(200),
        "c".repeat(86)
    );
    let proofs: Vec<Value> = (0..10).map(|_| Value::String(proof.clone())).collect();
    serde_json::json!({
        "credential_configuration_id": "SD_JWT_VC_example_in_OpenID4VCI",
        "proofs": { "jwt": proofs }
    })
    .to_string()
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let metadata = metadata_bytes();
    let request = request_bytes();
    let offer_json = br#"{"credential_issuer":"https://credential-issuer.example.com","credential_configuration_ids":["UniversityDegreeCredential","org.iso.18013.5.1.mDL"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"oaKazRN8I0IbtZ0C7JuMn5","tx_code":{"length":4,"input_mode":"numeric","description":"Please provide the one-time code that was sent via e-mail"}}}}"#;
    let offer = CredentialOffer::from_json(offer_json).unwrap();
    let uri = CredentialOfferRequest::ByValue(Box::new(offer)).to_uri();
    let form = b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=SplxlOBeZQQYbYS6WxSbIA&tx_code=493536&client_id=s6BhdRkqt3";
    let strict = ParseOptions::strict();

    let parse_metadata = || {
        black_box(CredentialIssuerMetadata::from_json(black_box(&metadata)).unwrap());
    };
    let floor_metadata = || {
        black_box(serde_json::from_slice::<Value>(black_box(&metadata)).unwrap());
    };
    let parse_request = || {
        black_box(CredentialRequest::parse(black_box(&request), &strict).unwrap());
    };
    let floor_request = || {
        black_box(serde_json::from_slice::<Value>(black_box(&request)).unwrap());
    };
    let parse_uri = || {
        black_box(CredentialOfferRequest::parse_uri(black_box(&uri)).unwrap());
    };
    let floor_offer = || {
        black_box(serde_json::from_slice::<Value>(black_box(offer_json)).unwrap());
    };
    let parse_form = || {
        black_box(TokenRequest::parse_form(black_box(form)).unwrap());
    };

    c.bench_function("oid4vci/issuer_metadata_parse", |b| b.iter(parse_metadata));
    c.bench_function("oid4vci/credential_request_parse_10_proofs", |b| {
        b.iter(parse_request)
    });
    c.bench_function("oid4vci/offer_uri_parse", |b| b.iter(parse_uri));
    c.bench_function("oid4vci/token_request_form_parse", |b| b.iter(parse_form));
    c.bench_function("oid4vci/bare_serde_json_metadata", |b| {
        b.iter(floor_metadata)
    });

    print_ratio(
        "oid4vci issuer metadata parse+check vs bare serde_json Value parse",
        &measure_ratio(30, 200, parse_metadata, floor_metadata),
    );
    print_ratio(
        "oid4vci credential request (10 jwt proofs) vs bare serde_json Value parse",
        &measure_ratio(30, 500, parse_request, floor_request),
    );
    print_ratio(
        "oid4vci offer URI (percent-decode + offer parse) vs bare serde_json parse of the offer",
        &measure_ratio(30, 500, parse_uri, floor_offer),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
