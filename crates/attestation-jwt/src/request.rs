//! The parts of an HTTP request that client authentication looks at.

/// `OAuth-Client-Attestation` (ABCA -10 §6.1).
pub const ATTESTATION_HEADER: &str = "OAuth-Client-Attestation";
/// `OAuth-Client-Attestation-PoP` (ABCA -10 §6.1).
pub const POP_HEADER: &str = "OAuth-Client-Attestation-PoP";
/// `DPoP` (RFC 9449), used by combined mode (ABCA -10 §7.3).
pub const DPOP_HEADER: &str = "DPoP";
/// The `client_assertion_type` of the legacy body form (ABCA drafts -00 to -07).
pub const LEGACY_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-client-attestation";
/// The `client_assertion_type` of RFC 7523 `private_key_jwt`.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The request parts, borrowed from the caller's HTTP framework.
///
/// ```
/// use attestation_jwt::ClientAuthRequest;
/// let headers = [("oauth-client-attestation", "a.b.c"), ("OAuth-Client-Attestation-PoP", "d.e.f"),
///     ("content-type", "application/x-www-form-urlencoded")];
/// let request = ClientAuthRequest::from_headers(headers).with_client_id(Some("wallet-1"));
/// assert_eq!(request.attestation, Some("a.b.c"));
/// assert_eq!(request.pop, Some("d.e.f"));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientAuthRequest<'a> {
    /// The `OAuth-Client-Attestation` header value.
    pub attestation: Option<&'a str>,
    /// The `OAuth-Client-Attestation-PoP` header value.
    pub pop: Option<&'a str>,
    /// The `DPoP` header value (combined mode).
    pub dpop: Option<&'a str>,
    /// The body's (or query's) `client_id`.
    pub client_id: Option<&'a str>,
    /// The body's `client_assertion_type`.
    pub client_assertion_type: Option<&'a str>,
    /// The body's `client_assertion`.
    pub client_assertion: Option<&'a str>,
    /// A client secret (the body's, `client_secret_post`).
    pub client_secret: Option<&'a str>,
    /// The `Authorization` header of the token or PAR request. With the `Basic` scheme it is
    /// client authentication (`client_secret_basic`, RFC 6749 §2.3.1): one method, decoded
    /// when the client secret fallback verifies it. Another scheme is not client
    /// authentication and is ignored (an HTTP client may add a `Bearer` token to every
    /// request to a host).
    pub authorization: Option<&'a str>,
    /// The request method (for DPoP `htm`).
    pub http_method: Option<&'a str>,
    /// The request URI (for DPoP `htu`).
    pub http_uri: Option<&'a str>,
    /// The request's DPoP proof, already verified and recorded by the caller's own DPoP check
    /// of the endpoint (combined mode then takes it as the PoP: see
    /// [`Self::with_accepted_dpop`]).
    pub accepted_dpop: Option<&'a pop_verifier::AcceptedDpopProof>,
    pub(crate) repeated: Option<&'static str>,
}

/// Secrets (the client secret, the `Authorization` header, a `client_assertion`) show only
/// whether they are there.
impl core::fmt::Debug for ClientAuthRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let present = |value: Option<&str>| value.map(|_| "<redacted>");
        f.debug_struct("ClientAuthRequest")
            .field("attestation", &self.attestation)
            .field("pop", &self.pop)
            .field("dpop", &self.dpop)
            .field("client_id", &self.client_id)
            .field("client_assertion_type", &self.client_assertion_type)
            .field("client_assertion", &present(self.client_assertion))
            .field("client_secret", &present(self.client_secret))
            .field("authorization", &present(self.authorization))
            .field("http_method", &self.http_method)
            .field("http_uri", &self.http_uri)
            .field("accepted_dpop", &self.accepted_dpop)
            .finish_non_exhaustive()
    }
}

impl<'a> ClientAuthRequest<'a> {
    /// An empty request.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            attestation: None,
            pop: None,
            dpop: None,
            client_id: None,
            client_assertion_type: None,
            client_assertion: None,
            client_secret: None,
            authorization: None,
            http_method: None,
            http_uri: None,
            accepted_dpop: None,
            repeated: None,
        }
    }

    /// Picks the three headers out of `(name, value)` pairs (names compared case-insensitively).
    /// A header seen twice is remembered and refused by verification with
    /// [`Error::HeaderRepeated`](crate::Error::HeaderRepeated).
    #[must_use]
    pub fn from_headers(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut request = Self::new();
        for (name, value) in headers {
            let (slot, canonical) = if name.eq_ignore_ascii_case(ATTESTATION_HEADER) {
                (&mut request.attestation, ATTESTATION_HEADER)
            } else if name.eq_ignore_ascii_case(POP_HEADER) {
                (&mut request.pop, POP_HEADER)
            } else if name.eq_ignore_ascii_case(DPOP_HEADER) {
                (&mut request.dpop, DPOP_HEADER)
            } else {
                continue;
            };
            if slot.is_some() {
                request.repeated.get_or_insert(canonical);
            }
            *slot = Some(value);
        }
        request
    }

    /// Sets the `OAuth-Client-Attestation` header value.
    #[must_use]
    pub const fn with_attestation(mut self, value: Option<&'a str>) -> Self {
        self.attestation = value;
        self
    }

    /// Sets the `OAuth-Client-Attestation-PoP` header value.
    #[must_use]
    pub const fn with_pop(mut self, value: Option<&'a str>) -> Self {
        self.pop = value;
        self
    }

    /// Sets the `DPoP` header value and the request's method and URI (for `htm`/`htu`).
    #[must_use]
    pub const fn with_dpop(
        mut self,
        value: Option<&'a str>,
        method: &'a str,
        uri: &'a str,
    ) -> Self {
        self.dpop = value;
        self.http_method = Some(method);
        self.http_uri = Some(uri);
        self
    }

    /// Sets the request's DPoP proof as the caller's own DPoP check accepted it (verified for
    /// this endpoint and its `jti` recorded; only `pop_verifier` makes an
    /// [`AcceptedDpopProof`](pop_verifier::AcceptedDpopProof)). In combined mode it is the
    /// proof of possession: verification checks its `nonce` as the challenge and its key
    /// against the attestation's `cnf.jwk`, and neither verifies nor records it again (which
    /// would refuse it as a replay of itself). A server that checks DPoP before client
    /// authentication, as a token endpoint does, passes it here.
    #[must_use]
    pub const fn with_accepted_dpop(
        mut self,
        accepted: Option<&'a pop_verifier::AcceptedDpopProof>,
    ) -> Self {
        self.accepted_dpop = accepted;
        self
    }

    /// Sets the body's `client_id`.
    #[must_use]
    pub const fn with_client_id(mut self, client_id: Option<&'a str>) -> Self {
        self.client_id = client_id;
        self
    }

    /// Sets the body's `client_assertion_type` and `client_assertion`.
    #[must_use]
    pub const fn with_client_assertion(
        mut self,
        assertion_type: Option<&'a str>,
        assertion: Option<&'a str>,
    ) -> Self {
        self.client_assertion_type = assertion_type;
        self.client_assertion = assertion;
        self
    }

    /// Sets the body's client secret (`client_secret_post`).
    #[must_use]
    pub const fn with_client_secret(mut self, secret: Option<&'a str>) -> Self {
        self.client_secret = secret;
        self
    }

    /// Sets the request's `Authorization` header. With the `Basic` scheme it is
    /// `client_secret_basic`: beside the attestation headers a second method, which
    /// verification refuses; with another scheme it is ignored.
    #[must_use]
    pub const fn with_authorization(mut self, header: Option<&'a str>) -> Self {
        self.authorization = header;
        self
    }

    /// The credentials of the `Authorization` header (what follows the scheme, trimmed) when
    /// its scheme is `Basic` (case-insensitive, RFC 7617): the client authenticates with
    /// them. `Some("")` for a bare `Basic`.
    #[must_use]
    pub fn basic_authorization(&self) -> Option<&'a str> {
        let header = self.authorization?;
        let rest = header
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("basic"))
            .and_then(|_| header.get(5..))?;
        (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim())
    }
}
