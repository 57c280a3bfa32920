//! The wallet's trust anchors for an issuer, and X.509 validation of `x5c` headers.
//!
//! A real wallet ships its anchors or takes them from a trust list; the demo wallet reads them
//! from the demo issuer's `GET /admin/trust-anchors` (loopback only), which stands in for that
//! out-of-band channel.

use jose_core::{CompactJws, PublicJwk, UnixTime};
use serde_json::Value;
use trust_x509::{Policy, TrustAnchors};

use super::Wallet;
use crate::error::DemoError;

/// The PEM roots the wallet trusts for one issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuerTrust {
    /// Roots of the issuer's SD-JWT VC and status list signing certificates.
    pub credential_issuer: Vec<String>,
    /// IACA roots of the issuer's mdoc Document Signers.
    pub mdoc_iaca: Vec<String>,
}

fn strings(body: &Value, name: &str) -> Vec<String> {
    body.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a list of PEM roots as trust anchors (`None` when the list is empty).
///
/// # Errors
/// [`DemoError::Protocol`] when a root is not a usable certificate.
pub fn anchors(pems: &[String]) -> Result<Option<TrustAnchors>, DemoError> {
    if pems.is_empty() {
        return Ok(None);
    }
    TrustAnchors::from_pem(&pems.join("\n"))
        .map(Some)
        .map_err(|e| DemoError::Protocol(format!("trust anchors: {e}")))
}

/// Validates an `x5c` chain (leaf first, no root) to `anchors` at `now` and returns the leaf's
/// key.
///
/// # Errors
/// [`DemoError::Protocol`] with trust-x509's reason.
pub fn x5c_key(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    now: UnixTime,
) -> Result<PublicJwk, DemoError> {
    x5c_key_under(chain, anchors, now, &Policy::any_eku())
}

/// [`x5c_key`] under `policy` (an mdoc Document Signer's chain, for one).
///
/// # Errors
/// [`DemoError::Protocol`] with trust-x509's reason.
pub(super) fn x5c_key_under(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    now: UnixTime,
    policy: &Policy,
) -> Result<PublicJwk, DemoError> {
    trust_x509::validate_chain(chain, anchors, now, policy)
        .map(|v| PublicJwk::new(v.public_key().clone()))
        .map_err(|e| DemoError::Protocol(format!("x5c: {e}")))
}

/// The key of a compact JWS from its `x5c` header, validated to `anchors` at `now`.
///
/// # Errors
/// [`DemoError::Protocol`] when the JWS does not parse, has no `x5c` or the chain is not
/// trusted.
pub fn jws_x5c_key(
    token: &str,
    anchors: &TrustAnchors,
    now: UnixTime,
) -> Result<PublicJwk, DemoError> {
    let jws = CompactJws::parse(token, &jose_core::Limits::default())
        .map_err(|e| DemoError::Protocol(format!("JWS: {e}")))?;
    let chain = jws
        .header()
        .x5c()
        .ok_or_else(|| DemoError::Protocol("JWS has no x5c header".into()))?;
    x5c_key(chain, anchors, now)
}

impl Wallet {
    /// Reads the issuer's trust anchors from `GET {issuer}/admin/trust-anchors`. `None` when
    /// the issuer does not serve them (the wallet then trusts `jwt-vc-issuer` keys only).
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the issuer cannot be reached.
    pub fn fetch_trust(&self, issuer: &str) -> Result<Option<IssuerTrust>, DemoError> {
        let url = format!("{}/admin/trust-anchors", issuer.trim_end_matches('/'));
        let reply = self.http.get("trust anchors", &url)?;
        if reply.status != 200 {
            return Ok(None);
        }
        Ok(Some(IssuerTrust {
            credential_issuer: strings(&reply.body, "credential_issuer"),
            mdoc_iaca: strings(&reply.body, "mdoc_iaca"),
        }))
    }
}
