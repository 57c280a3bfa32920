//! Token requests (form bodies), token responses and the nonce response.

use oid4vci_types::{
    Error, MessageKind, NonceResponse, ParseOptions, TokenGrant, TokenRequest, TokenResponse,
    TokenType,
};
use serde_json::json;

const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9qZHHf1-Y3fL9a-yFkUvE0u_4uS3hvnJQ";

#[test]
fn pre_authorized_code_with_tx_code() {
    // OpenID4VCI 1.0 §6.1 example.
    let body = b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=SplxlOBeZQQYbYS6WxSbIA&tx_code=493536";
    let req = TokenRequest::parse_form(body).unwrap();
    assert_eq!(
        req.grant,
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code: "SplxlOBeZQQYbYS6WxSbIA".into(),
            tx_code: Some("493536".into())
        }
    );
    assert_eq!(req.client_id, None);
    assert_eq!(
        TokenRequest::parse_form(req.to_form().as_bytes()).unwrap(),
        req
    );
    let debug = format!("{req:?}");
    assert!(
        !debug.contains("SplxlOBeZQQYbYS6WxSbIA") && !debug.contains("493536"),
        "{debug}"
    );
}

#[test]
fn authorization_code_with_pkce_and_details() {
    let details = r#"[{"type":"openid_credential","credential_configuration_id":"UniversityDegreeCredential"}]"#;
    let mut body =
        String::from("grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=");
    body.push_str(VERIFIER);
    body.push_str("&redirect_uri=https%3A%2F%2Fwallet.example.org%2Fcb&client_id=s6BhdRkqt3");
    body.push_str("&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJ.x.y");
    body.push_str("&authorization_details=");
    body.push_str(
        &details
            .replace('"', "%22")
            .replace('[', "%5B")
            .replace(']', "%5D")
            .replace('{', "%7B")
            .replace('}', "%7D"),
    );
    body.push_str("&resource=https%3A%2F%2Fissuer.example&scope=a+b&unknown=kept&empty=");
    let req = TokenRequest::parse_form(body.as_bytes()).unwrap();
    assert_eq!(
        req.grant,
        TokenGrant::AuthorizationCode {
            code: "SplxlOBeZQQYbYS6WxSbIA".into(),
            redirect_uri: Some("https://wallet.example.org/cb".into()),
            code_verifier: Some(VERIFIER.into()),
        }
    );
    assert_eq!(req.client_id.as_deref(), Some("s6BhdRkqt3"));
    let assertion = req.client_assertion.as_ref().unwrap();
    assert_eq!(
        assertion.assertion_type,
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(assertion.assertion, "eyJ.x.y");
    let details = req.authorization_details.as_ref().unwrap();
    assert_eq!(
        details[0].credential_configuration_id.as_deref(),
        Some("UniversityDegreeCredential")
    );
    assert_eq!(req.scope.as_deref(), Some("a b"));
    assert_eq!(req.resource.as_deref(), Some("https://issuer.example"));
    // Empty values are treated as omitted (RFC 6749 §3.1); unknown ones are kept.
    assert_eq!(req.extra.len(), 1);
    assert_eq!(req.extra["unknown"], "kept");
    assert_eq!(
        TokenRequest::parse_form(req.to_form().as_bytes()).unwrap(),
        req
    );
}

#[test]
fn refresh_token() {
    let req =
        TokenRequest::parse_form(b"grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA")
            .unwrap();
    assert_eq!(
        req.grant,
        TokenGrant::RefreshToken {
            refresh_token: "tGzv3JOkF0XG5Qx2TlKWIA".into()
        }
    );
    assert_eq!(req.grant.grant_type(), "refresh_token");
}

#[test]
fn token_request_errors() {
    let cases: Vec<(&[u8], Error)> = vec![
        (b"code=x", Error::MissingParameter { name: "grant_type" }),
        (b"grant_type=", Error::MissingParameter { name: "grant_type" }),
        (b"grant_type=password&username=a", Error::UnsupportedGrantType { grant_type: "password".into() }),
        (
            b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code",
            Error::MissingParameter { name: "pre-authorized_code" },
        ),
        (b"grant_type=authorization_code", Error::MissingParameter { name: "code" }),
        (b"grant_type=refresh_token", Error::MissingParameter { name: "refresh_token" }),
        (b"grant_type=authorization_code&code=c&code_verifier=short", Error::InvalidCodeVerifier),
        (
            b"grant_type=refresh_token&refresh_token=r&client_assertion_type=t",
            Error::MissingParameter { name: "client_assertion" },
        ),
        (
            b"grant_type=refresh_token&refresh_token=r&client_assertion=a",
            Error::MissingParameter { name: "client_assertion_type" },
        ),
        (
            b"grant_type=refresh_token&refresh_token=r&refresh_token=s",
            Error::DuplicateParameter { name: "refresh_token".into() },
        ),
        (b"grant_type=refresh_token&refresh_token=%ZZ", Error::InvalidPercentEncoding { position: 39 }),
        (
            b"grant_type=refresh_token&refresh_token=r&authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%7D%5D",
            Error::MissingMember {
                message: MessageKind::AuthorizationDetails,
                member: "credential_configuration_id".into(),
            },
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            TokenRequest::parse_form(body).unwrap_err(),
            want,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let mut bad_char_verifier = VERIFIER.to_owned();
    bad_char_verifier.push('!');
    let body = format!("grant_type=authorization_code&code=c&code_verifier={bad_char_verifier}");
    assert_eq!(
        TokenRequest::parse_form(body.as_bytes()).unwrap_err(),
        Error::InvalidCodeVerifier
    );
    let mut options = ParseOptions::default();
    options.limits.max_form_params = 2;
    assert_eq!(
        TokenRequest::parse_form_with(
            b"grant_type=refresh_token&refresh_token=r&scope=s",
            &options
        )
        .unwrap_err(),
        Error::TooManyParameters { max: 2 }
    );
}

#[test]
fn token_response_shapes() {
    let text = json!({
        "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6Ikp..sHQ",
        "token_type": "DPoP",
        "expires_in": 86400,
        "refresh_token": "r",
        "c_nonce": "draft13-nonce",
        "authorization_details": [{
            "type": "openid_credential",
            "credential_configuration_id": "UniversityDegreeCredential",
            "credential_identifiers": ["CivilEngineeringDegree-2023", "ElectricalEngineeringDegree-2023"]
        }]
    });
    let resp = TokenResponse::from_json(text.to_string().as_bytes()).unwrap();
    assert_eq!(resp.token_type, TokenType::DPoP);
    assert_eq!(resp.expires_in, Some(86400));
    assert_eq!(resp.extra["c_nonce"], "draft13-nonce");
    assert_eq!(resp.to_value(), text);
    let debug = format!("{resp:?}");
    assert!(!debug.contains("eyJhbGci"), "{debug}");

    let lower = TokenResponse::from_json(br#"{"access_token":"a","token_type":"bearer"}"#).unwrap();
    assert_eq!(lower.token_type, TokenType::Bearer);
    assert_eq!(
        lower.to_value(),
        json!({"access_token":"a","token_type":"Bearer"})
    );

    assert!(matches!(
        TokenResponse::from_json(br#"{"access_token":"a","token_type":"mac"}"#).unwrap_err(),
        Error::InvalidMember {
            message: MessageKind::TokenResponse,
            ..
        }
    ));
    assert_eq!(
        TokenResponse::from_json(br#"{"token_type":"Bearer"}"#).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::TokenResponse,
            member: "access_token".into()
        }
    );
    let no_ids = br#"{"access_token":"a","token_type":"Bearer","authorization_details":[{"type":"openid_credential","credential_configuration_id":"x"}]}"#;
    assert_eq!(
        TokenResponse::from_json(no_ids).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::TokenResponse,
            member: "credential_identifiers".into()
        }
    );
    let empty_ids = br#"{"access_token":"a","token_type":"Bearer","authorization_details":[{"type":"openid_credential","credential_configuration_id":"x","credential_identifiers":[]}]}"#;
    assert_eq!(
        TokenResponse::from_json(empty_ids).unwrap_err(),
        Error::EmptyArray {
            message: MessageKind::TokenResponse,
            member: "credential_identifiers"
        }
    );
}

#[test]
fn nonce_response() {
    let resp = NonceResponse::from_json(br#"{"c_nonce":"wKI4LT17ac15ES9bw8ac4"}"#).unwrap();
    assert_eq!(resp.c_nonce, "wKI4LT17ac15ES9bw8ac4");
    assert_eq!(
        serde_json::to_value(NonceResponse::new("n")).unwrap(),
        json!({"c_nonce":"n"})
    );
    assert_eq!(
        NonceResponse::from_json(b"{}").unwrap_err(),
        Error::MissingMember {
            message: MessageKind::NonceResponse,
            member: "c_nonce".into()
        }
    );
}
