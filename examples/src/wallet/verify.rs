//! Verifying a received SD-JWT VC and reading a status from the issuer's status list.

use jose_core::PublicJwk;
use oid4vci_types::WellKnown;
use sdjwt_vc::{IssuerMetadata, KeyBinding, Verifier, X5cTrust};
use serde_json::{Map, Value};
use status_list::{Status, StatusIndex, StatusList, StatusListToken, VerifyOptions};
use trust_x509::TrustAnchors;

use super::{Wallet, trust};
use crate::error::DemoError;
use crate::issuer::ACCEPTED_ALGORITHMS;

/// A credential that verified.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedCredential {
    /// `dc+sd-jwt` or `mso_mdoc`.
    pub format: String,
    /// The credential as received (compact SD-JWT, or base64url `IssuerSigned`).
    pub compact: String,
    /// The claims: the processed SD-JWT payload (all disclosures applied), or the verified mdoc
    /// elements as `{name_space: {element: value}}`.
    pub claims: Map<String, Value>,
    /// `vct` (SD-JWT VC) or `docType` (mdoc).
    pub credential_type: String,
    /// How the issuer key was trusted, for display (`x5c -> credential_issuer root`, ...).
    pub trusted_by: String,
    /// The SD-JWT header `kid` (empty for an mdoc).
    pub kid: String,
    /// The holder key: `cnf.jwk`, or the mdoc device key.
    pub holder_key: PublicJwk,
    /// The status list `uri`.
    pub status_uri: String,
    /// The status list `idx`.
    pub status_idx: u64,
    /// The status read from the served list at verification time.
    pub status: Status,
}

pub(super) fn protocol(what: &str) -> DemoError {
    DemoError::Protocol(what.to_owned())
}

impl Wallet {
    /// The issuer's `jwt-vc-issuer` metadata (its keys), checked to name `issuer`.
    ///
    /// # Errors
    /// [`DemoError`] when it cannot be fetched or parsed, or names another issuer.
    pub fn issuer_keys(&self, issuer: &str) -> Result<IssuerMetadata, DemoError> {
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

    /// Verifies an SD-JWT VC and reads its status. With the issuer's trust anchors (see
    /// [`IssuerInfo::trust`](super::IssuerInfo)) the key is the `x5c` leaf once the chain
    /// validates to the `credential_issuer` root, its SubjectAltName must name the `iss`
    /// (checked by sdjwt-vc's [`X5cTrust`]),
    /// and the `jwt-vc-issuer` key named by `kid` must be that same key; without anchors the `jwt-vc-issuer` key is trusted.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when the chain, the signature, the claims or the status list do
    /// not verify.
    pub fn verify_credential(
        &self,
        info: &super::IssuerInfo,
        compact: &str,
    ) -> Result<VerifiedCredential, DemoError> {
        let metadata = self.issuer_keys(&info.issuer)?;
        let x5c_trust = match &info.trust {
            Some(trust) => trust::anchors(&trust.credential_issuer)?.map(X5cTrust::new),
            None => None,
        };
        let now = self.now();
        let verified = match &x5c_trust {
            // The chain, and that its leaf names `iss`: sdjwt-vc's X5cTrust.
            Some(x5c_trust) => {
                Verifier::new(x5c_trust, ACCEPTED_ALGORITHMS, KeyBinding::forbidden())
                    .verify(compact, now)
            }
            None => Verifier::new(&metadata, ACCEPTED_ALGORITHMS, KeyBinding::forbidden())
                .verify(compact, now),
        }
        .map_err(|e| DemoError::Protocol(format!("credential: {e}")))?;
        let kid = verified.header().kid().unwrap_or_default().to_owned();
        let x5c_key = match (&x5c_trust, verified.header().x5c()) {
            (Some(x5c_trust), Some(chain)) => {
                Some(trust::x5c_key(chain, x5c_trust.anchors(), now)?)
            }
            _ => None,
        };
        if verified.issuer() != Some(info.issuer.as_str()) {
            return Err(protocol("credential iss is not the issuer"));
        }
        let holder_key = verified
            .holder_key()
            .map_err(|e| DemoError::Protocol(format!("credential: {e}")))?;
        let vct = verified.vct().unwrap_or_default().to_owned();
        let reference = verified
            .status_list()
            .ok_or_else(|| protocol("credential has no status_list reference"))?;
        let status_uri = reference.uri().to_owned();
        let status_idx = reference.idx().get();
        let key = metadata
            .keys()
            .iter()
            .find(|k| k.kid() == Some(kid.as_str()))
            .cloned()
            .ok_or_else(|| protocol("no issuer key with the credential's kid"))?;
        let (trusted_by, status) = match (&x5c_trust, x5c_key) {
            (Some(x5c_trust), Some(leaf)) => {
                if !leaf.same_key(&key) {
                    return Err(protocol(
                        "the jwt-vc-issuer key named by kid is not the x5c leaf key",
                    ));
                }
                (
                    "x5c chain to the credential_issuer root".to_owned(),
                    self.read_status_x5c(&status_uri, status_idx, x5c_trust.anchors())?,
                )
            }
            // The status list token is signed by the issuer's active key, which after a key
            // rotation is not the key of an older credential: any published key will do.
            _ => (
                "jwt-vc-issuer key (kid)".to_owned(),
                self.read_status_published(&status_uri, status_idx, &key, metadata.keys())?,
            ),
        };
        Ok(VerifiedCredential {
            format: "dc+sd-jwt".to_owned(),
            compact: compact.to_owned(),
            claims: verified.into_claims(),
            credential_type: vct,
            trusted_by,
            kid,
            holder_key,
            status_uri,
            status_idx,
            status,
        })
    }

    fn status_token(&self, uri: &str) -> Result<String, DemoError> {
        let reply = self
            .http
            .get("status list", uri)?
            .expect("status list", 200)?;
        if reply.header("content-type") != Some(crate::issuer::STATUS_LIST_JWT_MEDIA_TYPE) {
            return Err(protocol("status list served with the wrong content type"));
        }
        reply
            .body
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| protocol("status list body is not a JWT"))
    }

    fn status_entry(
        &self,
        token: &str,
        uri: &str,
        idx: u64,
        key: &PublicJwk,
    ) -> Result<Status, DemoError> {
        self.verified_list(token, uri, key)?
            .get(StatusIndex::new(idx))
            .map_err(|e| DemoError::Protocol(format!("status list: {e}")))
    }

    fn verified_list(
        &self,
        token: &str,
        uri: &str,
        key: &PublicJwk,
    ) -> Result<StatusList, DemoError> {
        Ok(StatusListToken::verify_jwt(
            token.as_bytes(),
            uri,
            key,
            &VerifyOptions::new(ACCEPTED_ALGORITHMS),
            self.now(),
        )
        .map_err(|e| DemoError::Protocol(format!("status list token: {e}")))?
        .into_list())
    }

    /// Fetches the Status List Token at `uri` and verifies it with `key`: the whole list, to
    /// read many entries from one fetch.
    ///
    /// # Errors
    /// As [`Self::read_status`].
    pub fn status_list(&self, uri: &str, key: &PublicJwk) -> Result<StatusList, DemoError> {
        let token = self.status_token(uri)?;
        self.verified_list(&token, uri, key)
    }

    /// Fetches the Status List Token at `uri`, verifies it with `key` and reads entry `idx`.
    ///
    /// # Errors
    /// [`DemoError`] when the token cannot be fetched, has the wrong media type or does not
    /// verify.
    pub fn read_status(&self, uri: &str, idx: u64, key: &PublicJwk) -> Result<Status, DemoError> {
        let token = self.status_token(uri)?;
        self.status_entry(&token, uri, idx, key)
    }

    /// Fetches the Status List Token at `uri`, verifies it with `first` or else one of the
    /// issuer's `published` keys, and reads entry `idx`.
    ///
    /// # Errors
    /// As [`Self::read_status`] (the failure with `first` when no key verifies it).
    pub fn read_status_published(
        &self,
        uri: &str,
        idx: u64,
        first: &PublicJwk,
        published: &[PublicJwk],
    ) -> Result<Status, DemoError> {
        let token = self.status_token(uri)?;
        let error = match self.status_entry(&token, uri, idx, first) {
            Ok(status) => return Ok(status),
            Err(e) => e,
        };
        published
            .iter()
            .filter(|key| !key.same_key(first))
            .find_map(|key| self.status_entry(&token, uri, idx, key).ok())
            .ok_or(error)
    }

    /// Fetches the Status List Token at `uri`, verifies it with the key of its `x5c` leaf once
    /// the chain validates to `anchors`, and reads entry `idx`.
    ///
    /// # Errors
    /// As [`Self::read_status`], and [`DemoError::Protocol`] for an untrusted or absent `x5c`.
    pub fn read_status_x5c(
        &self,
        uri: &str,
        idx: u64,
        anchors: &TrustAnchors,
    ) -> Result<Status, DemoError> {
        let token = self.status_token(uri)?;
        let key = trust::jws_x5c_key(&token, anchors, self.now())?;
        self.status_entry(&token, uri, idx, &key)
    }

    /// Fetches the Status List Token at `uri` as a CWT (`Accept: application/statuslist+cwt`,
    /// what an ISO 18013-5 reader asks for an mdoc's list), verifies it with the key of its
    /// `x5chain` leaf once the chain validates to `iaca` under the Document Signer profile, and
    /// reads entry `idx`.
    ///
    /// # Errors
    /// [`DemoError::Transport`]; [`DemoError::Protocol`] for another status or content type,
    /// an untrusted or absent `x5chain`, or a token or index that does not verify.
    pub fn read_status_cwt(
        &self,
        uri: &str,
        idx: u64,
        iaca: &TrustAnchors,
    ) -> Result<Status, DemoError> {
        let media_type = crate::issuer::STATUS_LIST_CWT_MEDIA_TYPE;
        let (status, content_type, token) =
            self.http
                .get_bytes("status list (CWT)", uri, &[("Accept", media_type)])?;
        if status != 200 || content_type.as_deref() != Some(media_type) {
            return Err(DemoError::Protocol(format!(
                "status list CWT: answered {status} with {content_type:?}"
            )));
        }
        let status_error = |e: status_list::Error| DemoError::Protocol(format!("status list: {e}"));
        let chain = StatusListToken::cwt_x5chain(&token, &status_list::Limits::default())
            .map_err(status_error)?;
        let key = trust::x5c_key_under(
            &chain,
            iaca,
            self.now(),
            &trust_x509::Policy::mdoc_document_signer(),
        )?;
        StatusListToken::verify_cwt(
            &token,
            uri,
            &key,
            &VerifyOptions::new(ACCEPTED_ALGORITHMS),
            self.now(),
        )
        .map_err(status_error)?
        .into_list()
        .get(StatusIndex::new(idx))
        .map_err(status_error)
    }
}
