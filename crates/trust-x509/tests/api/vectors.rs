//! External vectors: ISO 18013-5 Annex D and the OpenID4VCI wallet attestation example.

use jose_core::{CompactJws, Limits, UnixTime};
use trust_x509::{Error, Policy, TrustAnchors, validate_chain};

use crate::common::{parse_utc, vector_path};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn test_iso18013_5_annex_d_ds_validates_to_iaca() {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(vector_path("extracted/mdoc-annex-d.json")).expect("vector"),
    )
    .expect("json");
    let ds = hex(json["ds_cert_der_hex"].as_str().expect("ds"));
    let iaca = hex(json["iaca_cert_der_hex"].as_str().expect("iaca"));
    // The same IACA from isomdl's PEM copy.
    let pem = std::fs::read_to_string(vector_path("isomdl/annexD/iaca_cert.pem")).expect("pem");
    let anchors = TrustAnchors::from_pem(&pem).expect("anchors");
    assert_eq!(anchors.iter_der().next(), Some(iaca.as_slice()));
    // Pinned at the MSO's `signed` time.
    let now = parse_utc("2020-10-01T13:30:02Z");
    let v = validate_chain(
        core::slice::from_ref(&ds),
        &anchors,
        now,
        &Policy::mdoc_document_signer(),
    )
    .expect("Annex D DS validates");
    assert_eq!(v.leaf_subject(), "C=US,CN=utopia ds");
    assert_eq!(v.path(), &[ds.clone(), iaca]);
    // After the DS expired (2021-10-01), the exact error.
    let later = parse_utc("2022-01-01T00:00:00Z");
    assert_eq!(
        validate_chain(&[ds], &anchors, later, &Policy::mdoc_document_signer()).unwrap_err(),
        Error::Expired {
            cert: trust_x509::CertRef::Chain(0),
            not_after: parse_utc("2021-10-01T00:00:00Z"),
            now: later
        }
    );
}

#[test]
fn test_openid4vci_wallet_attestation_x5c_self_signed_anchor() {
    let token = std::fs::read_to_string(vector_path("openid4vci/wallet_attestation.jwt.txt"))
        .expect("vector");
    // The example file is wrapped at 70 columns; the token is the concatenation of its lines.
    let token: String = token.split_whitespace().collect();
    let jws = CompactJws::parse(&token, &Limits::default()).expect("jws");
    let x5c = jws.header().x5c().expect("x5c present");
    let anchors = TrustAnchors::from_der(vec![x5c[0].clone()]).expect("anchor");
    // Pinned inside nbf..exp of the attestation.
    let now = UnixTime::from_secs(1_755_023_547);
    // Without direct trust, a chain made of the anchor alone is refused.
    assert_eq!(
        validate_chain(x5c, &anchors, now, &Policy::attester()).unwrap_err(),
        Error::AnchorAsLeaf
    );
    let v = validate_chain(x5c, &anchors, now, &Policy::attester().with_direct_trust())
        .expect("validates");
    assert_eq!(v.leaf_subject(), "CN=wallet-provider.example.com");
    jws.verify_signature(v.public_key())
        .expect("signature verifies with the x5c key");
}
