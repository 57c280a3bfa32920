//! Fallback client authentication for clients that cannot attest: RFC 7523 `private_key_jwt`
//! and a registered client secret. Each is off unless configured, and each verdict carries its
//! (lower) [`AssuranceLevel`].

use std::sync::Arc;

use jose_core::{ClaimError, CompactJws, HeaderPolicy, UnixTime, claims};
use pop_verifier::{ReplayError, ReplayGuard};

use crate::error::{Error, Token};
use crate::keys::ClientRegistry;
use crate::request::ClientAuthRequest;
use crate::verdict::{AssuranceLevel, AuthMethod, Verdict};
use crate::verify::ClientAttestationVerifier;

/// Which fallback methods are enabled, and where registered client credentials come from.
///
/// The registry is shared (`Arc`), so the verifier that holds the `Fallback` stays
/// `Send + Sync + 'static`.
///
/// ```
/// # use std::sync::Arc;
/// # use attestation_jwt::{ClientRegistry, ClientSecret, Fallback};
/// # struct Registry;
/// # impl ClientRegistry for Registry {
/// #     fn client_key(&self, _: &str) -> Option<jose_core::PublicJwk> { None }
/// #     fn client_secret(&self, _: &str) -> Option<&ClientSecret> { None }
/// # }
/// let fallback = Fallback::new(Arc::new(Registry))
///     .with_private_key_jwt(Some("https://as.example.com/token"))
///     .with_client_secret(true);
/// # let _ = fallback;
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Fallback {
    registry: Arc<dyn ClientRegistry + Send + Sync>,
    private_key_jwt: bool,
    token_endpoint: Option<String>,
    client_secret: bool,
}

impl core::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fallback")
            .field("private_key_jwt", &self.private_key_jwt)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

impl Fallback {
    /// No fallback method enabled yet, with credentials from `registry`.
    #[must_use]
    pub fn new(registry: Arc<dyn ClientRegistry + Send + Sync>) -> Self {
        Self {
            registry,
            private_key_jwt: false,
            token_endpoint: None,
            client_secret: false,
        }
    }

    /// Enables `private_key_jwt`. Assertions' `aud` may be the AS issuer identifier or
    /// `token_endpoint`.
    #[must_use]
    pub fn with_private_key_jwt(mut self, token_endpoint: Option<&str>) -> Self {
        self.private_key_jwt = true;
        self.token_endpoint = token_endpoint.map(str::to_owned);
        self
    }

    /// Enables (or disables) client secrets.
    #[must_use]
    pub fn with_client_secret(mut self, enabled: bool) -> Self {
        self.client_secret = enabled;
        self
    }

    /// Whether `private_key_jwt` is enabled.
    #[must_use]
    pub const fn private_key_jwt(&self) -> bool {
        self.private_key_jwt
    }

    /// Whether client secrets are enabled.
    #[must_use]
    pub const fn client_secret(&self) -> bool {
        self.client_secret
    }
}

pub(crate) fn verify(
    verifier: &ClientAttestationVerifier,
    request: &ClientAuthRequest<'_>,
    jwt_bearer: bool,
    replay: &dyn ReplayGuard,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let method = if jwt_bearer {
        "private_key_jwt"
    } else if request.basic_authorization().is_some() {
        "client_secret_basic"
    } else {
        "client_secret_post"
    };
    let fallback = verifier
        .fallback
        .as_ref()
        .filter(|f| {
            if jwt_bearer {
                f.private_key_jwt
            } else {
                f.client_secret
            }
        })
        .ok_or(Error::MethodNotEnabled { method })?;
    if jwt_bearer {
        private_key_jwt(verifier, fallback, request, replay, now)
    } else {
        client_secret(verifier, fallback, request)
    }
}

/// RFC 7523 §3 checks, in the order: parse, claims `iss`/`sub` (both the client id, equal to a
/// sent `client_id`), registered key, `alg` and signature, `aud`, `exp` (with skew, and not
/// further ahead than the replay window so the `jti` can be remembered), `jti` unseen.
fn private_key_jwt(
    verifier: &ClientAttestationVerifier,
    fallback: &Fallback,
    request: &ClientAuthRequest<'_>,
    replay: &dyn ReplayGuard,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let token =
        request
            .client_assertion
            .ok_or(Error::ClientAssertionClaim(ClaimError::Missing {
                name: "client_assertion",
            }))?;
    let jws = CompactJws::parse(token, verifier.limits.jose()).map_err(Error::ClientAssertion)?;
    let claims = jws.claims();
    let iss = claims::required_str(claims, "iss").map_err(Error::ClientAssertionClaim)?;
    let sub = claims::required_str(claims, "sub").map_err(Error::ClientAssertionClaim)?;
    if iss != sub || sub.is_empty() {
        return Err(Error::ClientAssertionSubject);
    }
    if request.client_id.is_some_and(|id| id != sub) {
        return Err(Error::ClientIdMismatch);
    }
    let key = fallback
        .registry
        .client_key(sub)
        .ok_or(Error::UnknownClient)?;
    jws.verify(&key, &HeaderPolicy::new(&verifier.attestation_algs))
        .map_err(Error::ClientAssertion)?;
    let audiences = claims::audiences(claims).map_err(Error::ClientAssertionClaim)?;
    let names_us = audiences
        .iter()
        .any(|aud| *aud == verifier.issuer || fallback.token_endpoint.as_deref() == Some(*aud));
    if !names_us {
        return Err(Error::ClientAssertionAudience);
    }
    let skew = verifier.config.clock_skew_seconds;
    let exp = claims::required_time(claims, "exp").map_err(Error::ClientAssertionClaim)?;
    if now > exp.saturating_add(skew) {
        return Err(Error::ClientAssertionExpired {
            exp: exp.secs(),
            now: now.secs(),
        });
    }
    let latest = now
        .saturating_add(verifier.config.replay_window_seconds)
        .saturating_add(skew);
    if exp > latest {
        return Err(Error::ClientAssertionLifetime {
            exp: exp.secs(),
            now: now.secs(),
        });
    }
    let jti = claims::required_str(claims, "jti").map_err(Error::ClientAssertionClaim)?;
    if jti.is_empty() || jti.len() > pop_verifier::DEFAULT_MAX_JTI_LEN {
        return Err(Error::ClientAssertionClaim(ClaimError::Invalid {
            name: "jti",
        }));
    }
    let replay_key = pop_verifier::replay_key("client-assertion", sub, jti);
    replay
        .check_and_record(&replay_key, exp.saturating_add(skew), now)
        .map_err(|e| match e {
            ReplayError::Replayed => Error::Replayed {
                token: Token::ClientAssertion,
            },
            other => Error::ReplayGuard(other),
        })?;
    Ok(Verdict::fallback(
        sub.to_owned(),
        AuthMethod::PrivateKeyJwt,
        AssuranceLevel::KeyBoundAssertion,
    ))
}

fn client_secret(
    verifier: &ClientAttestationVerifier,
    fallback: &Fallback,
    request: &ClientAuthRequest<'_>,
) -> Result<Verdict, Error> {
    let basic = request
        .basic_authorization()
        .map(|token| basic_credentials(token).ok_or(Error::BasicCredentialsMalformed))
        .transpose()?;
    let (client_id, presented) = match &basic {
        // RFC 6749 §2.3.1: the client id is the Basic user name; a body `client_id` beside
        // it must name the same client.
        Some((id, secret)) => {
            if request.client_id.is_some_and(|body| body != id) {
                return Err(Error::ClientIdMismatch);
            }
            (id.as_str(), secret.as_str())
        }
        None => (
            request.client_id.ok_or(Error::UnknownClient)?,
            request.client_secret.unwrap_or_default(),
        ),
    };
    let max = verifier.limits.max_client_id_len();
    if client_id.len() > max {
        return Err(Error::ClientIdTooLong {
            len: client_id.len(),
            max,
        });
    }
    if presented.len() > verifier.limits.max_client_secret_len() {
        return Err(Error::ClientSecretMismatch);
    }
    let registered = fallback
        .registry
        .client_secret(client_id)
        .ok_or(Error::UnknownClient)?;
    if !registered.matches(presented.as_bytes()) {
        return Err(Error::ClientSecretMismatch);
    }
    Ok(Verdict::fallback(
        client_id.to_owned(),
        AuthMethod::ClientSecret,
        AssuranceLevel::SharedSecret,
    ))
}

/// The client id and secret of HTTP Basic credentials (RFC 7617, the part after the scheme):
/// each form-urlencoded before the two were joined with `:` and base64-encoded (RFC 6749
/// §2.3.1). `None` for a malformed value.
fn basic_credentials(token: &str) -> Option<(String, String)> {
    use base64ct::Encoding;
    let decoded = base64ct::Base64::decode_vec(token).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |value: &str| oid4vci_types::form_urldecode(value).ok();
    Some((decode(id)?, decode(secret)?))
}
