//! Time to refuse (issue 14 §5): how long the public entry points a verifier calls take to
//! refuse hostile input, with the default limits. Aim: every refusal in under 50 ms.
//!
//! Every input is built once before timing; every timed call checks that the input is refused
//! with the exact error the limit names (a check that fails aborts the bench: a refusal that
//! turned into an acceptance, or into another error, is a finding, not a timing). The timings
//! themselves are never asserted: each case prints one line,
//! `REFUSE <label>: <median ms> ms (aim < 50 ms)`, the median of single calls.
//!
//! 1. **Status list zlib bomb**: the ZLIB stream of 1 GiB of zero bytes (about 1 MB), as `lst`
//!    text (JSON form, [`StatusList::from_lst`]), as bytes (CBOR form, [`StatusList::from_zlib`])
//!    and inside a Status List Token JWT and CWT validly signed (ES256) by the key the verifier
//!    trusts ([`StatusListToken::verify_jwt`], [`StatusListToken::verify_cwt`]: both tokens are
//!    under the 2 MiB token limit, so the signature is checked and the list inflated). Refused by `max_inflated_bytes` (16 MiB):
//!    inflation stops one byte past the cap.
//! 2. **SD-JWT VC with 10,000 disclosures**, validly signed: refused by the 64 KiB length limit
//!    with the default limits (10,000 disclosures cannot fit in 64 KiB); with the length limit
//!    lifted, by the disclosure count limit (512), which counts `~` before decoding anything.
//!    For scale, the time to *accept* it with both limits lifted is printed as an `ACCEPT` line.
//! 3. **CBOR nested past the depth limit** (16): an `IssuerSigned` whose one item's
//!    `elementValue` is 100,000 nested one-element arrays, through [`IssuerSigned::parse`],
//!    [`Verifier::verify`] and, inside a `DeviceResponse`, [`Verifier::verify_device_response`];
//!    the same bomb as `issuerAuth` (skipped iteratively by the outer parse, refused by the
//!    COSE decoder); and a nesting just past the limit (17 levels).
//! 4. **A 16 KiB JOSE header of duplicate members** (`{"alg":"ES256","alg":"ES256",...}`)
//!    through [`CompactJws::parse`]: refused by the 8 KiB token limit by default; with the
//!    limit raised to 64 KiB, by the duplicate-member rule (at the second member), and a worst
//!    case whose only duplicate is the last of about 1,600 members. The same header as a client
//!    attestation through attestation-jwt's [`ClientAttestationVerifier::verify`], with the
//!    default and a raised header limit.
//!
//! Run: `cargo bench -p benches --bench refusal` (building the bomb takes a few seconds).
//!
//! Results on the 2-core development machine (shared with two other builds, load about 3.5;
//! 2026-12-04; `REFUSE` median of 30 single calls, criterion's estimate in brackets). Every case
//! is refused well under the 50 ms aim:
//!
//! | case | refused by | median |
//! |---|---|---|
//! | status list `from_lst`, 1 GiB zlib bomb (1,042,919 B zlib) | `LstTooLarge` (16 MiB) | 3.9 ms [5.3 ms] |
//! | status list `from_zlib`, same bomb | `LstTooLarge` | 3.2 ms [3.1 ms] |
//! | `StatusListToken::verify_jwt`, signed JWT over the bomb (1,854,377 B < 2 MiB limit) | `LstTooLarge`, after the signature | 7.1 ms [9.4 ms] |
//! | `StatusListToken::verify_cwt`, signed CWT over the bomb (1,043,093 B) | `LstTooLarge`, after the signature | 3.8 ms [3.8 ms] |
//! | SD-JWT VC, 10,000 disclosures (1,141,299 B), default limits | `TooLong` (64 KiB) | 50 ns [27 ns] |
//! | same, length limit lifted | `TooManyDisclosures` (512) | 0.035 ms [41 µs] |
//! | same, both limits lifted: accepted (for scale) | — | 17.8 ms [16.8 ms] |
//! | `IssuerSigned::parse`, `elementValue` 100,000 deep | `TooDeep` (16) | 0.9 µs [0.95 µs] |
//! | `Verifier::verify`, same | `TooDeep` | 0.9 µs [1.0 µs] |
//! | `Verifier::verify_device_response`, same in a `DeviceResponse` | `TooDeep` | 1.1 µs [1.2 µs] |
//! | `Verifier::verify`, `elementValue` 17 deep | `TooDeep` | 0.9 µs [1.0 µs] |
//! | `Verifier::verify`, `issuerAuth` 100,000 deep | `InvalidCose` | 0.67 ms [0.69 ms] |
//! | `CompactJws::parse`, 16 KiB duplicate-member header, default limits | `TokenTooLong` (8 KiB) | 50 ns [25 ns] |
//! | same, 64 KiB limit, `"alg"` repeated | `InvalidJson` / `DuplicateMember` | 0.016 ms [24 µs] |
//! | same, 64 KiB limit, the duplicate last of ~1,600 members | `InvalidJson` / `DuplicateMember` | 0.46 ms [0.73 ms] |
//! | attestation-jwt `verify`, the 16 KiB header, default limits | `HeaderTooLong` (8 KiB) | 0.015 ms [25 µs] |
//! | same, 64 KiB header limit, `"alg"` repeated | `AttestationMalformed(DuplicateMember)` | 0.031 ms [36 µs] |
//! | same, 64 KiB header limit, duplicate last | `AttestationMalformed(DuplicateMember)` | 0.48 ms [0.54 ms] |
//!
//! The slowest refusals are the ones that must do real work first: the status list token is
//! parsed (the JWT's payload is base64url inside base64url, 1.85 MB) and its signature checked before the list is inflated up to the 16 MiB cap (and that
//! much memory is allocated each time); the 100,000-deep `issuerAuth` is skipped iteratively by
//! the outer parse before the COSE decoder refuses it; a duplicate member is found only when the
//! parser reaches it. attestation-jwt checks that the header is a structured-field token (a scan
//! of all 22 kB) before its length limit, hence microseconds instead of nanoseconds.

#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::io::Write as _;

use attestation_jwt::{
    ChallengeCheck, ClientAttestationConfig, ClientAttestationVerifier, ClientAuthRequest,
    VerificationMethod,
};
use benches::{AcceptAll, AttestedClient, median_ns, print_refusal};
use criterion::{Criterion, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use jose_core::keys::StaticKeys;
use jose_core::{
    Algorithm, CompactJws, Header, JsonError, JwsPart, LocalSigner, Signer as _, SystemRandom,
    UnixTime, UnsignedJws,
};
use mdoc_cbor::{
    ElementValue, Issuance, IssuerSigned, MDL_DOC_TYPE, MDL_NAME_SPACE, ValidityInfo, Verifier,
};
use sdjwt_vc::{ClaimPath, KeyBinding, SdJwtVcBuilder};
use serde_json::{Map, Value, json};
use status_list::{Bits, Limits, StatusList, StatusListToken, VerifyOptions};

const NOW: i64 = 1_800_000_000;
/// How many single calls each `REFUSE` median is taken over.
const SAMPLES: usize = 30;
const STATUS_URI: &str = "https://issuer.example/status/1";

/// Times `op` with criterion and prints its `REFUSE` line.
fn case(c: &mut Criterion, label: &str, mut op: impl FnMut()) {
    c.bench_function(&format!("refusal/{label}"), |b| b.iter(&mut op));
    print_refusal(label, median_ns(SAMPLES, op));
}

// ---- 1. status list zlib bomb ----

/// The ZLIB stream of `size` zero bytes, compressed from a 1 MiB buffer written over and over
/// (the inflated bytes are never held in memory).
fn zlib_of_zeros(size: usize) -> Vec<u8> {
    let chunk = vec![0u8; 1 << 20];
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        encoder.write_all(chunk.get(..n).unwrap()).unwrap();
        left -= n;
    }
    encoder.finish().unwrap()
}

fn status_list_bomb(c: &mut Criterion, now: UnixTime) {
    let zlib = zlib_of_zeros(1 << 30);
    let lst = jose_core::base64url::encode(&zlib);
    let limits = Limits::default();
    let expected = status_list::Error::LstTooLarge {
        max: limits.max_inflated_bytes(),
    };
    println!(
        "status list bomb: 1 GiB of zeros, {} bytes zlib, {} chars lst, cap {} bytes",
        zlib.len(),
        lst.len(),
        limits.max_inflated_bytes()
    );

    case(c, "status-list from_lst, 1 GiB zlib bomb", || {
        let result = StatusList::from_lst(Bits::One, black_box(&lst), None, &limits);
        assert_eq!(result.err().as_ref(), Some(&expected));
    });
    case(
        c,
        "status-list from_zlib (CWT form), 1 GiB zlib bomb",
        || {
            let result = StatusList::from_zlib(Bits::One, black_box(&zlib), None, &limits);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );

    // A Status List Token JWT over the bomb, signed by the key the verifier trusts.
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let claims = json!({
        "sub": STATUS_URI,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "ttl": 300,
        "status_list": { "bits": 1, "lst": lst },
    });
    let header = Header::new(Algorithm::Es256).with_typ(status_list::JWT_TYP);
    let token = UnsignedJws::new(&header, claims.as_object().unwrap())
        .unwrap()
        .sign(&signer)
        .unwrap();
    let key = signer.public_jwk();
    let options = VerifyOptions::new(&[Algorithm::Es256]);
    let max_token = options.limits().max_token_len();
    let verify = || {
        StatusListToken::verify_jwt(black_box(token.as_bytes()), STATUS_URI, &key, &options, now)
    };
    if token.len() <= max_token {
        println!(
            "status list bomb JWT: {} bytes (token limit {max_token}): reaches the signature and the inflation",
            token.len()
        );
        case(
            c,
            "status-list verify_jwt, signed token over a 1 GiB zlib bomb",
            || assert_eq!(verify().err().as_ref(), Some(&expected)),
        );
    } else {
        println!(
            "status list bomb JWT: {} bytes: refused by the token limit ({max_token}) before parsing",
            token.len()
        );
        let too_long = status_list::Error::TokenTooLong {
            len: token.len(),
            max: max_token,
        };
        case(
            c,
            "status-list verify_jwt, signed token over a 1 GiB zlib bomb (token length)",
            || assert_eq!(verify().err().as_ref(), Some(&too_long)),
        );
    }

    // The same as a Status List Token CWT (the CBOR form), signed by the same key.
    let cwt = signed_cwt(&zlib, &signer);
    println!(
        "status list bomb CWT: {} bytes (token limit {max_token})",
        cwt.len()
    );
    assert!(cwt.len() <= max_token, "the CWT must reach the inflation");
    case(
        c,
        "status-list verify_cwt, signed token over a 1 GiB zlib bomb",
        || {
            let result =
                StatusListToken::verify_cwt(black_box(&cwt), STATUS_URI, &key, &options, now);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );
}

/// A tagged COSE_Sign1 Status List Token (§5.2) whose `lst` is `zlib`, signed with ES256 by
/// `signer`, built by hand: the crate's own builder takes a [`StatusList`], which would mean
/// holding the inflated gibibyte.
fn signed_cwt(zlib: &[u8], signer: &LocalSigner) -> Vec<u8> {
    let uint = |n: u64| head(0, usize::try_from(n).unwrap());
    let bstr = |b: &[u8]| [head(2, b.len()), b.to_vec()].concat();
    // Protected header {1: -7 (ES256), 16: typ}.
    let protected = [vec![0xa2, 0x01, 0x26, 0x10], text(status_list::CWT_TYP)].concat();
    // Claims {2: sub, 6: iat, 4: exp, 65533: {"bits": 1, "lst": zlib}}.
    let payload = [
        vec![0xa4],
        uint(2),
        text(STATUS_URI),
        uint(6),
        uint(u64::try_from(NOW - 60).unwrap()),
        uint(4),
        uint(u64::try_from(NOW + 3600).unwrap()),
        uint(65_533),
        vec![0xa2],
        text("bits"),
        uint(1),
        text("lst"),
        bstr(zlib),
    ]
    .concat();
    // Sig_structure = ["Signature1", protected, external_aad = h'', payload] (RFC 9052 §4.4).
    let to_be_signed = [
        vec![0x84],
        text("Signature1"),
        bstr(&protected),
        bstr(&[]),
        bstr(&payload),
    ]
    .concat();
    let signature = signer.sign(&to_be_signed).unwrap();
    // Tag 18, [protected, unprotected = {}, payload, signature].
    [
        vec![0xd2, 0x84],
        bstr(&protected),
        vec![0xa0],
        bstr(&payload),
        bstr(&signature),
    ]
    .concat()
}

// ---- 2. SD-JWT VC with 10,000 disclosures ----

fn sdjwt_disclosures(c: &mut Criterion, now: UnixTime) {
    const COUNT: usize = 10_000;
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let claims: Map<String, Value> = (0..COUNT)
        .map(|i| (format!("c{i}"), Value::from(i)))
        .collect();
    let paths: Vec<ClaimPath> = claims.keys().map(|n| ClaimPath::key(n.as_str())).collect();
    let issued = SdJwtVcBuilder::new("urn:example:refusal", claims)
        .with_issuer("https://issuer.example")
        .with_issued_at(now)
        .with_expires_at(now.saturating_add(86_400))
        .with_disclosable_paths(paths)
        .issue(&signer, &rng)
        .unwrap()
        .to_compact();
    let keys = StaticKeys::from(signer.public_jwk());
    println!(
        "sd-jwt: {COUNT} disclosures, {} bytes compact",
        issued.len()
    );

    let default = sdjwt_vc::Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden());
    let too_long = sdjwt_vc::Error::TooLong {
        len: issued.len(),
        max: sdjwt_vc::DEFAULT_MAX_LEN,
    };
    case(
        c,
        "sdjwt-vc verify, 10,000 disclosures, default limits (length)",
        || {
            let result = default.verify(black_box(&issued), now);
            assert_eq!(result.err().as_ref(), Some(&too_long));
        },
    );

    let long_limits = sdjwt_vc::Limits::default().with_max_len(issued.len());
    let long_ok = sdjwt_vc::Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden())
        .with_limits(long_limits);
    let too_many = sdjwt_vc::Error::TooManyDisclosures {
        count: COUNT,
        max: sdjwt_vc::DEFAULT_MAX_DISCLOSURES,
    };
    case(
        c,
        "sdjwt-vc verify, 10,000 disclosures, length limit lifted (disclosure count)",
        || {
            let result = long_ok.verify(black_box(&issued), now);
            assert_eq!(result.err().as_ref(), Some(&too_many));
        },
    );

    // For scale: what the two limits save. Not a refusal, so not a REFUSE line.
    let lifted = sdjwt_vc::Verifier::new(&keys, &[Algorithm::Es256], KeyBinding::forbidden())
        .with_limits(long_limits.with_max_disclosures(COUNT));
    let accept = || {
        let verified = lifted.verify(black_box(&issued), now).unwrap();
        assert_eq!(verified.disclosed().len(), COUNT);
    };
    c.bench_function("refusal/sdjwt-vc accept 10,000 disclosures", |b| {
        b.iter(accept)
    });
    println!(
        "ACCEPT sdjwt-vc verify, 10,000 disclosures, both limits lifted: {:.3} ms",
        median_ns(10, accept) / 1e6
    );
}

// ---- 3. CBOR nested past the depth limit ----

/// A CBOR head: major type `major`, argument `n` (RFC 8949 §3), shortest form.
fn head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    if let Ok(small) = u8::try_from(n) {
        if small < 24 {
            return vec![m | small];
        }
        return vec![m | 24, small];
    }
    if let Ok(n16) = u16::try_from(n) {
        return [vec![m | 25], n16.to_be_bytes().to_vec()].concat();
    }
    let n32 = u32::try_from(n).unwrap();
    [vec![m | 26], n32.to_be_bytes().to_vec()].concat()
}

fn text(s: &str) -> Vec<u8> {
    [head(3, s.len()), s.as_bytes().to_vec()].concat()
}

/// `depth` nested one-element arrays around a 0.
fn nested_arrays(depth: usize) -> Vec<u8> {
    [vec![0x81; depth], vec![0x00]].concat()
}

/// An `IssuerSigned` with one item whose `elementValue` is `value`, and `issuer_auth`; returns
/// the bytes and the offset of `value` in them.
fn issuer_signed_with(value: &[u8], issuer_auth: &[u8]) -> (Vec<u8>, usize) {
    let inner_prefix = [
        vec![0xa4],
        text("digestID"),
        vec![0x00],
        text("random"),
        head(2, 16),
        vec![0x5a; 16],
        text("elementIdentifier"),
        text("bomb"),
        text("elementValue"),
    ]
    .concat();
    let inner_len = inner_prefix.len() + value.len();
    let prefix = [
        vec![0xa2],
        text("nameSpaces"),
        vec![0xa1],
        text(MDL_NAME_SPACE),
        vec![0x81, 0xd8, 0x18],
        head(2, inner_len),
        inner_prefix,
    ]
    .concat();
    let at = prefix.len();
    let bytes = [
        prefix,
        value.to_vec(),
        text("issuerAuth"),
        issuer_auth.to_vec(),
    ]
    .concat();
    (bytes, at)
}

/// A `DeviceResponse` holding one document with `issuer_signed`; returns the bytes and the
/// offset of `issuer_signed` in them.
fn device_response_with(issuer_signed: &[u8]) -> (Vec<u8>, usize) {
    let prefix = [
        vec![0xa3],
        text("version"),
        text("1.0"),
        text("status"),
        vec![0x00],
        text("documents"),
        vec![0x81, 0xa2],
        text("docType"),
        text(MDL_DOC_TYPE),
        text("issuerSigned"),
    ]
    .concat();
    let at = prefix.len();
    ([prefix, issuer_signed.to_vec()].concat(), at)
}

fn cbor_nesting(c: &mut Criterion, now: UnixTime) {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let holder = LocalSigner::generate(Algorithm::Es256, &rng)
        .unwrap()
        .public_jwk();
    let validity = ValidityInfo::new(now, now, now.saturating_add(86_400)).unwrap();
    let mut issuance = Issuance::new(MDL_DOC_TYPE, &holder, validity).unwrap();
    issuance
        .add_element(
            MDL_NAME_SPACE,
            "family_name",
            ElementValue::Text("Doe".into()),
        )
        .unwrap();
    let issued = issuance.sign(&signer, &[], &rng).unwrap();
    let limits = mdoc_cbor::Limits::default();
    let issuer_auth = IssuerSigned::parse(issued.as_cbor(), &limits)
        .unwrap()
        .issuer_auth
        .to_vec();
    let trust = StaticKeys::from(signer.public_jwk());
    let verifier = Verifier::new(&trust);
    let max = limits.max_depth();
    // The array at index `max` (the max+1-th) is the first one refused.
    let too_deep = |value_at: usize| mdoc_cbor::Error::TooDeep {
        structure: "elementValue",
        position: value_at + max,
        max,
    };

    let bomb = nested_arrays(100_000);
    let (input, value_at) = issuer_signed_with(&bomb, &issuer_auth);
    let expected = too_deep(value_at);
    println!(
        "cbor: 100,000 nested arrays, IssuerSigned {} bytes, depth limit {max}",
        input.len()
    );
    case(
        c,
        "mdoc IssuerSigned::parse, elementValue nested 100,000 deep",
        || {
            let result = IssuerSigned::parse(black_box(&input), &limits);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );
    case(
        c,
        "mdoc Verifier::verify, elementValue nested 100,000 deep",
        || {
            let result = verifier.verify(black_box(&input), MDL_DOC_TYPE, now);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );
    let (response, signed_at) = device_response_with(&input);
    let in_response = too_deep(signed_at + value_at);
    case(
        c,
        "mdoc Verifier::verify_device_response, elementValue nested 100,000 deep",
        || {
            let result = verifier.verify_device_response(black_box(&response), now);
            assert_eq!(result.err().as_ref(), Some(&in_response));
        },
    );

    let just_past = nested_arrays(max + 1);
    let (input, value_at) = issuer_signed_with(&just_past, &issuer_auth);
    let expected = too_deep(value_at);
    case(
        c,
        "mdoc Verifier::verify, elementValue nested 17 deep (limit + 1)",
        || {
            let result = verifier.verify(black_box(&input), MDL_DOC_TYPE, now);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );

    let (input, _) = issuer_signed_with(&ElementValue::Text("Doe".into()).to_cbor(), &bomb);
    let expected = mdoc_cbor::Error::InvalidCose {
        reason: "malformed CBOR",
    };
    case(
        c,
        "mdoc Verifier::verify, issuerAuth nested 100,000 deep",
        || {
            let result = verifier.verify(black_box(&input), MDL_DOC_TYPE, now);
            assert_eq!(result.err().as_ref(), Some(&expected));
        },
    );
}

// ---- 4. JOSE header of duplicate members ----

/// A compact JWS whose protected header is `header` (about 16 KiB), with a small payload and a
/// 64-byte signature of zeros (parsing refuses the header before the signature is looked at).
fn jws_with_header(header: &str) -> String {
    let payload = json!({"iss": "https://wallet.example", "iat": NOW});
    format!(
        "{}.{}.{}",
        jose_core::base64url::encode(header.as_bytes()),
        jose_core::base64url::encode(payload.to_string().as_bytes()),
        jose_core::base64url::encode(&[0u8; 64])
    )
}

/// `{"alg":"ES256","alg":"ES256",...}`: `size` bytes or a little more.
fn repeated_alg_header(size: usize) -> String {
    let member = r#""alg":"ES256""#;
    let mut header = String::from("{");
    header.push_str(member);
    while header.len() < size {
        header.push(',');
        header.push_str(member);
    }
    header.push('}');
    header
}

/// `{"alg":"ES256","m0":0,"m1":0,...,"m0":0}`: distinct members up to `size` bytes, then the
/// first one again, so the duplicate is found only at the end.
fn late_duplicate_header(size: usize) -> String {
    let mut header = String::from(r#"{"alg":"ES256""#);
    let mut i = 0usize;
    while header.len() < size {
        header.push_str(&format!(r#","m{i}":0"#));
        i += 1;
    }
    header.push_str(r#","m0":0}"#);
    header
}

/// The two attestation headers of a request.
fn attestation_request<'a>(attestation: &'a str, pop: &'a str) -> ClientAuthRequest<'a> {
    ClientAuthRequest::from_headers([
        ("OAuth-Client-Attestation", attestation),
        ("OAuth-Client-Attestation-PoP", pop),
    ])
}

fn jose_duplicates(c: &mut Criterion, now: UnixTime) {
    const SIZE: usize = 16 * 1024;
    let early = jws_with_header(&repeated_alg_header(SIZE));
    let late = jws_with_header(&late_duplicate_header(SIZE));
    println!(
        "jose: 16 KiB duplicate-member headers, tokens {} and {} bytes",
        early.len(),
        late.len()
    );
    let default = jose_core::Limits::default();
    let raised = default.with_max_token_len(64 * 1024);
    let too_long = jose_core::Error::TokenTooLong {
        len: early.len(),
        max: default.max_token_len(),
    };
    let duplicate = |name: &str| jose_core::Error::InvalidJson {
        part: JwsPart::Header,
        error: JsonError::DuplicateMember { name: name.into() },
    };
    let dup_alg = duplicate("alg");
    let dup_m0 = duplicate("m0");

    case(
        c,
        "jose CompactJws::parse, 16 KiB duplicate-member header, default limits (length)",
        || {
            let result = CompactJws::parse(black_box(&early), &default);
            assert_eq!(result.err().as_ref(), Some(&too_long));
        },
    );
    case(
        c,
        "jose CompactJws::parse, 16 KiB of \"alg\" repeated, 64 KiB limit (duplicate member)",
        || {
            let result = CompactJws::parse(black_box(&early), &raised);
            assert_eq!(result.err().as_ref(), Some(&dup_alg));
        },
    );
    case(
        c,
        "jose CompactJws::parse, 16 KiB header, duplicate last, 64 KiB limit (duplicate member)",
        || {
            let result = CompactJws::parse(black_box(&late), &raised);
            assert_eq!(result.err().as_ref(), Some(&dup_m0));
        },
    );

    // The same headers as a client attestation, with a valid PoP beside it.
    let client = AttestedClient::new(Algorithm::Es256, "https://as.example.com", now);
    let verifier_with = |limits: attestation_jwt::Limits| {
        let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: client.attester.public_jwk(),
            additional_jwks: Vec::new(),
        });
        ClientAttestationVerifier::builder(config, "https://as.example.com")
            .with_limits(limits)
            .build()
            .unwrap()
    };
    let default_limits = attestation_jwt::Limits::default();
    let default_verifier = verifier_with(default_limits);
    let raised_verifier = verifier_with(default_limits.with_max_header_len(64 * 1024));
    let (early_request, late_request) = (
        attestation_request(&early, &client.pop),
        attestation_request(&late, &client.pop),
    );
    let header_too_long = attestation_jwt::Error::HeaderTooLong {
        header: "OAuth-Client-Attestation",
        len: early.len(),
        max: default_limits.max_header_len(),
    };
    let malformed_alg = attestation_jwt::Error::AttestationMalformed(dup_alg.clone());
    let malformed_m0 = attestation_jwt::Error::AttestationMalformed(dup_m0.clone());
    let guard = AcceptAll;
    case(
        c,
        "attestation-jwt verify, 16 KiB duplicate-member header, default limits (length)",
        || {
            let result = default_verifier.verify(
                black_box(&early_request),
                ChallengeCheck::None,
                &guard,
                now,
            );
            assert_eq!(result.err().as_ref(), Some(&header_too_long));
        },
    );
    case(
        c,
        "attestation-jwt verify, 16 KiB of \"alg\" repeated, 64 KiB limit (duplicate member)",
        || {
            let result = raised_verifier.verify(
                black_box(&early_request),
                ChallengeCheck::None,
                &guard,
                now,
            );
            assert_eq!(result.err().as_ref(), Some(&malformed_alg));
        },
    );
    case(
        c,
        "attestation-jwt verify, 16 KiB header, duplicate last, 64 KiB limit (duplicate member)",
        || {
            let result =
                raised_verifier.verify(black_box(&late_request), ChallengeCheck::None, &guard, now);
            assert_eq!(result.err().as_ref(), Some(&malformed_m0));
        },
    );
}

fn bench(c: &mut Criterion) {
    let now = UnixTime::from_secs(NOW);
    status_list_bomb(c, now);
    sdjwt_disclosures(c, now);
    cbor_nesting(c, now);
    jose_duplicates(c, now);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
