//! Error responses, their HTTP status, and the restricted description charset.

use oid4vci_types::{
    CredentialErrorCode, DeferredErrorCode, Description, Error, ErrorResponse, MessageKind,
    NotificationErrorCode, TokenErrorCode,
};
use serde_json::json;

#[test]
fn token_error_codes_and_status() {
    let cases = [
        (TokenErrorCode::InvalidRequest, "invalid_request", 400),
        (TokenErrorCode::InvalidClient, "invalid_client", 401),
        (TokenErrorCode::InvalidGrant, "invalid_grant", 400),
        (
            TokenErrorCode::UnauthorizedClient,
            "unauthorized_client",
            400,
        ),
        (
            TokenErrorCode::UnsupportedGrantType,
            "unsupported_grant_type",
            400,
        ),
        (TokenErrorCode::InvalidScope, "invalid_scope", 400),
        (
            TokenErrorCode::AuthorizationPending,
            "authorization_pending",
            400,
        ),
        (TokenErrorCode::SlowDown, "slow_down", 400),
        (TokenErrorCode::InvalidDpopProof, "invalid_dpop_proof", 400),
        (TokenErrorCode::UseDpopNonce, "use_dpop_nonce", 400),
        (
            TokenErrorCode::UseAttestationChallenge,
            "use_attestation_challenge",
            400,
        ),
        (
            TokenErrorCode::UseFreshAttestation,
            "use_fresh_attestation",
            400,
        ),
        (
            TokenErrorCode::InvalidClientAttestation,
            "invalid_client_attestation",
            400,
        ),
        (
            TokenErrorCode::Other("invalid_tx_code".into()),
            "invalid_tx_code",
            400,
        ),
    ];
    for (code, wire, status) in cases {
        assert_eq!(code.as_str(), wire);
        assert_eq!(code.http_status(), status, "{wire}");
        let body = json!({ "error": wire }).to_string();
        let parsed = ErrorResponse::<TokenErrorCode>::from_json(body.as_bytes()).unwrap();
        assert_eq!(parsed.error, code);
        assert_eq!(parsed.http_status(), status);
    }
}

#[test]
fn credential_deferred_notification_codes_and_status() {
    let credential = [
        (
            CredentialErrorCode::InvalidCredentialRequest,
            "invalid_credential_request",
            400,
        ),
        (
            CredentialErrorCode::UnknownCredentialConfiguration,
            "unknown_credential_configuration",
            400,
        ),
        (
            CredentialErrorCode::UnknownCredentialIdentifier,
            "unknown_credential_identifier",
            400,
        ),
        (CredentialErrorCode::InvalidProof, "invalid_proof", 400),
        (CredentialErrorCode::InvalidNonce, "invalid_nonce", 400),
        (
            CredentialErrorCode::InvalidEncryptionParameters,
            "invalid_encryption_parameters",
            400,
        ),
        (
            CredentialErrorCode::CredentialRequestDenied,
            "credential_request_denied",
            400,
        ),
        (CredentialErrorCode::InvalidRequest, "invalid_request", 400),
        (CredentialErrorCode::InvalidToken, "invalid_token", 401),
        (
            CredentialErrorCode::InsufficientScope,
            "insufficient_scope",
            403,
        ),
        (
            CredentialErrorCode::InvalidDpopProof,
            "invalid_dpop_proof",
            401,
        ),
        (CredentialErrorCode::UseDpopNonce, "use_dpop_nonce", 401),
    ];
    for (code, wire, status) in credential {
        let parsed = ErrorResponse::<CredentialErrorCode>::from_json(
            json!({ "error": wire }).to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (parsed.error.as_str(), parsed.http_status()),
            (wire, status)
        );
        assert_eq!(parsed.error, code);
    }
    let deferred = [
        (
            DeferredErrorCode::InvalidCredentialRequest,
            "invalid_credential_request",
            400,
        ),
        (
            DeferredErrorCode::InvalidTransactionId,
            "invalid_transaction_id",
            400,
        ),
        (DeferredErrorCode::IssuancePending, "issuance_pending", 400),
        (
            DeferredErrorCode::InvalidEncryptionParameters,
            "invalid_encryption_parameters",
            400,
        ),
        (
            DeferredErrorCode::CredentialRequestDenied,
            "credential_request_denied",
            400,
        ),
        (DeferredErrorCode::InvalidToken, "invalid_token", 401),
        (
            DeferredErrorCode::InsufficientScope,
            "insufficient_scope",
            403,
        ),
    ];
    for (code, wire, status) in deferred {
        assert_eq!((code.as_str(), code.http_status()), (wire, status));
    }
    let notification = [
        (
            NotificationErrorCode::InvalidNotificationId,
            "invalid_notification_id",
            400,
        ),
        (
            NotificationErrorCode::InvalidNotificationRequest,
            "invalid_notification_request",
            400,
        ),
        (NotificationErrorCode::InvalidToken, "invalid_token", 401),
        (
            NotificationErrorCode::InsufficientScope,
            "insufficient_scope",
            403,
        ),
    ];
    for (code, wire, status) in notification {
        assert_eq!((code.as_str(), code.http_status()), (wire, status));
    }
}

#[test]
fn error_response_round_trip_and_description_charset() {
    let resp = ErrorResponse::new(CredentialErrorCode::InvalidProof)
        .with_description("Proof JWT signature is invalid [kid 1]")
        .unwrap();
    let value = resp.to_value();
    assert_eq!(
        value,
        json!({ "error": "invalid_proof", "error_description": "Proof JWT signature is invalid [kid 1]" })
    );
    assert_eq!(
        ErrorResponse::<CredentialErrorCode>::from_json(value.to_string().as_bytes()).unwrap(),
        resp
    );

    assert_eq!(
        ErrorResponse::new(TokenErrorCode::InvalidGrant)
            .with_description("bad \"code\"")
            .unwrap_err(),
        Error::InvalidDescriptionChar { position: 4 }
    );
    assert_eq!(
        ErrorResponse::<TokenErrorCode>::from_json(
            br#"{"error":"invalid_grant","error_description":"back\\slash"}"#
        )
        .unwrap_err(),
        Error::InvalidDescriptionChar { position: 4 }
    );
    assert_eq!(
        ErrorResponse::<TokenErrorCode>::from_json(br#"{"error_description":"x"}"#).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::ErrorResponse,
            member: "error".into()
        }
    );
    assert_eq!(
        Description::sanitized("bad \"code\" \u{e9}").as_str(),
        "bad ?code? ?"
    );

    let with_extra =
        json!({ "error": "use_dpop_nonce", "error_uri": "https://e.example/x", "new": 1 });
    let parsed =
        ErrorResponse::<TokenErrorCode>::from_json(with_extra.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.to_value(), with_extra);
}

#[test]
fn errors_map_to_endpoint_codes() {
    assert_eq!(
        Error::UnknownCredentialConfiguration { id: "x".into() }.credential_error_code(),
        CredentialErrorCode::UnknownCredentialConfiguration
    );
    assert_eq!(
        Error::UnknownCredentialIdentifier { id: "x".into() }.credential_error_code(),
        CredentialErrorCode::UnknownCredentialIdentifier
    );
    assert_eq!(
        Error::MissingProofs {
            configuration_id: "x".into()
        }
        .credential_error_code(),
        CredentialErrorCode::InvalidProof
    );
    assert_eq!(
        Error::ProofAlgorithmNotAllowed {
            alg: "RS256".into()
        }
        .credential_error_code(),
        CredentialErrorCode::InvalidProof
    );
    // More proofs than allowed is a fault of `proofs` (§8.3.1.2).
    assert_eq!(
        Error::TooManyProofs { count: 3, max: 2 }.credential_error_code(),
        CredentialErrorCode::InvalidProof
    );
    assert_eq!(
        Error::MissingCredentialTarget.credential_error_code(),
        CredentialErrorCode::InvalidCredentialRequest
    );
    assert_eq!(
        Error::TxCodeRequired.token_error_code(),
        TokenErrorCode::InvalidRequest
    );
    assert_eq!(
        Error::TxCodeUnexpected.token_error_code(),
        TokenErrorCode::InvalidRequest
    );
    assert_eq!(
        Error::PreAuthorizedCodeMismatch.token_error_code(),
        TokenErrorCode::InvalidGrant
    );
    assert_eq!(
        Error::UnsupportedGrantType {
            grant_type: "x".into()
        }
        .token_error_code(),
        TokenErrorCode::UnsupportedGrantType
    );
}
