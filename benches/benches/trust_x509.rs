//! trust-x509: validating a three-certificate chain (leaf <- intermediate <- root, P-256)
//! against the two bare ECDSA P-256/SHA-256 verifications it contains (on ring and on
//! aws-lc-rs), in the same run.
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;

use benches::VerifyInput;
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, EcCurve, PublicKey, UnixTime, ecdsa_signature_from_der};
use trust_x509::{Policy, TrustAnchors, validate_chain};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/trust-x509/tests/data/"
);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}{name}")).unwrap_or_default()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| {
            text.get(i * 2..i * 2 + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let anchors = TrustAnchors::from_der(vec![read("root.der")]).ok();
    let chain = vec![read("leaf.der"), read("inter.der")];
    let now = UnixTime::from_secs(1_767_225_600);
    let policy = Policy::any_eku();
    let links: serde_json::Value =
        serde_json::from_slice(&read("bench_links.json")).unwrap_or_default();
    let links: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = links
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let field = |k: &str| hex(l[k].as_str().unwrap_or_default());
            (field("tbs"), field("sig"), field("issuer_point"))
        })
        .collect();
    let Some(anchors) = anchors else { return };
    assert!(
        validate_chain(&chain, &anchors, now, &policy).is_ok(),
        "fixture chain validates"
    );
    assert_eq!(links.len(), 2, "two signature links");

    // Certificates carry DER ECDSA signatures; the floor verifies the same signatures in the
    // fixed r||s form a provider's bare primitive takes (the conversion is not timed).
    let inputs: Vec<VerifyInput> = links
        .iter()
        .map(|(tbs, sig, point)| {
            VerifyInput::new(
                PublicKey::from_ec_point(EcCurve::P256, point).unwrap(),
                Algorithm::Es256,
                tbs.clone(),
                ecdsa_signature_from_der(Algorithm::Es256, sig).unwrap(),
            )
        })
        .collect();
    let floor = benches::verify_floor(inputs);
    let validate = || {
        assert!(validate_chain(black_box(&chain), &anchors, now, &policy).is_ok());
    };
    let mut group = c.benchmark_group("trust_x509");
    for provider in benches::PROVIDERS {
        let mut verifies = floor(provider);
        group.bench_function(
            format!("floor: 2x {} ECDSA P-256 verify", provider.name()),
            |b| b.iter(&mut verifies),
        );
    }
    group.bench_function("validate_chain 3 certs (any EKU)", |b| b.iter(validate));
    group.finish();
    benches::print_floors(
        "trust-x509 validate_chain 3 certs P-256 vs two bare verifies",
        &benches::measure_floors(30, 50, validate, &floor),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
