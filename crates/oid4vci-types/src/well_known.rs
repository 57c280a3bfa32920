//! Well-known metadata URLs (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1, SD-JWT VC §5): the
//! well-known suffix goes **between** the host and the path of the identifier.

use alloc::format;
use alloc::string::String;

use crate::error::Error;

/// The well-known documents this crate builds URLs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WellKnown {
    /// `/.well-known/openid-credential-issuer` (OpenID4VCI 1.0 §12.2.2).
    CredentialIssuer,
    /// `/.well-known/oauth-authorization-server` (RFC 8414 §3).
    AuthorizationServer,
    /// `/.well-known/jwt-vc-issuer` (SD-JWT VC issuer metadata).
    JwtVcIssuer,
}

impl WellKnown {
    /// The registered suffix, without `/.well-known/`.
    #[must_use]
    pub fn suffix(self) -> &'static str {
        match self {
            Self::CredentialIssuer => "openid-credential-issuer",
            Self::AuthorizationServer => "oauth-authorization-server",
            Self::JwtVcIssuer => "jwt-vc-issuer",
        }
    }

    /// Builds the metadata URL for `identifier`: `https://host/path` becomes
    /// `https://host/.well-known/<suffix>/path`, with one trailing `/` of the path removed first
    /// (RFC 8414 §3.1; OpenID4VCI is silent, see issues #682 and #744).
    ///
    /// ```
    /// use oid4vci_types::WellKnown;
    /// assert_eq!(
    ///     WellKnown::CredentialIssuer.url_for("https://ex.com/tenant/").unwrap(),
    ///     "https://ex.com/.well-known/openid-credential-issuer/tenant"
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the identifier is not `https` (plain `http` is accepted only
    /// for `localhost`, `127.0.0.1` and `[::1]`), has no host, has user info, a query or a
    /// fragment.
    pub fn url_for(self, identifier: &str) -> Result<String, Error> {
        let (scheme, authority, path) = split_identifier(identifier, "identifier")?;
        let path = path.strip_suffix('/').unwrap_or(path);
        Ok(format!(
            "{scheme}://{authority}/.well-known/{}{path}",
            self.suffix()
        ))
    }
}

/// Checks that `url` is a valid issuer identifier (https, host, no query or fragment).
pub(crate) fn check_issuer_identifier(url: &str, member: &'static str) -> Result<(), Error> {
    split_identifier(url, member).map(|_| ())
}

/// Splits an identifier into (scheme, authority, path).
fn split_identifier<'a>(
    url: &'a str,
    member: &'static str,
) -> Result<(&'static str, &'a str, &'a str), Error> {
    let invalid = |reason| Error::InvalidUrl { member, reason };
    let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
        ("https", rest)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        ("http", rest)
    } else {
        return Err(invalid("not an https URL"));
    };
    if rest.contains('?') {
        return Err(invalid("has a query component"));
    }
    if rest.contains('#') {
        return Err(invalid("has a fragment component"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(invalid("has no host"));
    }
    if authority.contains('@') {
        return Err(invalid("has user info"));
    }
    if scheme == "http" && !is_loopback(authority) {
        return Err(invalid("not an https URL"));
    }
    Ok((scheme, authority, path))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn is_loopback(authority: &str) -> bool {
    let host = if authority.starts_with('[') {
        authority.split_once(']').map_or(authority, |(h, _)| h)
    } else {
        authority.split_once(':').map_or(authority, |(h, _)| h)
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_goes_between_host_and_path() {
        let cases = [
            (
                WellKnown::CredentialIssuer,
                "https://ex.com/tenant",
                "https://ex.com/.well-known/openid-credential-issuer/tenant",
            ),
            (
                WellKnown::CredentialIssuer,
                "https://ex.com",
                "https://ex.com/.well-known/openid-credential-issuer",
            ),
            (
                WellKnown::CredentialIssuer,
                "https://ex.com/",
                "https://ex.com/.well-known/openid-credential-issuer",
            ),
            (
                WellKnown::AuthorizationServer,
                "https://ex.com:8443/a/b/",
                "https://ex.com:8443/.well-known/oauth-authorization-server/a/b",
            ),
            (
                WellKnown::JwtVcIssuer,
                "https://ex.com/tenant/",
                "https://ex.com/.well-known/jwt-vc-issuer/tenant",
            ),
            (
                WellKnown::CredentialIssuer,
                "http://localhost:8080/i",
                "http://localhost:8080/.well-known/openid-credential-issuer/i",
            ),
            (
                WellKnown::CredentialIssuer,
                "http://[::1]:80",
                "http://[::1]:80/.well-known/openid-credential-issuer",
            ),
        ];
        for (which, id, want) in cases {
            assert_eq!(which.url_for(id).unwrap(), want, "{id}");
        }
    }

    #[test]
    fn bad_identifiers() {
        let cases = [
            ("http://ex.com/x", "not an https URL"),
            ("ftp://ex.com", "not an https URL"),
            ("https://ex.com/?a=b", "has a query component"),
            ("https://ex.com/#f", "has a fragment component"),
            ("https:///path", "has no host"),
            ("https://u@ex.com", "has user info"),
        ];
        for (id, reason) in cases {
            assert_eq!(
                WellKnown::CredentialIssuer.url_for(id).unwrap_err(),
                Error::InvalidUrl {
                    member: "identifier",
                    reason
                },
                "{id}"
            );
        }
    }
}
