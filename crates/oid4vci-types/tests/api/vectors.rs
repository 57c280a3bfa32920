//! Harness over `shared/vectors/openid4vci/` and `shared/vectors/openid4vc-haip/`: every file
//! listed in their INDEX.json is classified below; a file missing from the table fails the
//! test. JSON examples must parse into the right type and serialize back to semantically
//! equal JSON (`serde_json::Value` equality).

use std::path::PathBuf;

use oid4vci_types::{
    AuthorizationDetail, CredentialConfiguration, CredentialIssuerMetadata, CredentialOffer,
    CredentialRequest, CredentialResponse, CredentialTarget, Error, JwkSet, MessageKind,
    ParseOptions, Proofs, SignedMetadataClaims,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

fn read(dir: &str, file: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(dir).join(file)).unwrap()
}

/// Drops an HTTP status line and headers (the `.txt` examples are whole HTTP responses).
fn strip_http(text: &str) -> &str {
    if !text.trim_start().starts_with("HTTP/") {
        return text;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim().is_empty() && offset > text.find("HTTP/").unwrap() + 5 {
            return &text[offset..];
        }
    }
    ""
}

/// Joins string literals that the spec wrapped over several lines for display: inside a JSON
/// string, a line break and the indentation after it are removed.
fn join_wrapped_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut skipping) = (false, false, false);
    for c in text.chars() {
        if skipping {
            if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
                continue;
            }
            skipping = false;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if c == '\n' || c == '\r' {
                skipping = true;
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).unwrap());
        }
    }
    out
}

fn as_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// What a vector file is expected to do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A JSON array of authorization details, strict 1.0.
    AuthorizationDetails,
    /// A full Credential Issuer Metadata document.
    IssuerMetadata,
    /// A signed metadata JWT (line-wrapped compact form).
    SignedMetadata,
    /// `{"credential_configurations_supported": {...}}` fragment.
    ConfigurationsFragment,
    /// A credential offer object (possibly inside an HTTP response).
    Offer,
    /// A credential response (HTTP response; strings possibly line-wrapped).
    CredentialResponse,
    /// OID4VCI 1.0 example that still uses the draft-13 `format` + `doctype` request shape.
    Draft13CredentialRequest,
    /// `{"jwks": {...}}` with a line-wrapped `kid` (not valid JSON as published).
    WrappedJwks,
    /// HAIP pre-final authorization details with `format` + `vct`.
    HaipDraftAuthorizationDetails,
    /// HAIP pre-final configuration (`vc+sd-jwt`, claims map, top-level display).
    HaipDraftConfiguration,
    /// HAIP pre-final offer with `credentials` instead of `credential_configuration_ids`.
    HaipDraftOffer,
    /// HAIP pre-final credential request: `proof` object, `format` + `vct`, wrapped JWT.
    HaipDraftCredentialRequest,
    /// Not an OpenID4VCI message; skipped with the reason given.
    NotOurs(&'static str),
}

/// The classification table. Skips and repairs are stated here and in the README.
const CASES: &[(&str, &str, Expect)] = &[
    (
        "openid4vci",
        "authorization_details.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_jwt_vc_json.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_ldp_vc.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_mso_doc.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_multiple_credentials.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_sd_jwt_vc.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "authorization_details_with_as.json",
        Expect::AuthorizationDetails,
    ),
    (
        "openid4vci",
        "credential_issuer_metadata_sd_jwt_jwt.txt",
        Expect::SignedMetadata,
    ),
    (
        "openid4vci",
        "credential_issuer_metadata_sd_jwt_long.json",
        Expect::IssuerMetadata,
    ),
    (
        "openid4vci",
        "credential_metadata_jwt_vc_json.json",
        Expect::ConfigurationsFragment,
    ),
    (
        "openid4vci",
        "credential_metadata_ldp_vc.json",
        Expect::ConfigurationsFragment,
    ),
    (
        "openid4vci",
        "credential_metadata_mso_mdoc.json",
        Expect::ConfigurationsFragment,
    ),
    (
        "openid4vci",
        "credential_metadata_sd_jwt_vc.json",
        Expect::ConfigurationsFragment,
    ),
    (
        "openid4vci",
        "credential_offer_authz_code.txt",
        Expect::Offer,
    ),
    (
        "openid4vci",
        "credential_offer_by_reference.json",
        Expect::Offer,
    ),
    (
        "openid4vci",
        "credential_offer_multiple_credentials.json",
        Expect::Offer,
    ),
    (
        "openid4vci",
        "credential_offer_pre-authz_code.json",
        Expect::Offer,
    ),
    (
        "openid4vci",
        "credential_request_iso_mdl.json",
        Expect::Draft13CredentialRequest,
    ),
    (
        "openid4vci",
        "credential_response_jwt_vc_json.txt",
        Expect::CredentialResponse,
    ),
    (
        "openid4vci",
        "credential_response_ldp_vc.txt",
        Expect::CredentialResponse,
    ),
    (
        "openid4vci",
        "credential_response_mso_mdoc.txt",
        Expect::CredentialResponse,
    ),
    (
        "openid4vci",
        "credential_response_sd_jwt_vc.txt",
        Expect::CredentialResponse,
    ),
    ("openid4vci", "issuer_jwks.json", Expect::WrappedJwks),
    (
        "openid4vci",
        "wallet_attestation.jwt.txt",
        Expect::NotOurs("an ABCA client attestation JWT: tested by attestation-jwt"),
    ),
    (
        "openid4vc-haip",
        "authorization_details_sd_jwt_vc.json",
        Expect::HaipDraftAuthorizationDetails,
    ),
    (
        "openid4vc-haip",
        "client_metadata_sd_jwt_vc.json",
        Expect::NotOurs("OpenID4VP verifier metadata, not an OpenID4VCI message"),
    ),
    (
        "openid4vc-haip",
        "credential_metadata_sd_jwt_vc.json",
        Expect::HaipDraftConfiguration,
    ),
    (
        "openid4vc-haip",
        "credential_offer_sd_jwt_vc.json",
        Expect::HaipDraftOffer,
    ),
    (
        "openid4vc-haip",
        "credential_request_sd_jwt_vc.json",
        Expect::HaipDraftCredentialRequest,
    ),
    (
        "openid4vc-haip",
        "presentation_definition_sd_jwt_vc.json",
        Expect::NotOurs("DIF Presentation Exchange definition (OpenID4VP), not OpenID4VCI"),
    ),
];

fn index_files(dir: &str) -> Vec<String> {
    let index = as_value(&read(dir, "INDEX.json"));
    let mut files: Vec<String> = index["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    files.sort();
    files
}

#[test]
fn every_indexed_file_is_classified() {
    for dir in ["openid4vci", "openid4vc-haip"] {
        for file in index_files(dir) {
            assert!(
                CASES.iter().any(|(d, f, _)| *d == dir && *f == file),
                "{dir}/{file} is not classified"
            );
        }
    }
    assert_eq!(
        CASES.len(),
        index_files("openid4vci").len() + index_files("openid4vc-haip").len()
    );
}

#[test]
fn vectors_parse_and_round_trip() {
    let mut checked = 0;
    for (dir, file, expect) in CASES {
        let raw = read(dir, file);
        run_case(dir, file, *expect, &raw);
        checked += 1;
    }
    assert_eq!(checked, 30);
}

fn run_case(dir: &str, file: &str, expect: Expect, raw: &str) {
    let ctx = format!("{dir}/{file}");
    match expect {
        Expect::AuthorizationDetails => {
            let parsed = AuthorizationDetail::parse_list(raw.as_bytes(), &ParseOptions::strict())
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert!(
                parsed
                    .iter()
                    .all(|d| d.credential_configuration_id.is_some()),
                "{ctx}"
            );
            assert_eq!(
                serde_json::to_value(&parsed).unwrap(),
                as_value(raw),
                "{ctx}"
            );
        }
        Expect::IssuerMetadata => {
            let meta = CredentialIssuerMetadata::from_json(raw.as_bytes()).unwrap();
            assert_eq!(meta.max_proofs(), 10);
            assert_eq!(
                meta.credential_request_encryption
                    .as_ref()
                    .unwrap()
                    .jwks
                    .keys
                    .len(),
                1
            );
            assert_eq!(meta.to_value(), as_value(raw), "{ctx}");
        }
        Expect::SignedMetadata => {
            let compact: String = raw.split_whitespace().collect();
            let index = as_value(&read(dir, "INDEX.json"));
            assert_eq!(
                compact,
                index["files"][file]["unwrapped_compact"].as_str().unwrap()
            );
            let payload = b64url_decode(compact.split('.').nth(1).unwrap());
            let claims: serde_json::Map<String, Value> = serde_json::from_slice(&payload).unwrap();
            let signed = SignedMetadataClaims::from_claims(claims.clone()).unwrap();
            assert_eq!(signed.iat, 1_516_239_022);
            assert_eq!(signed.sub, signed.metadata.credential_issuer);
            assert_eq!(
                serde_json::to_value(&signed).unwrap(),
                Value::Object(claims),
                "{ctx}"
            );
        }
        Expect::ConfigurationsFragment => {
            let value = as_value(raw);
            let configs: std::collections::BTreeMap<String, CredentialConfiguration> =
                serde_json::from_value(value["credential_configurations_supported"].clone())
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(configs.len(), 1);
            for (id, config) in &configs {
                config.check(id).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert!(
                    config.extra.is_empty(),
                    "{ctx}: unexpected extra {:?}",
                    config.extra
                );
            }
            let back = serde_json::json!({ "credential_configurations_supported": configs });
            assert_eq!(back, value, "{ctx}");
        }
        Expect::Offer => {
            let body = strip_http(raw);
            let offer = CredentialOffer::from_json(body.as_bytes())
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(offer.to_value(), as_value(body), "{ctx}");
        }
        Expect::CredentialResponse => {
            let body = join_wrapped_strings(strip_http(raw));
            let resp = CredentialResponse::parse(body.as_bytes(), &ParseOptions::strict())
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(resp.http_status(), 200);
            assert_eq!(resp.to_value(), as_value(&body), "{ctx}");
            let index = as_value(&read(dir, "INDEX.json"));
            if let Some(want) = index["files"][file]["unwrapped_credential"].as_str() {
                let CredentialResponse::Issued(issued) = &resp else {
                    panic!()
                };
                assert_eq!(issued.credentials[0].credential, Value::String(want.into()));
            }
        }
        Expect::Draft13CredentialRequest => {
            assert_eq!(
                CredentialRequest::parse(raw.as_bytes(), &ParseOptions::strict()).unwrap_err(),
                Error::Draft13Shape {
                    message: MessageKind::CredentialRequest,
                    member: "format"
                }
            );
            let req = CredentialRequest::parse(raw.as_bytes(), &ParseOptions::draft13_compatible())
                .unwrap();
            let CredentialTarget::Draft13Format { format, details } = &req.target else {
                panic!()
            };
            assert_eq!(format, "mso_mdoc");
            assert_eq!(details["doctype"], "org.iso.18013.5.1.mDL");
            assert!(matches!(&req.proofs, Some(Proofs::Jwt(v)) if v.len() == 1));
            assert_eq!(req.to_value(), as_value(raw), "{ctx}");
        }
        Expect::WrappedJwks => {
            assert!(
                serde_json::from_str::<Value>(raw).is_err(),
                "{ctx} now parses as published"
            );
            let repaired = join_wrapped_strings(raw);
            let value = as_value(&repaired);
            let jwks: JwkSet = serde_json::from_value(value["jwks"].clone()).unwrap();
            assert_eq!(
                jwks.keys[0]["kid"],
                "urn:ietf:params:oauth:jwk-thumbprint:sha-256:mlUpog7vEewFBem6Ul09c2dtTwc8dFzVpIDX3sqGWW0"
            );
            assert_eq!(serde_json::json!({ "jwks": jwks }), value);
        }
        Expect::HaipDraftAuthorizationDetails => {
            assert_eq!(
                AuthorizationDetail::parse_list(raw.as_bytes(), &ParseOptions::strict())
                    .unwrap_err(),
                Error::Draft13Shape {
                    message: MessageKind::AuthorizationDetails,
                    member: "format"
                }
            );
            let parsed = AuthorizationDetail::parse_list(
                raw.as_bytes(),
                &ParseOptions::draft13_compatible(),
            )
            .unwrap();
            assert_eq!(parsed[0].extra["vct"], "IdentityCredential");
            assert_eq!(
                serde_json::to_value(&parsed).unwrap(),
                as_value(raw),
                "{ctx}"
            );
        }
        Expect::HaipDraftConfiguration => {
            let config: CredentialConfiguration = serde_json::from_str(raw).unwrap();
            config.check("IdentityCredential").unwrap();
            let mut legacy: Vec<&str> = config.extra.keys().map(String::as_str).collect();
            legacy.sort_unstable();
            assert_eq!(
                legacy,
                ["claims", "cryptographic_suites_supported", "display"]
            );
            assert_eq!(
                serde_json::to_value(&config).unwrap(),
                as_value(raw),
                "{ctx}"
            );
        }
        Expect::HaipDraftOffer => {
            assert_eq!(
                CredentialOffer::from_json(raw.as_bytes()).unwrap_err(),
                Error::MissingMember {
                    message: MessageKind::CredentialOffer,
                    member: "credential_configuration_ids".into()
                }
            );
        }
        Expect::HaipDraftCredentialRequest => {
            assert!(
                serde_json::from_str::<Value>(raw).is_err(),
                "{ctx} now parses as published"
            );
            let repaired = join_wrapped_strings(raw);
            assert_eq!(
                CredentialRequest::parse(repaired.as_bytes(), &ParseOptions::strict()).unwrap_err(),
                Error::Draft13Shape {
                    message: MessageKind::CredentialRequest,
                    member: "format"
                }
            );
            let req =
                CredentialRequest::parse(repaired.as_bytes(), &ParseOptions::draft13_compatible())
                    .unwrap();
            let original = as_value(&repaired);
            let jwt = original["proof"]["jwt"].as_str().unwrap();
            assert_eq!(req.proofs, Some(Proofs::Jwt(vec![jwt.into()])));
            let expected = serde_json::json!({
                "format": "vc+sd-jwt",
                "vct": "IdentityCredential",
                "proofs": { "jwt": [jwt] }
            });
            assert_eq!(
                req.to_value(),
                expected,
                "{ctx}: converted to the 1.0 proofs shape"
            );
        }
        Expect::NotOurs(reason) => {
            assert!(!reason.is_empty());
            assert!(serde_json::from_str::<Value>(raw).is_ok() || file.ends_with(".txt"));
        }
    }
}

#[test]
fn offer_by_reference_file_has_empty_tx_code_object() {
    let offer = CredentialOffer::from_json(
        read("openid4vci", "credential_offer_by_reference.json").as_bytes(),
    )
    .unwrap();
    let tx = offer
        .pre_authorized_code_grant()
        .unwrap()
        .tx_code
        .as_ref()
        .unwrap();
    assert_eq!(
        (tx.input_mode, tx.length, tx.description.as_deref()),
        (None, None, None)
    );
}
