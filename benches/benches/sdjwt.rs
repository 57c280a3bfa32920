//! sdjwt-vc: issuing and verifying a 20-claim person-identification SD-JWT VC with every claim
//! selectively disclosable (ES256), each against its floor (one ES256 sign or verify, on ring
//! and on aws-lc-rs, plus the 20 SHA-256 disclosure digests on ring), and side by side with `sd-jwt-rs` 0.7.1 on the same claims.
//!
//! Both libraries issue the same claims with 20 disclosures and no decoys, and verify the
//! issued SD-JWT (all 20 disclosures, no key binding). sdjwt-vc issues from borrowed claims,
//! as an issuer that keeps each subject's claims does; sd-jwt-rs takes them by value and is
//! handed a copy each time.
//!
//! Beside them, the same work done by the shortest code on the same primitives ([`bare`]):
//! the lower bound any issuer or verifier built from them can reach, printed as its own ratio.
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

#[path = "sdjwt/bare.rs"]
mod bare;

use core::hint::black_box;

use benches::{VerifyInput, measure_floors, print_floors};
#[cfg(feature = "peers")]
use benches::{measure_ratio, print_ratio};
use criterion::{Criterion, criterion_group, criterion_main};
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, UnixTime};
#[cfg(feature = "peers")]
use sd_jwt_rs::issuer::ClaimsForSelectiveDisclosureStrategy;
#[cfg(feature = "peers")]
use sd_jwt_rs::{SDJWTIssuer, SDJWTSerializationFormat, SDJWTVerifier};
use sdjwt_vc::{ClaimPath, DisclosurePolicy, KeyBinding, SdJwtVcBuilder, Verifier};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_750_000_000;
const ISS: &str = "https://pid-issuer.example";
const VCT: &str = "urn:eudi:pid:de:1";

fn person() -> Map<String, Value> {
    json!({
        "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
        "place_of_birth": "Berlin", "nationality": "DE", "sex": 2,
        "street_address": "Heidestraße 17", "locality": "Köln", "postal_code": "51147",
        "region": "Nordrhein-Westfalen", "country": "DE", "age_over_18": true,
        "age_over_21": true, "age_over_65": false, "age_in_years": 61,
        "age_birth_year": 1964, "birth_family_name": "Gabler", "birth_given_name": "Erika",
        "issuing_authority": "DE", "email": "erika@example.de"
    })
    .as_object()
    .unwrap()
    .clone()
}

fn bench(c: &mut Criterion) {
    let rng = jose_core::SystemRandom::new();
    let pkcs8 = benches::fresh_pkcs8(Algorithm::Es256);
    let signer = LocalSigner::from_pkcs8(Algorithm::Es256, &pkcs8).unwrap();
    let jwk = signer.public_jwk();
    let claims = person();
    let names: Vec<String> = claims.keys().cloned().collect();
    assert_eq!(names.len(), 20);
    // Built once, as an issuer builds it per credential configuration, and shared.
    let policy = DisclosurePolicy::new(names.iter().map(|n| ClaimPath::key(n.as_str()))).unwrap();
    let now = UnixTime::from_secs(NOW);

    let issue = || {
        SdJwtVcBuilder::borrowing(VCT, black_box(&claims))
            .with_issuer(ISS)
            .with_issued_at(now)
            .with_expires_at(now.saturating_add(315_360_000))
            .with_disclosure_policy(&policy)
            .issue(&signer, &rng)
            .unwrap()
            .to_compact()
    };
    let issued = issue();
    let disclosures: Vec<String> = issued
        .trim_end_matches('~')
        .split('~')
        .skip(1)
        .map(str::to_owned)
        .collect();
    assert_eq!(disclosures.len(), 20);
    let (signing_input, sig_b64) = issued.split('~').next().unwrap().rsplit_once('.').unwrap();
    let signature = jose_core::base64url::decode(sig_b64).unwrap();

    let keys = StaticKeys::new(vec![jwk.clone()]);
    let verifier = Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden());
    let verify = || {
        let verified = verifier.verify(black_box(&issued), now).unwrap();
        assert_eq!(verified.disclosed().len(), 20);
    };

    let digests = || {
        for d in &disclosures {
            black_box(ring::digest::digest(
                &ring::digest::SHA256,
                black_box(d.as_bytes()),
            ));
        }
    };
    let sign_floor = |provider| {
        let key = benches::signing_key_on(provider, Algorithm::Es256, &pkcs8);
        move || {
            black_box(key.sign(black_box(signing_input.as_bytes())).unwrap());
            digests();
        }
    };
    let floor_input = VerifyInput::new(
        jwk.key().clone(),
        Algorithm::Es256,
        signing_input.as_bytes().to_vec(),
        signature,
    );
    let verify_floor = |provider| {
        let input = &floor_input;
        move || {
            input.verify_on(provider);
            digests();
        }
    };

    c.bench_function("sdjwt/issue_20_claims/ES256", |b| b.iter(issue));
    c.bench_function("sdjwt/verify_20_claims/ES256", |b| b.iter(verify));
    for provider in benches::PROVIDERS {
        let (mut sign, mut check) = (sign_floor(provider), verify_floor(provider));
        let on = provider.name();
        c.bench_function(&format!("sdjwt/floor_{on}_sign_plus_20_sha256"), |b| {
            b.iter(&mut sign)
        });
        c.bench_function(&format!("sdjwt/floor_{on}_verify_plus_20_sha256"), |b| {
            b.iter(&mut check)
        });
    }

    print_floors(
        "sdjwt-vc issue 20 SD claims vs ES256 sign + 20 SHA-256 (target <= 1.35x)",
        &measure_floors(30, 40, || drop(issue()), sign_floor),
    );
    print_floors(
        "sdjwt-vc verify 20 SD claims vs ES256 verify + 20 SHA-256 (target <= 1.2x)",
        &measure_floors(30, 40, verify, verify_floor),
    );
    // The same work on the bare primitives: its output verifies as ours does, and ours
    // verifies with the bare verifier, so both sides do the same work.
    let registered = bare::Registered {
        iss: ISS,
        vct: VCT,
        iat: NOW,
        exp: NOW + 315_360_000,
    };
    let bare_issue = || bare::issue(black_box(&claims), &registered, &signer, &rng);
    let bare_issued = bare_issue();
    assert_eq!(
        verifier.verify(&bare_issued, now).unwrap().claims(),
        verifier.verify(&issued, now).unwrap().claims()
    );
    let key = jwk.key();
    assert_eq!(bare::verify(&issued, key).len(), 24);
    print_floors(
        "bare primitives issue 20 SD claims vs ES256 sign + 20 SHA-256 (a lower bound)",
        &measure_floors(30, 40, || drop(bare_issue()), sign_floor),
    );
    print_floors(
        "bare primitives verify 20 SD claims vs ES256 verify + 20 SHA-256 (a lower bound)",
        &measure_floors(
            30,
            40,
            || drop(bare::verify(black_box(&issued), key)),
            verify_floor,
        ),
    );
    // The peer runs only with `--features peers` (it adds sd-jwt-rs and jsonwebtoken 9 to the build).
    #[cfg(feature = "peers")]
    {
        // sd-jwt-rs 0.7.1 on the same key and claims.
        let mut their_claims = claims.clone();
        their_claims.insert("iss".into(), ISS.into());
        their_claims.insert("iat".into(), NOW.into());
        their_claims.insert("exp".into(), (NOW + 315_360_000).into());
        their_claims.insert("vct".into(), VCT.into());
        let their_claims = Value::Object(their_claims);
        let json_paths: Vec<String> = names.iter().map(|n| format!("$.{n}")).collect();
        let encoding_key = jsonwebtoken9::EncodingKey::from_ec_der(&pkcs8);
        let theirs_issue = || {
            let strategy = ClaimsForSelectiveDisclosureStrategy::Custom(
                json_paths.iter().map(String::as_str).collect(),
            );
            SDJWTIssuer::new(encoding_key.clone(), Some("ES256".into()))
                .issue_sd_jwt(
                    black_box(their_claims.clone()),
                    strategy,
                    None,
                    false,
                    SDJWTSerializationFormat::Compact,
                )
                .unwrap()
        };
        let their_issued = theirs_issue();
        assert_eq!(their_issued.trim_end_matches('~').split('~').count(), 21);
        let jwk_value = jwk.to_value();
        let (x, y) = (
            jwk_value["x"].as_str().unwrap().to_owned(),
            jwk_value["y"].as_str().unwrap().to_owned(),
        );
        let theirs_verify = || {
            let (x, y) = (x.clone(), y.clone());
            let resolver = Box::new(move |_: &str, _: &jsonwebtoken9::Header| {
                jsonwebtoken9::DecodingKey::from_ec_components(&x, &y).unwrap()
            });
            let verified = SDJWTVerifier::new(
                black_box(their_issued.clone()),
                resolver,
                None,
                None,
                SDJWTSerializationFormat::Compact,
            )
            .unwrap_or_else(|e| panic!("sd-jwt-rs verify: {e:?}"));
            assert_eq!(verified.verified_claims.as_object().unwrap().len(), 24);
        };

        c.bench_function("sdjwt/sd-jwt-rs_issue_20_claims/ES256", |b| {
            b.iter(theirs_issue)
        });
        c.bench_function("sdjwt/sd-jwt-rs_verify_20_claims/ES256", |b| {
            b.iter(theirs_verify)
        });
        print_ratio(
            "sd-jwt-rs 0.7.1 issue 20 SD claims vs ES256 sign + 20 SHA-256",
            &measure_ratio(
                30,
                40,
                || drop(theirs_issue()),
                sign_floor(benches::PROVIDERS[0]),
            ),
        );
        print_ratio(
            "sd-jwt-rs 0.7.1 verify 20 SD claims vs ES256 verify + 20 SHA-256",
            &measure_ratio(30, 40, theirs_verify, verify_floor(benches::PROVIDERS[0])),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
