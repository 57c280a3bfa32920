//! Issuer keys from `x5c` validated with `trust-x509` (`X5cTrust`), over the PKI made by
//! `tests/data/make_x5c_pki.py` (pinned to 2026-01-01).

use jose_core::{Algorithm, LocalSigner, UnixTime};
use sdjwt_vc::{ClaimPath, Error, KeyBinding, SdJwtVcBuilder, Verifier, X5cTrust};
use serde_json::json;
use trust_x509::{CertRef, TrustAnchors};

const NOW: i64 = 1_767_225_600;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn trust() -> X5cTrust {
    let pem = String::from_utf8(data("x5c_root.pem")).unwrap();
    X5cTrust::new(TrustAnchors::from_pem(&pem).unwrap())
}

/// An SD-JWT VC signed with `key` (a PKCS#8 file) carrying `x5c`, issued by the `iss` the
/// test leaf certificates name.
fn issue(key: &str, x5c: Option<Vec<Vec<u8>>>) -> String {
    issue_as(Some("https://pid-issuer.example"), key, x5c)
}

/// As [`issue`], with another (or no) `iss`.
fn issue_as(iss: Option<&str>, key: &str, x5c: Option<Vec<Vec<u8>>>) -> String {
    let signer = LocalSigner::from_pkcs8(Algorithm::Es256, &data(key)).unwrap();
    let claims = json!({"given_name": "Erika", "family_name": "Mustermann"});
    let mut builder = SdJwtVcBuilder::new("urn:eudi:pid:1", claims.as_object().unwrap().clone());
    if let Some(iss) = iss {
        builder = builder.with_issuer(iss);
    }
    builder = builder
        .with_issued_at(UnixTime::from_secs(NOW - 3600))
        .with_disclosable(ClaimPath::key("given_name"));
    if let Some(chain) = x5c {
        builder = builder.with_x5c(chain);
    }
    builder
        .issue(&signer, &jose_core::SystemRandom::new())
        .unwrap()
        .to_compact()
}

fn verify(trust: &X5cTrust, sd_jwt: &str) -> Result<sdjwt_vc::Verified, Error> {
    Verifier::new(trust, &[Algorithm::Es256], KeyBinding::forbidden())
        .verify(sd_jwt, UnixTime::from_secs(NOW))
}

#[test]
fn chain_to_the_anchor_is_accepted() {
    let sd_jwt = issue(
        "x5c_leaf.pk8",
        Some(vec![data("x5c_leaf.der"), data("x5c_inter.der")]),
    );
    let verified = verify(&trust(), &sd_jwt).unwrap();
    assert_eq!(verified.claims()["given_name"], "Erika");
    assert_eq!(verified.claims()["family_name"], "Mustermann");
    assert_eq!(
        verified.header().x5c().map(<[Vec<u8>]>::len),
        Some(2),
        "the header keeps the received chain"
    );
}

fn leaf_chain() -> Option<Vec<Vec<u8>>> {
    Some(vec![data("x5c_leaf.der"), data("x5c_inter.der")])
}

#[test]
fn iss_named_by_the_leaf_san_is_accepted() {
    // URI SAN https://pid-issuer.example, DNS SAN pid-issuer.example (make_x5c_pki.py).
    for iss in [
        "https://pid-issuer.example",
        "dns:pid-issuer.example",
        "dns:PID-Issuer.Example",
        "dns://192.0.2.53/pid-issuer.example",
    ] {
        let sd_jwt = issue_as(Some(iss), "x5c_leaf.pk8", leaf_chain());
        let verified = verify(&trust(), &sd_jwt).unwrap();
        assert_eq!(verified.claims()["iss"], iss);
    }
    // Without iss the leaf itself identifies the issuer.
    let sd_jwt = issue_as(None, "x5c_leaf.pk8", leaf_chain());
    assert!(verify(&trust(), &sd_jwt).is_ok());
}

#[test]
fn iss_not_named_by_the_leaf_san_is_refused() {
    for iss in [
        // Another issuer under the same CA must not be able to use this leaf.
        "https://other-issuer.example",
        // URIs match exactly: no normalisation, no trailing slash, no prefix match.
        "https://pid-issuer.example/",
        "HTTPS://pid-issuer.example",
        // A DNS name matches dNSName entries only, and a URI SAN is not a DNS name.
        "dns:other-issuer.example",
        "pid-issuer.example",
    ] {
        let sd_jwt = issue_as(Some(iss), "x5c_leaf.pk8", leaf_chain());
        assert_eq!(
            verify(&trust(), &sd_jwt).unwrap_err(),
            Error::IssuerNotInCertificate { iss: iss.into() },
            "{iss}"
        );
    }
    let sd_jwt = issue_as(
        Some("https://other-issuer.example"),
        "x5c_leaf.pk8",
        leaf_chain(),
    );
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err().to_string(),
        "the x5c leaf certificate's SubjectAltName does not name iss \"https://other-issuer.example\""
    );
}

#[test]
fn chain_of_another_ca_is_refused() {
    let sd_jwt = issue("x5c_other_leaf.pk8", Some(vec![data("x5c_other_leaf.der")]));
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err(),
        Error::X509(trust_x509::Error::UnknownIssuer {
            cert: CertRef::Chain(0)
        })
    );
}

#[test]
fn expired_issuer_certificate_is_refused() {
    let sd_jwt = issue(
        "x5c_expired_leaf.pk8",
        Some(vec![data("x5c_expired_leaf.der"), data("x5c_inter.der")]),
    );
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err(),
        Error::X509(trust_x509::Error::Expired {
            cert: CertRef::Chain(0),
            // 2025-06-01T00:00:00Z
            not_after: UnixTime::from_secs(1_748_736_000),
            now: UnixTime::from_secs(NOW),
        })
    );
}

#[test]
fn valid_chain_with_a_key_that_did_not_sign_is_refused() {
    // The chain is the trusted issuer's, the signature is another key's.
    let sd_jwt = issue(
        "x5c_other_leaf.pk8",
        Some(vec![data("x5c_leaf.der"), data("x5c_inter.der")]),
    );
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err(),
        Error::Jose {
            what: "issuer-signed JWT",
            error: jose_core::Error::SignatureInvalid
        }
    );
}

#[test]
fn anchor_inside_x5c_is_refused() {
    let sd_jwt = issue(
        "x5c_leaf.pk8",
        Some(vec![
            data("x5c_leaf.der"),
            data("x5c_inter.der"),
            data("x5c_root.der"),
        ]),
    );
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err(),
        Error::IssuerKey {
            reason: "x5c includes the trust anchor certificate (HAIP: leave it out)".into()
        }
    );
}

#[test]
fn missing_x5c_is_refused() {
    let sd_jwt = issue("x5c_leaf.pk8", None);
    assert_eq!(
        verify(&trust(), &sd_jwt).unwrap_err(),
        Error::IssuerKey {
            reason: "no x5c header".into()
        }
    );
}

#[test]
fn the_plain_trust_x509_lookup_reports_the_same_typed_errors() {
    // Without this crate's iss rule: trust_x509::AnchorLookup directly.
    let pem = String::from_utf8(data("x5c_root.pem")).unwrap();
    let anchors = trust_x509::AnchorLookup::new(
        TrustAnchors::from_pem(&pem).unwrap(),
        trust_x509::Policy::any_eku(),
    );
    let verifier = Verifier::new(&anchors, &[Algorithm::Es256], KeyBinding::forbidden());
    let good = issue(
        "x5c_leaf.pk8",
        Some(vec![data("x5c_leaf.der"), data("x5c_inter.der")]),
    );
    assert!(verifier.verify(&good, UnixTime::from_secs(NOW)).is_ok());
    let other = issue("x5c_other_leaf.pk8", Some(vec![data("x5c_other_leaf.der")]));
    assert_eq!(
        verifier
            .verify(&other, UnixTime::from_secs(NOW))
            .unwrap_err(),
        Error::X509(trust_x509::Error::UnknownIssuer {
            cert: CertRef::Chain(0)
        })
    );
    assert_eq!(
        verifier
            .verify(&issue("x5c_leaf.pk8", None), UnixTime::from_secs(NOW))
            .unwrap_err(),
        Error::IssuerKey {
            reason: "no x5c certificate chain".into()
        }
    );
}
