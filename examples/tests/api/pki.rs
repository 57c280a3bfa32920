//! The generated demo PKI passes trust-x509's profiles (no HTTP).

use examples::pki::{DemoCa, LeafKind};
use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use trust_x509::{CertRef, Error, KeyPurpose, Policy, TrustAnchors, validate_chain};

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://issuer.example/tenant";

fn document_signer() -> LeafKind {
    LeafKind::DocumentSigner {
        issuer: ISSUER.into(),
    }
}

fn key() -> LocalSigner {
    LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap()
}

#[test]
fn every_leaf_kind_validates_under_its_profile() {
    let now = UnixTime::from_secs(NOW);
    let ca = DemoCa::generate("Demo CA", now).unwrap();
    let anchors = TrustAnchors::from_pem(ca.root_pem()).unwrap();
    let signer = key();
    let cases = [
        (
            LeafKind::CredentialIssuer {
                issuer: "http://127.0.0.1:8080".into(),
            },
            Policy::any_eku(),
        ),
        (LeafKind::Attester, Policy::attester()),
        (document_signer(), Policy::mdoc_document_signer()),
    ];
    for (kind, policy) in cases {
        let chain = ca.issue("Leaf", &signer.public_jwk(), &kind, now).unwrap();
        assert_eq!(chain.len(), 1, "{kind:?}: the root is not in the chain");
        let validated = validate_chain(&chain, &anchors, now, &policy).unwrap();
        assert_eq!(
            validated.public_key(),
            signer.public_jwk().key(),
            "{kind:?}"
        );
        assert_eq!(validated.path().last().unwrap(), ca.root_der());
    }
}

#[test]
fn profiles_refuse_the_wrong_leaf_kind_another_ca_and_expiry() {
    let now = UnixTime::from_secs(NOW);
    let ca = DemoCa::generate("Demo CA", now).unwrap();
    let other = DemoCa::generate("Other CA", now).unwrap();
    let anchors = TrustAnchors::from_pem(ca.root_pem()).unwrap();
    let signer = key();
    let attester = ca
        .issue("Attester", &signer.public_jwk(), &LeafKind::Attester, now)
        .unwrap();
    // An attester certificate is no Document Signer: it lacks the ISO EKU.
    assert_eq!(
        validate_chain(&attester, &anchors, now, &Policy::mdoc_document_signer()).unwrap_err(),
        Error::LeafEkuMissing {
            required: KeyPurpose::MDOC_DS
        }
    );
    assert_eq!(
        validate_chain(
            &attester,
            &anchors,
            now,
            &Policy::leaf_eku(KeyPurpose::CLIENT_AUTH)
        )
        .unwrap_err(),
        Error::LeafEkuMissing {
            required: KeyPurpose::CLIENT_AUTH
        }
    );
    let foreign = other
        .issue("Attester", &signer.public_jwk(), &LeafKind::Attester, now)
        .unwrap();
    assert_eq!(
        validate_chain(&foreign, &anchors, now, &Policy::attester()).unwrap_err(),
        Error::UnknownIssuer {
            cert: CertRef::Chain(0)
        }
    );
    // Leaves end 450 days after issuance.
    let later = now.saturating_add(450 * 86_400 + 1);
    let expired = validate_chain(&attester, &anchors, later, &Policy::attester()).unwrap_err();
    assert_eq!(expired.cert(), Some(CertRef::Chain(0)));
    assert!(matches!(expired, Error::Expired { .. }), "{expired:?}");
}

#[test]
fn an_es512_signing_key_is_refused_at_start_as_rcgen_cannot_certify_it() {
    let mut config = examples::config::IssuerConfig::default_config();
    config.keystore = None;
    config.signing_key = examples::config::SigningKeyConfig::Generated {
        alg: Algorithm::Es512,
    };
    let clock: std::sync::Arc<dyn examples::clock::Clock> =
        std::sync::Arc::new(examples::clock::ManualClock::new(UnixTime::from_secs(NOW)));
    let err = examples::issuer::IssuerState::new(
        config,
        "http://127.0.0.1:8080".into(),
        examples::keystore::Keystore::new(),
        clock,
    )
    .unwrap_err();
    match err {
        examples::error::DemoError::Config(message) => {
            assert!(message.contains("P-521"), "{message}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// The extensions of a DER certificate: `(OID, critical, value)`.
fn extensions(der: &[u8]) -> Vec<(String, bool, Vec<u8>)> {
    let cert = <x509_cert::Certificate as der::Decode>::from_der(der).unwrap();
    cert.tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e.extn_id.to_string(),
                e.critical,
                e.extn_value.as_bytes().to_vec(),
            )
        })
        .collect()
}

/// Whether `der` is the DER that RustCrypto's encoder writes for the value it holds: no
/// DEFAULT value encoded (X.690 §11.5), no indefinite or long-form lengths.
fn canonical<T: der::DecodeOwned + der::Encode>(der: &[u8]) -> bool {
    T::from_der(der).is_ok_and(|value| der::Encode::to_der(&value).is_ok_and(|again| again == der))
}

/// Every certificate of the demo PKI is DER that strict parsers take (Python's `cryptography`
/// refuses a leaf whose BasicConstraints spells out `cA FALSE`, a DEFAULT value): each root and
/// each kind of leaf re-encodes to the same bytes, so does its BasicConstraints, and a leaf has
/// none (RFC 5280 §4.2.1.9: an end entity may omit it) but keeps its SubjectKeyIdentifier.
#[test]
fn every_certificate_is_canonical_der() {
    let now = UnixTime::from_secs(NOW);
    let ca = DemoCa::generate("Demo CA", now).unwrap();
    let signer = key();
    let kinds = [
        LeafKind::CredentialIssuer {
            issuer: ISSUER.into(),
        },
        LeafKind::Attester,
        document_signer(),
    ];
    let mut certificates = vec![(String::from("root"), ca.root_der().to_vec())];
    for kind in kinds {
        let chain = ca.issue("Leaf", &signer.public_jwk(), &kind, now).unwrap();
        certificates.push((format!("{kind:?}"), chain[0].clone()));
    }
    for (what, der) in certificates {
        assert!(canonical::<x509_cert::Certificate>(&der), "{what}");
        let basic = extensions(&der)
            .into_iter()
            .find(|(oid, ..)| oid == "2.5.29.19");
        match (what.as_str(), basic) {
            ("root", Some((_, critical, value))) => {
                assert!(critical, "{what}: BasicConstraints is critical");
                assert!(
                    canonical::<x509_cert::ext::pkix::BasicConstraints>(&value),
                    "{what}: {value:02x?}"
                );
            }
            ("root", None) => panic!("the root has no BasicConstraints"),
            (_, Some((_, _, value))) => panic!("{what} has BasicConstraints {value:02x?}"),
            (_, None) => {
                // One SubjectKeyIdentifier, not critical: the SHA-1 of the key.
                let ids: Vec<_> = extensions(&der)
                    .into_iter()
                    .filter(|(oid, ..)| oid == "2.5.29.14")
                    .collect();
                let jose_core::PublicKey::Ec { point, .. } = signer.public_jwk().key().clone()
                else {
                    panic!("an EC key");
                };
                let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &point);
                assert_eq!(
                    ids,
                    [(
                        "2.5.29.14".to_owned(),
                        false,
                        [&[0x04, 20][..], sha1.as_ref()].concat()
                    )],
                    "{what}"
                );
            }
        }
    }
}

fn serial(der: &[u8]) -> Vec<u8> {
    let cert = <x509_cert::Certificate as der::Decode>::from_der(der).unwrap();
    cert.tbs_certificate().serial_number().as_bytes().to_vec()
}

/// The raw public key of a certificate.
fn public_key(der: &[u8]) -> Vec<u8> {
    let cert = <x509_cert::Certificate as der::Decode>::from_der(der).unwrap();
    cert.tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
        .to_vec()
}

fn sha1(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

/// The extension `oid` of `found`, which must be there and not critical.
fn non_critical<'a>(found: &'a [(String, bool, Vec<u8>)], oid: &str) -> &'a [u8] {
    let (_, critical, value) = found
        .iter()
        .find(|(id, ..)| id == oid)
        .unwrap_or_else(|| panic!("no extension {oid}"));
    assert!(!critical, "{oid} is not critical");
    value
}

/// `SEQUENCE { [6] uri }`: GeneralNames of one URI.
fn uri_names(uri: &str) -> Vec<u8> {
    let mut name = vec![0x86, u8::try_from(uri.len()).unwrap()];
    name.extend_from_slice(uri.as_bytes());
    let mut names = vec![0x30, u8::try_from(name.len()).unwrap()];
    names.extend(name);
    names
}

/// ISO 18013-5 Annex B.1.2 and B.1.4: the IACA and the Document Signer carry the
/// issuerAltName (the same one) and a CRL distribution point naming the issuer's CRL; the
/// IACA's SubjectKeyIdentifier is the SHA-1 of its key (RFC 5280 method 1), which the
/// Document Signer's AuthorityKeyIdentifier names. What isomdl's mDL ruleset checks.
#[test]
fn the_iaca_names_its_issuer_and_crl_as_iso_asks() {
    let now = UnixTime::from_secs(NOW);
    let iaca = DemoCa::generate_iaca("Demo IACA", ISSUER, now).unwrap();
    let chain = iaca
        .issue("DS", &key().public_jwk(), &document_signer(), now)
        .unwrap();
    let (root, leaf) = (extensions(iaca.root_der()), extensions(&chain[0]));
    let crl_url = format!("{ISSUER}/iaca.crl");
    for found in [&root, &leaf] {
        assert_eq!(non_critical(found, "2.5.29.18"), uri_names(ISSUER));
        let points = non_critical(found, "2.5.29.31");
        assert!(
            points
                .windows(crl_url.len())
                .any(|w| w == crl_url.as_bytes()),
            "{points:02x?}"
        );
    }
    let key_id = sha1(&public_key(iaca.root_der()));
    assert_eq!(
        non_critical(&root, "2.5.29.14"),
        [&[0x04, 20][..], &key_id].concat()
    );
    // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier }
    assert_eq!(
        non_critical(&leaf, "2.5.29.35"),
        [&[0x30, 22, 0x80, 20][..], &key_id].concat()
    );
    // Restored from its key and root, the IACA issues the same names.
    let restored = DemoCa::restore("Demo IACA", &iaca.key_pkcs8(), iaca.root_pem()).unwrap();
    let again = restored
        .issue(
            "DS",
            &key().public_jwk(),
            &LeafKind::DocumentSigner {
                issuer: "https://moved.example".into(),
            },
            now,
        )
        .unwrap();
    let again = extensions(&again[0]);
    assert_eq!(non_critical(&again, "2.5.29.18"), uri_names(ISSUER));
    assert_eq!(
        non_critical(&again, "2.5.29.35"),
        non_critical(&leaf, "2.5.29.35")
    );
}

/// The IACA's CRL: signed by the IACA's key over its subject, naming its key identifier,
/// listing nothing, valid from now.
#[test]
fn the_iaca_signs_an_empty_crl() {
    let now = UnixTime::from_secs(NOW);
    let iaca = DemoCa::generate_iaca("Demo IACA", ISSUER, now).unwrap();
    let der = iaca.crl(now).unwrap();
    let crl = <x509_cert::crl::CertificateList as der::Decode>::from_der(&der).unwrap();
    let root = <x509_cert::Certificate as der::Decode>::from_der(iaca.root_der()).unwrap();
    assert_eq!(crl.tbs_cert_list.issuer, *root.tbs_certificate().subject());
    assert!(crl.tbs_cert_list.revoked_certificates.is_none());
    assert_eq!(
        crl.tbs_cert_list.this_update.to_unix_duration().as_secs(),
        u64::try_from(NOW).unwrap()
    );
    let aki = crl
        .tbs_cert_list
        .crl_extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.35")
        .unwrap();
    let key_id = sha1(&public_key(iaca.root_der()));
    assert_eq!(
        aki.extn_value.as_bytes(),
        [&[0x30, 22, 0x80, 20][..], &key_id].concat()
    );
    let signed = der::Encode::to_der(&crl.tbs_cert_list).unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_ASN1,
        public_key(iaca.root_der()),
    )
    .verify(&signed, crl.signature.raw_bytes())
    .unwrap();
}

/// ISO 18013-5 Annex B.1.4: the Document Signer's EKU is critical and holds
/// `1.0.18013.5.1.2`, it has no BasicConstraints, and its SubjectKeyIdentifier is the SHA-1 of
/// its key.
#[test]
fn the_document_signer_follows_the_iso_profile() {
    let now = UnixTime::from_secs(NOW);
    let ca = DemoCa::generate("Demo IACA", now).unwrap();
    let signer = key();
    let chain = ca
        .issue("DS", &signer.public_jwk(), &document_signer(), now)
        .unwrap();
    let found = extensions(&chain[0]);
    let eku = found.iter().find(|(oid, ..)| oid == "2.5.29.37").unwrap();
    assert!(eku.1, "the EKU is critical");
    // SEQUENCE { OID 1.0.18013.5.1.2 }
    assert_eq!(
        eku.2,
        [
            &[0x30, 0x09, 0x06, 0x07][..],
            KeyPurpose::MDOC_DS.as_der_contents()
        ]
        .concat()
    );
    assert!(
        !found.iter().any(|(oid, ..)| oid == "2.5.29.19"),
        "no BasicConstraints"
    );
    let jose_core::PublicKey::Ec { point, .. } = signer.public_jwk().key().clone() else {
        panic!("an EC key");
    };
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &point);
    let ski = found.iter().find(|(oid, ..)| oid == "2.5.29.14").unwrap();
    assert!(!ski.1, "the SubjectKeyIdentifier is not critical");
    assert_eq!(ski.2, [&[0x04, 20][..], sha1.as_ref()].concat());
    // Still a Document Signer to trust-x509's ISO profile.
    let anchors = TrustAnchors::from_pem(ca.root_pem()).unwrap();
    validate_chain(&chain, &anchors, now, &Policy::mdoc_document_signer()).unwrap();
}

/// Every certificate gets 16 fresh random bytes as its serial number, positive: two
/// certificates for the same key and name (as at two starts) never share one.
#[test]
fn serial_numbers_are_random_and_never_repeat() {
    let now = UnixTime::from_secs(NOW);
    let ca = DemoCa::generate("Demo CA", now).unwrap();
    let again = DemoCa::generate("Demo CA", now).unwrap();
    let signer = key();
    let mut serials = vec![serial(ca.root_der()), serial(again.root_der())];
    for kind in [LeafKind::Attester, LeafKind::Attester, document_signer()] {
        let chain = ca.issue("Leaf", &signer.public_jwk(), &kind, now).unwrap();
        serials.push(serial(&chain[0]));
    }
    for serial in &serials {
        assert_eq!(serial.len(), 16, "{serial:02x?}");
        assert!(serial[0] & 0x80 == 0 && serial[0] != 0, "{serial:02x?}");
    }
    let mut unique = serials.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), serials.len());
}
