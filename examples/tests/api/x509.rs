//! Issue 6 in the demo: `x5c` on SD-JWT VCs and status list tokens (HAIP: no root), served
//! trust anchors, and the `x509-chain` attestation method with the demo attester CA.

use examples::attester::Attester;
use examples::config::IDENTITY_CONFIGURATION_ID;
use examples::demo::{self, DEMO_CLIENT_ID};
use examples::keystore::Keystore;
use examples::pki::{DemoCa, LeafKind};
use examples::wallet::{PRE_AUTHORIZED_GRANT, Reply};
use jose_core::{Algorithm, CompactJws, Limits, PublicJwk, SystemRandom, UnixTime};
use serde_json::json;
use trust_x509::{CertRef, Error as X509Error, Policy, validate_chain};

use crate::common::{START, TestEnv};

#[test]
fn sd_jwt_vc_x5c_leaves_out_the_root_and_validates_to_the_served_root() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (info, tokens) = t.tokens(&wallet);
    let (credentials, _) = wallet
        .request_credentials(&info, &tokens, IDENTITY_CONFIGURATION_ID, 1)
        .unwrap();
    let compact = &credentials[0];
    let jwt = compact.split('~').next().unwrap();
    let jws = CompactJws::parse(jwt, &Limits::default()).unwrap();
    let header = jws.header();
    // kid stays for jwt-vc-issuer metadata; x5c carries the leaf only.
    assert_eq!(header.kid(), Some(t.env.issuer.kid().as_str()));
    let x5c = header.x5c().unwrap();
    assert_eq!(x5c.len(), 1);
    assert_eq!(x5c, t.env.issuer.x5c().as_slice());

    let now = UnixTime::from_secs(START);
    let roots = t.served_roots("credential_issuer");
    let validated = validate_chain(x5c, &roots, now, &Policy::any_eku()).unwrap();
    assert_eq!(validated.path().len(), 2, "leaf + the served root");
    let root = validated.path().last().unwrap();
    assert!(!x5c.contains(root), "the root is not in x5c");
    assert_eq!(
        validated.leaf_subject(),
        "CN=Demo Credential Issuer,O=Demo Credential Issuer (not for production),C=DE"
    );
    // SD-JWT VC: the leaf names the issuer identifier as a SAN URI.
    assert_eq!(
        validated.leaf_san_uris(),
        core::slice::from_ref(&t.env.issuer_url)
    );
    // The jwks key named by kid is the certified key.
    assert_eq!(validated.public_key(), t.env.issuer.signer_jwk().key());
    // The mdoc IACA does not vouch for the credential issuer certificate.
    let iaca = t.served_roots("mdoc_iaca");
    assert_eq!(
        validate_chain(x5c, &iaca, now, &Policy::any_eku()).unwrap_err(),
        X509Error::UnknownIssuer {
            cert: CertRef::Chain(0)
        }
    );

    // The wallet trusts the key through x5c and checks the status list token the same way.
    let verified = wallet.verify_credential(&info, compact).unwrap();
    assert_eq!(
        verified.trusted_by,
        "x5c chain to the credential_issuer root"
    );
    assert_eq!(verified.status, status_list::Status::VALID);
    let token = wallet
        .http
        .get("status", &verified.status_uri)
        .unwrap()
        .body
        .as_str()
        .unwrap()
        .to_owned();
    let key = examples::wallet::jws_x5c_key(&token, &roots, now).unwrap();
    assert!(key.same_key(&t.env.issuer.signer_jwk()));
}

#[test]
fn wallet_refuses_a_credential_when_the_served_root_is_another_ca() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (mut info, tokens) = t.tokens(&wallet);
    let (credentials, _) = wallet
        .request_credentials(&info, &tokens, IDENTITY_CONFIGURATION_ID, 1)
        .unwrap();
    let mut trust = info.trust.clone().unwrap();
    trust.credential_issuer = trust.mdoc_iaca.clone();
    info.trust = Some(trust);
    let err = wallet
        .verify_credential(&info, &credentials[0])
        .unwrap_err()
        .to_string();
    let unknown = X509Error::UnknownIssuer {
        cert: CertRef::Chain(0),
    };
    assert!(
        err.ends_with(&format!("issuer x5c chain: {unknown}")),
        "{err}"
    );
}

fn x509_env() -> (TestEnv, DemoCa) {
    let ca = DemoCa::generate("Test Attester CA", UnixTime::from_secs(START)).unwrap();
    let t = TestEnv::with_attester_ca(
        &ca,
        Some(demo::x509_attestation_config(ca.root_pem())),
        |_| {},
    );
    (t, ca)
}

#[test]
fn x509_chain_accepts_the_demo_attester_ca_and_serves_its_root() {
    let (t, ca) = x509_env();
    assert_eq!(t.served_anchors()["attester"], json!([ca.root_pem()]));
    let wallet = t.wallet();
    let attestation = wallet.attestation().unwrap();
    let jws = CompactJws::parse(attestation, &Limits::default()).unwrap();
    let x5c = jws.header().x5c().unwrap();
    assert_eq!(x5c.len(), 1, "the attester sends its leaf, not the root");
    assert!(
        validate_chain(
            x5c,
            &t.served_roots("attester"),
            UnixTime::from_secs(START),
            &Policy::attester()
        )
        .is_ok()
    );
    let (_, tokens) = t.tokens(&wallet);
    assert_eq!(tokens.token_type, "Bearer");
    assert!(t.env.issuer.lenient_warnings().is_empty());
}

fn rogue_attester(t: &TestEnv, ca: Option<&DemoCa>) -> Attester {
    let mut keystore = Keystore::new();
    keystore
        .generate("rogue", Algorithm::Es256, &SystemRandom::new())
        .unwrap();
    let key = keystore.public_jwk("rogue").unwrap();
    let attester = Attester::new(keystore, "rogue", DEMO_CLIENT_ID, t.clock.clone()).unwrap();
    match ca {
        Some(ca) => {
            let chain = ca
                .issue(
                    "Rogue Attester",
                    &key,
                    &LeafKind::Attester,
                    UnixTime::from_secs(START),
                )
                .unwrap();
            attester.with_x5c(chain)
        }
        None => attester,
    }
}

/// A token request by a fresh wallet presenting `attest(its instance key)`.
fn token_with(t: &TestEnv, attest: impl Fn(&PublicJwk) -> String) -> Reply {
    let mut wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    wallet.set_attestation(Some(attest(&wallet.instance_jwk())));
    let (_, _, code) = t.offer(false);
    let headers = wallet.token_headers(&info).unwrap();
    wallet
        .post_token(
            &info,
            &[
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("pre-authorized_code", code.as_str()),
            ],
            &headers,
        )
        .unwrap()
}

#[test]
fn x509_chain_refuses_an_attestation_from_another_ca_or_without_x5c() {
    let (t, ca) = x509_env();
    let other = DemoCa::generate("Other Attester CA", UnixTime::from_secs(START)).unwrap();
    let reply = token_with(&t, |k| rogue_attester(&t, Some(&other)).attest(k).unwrap());
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("invalid_client"));
    let description = reply.str("error_description").unwrap();
    assert!(
        description.contains("client attestation x5c is not trusted"),
        "{description}"
    );

    // Control: the same kind of attester certified by the trusted CA is accepted.
    let reply = token_with(&t, |k| rogue_attester(&t, Some(&ca)).attest(k).unwrap());
    assert_eq!(reply.status, 200, "{}", reply.body);

    // An attester key named by kid only (no x5c): x509-chain has nothing to validate.
    let reply = token_with(&t, |k| rogue_attester(&t, None).attest(k).unwrap());
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("invalid_client"));
    let description = reply.str("error_description").unwrap();
    assert!(
        description.contains("client attestation carries no x5c"),
        "{description}"
    );
}
