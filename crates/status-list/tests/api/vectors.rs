//! Every status list in `status-list-draft/vectors.json` and
//! `extracted/status-list-vectors.json` decodes to exactly the expected array; our own encoding
//! decodes back to it.
//!
//! Skipped: `referenced_token_cwt` (a Referenced Token CWT; parsing a Referenced Token's
//! envelope belongs to the token format crates, this crate owns only the `status_list` shape,
//! tested in `tokens.rs`).

use jose_core::{Algorithm, PublicJwk, UnixTime};
use serde_json::Value;
use status_list::{Bits, Limits, Status, StatusIndex, StatusList, StatusListToken, VerifyOptions};

use crate::common::{URI, cbor_status_list, hex, load};

/// Builds the expected list from `(index, value)` pairs.
fn expected(bits: Bits, size: u64, set: &[(u64, u8)]) -> StatusList {
    let mut list = StatusList::new(bits, size, &Limits::default()).unwrap();
    for &(idx, value) in set {
        list.set(StatusIndex::new(idx), Status::new(value)).unwrap();
    }
    list
}

/// Decodes `lst` and the CBOR form, compares with `want` byte for byte and entry by entry,
/// and checks our re-encoding decodes back to the same list.
fn check(name: &str, bits: Bits, size: u64, lst: &str, cbor_hex: &str, want: &StatusList) {
    let limits = Limits::default();
    let got = StatusList::from_lst(bits, lst, Some(size), &limits)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(got.as_bytes(), want.as_bytes(), "{name}: bytes");
    assert_eq!(got.len(), size, "{name}: length");
    let (cbor_bits, zlib) = cbor_status_list(&hex(cbor_hex));
    assert_eq!(cbor_bits, u64::from(bits.get()), "{name}: CBOR bits");
    let from_cbor = StatusList::from_zlib(bits, &zlib, Some(size), &limits).unwrap();
    assert_eq!(from_cbor, got, "{name}: CBOR form");
    let ours = StatusList::from_lst(bits, &got.to_lst(), Some(size), &limits).unwrap();
    assert_eq!(ours, got, "{name}: our encoding round trip");
}

fn bits_of(v: &Value) -> Bits {
    Bits::try_from(v.as_u64().unwrap()).unwrap()
}

#[test]
fn test_status_list_draft_appendix_vectors() {
    let doc = load("status-list-draft/vectors.json");
    let cases = doc["appendix_test_vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["id"].as_str().unwrap();
        let bits = bits_of(&case["bits"]);
        let size = case["size_entries"].as_u64().unwrap();
        let set: Vec<(u64, u8)> = case["nonzero_or_listed_statuses"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.parse().unwrap(),
                    u8::try_from(v.as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        let want = expected(bits, size, &set);
        let lst = case["json_status_list"]["lst"].as_str().unwrap();
        check(
            name,
            bits,
            size,
            lst,
            case["cbor_status_list_hex"].as_str().unwrap(),
            &want,
        );
        // Every listed status reads back, and the count of non-zero entries matches.
        let got = StatusList::from_lst(bits, lst, None, &Limits::default()).unwrap();
        for &(idx, value) in &set {
            assert_eq!(got.get(StatusIndex::new(idx)).unwrap(), Status::new(value));
        }
        let nonzero = (0..size)
            .filter(|&i| !got.get(StatusIndex::new(i)).unwrap().is_valid())
            .count();
        let want_nonzero = set.iter().filter(|(_, v)| *v != 0).count();
        assert_eq!(nonzero, want_nonzero, "{name}: non-zero count");
        if let Some(n) = case["check_count_nonzero_entries"].as_u64() {
            assert_eq!(
                u64::try_from(nonzero).unwrap(),
                n,
                "{name}: published count"
            );
        }
    }
}

#[test]
fn test_status_list_draft_small_examples() {
    let doc = load("status-list-draft/vectors.json");
    for case in doc["small_examples"].as_array().unwrap() {
        let name = case["id"].as_str().unwrap();
        let bits = bits_of(&case["bits"]);
        let statuses: Vec<u8> = case["statuses_by_index"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| u8::try_from(v.as_u64().unwrap()).unwrap())
            .collect();
        let size = u64::try_from(statuses.len()).unwrap();
        let set: Vec<(u64, u8)> = (0..size).zip(statuses.iter().copied()).collect();
        let want = expected(bits, size, &set);
        assert_eq!(
            want.as_bytes(),
            hex(case["byte_array_hex"].as_str().unwrap())
        );
        let lst = case["json_status_list"]["lst"].as_str().unwrap();
        check(
            name,
            bits,
            size,
            lst,
            case["cbor_status_list_hex"].as_str().unwrap(),
            &want,
        );
    }
}

#[test]
fn test_extracted_short_vectors() {
    let doc = load("extracted/status-list-vectors.json");
    for (n, case) in doc["short"].as_array().unwrap().iter().enumerate() {
        let name = format!("short[{n}]");
        let bits = bits_of(&case["bits"]);
        let size = case["size"].as_u64().unwrap();
        let statuses: Vec<(u64, u8)> = case["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    u64::try_from(i).unwrap(),
                    u8::try_from(v.as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        let want = expected(bits, size, &statuses);
        assert_eq!(want.as_bytes(), hex(case["bytes_hex"].as_str().unwrap()));
        let lst = case["lst"].as_str().unwrap();
        check(
            &name,
            bits,
            size,
            lst,
            case["cbor_statuslist_hex"].as_str().unwrap(),
            &want,
        );
        let zlib = hex(case["zlib_hex"].as_str().unwrap());
        let from_zlib = StatusList::from_zlib(bits, &zlib, None, &Limits::default()).unwrap();
        assert_eq!(from_zlib.as_bytes(), want.as_bytes());
    }
}

#[test]
fn test_extracted_appendix_c_long_vectors() {
    let doc = load("extracted/status-list-vectors.json");
    let cases = doc["appendix_c_long"].as_object().unwrap();
    assert_eq!(cases.len(), 4);
    for (name, case) in cases {
        let bits = bits_of(&case["bits"]);
        let size = case["size"].as_u64().unwrap();
        let set: Vec<(u64, u8)> = case["set_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| {
                (
                    pair[0].as_u64().unwrap(),
                    u8::try_from(pair[1].as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        let want = expected(bits, size, &set);
        check(
            name,
            bits,
            size,
            case["lst"].as_str().unwrap(),
            case["cbor_hex"].as_str().unwrap(),
            &want,
        );
    }
}

fn example_key() -> PublicJwk {
    // The file holds the private key too; keep only the public members.
    let full = load("status-list-draft/example_key.jwk.json");
    let public = serde_json::json!({
        "kty": full["kty"], "crv": full["crv"], "x": full["x"], "y": full["y"], "kid": full["kid"],
    });
    PublicJwk::from_value(&public).unwrap()
}

#[test]
fn test_status_list_draft_jwt_token() {
    let doc = load("status-list-draft/vectors.json");
    let case = &doc["status_list_token_jwt"];
    let now = UnixTime::from_secs(1_686_920_170 + 10);
    let token = StatusListToken::verify_jwt(
        case["compact"].as_str().unwrap().as_bytes(),
        URI,
        &example_key(),
        &VerifyOptions::new(&[Algorithm::Es256]),
        now,
    )
    .unwrap();
    assert_eq!(token.subject(), URI);
    assert_eq!(token.issued_at(), UnixTime::from_secs(1_686_920_170));
    assert_eq!(token.expires_at(), Some(UnixTime::from_secs(2_291_720_170)));
    assert_eq!(token.ttl().map(core::num::NonZeroU64::get), Some(43_200));
    assert_eq!(token.issuer(), Some("https://example.com"));
    let want: Vec<u8> = case["statuses_by_index"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| u8::try_from(v.as_u64().unwrap()).unwrap())
        .collect();
    let got: Vec<u8> = (0..16u64)
        .map(|i| token.list().get(StatusIndex::new(i)).unwrap().value())
        .collect();
    assert_eq!(got, want);
    // The extracted file carries the same token.
    let extracted = load("extracted/status-list-vectors.json");
    assert_eq!(extracted["jwt_example"]["compact"], case["compact"]);
}

#[cfg(feature = "cwt")]
#[test]
fn test_status_list_draft_cwt_token() {
    let doc = load("status-list-draft/vectors.json");
    let bytes = hex(doc["status_list_token_cwt"]["hex"].as_str().unwrap());
    let extracted = load("extracted/status-list-vectors.json");
    assert_eq!(hex(extracted["cwt_example_hex"].as_str().unwrap()), bytes);
    let token = StatusListToken::verify_cwt(
        &bytes,
        URI,
        &example_key(),
        &VerifyOptions::new(&[Algorithm::Es256]),
        UnixTime::from_secs(1_686_920_170 + 10),
    )
    .unwrap();
    assert_eq!(token.subject(), URI);
    assert_eq!(token.ttl().map(core::num::NonZeroU64::get), Some(43_200));
    assert_eq!(token.expires_at(), Some(UnixTime::from_secs(2_291_720_170)));
    assert_eq!(token.list().as_bytes(), &[0xb9, 0xa3]);
}

#[test]
fn test_w3c_bitstring_example_is_refused_as_gzip() {
    let doc = load("extracted/status-list-vectors.json");
    let encoded = doc["w3c_bitstring_example"]["encodedList"]
        .as_str()
        .unwrap();
    // Multibase 'u' prefix, then base64url of a GZIP stream.
    let lst = encoded.strip_prefix('u').unwrap();
    assert_eq!(
        StatusList::from_lst(Bits::One, lst, None, &Limits::default()),
        Err(status_list::Error::LstGzip)
    );
}
