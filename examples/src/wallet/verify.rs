//! Verifying a received SD-JWT VC and reading its status from the issuer's status list.

use jose_core::PublicJwk;
use oid4vci_types::WellKnown;
use sdjwt_vc::{IssuerMetadata, KeyBinding, Verifier};
use serde_json::{Map, Value};
use status_list::{Status, StatusIndex, StatusListToken, VerifyOptions};

use super::Wallet;
use crate::error::DemoError;
use crate::issuer::ACCEPTED_ALGORITHMS;

/// A credential that verified.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedCredential {
    /// The compact SD-JWT as received.
    pub compact: String,
    /// The processed claims (all disclosures applied).
    pub claims: Map<String, Value>,
    /// `vct`.
    pub vct: String,
    /// The `kid` that verified it.
    pub kid: String,
    /// The holder key in `cnf.jwk`.
    pub holder_key: PublicJwk,
    /// The status list `uri`.
    pub status_uri: String,
    /// The status list `idx`.
    pub status_idx: u64,
    /// The status read from the served list at verification time.
    pub status: Status,
}

fn protocol(what: &str) -> DemoError {
    DemoError::Protocol(what.to_owned())
}

impl Wallet {
    fn issuer_keys(&self, issuer: &str) -> Result<IssuerMetadata, DemoError> {
        let url = WellKnown::JwtVcIssuer
            .url_for(issuer)
            .map_err(|e| DemoError::Protocol(format!("issuer identifier: {e}")))?;
        let reply = self
            .http
            .get("jwt-vc-issuer metadata", &url)?
            .expect("jwt-vc-issuer metadata", 200)?;
        let metadata = IssuerMetadata::from_json(reply.body.to_string().as_bytes())
            .map_err(|e| DemoError::Protocol(format!("jwt-vc-issuer metadata: {e}")))?;
        if metadata.issuer() != issuer {
            return Err(protocol("jwt-vc-issuer metadata names another issuer"));
        }
        Ok(metadata)
    }

    /// Verifies `compact` against the issuer's `jwt-vc-issuer` keys and reads its status.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when the signature, the claims or the status list do not verify.
    pub fn verify_credential(
        &self,
        info: &super::IssuerInfo,
        compact: &str,
    ) -> Result<VerifiedCredential, DemoError> {
        let metadata = self.issuer_keys(&info.issuer)?;
        let verified = Verifier::new(&metadata, ACCEPTED_ALGORITHMS, KeyBinding::forbidden())
            .verify(compact, self.now())
            .map_err(|e| DemoError::Protocol(format!("credential: {e}")))?;
        let kid = verified.header().kid().unwrap_or_default().to_owned();
        let claims = verified.into_claims();
        if claims.get("iss").and_then(Value::as_str) != Some(info.issuer.as_str()) {
            return Err(protocol("credential iss is not the issuer"));
        }
        let holder_key = claims
            .get("cnf")
            .and_then(|c| c.get("jwk"))
            .and_then(|j| PublicJwk::from_value(j).ok())
            .ok_or_else(|| protocol("credential has no cnf.jwk"))?;
        let vct = claims
            .get("vct")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let list = claims
            .get("status")
            .and_then(|s| s.get("status_list"))
            .ok_or_else(|| protocol("credential has no status_list reference"))?;
        let status_uri = list
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| protocol("status_list.uri missing"))?
            .to_owned();
        let status_idx = list
            .get("idx")
            .and_then(Value::as_u64)
            .ok_or_else(|| protocol("status_list.idx missing"))?;
        let key = metadata
            .keys()
            .iter()
            .find(|k| k.kid() == Some(kid.as_str()))
            .cloned()
            .ok_or_else(|| protocol("no issuer key with the credential's kid"))?;
        let status = self.read_status(&status_uri, status_idx, &key)?;
        Ok(VerifiedCredential {
            compact: compact.to_owned(),
            claims,
            vct,
            kid,
            holder_key,
            status_uri,
            status_idx,
            status,
        })
    }

    /// Fetches the Status List Token at `uri`, verifies it with `key` and reads entry `idx`.
    ///
    /// # Errors
    /// [`DemoError`] when the token cannot be fetched, has the wrong media type or does not
    /// verify.
    pub fn read_status(&self, uri: &str, idx: u64, key: &PublicJwk) -> Result<Status, DemoError> {
        let reply = self
            .http
            .get("status list", uri)?
            .expect("status list", 200)?;
        if reply.header("content-type") != Some(crate::issuer::STATUS_LIST_JWT_MEDIA_TYPE) {
            return Err(protocol("status list served with the wrong content type"));
        }
        let token = reply
            .body
            .as_str()
            .ok_or_else(|| protocol("status list body is not a JWT"))?;
        let list = StatusListToken::verify_jwt(
            token.as_bytes(),
            uri,
            key,
            &VerifyOptions::new(ACCEPTED_ALGORITHMS),
            self.now(),
        )
        .map_err(|e| DemoError::Protocol(format!("status list token: {e}")))?
        .into_list();
        list.get(StatusIndex::new(idx))
            .map_err(|e| DemoError::Protocol(format!("status list: {e}")))
    }
}
