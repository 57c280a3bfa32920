//! Status List Token issue/verify and the relying-party check, with every bad input's exact
//! error.

use core::num::NonZeroU64;

use jose_core::{Algorithm, UnixTime};
use serde_json::json;
use status_list::{
    Bits, Error, KeyHint, Limits, Status, StatusClaim, StatusIndex, StatusList,
    StatusListReference, StatusListToken, VerifyOptions,
};

use crate::common::{URI, sign_raw, signer};

const IAT: i64 = 1_700_000_000;
const ES256: &[Algorithm] = &[Algorithm::Es256];

fn now(offset: i64) -> UnixTime {
    UnixTime::from_secs(IAT + offset)
}

fn list() -> StatusList {
    let mut list = StatusList::new(Bits::Two, 16, &Limits::default()).unwrap();
    list.set(StatusIndex::new(3), Status::INVALID).unwrap();
    list.set(StatusIndex::new(9), Status::SUSPENDED).unwrap();
    list
}

fn token() -> StatusListToken {
    StatusListToken::new(URI, now(0), list())
        .with_expires_at(now(3600))
        .with_ttl(NonZeroU64::new(300).unwrap())
        .with_aggregation_uri("https://example.com/statuslists")
}

fn reference(idx: u64) -> StatusListReference {
    StatusListReference::new(StatusIndex::new(idx), URI)
}

#[test]
fn issue_and_verify_round_trip() {
    let signer = signer();
    let jwt = token()
        .sign_jwt(&signer, &KeyHint::Kid("k1".into()))
        .unwrap();
    let options = VerifyOptions::new(ES256);
    let back =
        StatusListToken::verify_jwt(jwt.as_bytes(), URI, &signer.public_jwk(), &options, now(5))
            .unwrap();
    assert_eq!(back, token());
    // The header carries typ and kid.
    let jws = jose_core::CompactJws::parse(&jwt, &jose_core::Limits::default()).unwrap();
    assert_eq!(jws.header().typ(), Some("statuslist+jwt"));
    assert_eq!(jws.header().kid(), Some("k1"));
    assert_eq!(jws.claims()["status_list"]["bits"], 2);
    assert_eq!(jws.claims()["ttl"], 300);
}

#[test]
fn two_phase_signing_with_x5c() {
    let signer = signer();
    let cert = vec![0x30, 0x03, 0x02, 0x01, 0x01];
    let unsigned = token()
        .unsigned_jwt(Algorithm::Es256, &KeyHint::X5c(vec![cert.clone()]))
        .unwrap();
    let signature = jose_core::Signer::sign(&signer, unsigned.signing_input()).unwrap();
    let jwt = unsigned.attach_signature(&signature).unwrap();
    let jws = jose_core::CompactJws::parse(&jwt, &jose_core::Limits::default()).unwrap();
    assert_eq!(jws.header().x5c(), Some(&[cert][..]));
    let options = VerifyOptions::new(ES256);
    assert!(
        StatusListToken::verify_jwt(jwt.as_bytes(), URI, &signer.public_jwk(), &options, now(0))
            .is_ok()
    );
}

/// A `kid` and an `x5c` together (§11.3: the key hints of the Referenced Tokens): both in the
/// JWT's header.
#[test]
fn kid_and_x5c_together() {
    let signer = signer();
    let cert = vec![0x30, 0x03, 0x02, 0x01, 0x01];
    let hint = KeyHint::KidAndX5c {
        kid: "k1".into(),
        chain: vec![cert.clone()],
    };
    let jwt = token().sign_jwt(&signer, &hint).unwrap();
    let jws = jose_core::CompactJws::parse(&jwt, &jose_core::Limits::default()).unwrap();
    assert_eq!(jws.header().kid(), Some("k1"));
    assert_eq!(jws.header().x5c(), Some(&[cert][..]));
    let options = VerifyOptions::new(ES256);
    assert!(
        StatusListToken::verify_jwt(jwt.as_bytes(), URI, &signer.public_jwk(), &options, now(0))
            .is_ok()
    );
}

#[test]
fn relying_party_check_returns_each_status() {
    let signer = signer();
    let jwt = token().sign_jwt(&signer, &KeyHint::None).unwrap();
    let options = VerifyOptions::new(ES256);
    let key = signer.public_jwk();
    for (idx, want) in [
        (0, Status::VALID),
        (3, Status::INVALID),
        (9, Status::SUSPENDED),
    ] {
        let got = reference(idx).check_jwt(jwt.as_bytes(), &key, &options, now(10));
        assert_eq!(got, Ok(want), "idx {idx}");
    }
}

#[test]
fn relying_party_errors() {
    let signer = signer();
    let key = signer.public_jwk();
    let jwt = token().sign_jwt(&signer, &KeyHint::None).unwrap();
    let options = VerifyOptions::new(ES256);
    // idx out of range: 16 two-bit entries.
    assert_eq!(
        reference(16).check_jwt(jwt.as_bytes(), &key, &options, now(0)),
        Err(Error::IndexOutOfRange {
            idx: StatusIndex::new(16),
            len: 16
        })
    );
    // sub != uri (exact match, even a trailing slash differs).
    let other = StatusListReference::new(StatusIndex::new(0), format!("{URI}/"));
    assert_eq!(
        other.check_jwt(jwt.as_bytes(), &key, &options, now(0)),
        Err(Error::SubjectMismatch {
            expected: format!("{URI}/"),
            found: URI.into()
        })
    );
    // Expired: exp = IAT + 3600, skew 60.
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &key, &options, now(3660)),
        Err(Error::Expired {
            exp: now(3600),
            now: now(3660)
        })
    );
    assert!(
        reference(0)
            .check_jwt(jwt.as_bytes(), &key, &options, now(3659))
            .is_ok()
    );
    // Issued in the future beyond the skew.
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &key, &options, now(-61)),
        Err(Error::IssuedInFuture {
            iat: now(0),
            now: now(-61)
        })
    );
    assert!(
        reference(0)
            .check_jwt(jwt.as_bytes(), &key, &options, now(-60))
            .is_ok()
    );
    // Freshness policy.
    let fresh = options.with_max_age(100).with_clock_skew_seconds(0);
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &key, &fresh, now(101)),
        Err(Error::NotFresh {
            iat: now(0),
            max_age: 100
        })
    );
    // Another key.
    let stranger = self::signer().public_jwk();
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &stranger, &options, now(0)),
        Err(Error::Jose(jose_core::Error::SignatureInvalid))
    );
    // Algorithm not allowed.
    let eddsa_only = VerifyOptions::new(&[Algorithm::EdDsa]);
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &key, &eddsa_only, now(0)),
        Err(Error::Jose(jose_core::Error::AlgorithmNotAllowed {
            alg: Algorithm::Es256
        }))
    );
    // Too long, not UTF-8.
    let tiny = options.with_limits(Limits::default().with_max_token_len(10));
    assert_eq!(
        reference(0).check_jwt(jwt.as_bytes(), &key, &tiny, now(0)),
        Err(Error::TokenTooLong {
            len: jwt.len(),
            max: 10
        })
    );
    assert_eq!(
        reference(0).check_jwt(&[0xff, 0xfe], &key, &options, now(0)),
        Err(Error::TokenNotUtf8)
    );
}

fn good_claims() -> serde_json::Value {
    json!({"sub": URI, "iat": IAT, "exp": IAT + 3600,
           "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}})
}

#[test]
fn wrong_typ_is_refused() {
    let signer = signer();
    let options = VerifyOptions::new(ES256);
    for (typ, found) in [
        (Some("jwt"), Some("jwt")),
        (Some("statuslist+cwt"), Some("statuslist+cwt")),
        (None, None),
    ] {
        let jwt = sign_raw(&signer, typ, &good_claims());
        assert_eq!(
            StatusListToken::verify_jwt(
                jwt.as_bytes(),
                URI,
                &signer.public_jwk(),
                &options,
                now(0)
            ),
            Err(Error::WrongType {
                expected: "statuslist+jwt",
                found: found.map(str::to_owned)
            })
        );
    }
    // Media-type comparison: the application/ prefix and case do not matter.
    let jwt = sign_raw(&signer, Some("application/StatusList+JWT"), &good_claims());
    assert!(
        StatusListToken::verify_jwt(jwt.as_bytes(), URI, &signer.public_jwk(), &options, now(0))
            .is_ok()
    );
}

#[test]
fn bad_claims_each_give_their_error() {
    let signer = signer();
    let key = signer.public_jwk();
    let options = VerifyOptions::new(ES256);
    let cases: Vec<(serde_json::Value, Error)> = vec![
        (
            json!({"iat": IAT, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::MissingClaim { name: "sub" },
        ),
        (
            json!({"sub": URI, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::MissingClaim { name: "iat" },
        ),
        (
            json!({"sub": URI, "iat": "now", "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::InvalidClaim { name: "iat" },
        ),
        (
            json!({"sub": URI, "iat": IAT}),
            Error::MissingClaim {
                name: "status_list",
            },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": "x"}),
            Error::InvalidClaim {
                name: "status_list",
            },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::InvalidBits { bits: 3 },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"bits": "1", "lst": "eNrbuRgAAhcBXQ"}}),
            Error::InvalidClaim {
                name: "status_list.bits",
            },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"lst": "eNrbuRgAAhcBXQ"}}),
            Error::MissingClaim {
                name: "status_list.bits",
            },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"bits": 1}}),
            Error::MissingClaim {
                name: "status_list.lst",
            },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}}),
            Error::LstBase64,
        ),
        (
            json!({"sub": URI, "iat": IAT, "ttl": 0, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::InvalidClaim { name: "ttl" },
        ),
        (
            json!({"sub": URI, "iat": IAT, "ttl": -5, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            Error::InvalidClaim { name: "ttl" },
        ),
        (
            json!({"sub": URI, "iat": IAT, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 5}}),
            Error::InvalidClaim {
                name: "status_list.aggregation_uri",
            },
        ),
    ];
    for (claims, want) in cases {
        let jwt = sign_raw(&signer, Some("statuslist+jwt"), &claims);
        assert_eq!(
            StatusListToken::verify_jwt(jwt.as_bytes(), URI, &key, &options, now(0)),
            Err(want),
            "{claims}"
        );
    }
    // Unknown status_list members are ignored.
    let mut claims = good_claims();
    claims["status_list"]["future_parameter"] = json!(true);
    let jwt = sign_raw(&signer, Some("statuslist+jwt"), &claims);
    assert!(StatusListToken::verify_jwt(jwt.as_bytes(), URI, &key, &options, now(0)).is_ok());
}

#[test]
fn reference_claim_is_strict() {
    let ok = json!({"status": {"status_list": {"idx": 0, "uri": URI}, "other_mechanism": {}}});
    assert_eq!(
        StatusListReference::from_claims(ok.as_object().unwrap()),
        Ok(reference(0))
    );
    let cases = [
        (json!({}), Error::MissingClaim { name: "status" }),
        (json!({"status": 1}), Error::InvalidClaim { name: "status" }),
        (
            json!({"status": {}}),
            Error::MissingClaim {
                name: "status.status_list",
            },
        ),
        (
            json!({"status": {"status_list": []}}),
            Error::InvalidClaim {
                name: "status.status_list",
            },
        ),
        (
            json!({"status": {"status_list": {"uri": URI}}}),
            Error::MissingClaim {
                name: "status.status_list.idx",
            },
        ),
        (
            json!({"status": {"status_list": {"idx": -1, "uri": URI}}}),
            Error::InvalidClaim {
                name: "status.status_list.idx",
            },
        ),
        (
            json!({"status": {"status_list": {"idx": 1.5, "uri": URI}}}),
            Error::InvalidClaim {
                name: "status.status_list.idx",
            },
        ),
        (
            json!({"status": {"status_list": {"idx": 0}}}),
            Error::MissingClaim {
                name: "status.status_list.uri",
            },
        ),
        (
            json!({"status": {"status_list": {"idx": 0, "uri": ""}}}),
            Error::InvalidClaim {
                name: "status.status_list.uri",
            },
        ),
        (
            json!({"status": {"status_list": {"idx": 0, "uri": URI, "extra": 1}}}),
            Error::InvalidClaim {
                name: "status.status_list",
            },
        ),
    ];
    for (claims, want) in cases {
        assert_eq!(
            StatusListReference::from_claims(claims.as_object().unwrap()),
            Err(want),
            "{claims}"
        );
    }
    // The serde form is equally strict and round-trips.
    let claim: StatusClaim =
        serde_json::from_value(json!({"status_list": {"idx": 5, "uri": URI}})).unwrap();
    assert_eq!(claim.status_list(), &reference(5));
    assert_eq!(serde_json::to_value(&claim).unwrap(), claim.to_value());
    for bad in [
        json!({"status_list": {"idx": 5, "uri": URI, "x": 1}}),
        json!({"status_list": {"idx": -5, "uri": URI}}),
        json!({"status_list": {"idx": 5, "uri": ""}}),
        json!({"status_list": {"uri": URI}}),
    ] {
        assert!(
            serde_json::from_value::<StatusClaim>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[cfg(feature = "cwt")]
mod cwt {
    use super::*;

    #[test]
    fn cwt_issue_and_verify_round_trip() {
        let signer = signer();
        let options = VerifyOptions::new(ES256);
        for hint in [
            KeyHint::None,
            KeyHint::Kid("12".into()),
            KeyHint::X5c(vec![vec![1, 2, 3]]),
            KeyHint::X5c(vec![vec![1], vec![2]]),
            KeyHint::KidAndX5c {
                kid: "12".into(),
                chain: vec![vec![1, 2, 3]],
            },
        ] {
            let cwt = token().sign_cwt(&signer, &hint).unwrap();
            assert_eq!(cwt[0], 0xd2, "tag 18");
            let chain = match &hint {
                KeyHint::X5c(chain) | KeyHint::KidAndX5c { chain, .. } => chain.clone(),
                _ => Vec::new(),
            };
            assert_eq!(
                StatusListToken::cwt_x5chain(&cwt, &Limits::default()).unwrap(),
                chain
            );
            let back =
                StatusListToken::verify_cwt(&cwt, URI, &signer.public_jwk(), &options, now(1))
                    .unwrap();
            assert_eq!(back, token());
        }
    }

    /// A CWT whose protected header names the fully specified ESP256 (-9, RFC 9864) verifies
    /// as ES256: the CWT reads COSE ids through jose-core's one table, as mdoc's `issuerAuth`
    /// does (whose test is the same with an mdoc).
    #[test]
    fn cwt_with_fully_specified_esp256_verifies() {
        use jose_core::Signer as _;
        let signer = signer();
        let unsigned = token()
            .unsigned_cwt(Algorithm::Es256, &KeyHint::None)
            .unwrap();
        // The protected header {1: -7, 16: typ} starts a2 01 26; -9 is 28.
        let patch = |bytes: &[u8]| {
            let pos = bytes
                .windows(3)
                .position(|w| w == [0xa2, 0x01, 0x26])
                .unwrap();
            let mut out = bytes.to_vec();
            out[pos + 2] = 0x28;
            out
        };
        let signature = signer.sign(&patch(unsigned.signing_input())).unwrap();
        let original = unsigned.attach_signature(signature).unwrap();
        let cwt = patch(&original);
        let key = signer.public_jwk();
        let options = VerifyOptions::new(ES256);
        let back = StatusListToken::verify_cwt(&cwt, URI, &key, &options, now(1)).unwrap();
        assert_eq!(back, token());
        assert_eq!(
            StatusListToken::verify_cwt(&original, URI, &key, &options, now(1)),
            Err(Error::Jose(jose_core::Error::SignatureInvalid))
        );
    }

    #[test]
    fn cwt_errors() {
        let signer = signer();
        let key = signer.public_jwk();
        let options = VerifyOptions::new(ES256);
        let cwt = token().sign_cwt(&signer, &KeyHint::None).unwrap();
        assert_eq!(
            StatusListToken::verify_cwt(&cwt, "https://other", &key, &options, now(0)),
            Err(Error::SubjectMismatch {
                expected: "https://other".into(),
                found: URI.into()
            })
        );
        assert_eq!(
            StatusListToken::verify_cwt(&cwt, URI, &key, &options, now(3660)),
            Err(Error::Expired {
                exp: now(3600),
                now: now(3660)
            })
        );
        let stranger = self::signer().public_jwk();
        assert_eq!(
            StatusListToken::verify_cwt(&cwt, URI, &stranger, &options, now(0)),
            Err(Error::Jose(jose_core::Error::SignatureInvalid))
        );
        // Untagged (tag 18 removed) and wrapped in the CWT tag 61.
        assert!(matches!(
            StatusListToken::verify_cwt(&cwt[1..], URI, &key, &options, now(0)),
            Err(Error::Cbor { .. })
        ));
        let mut tagged61 = vec![0xd8, 0x3d];
        tagged61.extend_from_slice(&cwt);
        assert!(matches!(
            StatusListToken::verify_cwt(&tagged61, URI, &key, &options, now(0)),
            Err(Error::Cbor { .. })
        ));
        let mut trailing = cwt.clone();
        trailing.push(0);
        assert!(matches!(
            StatusListToken::verify_cwt(&trailing, URI, &key, &options, now(0)),
            Err(Error::Cbor { .. })
        ));
    }

    #[test]
    fn cwt_with_a_jwt_typ_is_refused() {
        // Rebuild the draft's CWT with the protected typ replaced: the signature no longer
        // matters because the typ check comes first.
        let doc = crate::common::load("status-list-draft/vectors.json");
        let hex = doc["status_list_token_cwt"]["hex"].as_str().unwrap();
        let bytes = crate::common::hex(hex);
        let needle = b"application/statuslist+cwt";
        let pos = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        let mut changed = bytes.clone();
        changed[pos + needle.len() - 3..pos + needle.len()].copy_from_slice(b"jwt");
        let key = signer().public_jwk();
        assert_eq!(
            StatusListToken::verify_cwt(&changed, URI, &key, &VerifyOptions::new(ES256), now(0)),
            Err(Error::WrongType {
                expected: "application/statuslist+cwt",
                found: Some("application/statuslist+jwt".into())
            })
        );
    }

    #[test]
    fn cwt_typ_may_be_the_configured_coap_content_format() {
        use coset::cbor::value::Value;
        use coset::{CoseSign1, Label, TaggedCborSerializable};
        use jose_core::Signer;
        // Not an IANA number (none is assigned yet): the option takes whatever will be.
        const CONTENT_FORMAT: u64 = 65_000;
        let signer = signer();
        let cwt = token().sign_cwt(&signer, &KeyHint::None).unwrap();
        let mut sign1 = CoseSign1::from_tagged_slice(&cwt).unwrap();
        for (label, value) in &mut sign1.protected.header.rest {
            if *label == Label::Int(16) {
                *value = Value::Integer(CONTENT_FORMAT.into());
            }
        }
        sign1.protected.original_data = None;
        sign1.signature = signer.sign(&sign1.tbs_data(&[])).unwrap();
        let bytes = sign1.to_tagged_vec().unwrap();
        let key = signer.public_jwk();
        assert_eq!(
            StatusListToken::verify_cwt(&bytes, URI, &key, &VerifyOptions::new(ES256), now(0))
                .err(),
            Some(Error::WrongType {
                expected: "application/statuslist+cwt",
                found: Some("content-format 65000".into())
            })
        );
        let accepting = VerifyOptions::new(ES256).with_cwt_content_format(CONTENT_FORMAT);
        assert!(StatusListToken::verify_cwt(&bytes, URI, &key, &accepting, now(0)).is_ok());
        let other = VerifyOptions::new(ES256).with_cwt_content_format(CONTENT_FORMAT + 1);
        assert!(StatusListToken::verify_cwt(&bytes, URI, &key, &other, now(0)).is_err());
    }
}
