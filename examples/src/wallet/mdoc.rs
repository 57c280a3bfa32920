//! Verifying a received `mso_mdoc` credential (base64url `IssuerSigned`) and its status, and
//! dispatching a received credential to the verifier of its configuration's format.

use jose_core::PublicJwk;
use mdoc_cbor::IacaTrust;
use oid4vci_types::CredentialFormat;
use serde_json::Value;

use super::verify::protocol;
use super::{IssuerInfo, VerifiedCredential, Wallet, trust};
use crate::error::DemoError;

impl Wallet {
    /// Verifies an mdoc: `issuerAuth`'s `x5chain` validates to the issuer's `mdoc_iaca` root
    /// under the ISO 18013-5 IACA → Document Signer profile, the COSE signature, every item's
    /// digest, the `docType` and the validity at now; then the MSO's status list entry is read
    /// from the list's CWT, whose `x5chain` validates to the same `mdoc_iaca` root.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] without IACA or issuer roots, or when any check fails.
    pub fn verify_mdoc(
        &self,
        info: &IssuerInfo,
        credential: &str,
        doctype: &str,
    ) -> Result<VerifiedCredential, DemoError> {
        let trust_set = info
            .trust
            .as_ref()
            .ok_or_else(|| protocol("no trust anchors for this issuer: cannot verify an mdoc"))?;
        let iaca = || {
            trust::anchors(&trust_set.mdoc_iaca)?
                .ok_or_else(|| protocol("the issuer serves no mdoc_iaca root"))
        };
        let trust = IacaTrust::new(iaca()?);
        let verified = mdoc_cbor::Verifier::new(&trust)
            .verify_base64url(credential, doctype, self.now())
            .map_err(|e| DemoError::Protocol(format!("mdoc: {e}")))?;
        let reference = verified
            .status
            .clone()
            .ok_or_else(|| protocol("the MSO has no status list reference"))?;
        let status = self.read_status_cwt(&reference.uri, reference.idx, &iaca()?)?;
        let Value::Object(claims) = verified.to_json() else {
            return Err(protocol("the mdoc claims are not a JSON object"));
        };
        Ok(VerifiedCredential {
            format: oid4vci_types::FORMAT_MSO_MDOC.to_owned(),
            compact: credential.to_owned(),
            claims,
            credential_type: verified.doc_type.clone(),
            trusted_by: "x5chain to the mdoc_iaca root (IACA -> Document Signer profile)"
                .to_owned(),
            kid: String::new(),
            holder_key: PublicJwk::new(verified.device_key.clone()),
            status_uri: reference.uri,
            status_idx: reference.idx,
            status,
        })
    }

    /// Verifies a credential issued for `configuration_id`, by the format the issuer metadata
    /// gives that configuration (`dc+sd-jwt` or `mso_mdoc`).
    ///
    /// # Errors
    /// [`DemoError::Protocol`] for an unknown configuration or format, else as
    /// [`Self::verify_credential`] and [`Self::verify_mdoc`].
    pub fn verify_issued(
        &self,
        info: &IssuerInfo,
        configuration_id: &str,
        credential: &str,
    ) -> Result<VerifiedCredential, DemoError> {
        let configuration = info
            .metadata
            .get("credential_configurations_supported")
            .and_then(|c| c.get(configuration_id))
            .ok_or_else(|| protocol("the metadata does not list the offered configuration"))?;
        let Some(format) = configuration.get("format").and_then(Value::as_str) else {
            return Err(protocol("the wallet cannot verify format (none)"));
        };
        match CredentialFormat::from_name(format) {
            CredentialFormat::SdJwtVc => self.verify_credential(info, credential),
            CredentialFormat::MsoMdoc => {
                let doctype = configuration
                    .get("doctype")
                    .and_then(Value::as_str)
                    .ok_or_else(|| protocol("mso_mdoc configuration without doctype"))?;
                self.verify_mdoc(info, credential, doctype)
            }
            _ => Err(DemoError::Protocol(format!(
                "the wallet cannot verify format {format}"
            ))),
        }
    }
}
