//! What the engine reads of an HTTP request, and what it answers: no HTTP framework types.

use std::borrow::Cow;

use oid4vci_types::OAuthError;
use serde_json::Value;

/// The parts of a request an endpoint reads: its headers (names compared case-insensitively,
/// values as received bytes) and its body.
///
/// ```
/// use oid4vci_issuer::EndpointRequest;
///
/// let headers = [("content-type", &b"application/json"[..])];
/// let request = EndpointRequest::new(&headers, b"{}");
/// assert_eq!(request.header_values("Content-Type").count(), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct EndpointRequest<'a> {
    headers: &'a [(&'a str, &'a [u8])],
    body: &'a [u8],
}

impl<'a> EndpointRequest<'a> {
    /// A request of `headers` (every value of a repeated header, in order) and `body`.
    #[must_use]
    pub const fn new(headers: &'a [(&'a str, &'a [u8])], body: &'a [u8]) -> Self {
        Self { headers, body }
    }

    /// Every value of header `name`.
    pub fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Every header, as given.
    #[must_use]
    pub const fn headers(&self) -> &'a [(&'a str, &'a [u8])] {
        self.headers
    }

    /// The body.
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The one value of header `name` as text: `Ok(None)` when absent.
    ///
    /// # Errors
    /// `Err(description)` when the header is repeated or is not visible ASCII text.
    pub(crate) fn single_header(&self, name: &'a str) -> Result<Option<&'a str>, &'static str> {
        let mut values = self.header_values(name);
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err("the header is repeated");
        }
        let text = core::str::from_utf8(value).map_err(|_| "the header is not text")?;
        if !text
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
        {
            return Err("the header is not visible ASCII text");
        }
        Ok(Some(text))
    }

    /// Refuses a body that is not a form (`application/x-www-form-urlencoded`, as RFC 6749
    /// §4.1.3 and RFC 9126 §2.1 send the token and pushed authorization requests) with
    /// `invalid_request`.
    pub(crate) fn require_form(&self) -> Result<(), OAuthError> {
        self.require_media_type("application/x-www-form-urlencoded", "invalid_request")
    }

    /// Refuses a body whose `Content-Type` is not `media_type` (parameters such as `charset`
    /// allowed).
    pub(crate) fn require_media_type(
        &self,
        media_type: &str,
        error: &'static str,
    ) -> Result<(), OAuthError> {
        let given = self
            .single_header("content-type")
            .map_err(|e| OAuthError::bad_request(error, &format!("Content-Type: {e}")))?
            .map(|v| v.split_once(';').map_or(v, |(t, _)| t).trim());
        match given {
            Some(t) if t.eq_ignore_ascii_case(media_type) => Ok(()),
            Some(t) => Err(OAuthError::bad_request(
                error,
                &format!("the request body must be {media_type}, not {t}"),
            )),
            None => Err(OAuthError::bad_request(
                error,
                &format!("the request body must be {media_type} (no Content-Type given)"),
            )),
        }
    }
}

/// A successful answer: status, headers (lower-case names) and an optional JSON body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EndpointResponse {
    /// The HTTP status (200, 202 or 204).
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The JSON body (`None`: no body, e.g. 204, or an encrypted answer).
    pub body: Option<Value>,
    /// An encrypted answer: a compact JWE sent as the body with `Content-Type:
    /// application/jwt` (already among `headers`); `body` is then `None`.
    pub jwt: Option<String>,
    /// What the caller should log: lenient acceptances (a client that did not authenticate,
    /// a credential request in a pre-1.0 shape under
    /// [`draft_credential_requests`](crate::IssuerSettings::draft_credential_requests)).
    pub warnings: Vec<String>,
}

/// [`oid4vci_types::NO_CACHE_HEADERS`] as response headers.
fn no_cache() -> impl Iterator<Item = (&'static str, Cow<'static, str>)> {
    oid4vci_types::NO_CACHE_HEADERS
        .into_iter()
        .map(|(name, value)| (name, Cow::Borrowed(value)))
}

impl EndpointResponse {
    /// `status` with a JSON body, `Cache-Control: no-store` and `Pragma: no-cache` (OpenID4VCI
    /// answers carry tokens, nonces or credentials, none of which a cache may keep; RFC 6749
    /// §5.1 asks for both headers).
    #[must_use]
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: no_cache().collect(),
            body: Some(body),
            jwt: None,
            warnings: Vec::new(),
        }
    }

    /// `status` with a compact JWE body (`Content-Type: application/jwt`) and the same
    /// no-cache headers: an encrypted credential response.
    #[must_use]
    pub fn jwt(status: u16, token: String) -> Self {
        Self {
            status,
            headers: no_cache()
                .chain([("content-type", Cow::Borrowed("application/jwt"))])
                .collect(),
            body: None,
            jwt: Some(token),
            warnings: Vec::new(),
        }
    }

    /// 204 with no body.
    #[must_use]
    pub const fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: None,
            jwt: None,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EndpointResponse;

    /// Each no-cache header once, then what the answer adds.
    #[test]
    fn answers_carry_the_no_cache_headers_once() {
        let names = |r: EndpointResponse| r.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(
            names(EndpointResponse::json(200, serde_json::Value::Null)),
            ["cache-control", "pragma"]
        );
        assert_eq!(
            names(EndpointResponse::jwt(200, String::new())),
            ["cache-control", "pragma", "content-type"]
        );
    }
}
