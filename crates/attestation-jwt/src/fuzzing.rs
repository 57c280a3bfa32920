//! Entry points for fuzz targets. Not part of the stable API.

use jose_core::{PublicJwk, UnixTime};
use pop_verifier::InMemoryReplayGuard;

use crate::config::{ClientAttestationConfig, VerificationMethod};
use crate::error::Error;
use crate::request::ClientAuthRequest;
use crate::verify::{ChallengeCheck, ClientAttestationVerifier};

/// The ABCA draft -10 example attestation's `cnf.jwk`, used as the fixed attester key.
const FIXED_JWK: &[u8] = br#"{"kty":"EC","crv":"P-256","x":"VcKVNBZ4IaBAYW3jxM4w3TJFVA7myeUGQyGt-g_yvpQ","y":"f-E-hYE3TAWKwhVv9pej9NABs9SX9XsNO80x57jFTyU"}"#;

/// The draft -10 examples' `iat`.
const FIXED_NOW: i64 = 1_772_487_600;

/// Fuzz entry: `data` is up to four newline-separated fields (attestation, PoP, DPoP,
/// `client_id`), verified strictly and leniently against a fixed static-jwk configuration with
/// combined mode and the legacy body form enabled (the attestation field is also tried as a
/// legacy `client_assertion`).
///
/// # Errors
/// Whatever the strict verification returns.
pub fn attestation_verify(data: &str) -> Result<(), Error> {
    fn field(f: Option<&str>) -> Option<&str> {
        f.filter(|s| !s.is_empty())
    }
    let mut fields = data.splitn(4, '\n');
    let (attestation, pop, dpop, client_id) = (
        field(fields.next()),
        field(fields.next()),
        field(fields.next()),
        field(fields.next()),
    );
    let jwk = PublicJwk::from_json(FIXED_JWK).map_err(Error::Signing)?;
    let now = UnixTime::from_secs(FIXED_NOW);
    let mut result = Ok(());
    for required in [false, true] {
        let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: jwk.clone(),
            additional_jwks: Vec::new(),
        })
        .with_required(required);
        let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
            .with_combined_mode(true)
            .with_legacy_body_form(true)
            .build()
            .map_err(Error::Config)?;
        let guard = InMemoryReplayGuard::new(16);
        let mut request = ClientAuthRequest::new()
            .with_attestation(attestation)
            .with_pop(pop)
            .with_client_id(client_id);
        if dpop.is_some() {
            request = request.with_dpop(dpop, "POST", "https://as.example.com/token");
        }
        result = verifier
            .verify(&request, ChallengeCheck::Expected("challenge"), &guard, now)
            .map(|_| ());
        let legacy = ClientAuthRequest::new()
            .with_client_assertion(Some(crate::request::LEGACY_ASSERTION_TYPE), attestation);
        let _ = verifier.verify(&legacy, ChallengeCheck::None, &guard, now);
    }
    result
}

/// Fuzz entry: `data` is HTTP header lines (`name: value`), read as a server reads them
/// ([`ClientAuthRequest::from_headers`]: repeated headers, the structured-field Token rule
/// on both attestation headers, and an `Authorization` header as `client_secret_basic`),
/// then verified strictly against the fixed configuration with the client secret fallback
/// on (so HTTP Basic credentials are decoded).
///
/// # Errors
/// Whatever the verification returns.
pub fn attestation_headers(data: &str) -> Result<(), Error> {
    let pairs: Vec<(&str, &str)> = data
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect();
    let jwk = PublicJwk::from_json(FIXED_JWK).map_err(Error::Signing)?;
    let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
        jwk,
        additional_jwks: Vec::new(),
    });
    let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
        .with_combined_mode(true)
        .with_fallback(
            crate::fallback::Fallback::new(std::sync::Arc::new(FixedSecret(
                crate::keys::ClientSecret::new(b"secret".to_vec()),
            )))
            .with_client_secret(true),
        )
        .build()
        .map_err(Error::Config)?;
    let authorization = pairs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| *value);
    let request =
        ClientAuthRequest::from_headers(pairs.iter().copied()).with_authorization(authorization);
    verifier
        .verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(16),
            UnixTime::from_secs(FIXED_NOW),
        )
        .map(|_| ())
}

/// A registry with one client, `client`, whose secret is `secret`, and no keys.
struct FixedSecret(crate::keys::ClientSecret);

impl crate::keys::ClientRegistry for FixedSecret {
    fn client_key(&self, _: &str) -> Option<PublicJwk> {
        None
    }

    fn client_secret(&self, client_id: &str) -> Option<&crate::keys::ClientSecret> {
        (client_id == "client").then_some(&self.0)
    }
}

/// Fuzz entry: parse a `clientAttestationConfig`, and if it parses, build a verifier (with a
/// key lookup that answers the fixed key for every reference) and, if that succeeds, its
/// metadata.
///
/// # Errors
/// Whatever parsing or building returns.
pub fn attestation_config_parse(data: &[u8]) -> Result<(), Error> {
    let config = ClientAttestationConfig::from_json(data)?;
    let jwk = PublicJwk::from_json(FIXED_JWK).map_err(Error::Signing)?;
    let kms = jose_core::keys::StaticKeys::from(jwk);
    let now = UnixTime::from_secs(1_700_000_000);
    let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
        .with_key_lookup(std::sync::Arc::new(kms), now)
        .build()?;
    let _ = verifier.metadata(Some("https://as.example.com/challenge"));
    Ok(())
}
