//! Entry points for the fuzz targets in `fuzz/`. Not part of the API.

use alloc::string::ToString;

use crate::as_metadata::AuthorizationServerMetadata;
use crate::credential_request::CredentialRequest;
use crate::issuer_metadata::CredentialIssuerMetadata;
use crate::offer::uri::CredentialOfferRequest;
use crate::options::ParseOptions;
use crate::token::TokenRequest;

/// Offer URI: parse; on success, build the URI again and check it parses to the same value.
pub fn offer_uri(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = CredentialOfferRequest::parse_uri(text) {
        let again = CredentialOfferRequest::parse_uri(&parsed.to_uri());
        assert_eq!(again.as_ref().ok(), Some(&parsed), "offer URI round trip");
    }
}

/// Token request form: parse; on success, re-encode and check it parses to the same value.
pub fn token_request(data: &[u8]) {
    if let Ok(parsed) = TokenRequest::parse_form(data) {
        let again = TokenRequest::parse_form(parsed.to_form().as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&parsed), "token form round trip");
    }
}

/// Pushed authorization request form: parse; on success, re-encode and check it parses to the
/// same value.
pub fn par_request(data: &[u8]) {
    if let Ok(parsed) = crate::PushedAuthorizationRequest::parse_form(data) {
        let again = crate::PushedAuthorizationRequest::parse_form(parsed.to_form().as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&parsed), "PAR form round trip");
    }
}

/// Authorization request query: parse; on success, re-encode `client_id` and `request_uri`
/// (the other parameters are ignored) and check they parse back the same.
pub fn authorization_request(data: &[u8]) {
    if let Ok(parsed) = crate::AuthorizationRequest::parse_query(data) {
        // The query written back carries the two parameters that count; the ignored ones
        // are not written, so the round trip compares those two and finds nothing ignored.
        let again = crate::AuthorizationRequest::parse_query(parsed.to_query().as_bytes());
        let kept = |r: &crate::AuthorizationRequest| (r.client_id.clone(), r.request_uri.clone());
        assert_eq!(
            again.as_ref().ok().map(kept),
            Some(kept(&parsed)),
            "authorization query round trip"
        );
        assert!(
            again.is_ok_and(|r| r.ignored.is_empty()),
            "nothing ignored after the round trip"
        );
    }
}

/// Credential request: parse strictly and with draft-13 compatibility.
pub fn credential_request(data: &[u8]) {
    for options in [ParseOptions::strict(), ParseOptions::draft13_compatible()] {
        if let Ok(parsed) = CredentialRequest::parse(data, &options) {
            let bytes = parsed.to_value().to_string();
            let again = CredentialRequest::parse(bytes.as_bytes(), &options);
            assert_eq!(
                again.as_ref().ok(),
                Some(&parsed),
                "credential request round trip"
            );
        }
    }
}

/// Issuer and AS metadata parsing.
pub fn metadata(data: &[u8]) {
    if let Ok(meta) = CredentialIssuerMetadata::from_json(data) {
        let bytes = meta.to_value().to_string();
        let again = CredentialIssuerMetadata::from_json(bytes.as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&meta), "metadata round trip");
    }
    let _ = AuthorizationServerMetadata::from_json(data);
}
