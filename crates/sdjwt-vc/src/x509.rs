//! Issuer keys from the `x5c` header (SD-JWT VC §3.5, HAIP): the chain is validated to
//! configured trust anchors with `trust-x509` at the verification time, the leaf must name the
//! `iss`, and the leaf's key verifies the issuer-signed JWT.

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{PublicJwk, UnixTime};
use trust_x509::{AnchorLookup, Policy, TrustAnchors, ValidatedChain};

use crate::error::Error;

/// A [`KeyLookup`] for issuers identified by X.509 certificates (feature `x509`): the SD-JWT VC
/// adapter over [`trust_x509::AnchorLookup`], adding the rules of this specification.
///
/// The protected header's `x5c` (leaf first, then the intermediates, **without** the trust
/// anchor, as HAIP requires) must validate to one of the anchors at the verifier's `now` under
/// the policy (by default [`Policy::any_eku`]: validity, signatures, CA constraints, KeyUsage
/// digitalSignature on the leaf). The leaf's public key is then the only candidate key.
///
/// The leaf must name the payload's `iss` in its SubjectAltName (SD-JWT VC §3.5): an `iss` in
/// the DNS URI scheme (`dns:issuer.example`, RFC 4501) must equal a `dNSName` entry (ASCII
/// case-insensitively), any other `iss` must equal a `uniformResourceIdentifier` entry exactly.
/// Without `iss` (it is optional) the leaf itself identifies the issuer and nothing is
/// matched. So several issuers can share a CA without impersonating each other.
///
/// Refused, each with the verifier's error: no `x5c` ([`Error::IssuerKey`]), a chain that does
/// not validate ([`Error::X509`] with the `trust-x509` reason, such as `UnknownIssuer` for a
/// chain of another CA or `Expired`), an `x5c` that includes the anchor certificate
/// itself ([`Error::IssuerKey`]), and a leaf that does not name `iss`
/// ([`Error::IssuerNotInCertificate`]). As a [`KeyLookup`] each is a
/// [`KeyLookupError::NoTrustedKey`] whose cause ([`KeyLookupError::cause`]) is that [`Error`].
///
/// ```no_run
/// use jose_core::{Algorithm, UnixTime};
/// use sdjwt_vc::{KeyBinding, Verifier, X5cTrust};
///
/// // The caller loads the roots (a trust list, its configuration) and the clock; the library
/// // only parses and checks.
/// fn verify(roots_pem: &str, presentation: &str, now: UnixTime) -> Result<(), Box<dyn std::error::Error>> {
///     let trust = X5cTrust::new(trust_x509::TrustAnchors::from_pem(roots_pem)?);
///     let verifier = Verifier::new(&trust, &[Algorithm::Es256], KeyBinding::forbidden());
///     let _verified = verifier.verify(presentation, now)?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct X5cTrust {
    chains: AnchorLookup,
}

impl X5cTrust {
    /// Trusts issuer chains to `anchors` under [`Policy::any_eku`].
    #[must_use]
    pub fn new(anchors: TrustAnchors) -> Self {
        Self {
            chains: AnchorLookup::new(anchors, Policy::any_eku()),
        }
    }

    /// Uses another certificate policy (for example a required leaf EKU).
    #[must_use]
    pub fn with_policy(self, policy: Policy) -> Self {
        Self {
            chains: self.chains.with_policy(policy),
        }
    }

    /// The trust anchors.
    #[must_use]
    pub const fn anchors(&self) -> &TrustAnchors {
        self.chains.anchors()
    }

    /// The issuer key of the query, as the verifier's [`Error`].
    fn leaf_key(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<PublicJwk, Error> {
        let chain = query.x5c().ok_or_else(|| Error::IssuerKey {
            reason: "no x5c header".into(),
        })?;
        let validated = self.chains.validate(chain, now).map_err(Error::X509)?;
        let anchor = validated.path().last();
        if chain.iter().any(|cert| Some(cert) == anchor) {
            return Err(Error::IssuerKey {
                reason: "x5c includes the trust anchor certificate (HAIP: leave it out)".into(),
            });
        }
        if let Some(iss) = query.issuer()
            && !leaf_names_issuer(&validated, iss)
        {
            return Err(Error::IssuerNotInCertificate {
                iss: jose_core::short_text(iss),
            });
        }
        Ok(PublicJwk::new(validated.public_key().clone()))
    }
}

impl KeyLookup for X5cTrust {
    fn keys(&self, query: &KeyQuery<'_>, now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        self.leaf_key(query, now)
            .map(|key| vec![key])
            .map_err(KeyLookupError::untrusted)
    }
}

/// SD-JWT VC §3.5: a `dns:` `iss` (RFC 4501) names a `dNSName` SubjectAltName entry, any other
/// `iss` a `uniformResourceIdentifier` entry.
fn leaf_names_issuer(leaf: &ValidatedChain, iss: &str) -> bool {
    match dns_name(iss) {
        Some(name) => leaf
            .leaf_san_dns_names()
            .iter()
            .any(|dns| dns.eq_ignore_ascii_case(name)),
        None => leaf.leaf_san_uris().iter().any(|uri| uri == iss),
    }
}

/// The host name of a DNS URI (RFC 4501 §3: `dns:[//authority/]name[?query]`), if `iss` is one.
fn dns_name(iss: &str) -> Option<&str> {
    let scheme = iss.get(..4)?;
    if !scheme.eq_ignore_ascii_case("dns:") {
        return None;
    }
    let rest = iss.get(4..)?;
    let rest = match rest.strip_prefix("//") {
        // The authority names the DNS server to ask, not the name.
        Some(with_authority) => with_authority.split_once('/').map_or("", |(_, name)| name),
        None => rest,
    };
    Some(rest.split_once('?').map_or(rest, |(name, _)| name))
}

#[cfg(test)]
mod tests {
    use super::dns_name;

    #[test]
    fn dns_uris_give_their_name() {
        assert_eq!(dns_name("dns:issuer.example"), Some("issuer.example"));
        assert_eq!(dns_name("DNS:issuer.example"), Some("issuer.example"));
        assert_eq!(
            dns_name("dns://192.0.2.1/issuer.example?type=A"),
            Some("issuer.example")
        );
        assert_eq!(dns_name("https://issuer.example"), None);
        assert_eq!(dns_name("dns"), None);
    }
}
