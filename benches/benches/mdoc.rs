//! mdoc-cbor: issuing and verifying a 20-element mDL (ES256, SHA-256, one DS certificate in
//! x5chain), each against its cryptographic floor measured in the same run:
//! - issue floor: one bare ring ES256 signature over a message of the Sig_structure's size, plus
//!   SHA-256 over the 20 tag-24 items;
//! - verify floor: one bare ring ES256 verification of that signature, plus the same 20 digests.
//!
//! Run: `cargo bench -p benches --bench mdoc`; the `RATIO` lines are the result.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use core::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::{Algorithm, LocalSigner, PublicKey, SystemRandom, UnixTime};
use mdoc_cbor::{
    ElementValue, Issuance, IssuerSigned, Limits, MDL_DOC_TYPE, MDL_NAME_SPACE, PinnedKey,
    StatusListReference, ValidityInfo, Verifier,
};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, UnparsedPublicKey,
};

const NOW: i64 = 1_800_000_000;

/// Median ns per call of `op` and of `floor`, over `samples` alternating batches of `batch`.
fn ratio(samples: usize, batch: u32, mut op: impl FnMut(), mut floor: impl FnMut()) -> (f64, f64) {
    let mut time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
    };
    let (mut ops, mut floors) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        ops.push(time(&mut op));
        floors.push(time(&mut floor));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    (median(&mut ops), median(&mut floors))
}

/// A 20-element mDL with a 16 KiB portrait and two driving privileges.
fn mdl(holder: &jose_core::PublicJwk, now: UnixTime) -> Issuance {
    let validity = ValidityInfo::new(now, now, now.saturating_add(365 * 86_400)).unwrap();
    let text = |s: &str| ElementValue::Text(s.into());
    let date = |s: &str| ElementValue::full_date(s).unwrap();
    let privilege = |code: &str| {
        ElementValue::Map(vec![
            (text("vehicle_category_code"), text(code)),
            (text("issue_date"), date("2020-01-01")),
            (text("expiry_date"), date("2030-01-01")),
        ])
    };
    let elements: Vec<(&str, ElementValue)> = vec![
        ("family_name", text("Doe")),
        ("given_name", text("Jane")),
        ("birth_date", date("1990-01-02")),
        ("issue_date", date("2025-01-01")),
        ("expiry_date", date("2035-01-01")),
        ("issuing_country", text("US")),
        ("issuing_authority", text("Utopia DMV")),
        ("document_number", text("123456789")),
        ("portrait", ElementValue::Bytes(vec![0xa5; 16 * 1024])),
        (
            "driving_privileges",
            ElementValue::Array(vec![privilege("A"), privilege("B")]),
        ),
        ("un_distinguishing_sign", text("USA")),
        ("administrative_number", text("ADM-42")),
        ("sex", ElementValue::Integer(2)),
        ("height", ElementValue::Integer(170)),
        ("weight", ElementValue::Integer(60)),
        ("eye_colour", text("blue")),
        ("resident_address", text("1 Main Street")),
        ("age_over_18", ElementValue::Bool(true)),
        ("age_over_21", ElementValue::Bool(true)),
        ("nationality", text("US")),
    ];
    let mut issuance = Issuance::new(MDL_DOC_TYPE, holder, validity).unwrap();
    for (id, value) in elements {
        issuance.add_element(MDL_NAME_SPACE, id, value).unwrap();
    }
    issuance.with_status(StatusListReference::new(
        7,
        "https://issuer.example/status/1",
    ))
}

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    let rng = SystemRandom::new();
    let pkcs8 = LocalSigner::generate_pkcs8(Algorithm::Es256, &rng).unwrap();
    let signer = LocalSigner::from_pkcs8(Algorithm::Es256, pkcs8.as_bytes()).unwrap();
    let ring_rng = ring::rand::SystemRandom::new();
    let ring_key = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_bytes(),
        &ring_rng,
    )
    .unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng)
        .unwrap()
        .public_jwk();
    let x5chain = vec![vec![0x30; 600]];
    let issuance = mdl(&holder, now);

    let issued = issuance.sign(&signer, &x5chain, &rng).unwrap();
    let cbor = issued.as_cbor().to_vec();
    let parsed = IssuerSigned::parse(&cbor, &Limits::default()).unwrap();
    let items: Vec<Vec<u8>> = parsed.name_spaces[0]
        .1
        .iter()
        .map(|i| i.raw.to_vec())
        .collect();
    assert_eq!(items.len(), 20);
    let tbs = issuance
        .prepare(Algorithm::Es256, &x5chain, &rng)
        .unwrap()
        .to_be_signed()
        .to_vec();
    let floor_sig = ring_key.sign(&ring_rng, &tbs).unwrap();
    let PublicKey::Ec { point, .. } = signer.public_jwk().key().clone() else {
        unreachable!()
    };
    let digests = || {
        for item in &items {
            black_box(ring::digest::digest(&ring::digest::SHA256, black_box(item)));
        }
    };
    println!(
        "mdoc: IssuerSigned {} bytes, Sig_structure {} bytes, items {} bytes",
        cbor.len(),
        tbs.len(),
        items.iter().map(Vec::len).sum::<usize>()
    );

    let issue = || {
        black_box(issuance.sign(&signer, &x5chain, &rng).unwrap());
    };
    let issue_floor = || {
        black_box(ring_key.sign(&ring_rng, black_box(&tbs)).unwrap());
        digests();
    };
    let trust = PinnedKey::from_jwk(&signer.public_jwk());
    let verifier = Verifier::new(&trust);
    let verify = || {
        black_box(
            verifier
                .verify(black_box(&cbor), MDL_DOC_TYPE, now)
                .unwrap(),
        );
    };
    let verify_floor = || {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(black_box(&tbs), black_box(floor_sig.as_ref()))
            .unwrap();
        digests();
    };

    c.bench_function("mdoc/issue_20_elements/ES256", |b| b.iter(issue));
    c.bench_function("mdoc/issue_floor/ES256", |b| b.iter(issue_floor));
    c.bench_function("mdoc/verify_20_elements/ES256", |b| b.iter(verify));
    c.bench_function("mdoc/verify_floor/ES256", |b| b.iter(verify_floor));

    let (op, fl) = ratio(30, 50, issue, issue_floor);
    println!(
        "RATIO mdoc-cbor issue 20-element mDL ES256 vs one ring sign + 20 SHA-256: {:.2}x (op {:.1} us, floor {:.1} us; target <= 1.5x)",
        op / fl,
        op / 1e3,
        fl / 1e3
    );
    let prepare_only = || {
        black_box(issuance.prepare(Algorithm::Es256, &x5chain, &rng).unwrap());
    };
    let sign_only = || {
        black_box(jose_core::Signer::sign(&signer, black_box(&tbs)).unwrap());
    };
    let ring_only = || {
        black_box(ring_key.sign(&ring_rng, black_box(&tbs)).unwrap());
    };
    let (op, fl) = ratio(30, 50, sign_only, ring_only);
    println!(
        "DETAIL LocalSigner::sign {:.1} us vs ring sign {:.1} us",
        op / 1e3,
        fl / 1e3
    );
    let (op, fl) = ratio(30, 50, prepare_only, digests);
    println!(
        "DETAIL mdoc-cbor prepare (no signature) vs 20 SHA-256: op {:.1} us, digests {:.1} us",
        op / 1e3,
        fl / 1e3
    );
    let (op, fl) = ratio(30, 50, verify, verify_floor);
    println!(
        "RATIO mdoc-cbor verify 20-element mDL ES256 vs one ring verify + 20 SHA-256: {:.2}x (op {:.1} us, floor {:.1} us; target <= 1.3x)",
        op / fl,
        op / 1e3,
        fl / 1e3
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
