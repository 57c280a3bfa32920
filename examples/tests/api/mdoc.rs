//! Issue 7 in the demo: the `mso_mdoc` mDL configuration, issued over HTTP, verified by the
//! wallet against the served IACA, and revocable.

use examples::config::{IDENTITY_CONFIGURATION_ID, MDL_CONFIGURATION_ID};
use examples::demo;
use examples::wallet::credential_request_body;
use jose_core::UnixTime;
use mdoc_cbor::{IacaTrust, MDL_DOC_TYPE, MDL_NAME_SPACE, Verifier};
use oid4vci_types::CredentialIssuerMetadata;
use serde_json::json;
use status_list::{Limits, Status, StatusListToken};
use trust_x509::{CertRef, Error as X509Error, Policy, validate_chain};

use crate::common::{START, TestEnv};

#[test]
fn metadata_offers_the_mdl_with_the_cose_algorithm_of_issuer_auth() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let mdl = &info.metadata["credential_configurations_supported"][MDL_CONFIGURATION_ID];
    assert_eq!(mdl["format"], "mso_mdoc");
    assert_eq!(mdl["doctype"], MDL_DOC_TYPE);
    assert_eq!(mdl["credential_signing_alg_values_supported"], json!([-7]));
    assert_eq!(
        mdl["cryptographic_binding_methods_supported"],
        json!(["cose_key"])
    );
    assert!(mdl.get("vct").is_none());
    let parsed = CredentialIssuerMetadata::from_json(info.metadata.to_string().as_bytes()).unwrap();
    parsed.check().unwrap();
}

#[test]
fn mdl_is_issued_bound_to_the_proof_key_and_verifies_to_the_served_iaca() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, _, code) = t.offer_for(MDL_CONFIGURATION_ID, &demo::mdl_claims(), false);
    let tokens = wallet.redeem(&info, &code, None).unwrap();
    let nonce = wallet.nonce(&info).unwrap();
    let holder = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &holder, &nonce).unwrap();
    let reply = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            &credential_request_body(MDL_CONFIGURATION_ID, &[proof]),
        )
        .unwrap()
        .expect("credential", 200)
        .unwrap();
    let credential = reply.body["credentials"][0]["credential"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        credential
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "unpadded base64url"
    );

    // Independently of the wallet: verify against the served IACA root.
    let now = UnixTime::from_secs(START);
    let trust = IacaTrust::new(t.served_roots("mdoc_iaca"));
    let mdoc = Verifier::new(&trust)
        .verify_base64url(&credential, MDL_DOC_TYPE, now)
        .unwrap();
    assert_eq!(&mdoc.device_key, holder.public_jwk().key());
    assert_eq!(mdoc.algorithm.cose_id(), -7);
    assert_eq!(
        Some(mdoc.x5chain.clone()),
        t.env.issuer.mdoc_x5chain(),
        "DS only, no IACA"
    );
    assert_eq!(mdoc.x5chain.len(), 1);
    assert_eq!(mdoc.validity.valid_from, now);
    assert_eq!(
        mdoc.validity.valid_until,
        now.saturating_add(t.env.issuer.config.credential_ttl_seconds)
    );
    let elements = &mdoc.to_json()[MDL_NAME_SPACE];
    assert_eq!(elements["family_name"], "Mustermann");
    assert_eq!(elements["birth_date"], "1984-01-26");
    assert_eq!(elements["age_over_18"], true);
    assert_eq!(elements["issuing_country"], "DE");
    // Every mandatory element of ISO 18013-5 §7.2.1 (Table 5), the portrait a JPEG byte
    // string.
    let issued = &mdoc.name_spaces[MDL_NAME_SPACE];
    for mandatory in [
        "family_name",
        "given_name",
        "birth_date",
        "issue_date",
        "expiry_date",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "portrait",
        "driving_privileges",
        "un_distinguishing_sign",
    ] {
        assert!(issued.contains_key(mandatory), "{mandatory} is missing");
    }
    let Some(mdoc_cbor::ElementValue::Bytes(portrait)) = issued.get("portrait") else {
        panic!("the portrait is a byte string")
    };
    assert!(portrait.starts_with(&[0xFF, 0xD8, 0xFF]) && portrait.ends_with(&[0xFF, 0xD9]));
    let status = mdoc.status.clone().unwrap();
    assert!(
        status
            .uri
            .starts_with(&format!("{}/status-lists/", t.env.issuer_url))
    );
    // The credential issuer CA is not an IACA for this Document Signer.
    let wrong = IacaTrust::new(t.served_roots("credential_issuer"));
    assert_eq!(
        Verifier::new(&wrong)
            .verify_base64url(&credential, MDL_DOC_TYPE, now)
            .unwrap_err(),
        mdoc_cbor::Error::X509(X509Error::UnknownIssuer {
            cert: CertRef::Chain(0)
        })
    );

    // The wallet's own verification.
    let verified = wallet
        .verify_mdoc(&info, &credential, MDL_DOC_TYPE)
        .unwrap();
    assert_eq!(verified.format, "mso_mdoc");
    assert_eq!(verified.credential_type, MDL_DOC_TYPE);
    assert_eq!(verified.claims[MDL_NAME_SPACE]["given_name"], "Erika");
    assert!(verified.holder_key.same_key(&holder.public_jwk()));
    assert_eq!(verified.status_idx, status.idx);
    assert_eq!(verified.status, Status::VALID);

    // An ISO 18013-5 reader asks for the mdoc's list as a CWT (Token Status List §11.3): it is
    // signed by the Document Signer, whose x5chain validates to the IACA, not to the
    // credential issuer root. The mdoc names the list's CWT URI, where the CWT is also the
    // answer without Accept (§8.1); the SD-JWT VCs' URI of the same list answers the JWT.
    assert!(status.uri.ends_with("/cwt"), "{}", status.uri);
    let cwt_type = "application/statuslist+cwt";
    let (code, content_type, cwt) = wallet
        .http
        .get_bytes("status list", &status.uri, &[("Accept", cwt_type)])
        .unwrap();
    assert_eq!((code, content_type.as_deref()), (200, Some(cwt_type)));
    let chain = StatusListToken::cwt_x5chain(&cwt, &Limits::default()).unwrap();
    let iaca = t.served_roots("mdoc_iaca");
    validate_chain(&chain, &iaca, now, &Policy::mdoc_document_signer()).unwrap();
    let issuer_roots = t.served_roots("credential_issuer");
    assert!(validate_chain(&chain, &issuer_roots, now, &Policy::any_eku()).is_err());
    // The Document Signer names where its IACA's CRL is (ISO 18013-5 Annex B.1.4), and the
    // issuer serves it there: DER, issued by the IACA.
    let crl_url = format!("{}/iaca.crl", t.env.issuer_url.trim_end_matches('/'));
    assert!(
        chain[0]
            .windows(crl_url.len())
            .any(|w| w == crl_url.as_bytes()),
        "the CRL distribution point is {crl_url}"
    );
    let (code, content_type, crl) = wallet.http.get_bytes("CRL", &crl_url, &[]).unwrap();
    assert_eq!(
        (code, content_type.as_deref()),
        (200, Some("application/pkix-crl"))
    );
    let crl = <x509_cert::crl::CertificateList as der::Decode>::from_der(&crl).unwrap();
    let signer = <x509_cert::Certificate as der::Decode>::from_der(&chain[0]).unwrap();
    assert_eq!(crl.tbs_cert_list.issuer, *signer.tbs_certificate().issuer());
    assert!(crl.tbs_cert_list.revoked_certificates.is_none());
    let (code, content_type, default) = wallet
        .http
        .get_bytes("status list", &status.uri, &[])
        .unwrap();
    assert_eq!((code, content_type.as_deref()), (200, Some(cwt_type)));
    assert_eq!(default, cwt, "the one signed token of this list and URI");
    let jwt_uri = status.uri.strip_suffix("/cwt").unwrap();
    let jwt = wallet.http.get("status list", jwt_uri).unwrap();
    assert_eq!(
        jwt.header("content-type"),
        Some("application/statuslist+jwt")
    );
    assert_eq!(jwt.header("vary"), Some("accept"));
    assert_eq!(jwt.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn mdl_through_the_whole_flow_then_revoked_reads_invalid() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, tx, _) = t.offer_for(MDL_CONFIGURATION_ID, &demo::mdl_claims(), true);
    let outcome = wallet.run_offer(&uri, tx.as_deref(), 2).unwrap();
    assert_eq!(outcome.credentials.len(), 2);
    let first = &outcome.credentials[0];
    assert_eq!(first.format, "mso_mdoc");
    assert_eq!(first.status, Status::VALID);
    assert_ne!(first.status_idx, outcome.credentials[1].status_idx);
    let listed = t.env.issuer.engine.stores().registry.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|c| c.configuration_id == MDL_CONFIGURATION_ID)
    );

    let revoked = wallet
        .http
        .post_json(
            "revoke",
            &format!("{}/admin/revoke", t.env.issuer_url),
            &json!({"status_list": {"uri": first.status_uri, "idx": first.status_idx}}),
            &[],
        )
        .unwrap()
        .expect("revoke", 200)
        .unwrap();
    assert_eq!(revoked.body["status"], "INVALID");
    let again = wallet
        .verify_mdoc(&outcome.info, &first.compact, MDL_DOC_TYPE)
        .unwrap();
    assert_eq!(again.status, Status::INVALID);
    let other = wallet
        .verify_mdoc(&outcome.info, &outcome.credentials[1].compact, MDL_DOC_TYPE)
        .unwrap();
    assert_eq!(other.status, Status::VALID);
}

/// An operator's offer without `claims` carries the demo user's, as a sign-in would give them:
/// the mDL's own elements, and the SD-JWT VC's claims. With empty `claims` an mDL offer is
/// refused before any wallet sees it (an mdoc needs an element; third-party readers refuse
/// one without).
#[test]
fn an_offer_without_claims_carries_the_demo_users() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let mdl = t
        .admin_offer(&json!({"credential_configuration_id": MDL_CONFIGURATION_ID}))
        .expect("offer", 201)
        .unwrap();
    let outcome = wallet
        .run_offer(mdl.str("offer_uri").unwrap(), None, 1)
        .unwrap();
    let elements = &outcome.credentials[0].claims[MDL_NAME_SPACE];
    let demo_user = demo::mdl_claims();
    assert_eq!(elements["family_name"], demo_user["family_name"]);
    assert_eq!(
        elements.as_object().unwrap().len(),
        demo_user.as_object().unwrap().len()
    );

    let identity = t
        .admin_offer(&json!({"credential_configuration_id": IDENTITY_CONFIGURATION_ID}))
        .expect("offer", 201)
        .unwrap();
    let outcome = wallet
        .run_offer(identity.str("offer_uri").unwrap(), None, 1)
        .unwrap();
    assert_eq!(outcome.credentials[0].claims["family_name"], "Mustermann");

    let refused =
        t.admin_offer(&json!({"credential_configuration_id": MDL_CONFIGURATION_ID, "claims": {}}));
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"], "invalid_request");
}

#[test]
fn mdl_past_valid_until_is_refused_by_the_wallet() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, _, _) = t.offer_for(MDL_CONFIGURATION_ID, &demo::mdl_claims(), false);
    let outcome = wallet.run_offer(&uri, None, 1).unwrap();
    t.clock
        .advance(t.env.issuer.config.credential_ttl_seconds + 301);
    let err = wallet
        .verify_mdoc(&outcome.info, &outcome.credentials[0].compact, MDL_DOC_TYPE)
        .unwrap_err()
        .to_string();
    assert!(err.contains("mdoc: MSO expired at"), "{err}");
}

/// Claims no credential could carry are refused when the offer is made, naming the claim,
/// not at the credential request after the wallet's whole flow: a date element that is not a
/// full-date in an mDL, a claim the SD-JWT VC sets itself in an identity credential.
#[test]
fn an_offer_with_claims_no_credential_could_carry_is_refused() {
    let t = TestEnv::start();
    let cases = [
        (
            MDL_CONFIGURATION_ID,
            json!({"family_name": "Mustermann", "birth_date": "26.01.1984"}),
            "the claims cannot be issued as mDL: invalid data element 'birth_date': expected YYYY-MM-DD",
        ),
        (
            IDENTITY_CONFIGURATION_ID,
            json!({"given_name": "Erika", "vct": "urn:example:other"}),
            "the claims cannot be issued as IdentityCredential: claim 'vct' is reserved here and cannot be set directly",
        ),
    ];
    for (configuration_id, claims, description) in cases {
        let refused = t.admin_offer(
            &json!({"credential_configuration_id": configuration_id, "claims": claims}),
        );
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.error_code(), Some("invalid_request"));
        assert_eq!(refused.str("error_description"), Some(description));
    }
    assert!(
        t.env
            .issuer
            .engine
            .stores()
            .registry
            .list()
            .unwrap()
            .is_empty()
    );
}
