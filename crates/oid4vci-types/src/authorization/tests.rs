use alloc::string::ToString;

use super::*;
use crate::error::MessageKind;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn par(extra: &str) -> Result<PushedAuthorizationRequest, Error> {
    let body = alloc::format!(
        "response_type=code&client_id=wallet&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
         &code_challenge={CHALLENGE}&code_challenge_method=S256&state=xyz{extra}"
    );
    PushedAuthorizationRequest::parse_form(body.as_bytes())
}

#[test]
fn test_rfc7636_appendix_b_s256() {
    assert!(pkce_s256_matches(VERIFIER, CHALLENGE));
    assert!(!pkce_s256_matches(CHALLENGE, CHALLENGE));
    assert!(
        !pkce_s256_matches("short", CHALLENGE),
        "outside the grammar"
    );
    assert!(!pkce_s256_matches(VERIFIER, ""));
}

#[test]
fn a_par_request_with_scope_or_details_parses() {
    let request = par("&scope=pid%20mdl&issuer_state=st").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(request.client_id, "wallet");
    assert_eq!(request.redirect_uri, "https://wallet.example/cb");
    assert_eq!(request.scopes().collect::<Vec<_>>(), ["pid", "mdl"]);
    assert_eq!(request.issuer_state.as_deref(), Some("st"));
    let details = "&authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%2C%22credential_configuration_id%22%3A%22pid%22%7D%5D";
    let request = par(details).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<_> = request
        .authorization_details
        .iter()
        .flatten()
        .filter_map(|d| d.credential_configuration_id.as_deref())
        .collect();
    assert_eq!(ids, ["pid"]);
    let again = PushedAuthorizationRequest::parse_form(request.to_form().as_bytes());
    assert_eq!(again, Ok(request), "to_form round-trips");
}

#[test]
fn bad_par_requests_get_their_exact_errors() {
    assert_eq!(
        par(""),
        Err(Error::MissingParameter {
            name: "authorization_details"
        })
    );
    let plain = alloc::format!(
        "response_type=code&client_id=w&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge={CHALLENGE}&scope=pid"
    );
    assert_eq!(
        PushedAuthorizationRequest::parse_form(plain.as_bytes()),
        Err(Error::UnsupportedCodeChallengeMethod {
            method: "plain".into()
        })
    );
    let token = "response_type=token&client_id=w&redirect_uri=https%3A%2F%2Fw%2Fcb&scope=pid";
    assert_eq!(
        PushedAuthorizationRequest::parse_form(token.as_bytes()),
        Err(Error::UnsupportedResponseType {
            response_type: "token".into()
        })
    );
    let no_pkce = "response_type=code&client_id=w&redirect_uri=https%3A%2F%2Fw%2Fcb&scope=pid";
    assert_eq!(
        PushedAuthorizationRequest::parse_form(no_pkce.as_bytes()),
        Err(Error::MissingParameter {
            name: "code_challenge"
        })
    );
    let short = "response_type=code&client_id=w&redirect_uri=https%3A%2F%2Fw%2Fcb&scope=pid&code_challenge=abc&code_challenge_method=S256";
    assert_eq!(
        PushedAuthorizationRequest::parse_form(short.as_bytes()),
        Err(Error::InvalidCodeChallenge)
    );
    let fragment = alloc::format!(
        "response_type=code&client_id=w&redirect_uri=https%3A%2F%2Fw%2Fcb%23f&scope=pid&code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    assert_eq!(
        PushedAuthorizationRequest::parse_form(fragment.as_bytes()),
        Err(Error::InvalidUrl {
            member: "redirect_uri",
            reason: "a redirect_uri must not have a fragment"
        })
    );
    assert_eq!(
        par("&state=again"),
        Err(Error::DuplicateParameter {
            name: "state".into()
        })
    );
}

/// RFC 6749 §3.1.2: the redirect URI is absolute (a private-use scheme too, RFC 8252 §7.1),
/// and a URI has no spaces or control characters (a CR or LF could not even be put in a
/// `Location` header).
#[test]
fn a_redirect_uri_must_be_an_absolute_uri_of_printable_ascii() {
    let with = |uri: &str| {
        PushedAuthorizationRequest::parse_form(
            alloc::format!(
                "response_type=code&client_id=w&redirect_uri={uri}&scope=pid\
                 &code_challenge={CHALLENGE}&code_challenge_method=S256"
            )
            .as_bytes(),
        )
        .map(|r| r.redirect_uri)
    };
    assert_eq!(
        with("com.example.app%3A%2Fcb").as_deref(),
        Ok("com.example.app:/cb")
    );
    assert_eq!(
        with("http%3A%2F%2F127.0.0.1%3A9000%2Fcb").as_deref(),
        Ok("http://127.0.0.1:9000/cb")
    );
    let not_absolute = Err(Error::InvalidUrl {
        member: "redirect_uri",
        reason: "a redirect_uri must be an absolute URI (scheme:...)",
    });
    for relative in ["cb", "%2Fcb", "%3Acb", "1x%3A%2Fcb", "https%3A"] {
        assert_eq!(with(relative), not_absolute, "{relative}");
    }
    let unprintable = Err(Error::InvalidUrl {
        member: "redirect_uri",
        reason: "a redirect_uri is printable ASCII, without spaces or control characters",
    });
    for bad in [
        "https%3A%2F%2Fw%2F%0D%0Ax",
        "https%3A%2F%2Fw%2Fa%20b",
        "https%3A%2F%2Fw%C3%A9%2Fcb",
    ] {
        assert_eq!(with(bad), unprintable, "{bad}");
    }
}

/// A PAR request asks for nothing it cannot get: a `response_mode` other than `query` and a
/// `request_uri` (RFC 9126 §2.1) are refused, and so is an empty `authorization_details`.
#[test]
fn a_par_request_with_another_response_mode_or_a_request_uri_is_refused() {
    assert!(par("&scope=pid&response_mode=query").is_ok());
    assert_eq!(
        par("&scope=pid&response_mode=fragment"),
        Err(Error::UnsupportedResponseMode {
            response_mode: "fragment".into()
        })
    );
    assert_eq!(
        par("&scope=pid&request_uri=urn%3Ax"),
        Err(Error::ParameterNotAllowed {
            name: "request_uri"
        })
    );
    assert_eq!(
        par("&authorization_details=%5B%5D"),
        Err(Error::EmptyArray {
            message: MessageKind::AuthorizationDetails,
            member: "authorization_details"
        })
    );
}

#[test]
fn an_authorization_request_takes_client_id_and_request_uri_and_ignores_the_rest() {
    let query = "client_id=wallet&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc";
    let request =
        AuthorizationRequest::parse_query(query.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(request.request_uri, "urn:ietf:params:oauth:request_uri:abc");
    assert_eq!(
        AuthorizationRequest::parse_query(request.to_query().as_bytes()),
        Ok(request)
    );
    // RFC 9101 §6.3: only the pushed parameters count; the repeated ones are ignored.
    let Ok(repeated) = AuthorizationRequest::parse_query(
        b"response_type=code&client_id=w&request_uri=u&scope=pid",
    ) else {
        panic!("extra parameters are ignored")
    };
    assert_eq!(
        (repeated.client_id.as_str(), repeated.request_uri.as_str()),
        ("w", "u")
    );
    assert_eq!(repeated.ignored, ["response_type", "scope"]);
    assert_eq!(
        AuthorizationRequest::parse_query(b"client_id=w&request_uri=u&client_id=x"),
        Err(Error::DuplicateParameter {
            name: "client_id".into()
        })
    );
    assert_eq!(
        AuthorizationRequest::parse_query(b"client_id=w"),
        Err(Error::MissingParameter {
            name: "request_uri"
        })
    );
}

#[test]
fn responses_redirect_with_state_and_iss() {
    let ok = AuthorizationResponse::new("c0de", Some("a b"), "https://as.example");
    assert_eq!(
        ok.redirect_url("https://wallet.example/cb?x=1"),
        "https://wallet.example/cb?x=1&code=c0de&state=a%20b&iss=https%3A%2F%2Fas.example"
    );
    let denied = AuthorizationErrorResponse::new(
        "access_denied",
        "the user said \"no\"",
        None,
        "https://as.example",
    );
    assert_eq!(
        denied.redirect_url("https://wallet.example/cb"),
        "https://wallet.example/cb?error=access_denied&error_description=the%20user%20said%20%27no%27&iss=https%3A%2F%2Fas.example"
    );
    assert_eq!(
        PushedAuthorizationResponse::new("urn:x", 60)
            .to_value()
            .to_string(),
        r#"{"expires_in":60,"request_uri":"urn:x"}"#
    );
}
