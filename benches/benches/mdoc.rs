//! mdoc-cbor: issuing and verifying a 20-element mDL (ES256, SHA-256, P-256 device key, one
//! Document Signer certificate in `x5chain`), each against its cryptographic floor measured in
//! the same run over the same bytes:
//! - issue floor: one bare ES256 signature over a message of the `Sig_structure`'s size, plus
//!   SHA-256 (ring) over the 20 tag-24 items;
//! - verify floor: one bare ES256 verification of that signature, plus the same 20 digests;
//!
//! each on ring and on aws-lc-rs.
//!
//! Two workloads: `anchor`, the mDL of `shared/specs/performance-anchors.md` (no portrait, about
//! 4 kB), and `portrait`, the same with a 16 KiB portrait in place of one element (hashing the
//! portrait then dominates both the operation and its floor).
//!
//! Side by side, in the same run and on the same bytes: isomdl 0.2.0 issuing the same mDL with
//! the same keys and verifying our `IssuerSigned` (see `mdoc/isomdl_peer.rs` for exactly what
//! its verification covers: no value digests). isomdl signs with RustCrypto `p256`, so its lines
//! are given against the ring floor and against a `p256` floor.
//!
//! Run: `cargo bench -p benches --bench mdoc`; the `RATIO` lines are the result (criterion's own
//! times are inflated on a loaded machine, the interleaved medians much less so).

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

#[cfg(feature = "peers")]
#[path = "mdoc/isomdl_peer.rs"]
mod isomdl_peer;

use core::hint::black_box;

#[cfg(feature = "peers")]
use benches::print_ratio;
use benches::{VerifyInput, measure_floors, measure_ratio, print_floors};
use criterion::{Criterion, criterion_group, criterion_main};
#[cfg(feature = "peers")]
use jose_core::PublicKey;
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, Signer, SystemRandom, UnixTime};
use mdoc_cbor::{
    ElementValue, Issuance, IssuerSigned, Limits, MDL_DOC_TYPE, MDL_NAME_SPACE,
    StatusListReference, ValidityInfo, Verifier,
};

const NOW: i64 = 1_800_000_000;

/// The 20 elements of the benchmark mDL: text, full-dates, integers, booleans and two driving
/// privileges; with `portrait`, a 16 KiB portrait replaces `issuing_jurisdiction`.
fn mdl_elements(portrait: bool) -> Vec<(&'static str, ElementValue)> {
    let text = |s: &str| ElementValue::Text(s.into());
    let date = |s: &str| ElementValue::full_date(s).unwrap();
    let privilege = |code: &str| {
        ElementValue::Map(vec![
            (text("vehicle_category_code"), text(code)),
            (text("issue_date"), date("2020-01-01")),
            (text("expiry_date"), date("2030-01-01")),
        ])
    };
    vec![
        ("family_name", text("Doe")),
        ("given_name", text("Jane")),
        ("birth_date", date("1990-01-02")),
        ("issue_date", date("2025-01-01")),
        ("expiry_date", date("2035-01-01")),
        ("issuing_country", text("US")),
        ("issuing_authority", text("Utopia DMV")),
        ("document_number", text("123456789")),
        if portrait {
            ("portrait", ElementValue::Bytes(vec![0xa5; 16 * 1024]))
        } else {
            ("issuing_jurisdiction", text("US-UT"))
        },
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
    ]
}

fn mdl(holder: &jose_core::PublicJwk, now: UnixTime, portrait: bool) -> Issuance {
    let validity = ValidityInfo::new(now, now, now.saturating_add(365 * 86_400)).unwrap();
    let mut issuance = Issuance::new(MDL_DOC_TYPE, holder, validity).unwrap();
    for (id, value) in mdl_elements(portrait) {
        issuance.add_element(MDL_NAME_SPACE, id, value).unwrap();
    }
    issuance.with_status(StatusListReference::new(
        7,
        "https://issuer.example/status/1",
    ))
}

struct Keys {
    pkcs8: Vec<u8>,
    /// A self-signed P-256 certificate of the issuer key (isomdl parses the x5chain).
    ds_certificate: Vec<u8>,
    rng: SystemRandom,
    signer: LocalSigner,
    holder: jose_core::PublicJwk,
}

fn keys() -> Keys {
    let rng = SystemRandom::new();
    let pkcs8 = LocalSigner::generate_pkcs8(Algorithm::Es256, &rng).unwrap();
    let signer = LocalSigner::from_pkcs8(Algorithm::Es256, pkcs8.as_bytes()).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng)
        .unwrap()
        .public_jwk();
    let rcgen_key = rcgen::KeyPair::try_from(pkcs8.as_bytes()).unwrap();
    let ds_certificate = rcgen::CertificateParams::new(vec!["ds.issuer.example".into()])
        .unwrap()
        .self_signed(&rcgen_key)
        .unwrap()
        .der()
        .to_vec();
    Keys {
        pkcs8: pkcs8.as_bytes().to_vec(),
        ds_certificate,
        rng,
        signer,
        holder,
    }
}

fn workload(c: &mut Criterion, keys: &Keys, name: &str, portrait: bool) {
    let now = UnixTime::from_secs(NOW);
    let x5chain = vec![keys.ds_certificate.clone()];
    let issuance = mdl(&keys.holder, now, portrait);

    let issued = issuance.sign(&keys.signer, &x5chain, &keys.rng).unwrap();
    let cbor = issued.as_cbor().to_vec();
    let parsed = IssuerSigned::parse(&cbor, &Limits::default()).unwrap();
    let items: Vec<Vec<u8>> = parsed.name_spaces[0]
        .1
        .iter()
        .map(|i| i.raw.to_vec())
        .collect();
    assert_eq!(items.len(), 20);
    let tbs = issuance
        .prepare(Algorithm::Es256, &x5chain, &keys.rng)
        .unwrap()
        .to_be_signed()
        .to_vec();
    let floor_input = VerifyInput::new(
        keys.signer.public_jwk().key().clone(),
        Algorithm::Es256,
        tbs.clone(),
        keys.signer.sign(&tbs).unwrap(),
    );
    let digests = || {
        for item in &items {
            black_box(ring::digest::digest(&ring::digest::SHA256, black_box(item)));
        }
    };
    println!(
        "mdoc/{name}: IssuerSigned {} bytes, Sig_structure {} bytes, items {} bytes",
        cbor.len(),
        tbs.len(),
        items.iter().map(Vec::len).sum::<usize>()
    );

    let issue = || {
        black_box(issuance.sign(&keys.signer, &x5chain, &keys.rng).unwrap());
    };
    let issue_floor = |provider| {
        let key = benches::signing_key_on(provider, Algorithm::Es256, &keys.pkcs8);
        let tbs = &tbs;
        move || {
            black_box(key.sign(black_box(tbs)).unwrap());
            digests();
        }
    };
    let trust = StaticKeys::from(keys.signer.public_jwk());
    let verifier = Verifier::new(&trust);
    let verify = || {
        black_box(
            verifier
                .verify(black_box(&cbor), MDL_DOC_TYPE, now)
                .unwrap(),
        );
    };
    let verify_floor = |provider| {
        let input = &floor_input;
        move || {
            input.verify_on(provider);
            digests();
        }
    };

    c.bench_function(&format!("mdoc/{name}/issue_20_elements/ES256"), |b| {
        b.iter(issue);
    });
    c.bench_function(&format!("mdoc/{name}/verify_20_elements/ES256"), |b| {
        b.iter(verify);
    });
    for provider in benches::PROVIDERS {
        let (mut sign, mut check) = (issue_floor(provider), verify_floor(provider));
        let on = provider.name();
        c.bench_function(&format!("mdoc/{name}/issue_floor_{on}/ES256"), |b| {
            b.iter(&mut sign);
        });
        c.bench_function(&format!("mdoc/{name}/verify_floor_{on}/ES256"), |b| {
            b.iter(&mut check);
        });
    }

    print_floors(
        &format!(
            "mdoc-cbor {name} issue 20-element mDL ES256 vs one sign + 20 SHA-256 (target <= 1.5x)"
        ),
        &measure_floors(61, 20, issue, issue_floor),
    );
    let prepare = || {
        black_box(
            issuance
                .prepare(Algorithm::Es256, &x5chain, &keys.rng)
                .unwrap(),
        );
    };
    let detail = measure_ratio(61, 20, prepare, digests);
    println!(
        "DETAIL mdoc-cbor {name} prepare (items, MSO, Sig_structure; no signature) {:.1} us vs the 20 SHA-256 alone {:.1} us",
        detail.op_ns / 1e3,
        detail.floor_ns / 1e3
    );
    print_floors(
        &format!(
            "mdoc-cbor {name} verify 20-element mDL ES256 vs one verify + 20 SHA-256 (target <= 1.3x)"
        ),
        &measure_floors(61, 10, verify, verify_floor),
    );

    // The peer runs only with `--features peers` (isomdl adds ~290 crates to the build).
    #[cfg(feature = "peers")]
    {
        // isomdl 0.2.0 on the same mDL, keys and certificate; it verifies our bytes and we verify
        // its bytes before anything is timed.
        let PublicKey::Ec {
            point: holder_point,
            ..
        } = keys.holder.key().clone()
        else {
            unreachable!()
        };
        let peer = isomdl_peer::Peer::new(
            MDL_DOC_TYPE,
            MDL_NAME_SPACE,
            &mdl_elements(portrait),
            &keys.pkcs8,
            &keys.ds_certificate,
            &holder_point,
            NOW,
        );
        isomdl_peer::Peer::verify(&cbor);
        let theirs = peer.issue();
        let from_isomdl = verifier.verify(&theirs, MDL_DOC_TYPE, now).unwrap();
        assert_eq!(from_isomdl.name_spaces[MDL_NAME_SPACE].len(), 20);
        println!("mdoc/{name}: isomdl IssuerSigned {} bytes", theirs.len());
        let (p256_signer, p256_verifier) = isomdl_peer::p256_keys(&keys.pkcs8);
        let p256_sig = isomdl_peer::p256_sign(&p256_signer, &tbs);
        let isomdl_issue = || {
            black_box(peer.issue());
        };
        let isomdl_verify = || isomdl_peer::Peer::verify(black_box(&cbor));
        let p256_issue_floor = || {
            black_box(isomdl_peer::p256_sign(&p256_signer, black_box(&tbs)));
            digests();
        };
        let p256_verify_floor = || {
            isomdl_peer::p256_verify(&p256_verifier, black_box(&tbs), &p256_sig);
            digests();
        };
        c.bench_function(
            &format!("mdoc/{name}/isomdl_issue_20_elements/ES256"),
            |b| {
                b.iter(isomdl_issue);
            },
        );
        c.bench_function(
            &format!("mdoc/{name}/isomdl_verify_20_elements/ES256"),
            |b| {
                b.iter(isomdl_verify);
            },
        );
        print_ratio(
            &format!("isomdl 0.2.0 {name} issue vs one ring sign + 20 SHA-256"),
            &measure_ratio(31, 5, isomdl_issue, issue_floor(benches::PROVIDERS[0])),
        );
        print_ratio(
            &format!("isomdl 0.2.0 {name} issue vs one p256 sign + 20 SHA-256"),
            &measure_ratio(31, 5, isomdl_issue, p256_issue_floor),
        );
        print_ratio(
            &format!(
                "isomdl 0.2.0 {name} verify (no value digests) vs one ring verify + 20 SHA-256"
            ),
            &measure_ratio(31, 5, isomdl_verify, verify_floor(benches::PROVIDERS[0])),
        );
        print_ratio(
            &format!(
                "isomdl 0.2.0 {name} verify (no value digests) vs one p256 verify + 20 SHA-256"
            ),
            &measure_ratio(31, 5, isomdl_verify, p256_verify_floor),
        );
        print_ratio(
            &format!("mdoc-cbor time / isomdl 0.2.0 time, {name} issue"),
            &measure_ratio(31, 5, issue, isomdl_issue),
        );
        print_ratio(
            &format!(
                "mdoc-cbor time (every digest checked) / isomdl 0.2.0 time (no digest checked), {name} verify"
            ),
            &measure_ratio(31, 5, verify, isomdl_verify),
        );
    }
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    workload(c, &keys, "anchor", false);
    workload(c, &keys, "portrait", true);
}

criterion_group!(benches, bench);
criterion_main!(benches);
