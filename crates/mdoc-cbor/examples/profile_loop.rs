//! Issues (or verifies) the benchmark's 20-element mDL `N` times, for instruction-count
//! profiling with `valgrind --tool=callgrind` (the machine's wall clock is too noisy).
//!
//! `cargo build --release -p mdoc-cbor --example profile_loop`, then
//! `valgrind --tool=callgrind target/release/examples/profile_loop issue 200 [portrait]`.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "profiling harness"
)]

use core::hint::black_box;

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use mdoc_cbor::{
    ElementValue, Issuance, MDL_DOC_TYPE, MDL_NAME_SPACE, StatusListReference, ValidityInfo,
    Verifier,
};

fn mdl(holder: &jose_core::PublicJwk, now: UnixTime, portrait: bool) -> Issuance {
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
    let ninth = if portrait {
        ("portrait", ElementValue::Bytes(vec![0xa5; 16 * 1024]))
    } else {
        ("issuing_jurisdiction", text("US-UT"))
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
        ninth,
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("issue", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let portrait = args.get(3).is_some_and(|s| s == "portrait");
    let now = UnixTime::from_secs(1_800_000_000);
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng)
        .unwrap()
        .public_jwk();
    let x5chain = vec![vec![0x30; 600]];
    let issuance = mdl(&holder, now, portrait);
    let issued = issuance.sign(&signer, &x5chain, &rng).unwrap();
    println!("IssuerSigned {} bytes", issued.as_cbor().len());
    let trust = StaticKeys::from(signer.public_jwk());
    let verifier = Verifier::new(&trust);
    for _ in 0..n {
        match mode {
            "issue" => {
                black_box(issuance.sign(&signer, &x5chain, &rng).unwrap());
            }
            "prepare" => {
                black_box(issuance.prepare(Algorithm::Es256, &x5chain, &rng).unwrap());
            }
            "sign" => {
                black_box(
                    jose_core::Signer::sign(&signer, black_box(b"0123456789abcdef")).unwrap(),
                );
            }
            _ => {
                black_box(
                    verifier
                        .verify(black_box(issued.as_cbor()), MDL_DOC_TYPE, now)
                        .unwrap(),
                );
            }
        }
    }
}
