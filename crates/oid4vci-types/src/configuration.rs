//! One entry of `credential_configurations_supported` (OpenID4VCI 1.0 §12.2.4, App. A).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::display::{ClaimDescription, CredentialDisplay, Extra};
use crate::error::{AlgorithmKind, Error, MessageKind};

/// Format identifier of SD-JWT VC (App. A.3; `vc+sd-jwt` before draft 15).
pub const FORMAT_SD_JWT_VC: &str = "dc+sd-jwt";
/// Format identifier of ISO mdoc (App. A.2).
pub const FORMAT_MSO_MDOC: &str = "mso_mdoc";
/// Format identifier of a W3C VC signed as a JWT, not using JSON-LD (App. A.1.1).
pub const FORMAT_JWT_VC_JSON: &str = "jwt_vc_json";
/// Format identifier of a W3C VC signed as a JWT, using JSON-LD (App. A.1.2).
pub const FORMAT_JWT_VC_JSON_LD: &str = "jwt_vc_json-ld";
/// Format identifier of a W3C VC secured with Data Integrity (App. A.1.3).
pub const FORMAT_LDP_VC: &str = "ldp_vc";

/// The credential formats this crate knows the format-specific rules of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialFormat {
    /// `jwt_vc_json`.
    JwtVcJson,
    /// `jwt_vc_json-ld`.
    JwtVcJsonLd,
    /// `ldp_vc`.
    LdpVc,
    /// `mso_mdoc`.
    MsoMdoc,
    /// `dc+sd-jwt`.
    SdJwtVc,
    /// Any other identifier (kept as the `format` string).
    Other,
}

impl CredentialFormat {
    /// Classifies a `format` string.
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        match name {
            FORMAT_SD_JWT_VC => Self::SdJwtVc,
            FORMAT_MSO_MDOC => Self::MsoMdoc,
            FORMAT_JWT_VC_JSON => Self::JwtVcJson,
            FORMAT_JWT_VC_JSON_LD => Self::JwtVcJsonLd,
            FORMAT_LDP_VC => Self::LdpVc,
            _ => Self::Other,
        }
    }

    /// The `format` identifier (App. A), or `None` for [`Self::Other`], whose identifier is
    /// the configuration's `format` string.
    ///
    /// ```
    /// use oid4vci_types::CredentialFormat;
    /// assert_eq!(CredentialFormat::MsoMdoc.name(), Some("mso_mdoc"));
    /// assert_eq!(CredentialFormat::from_name("dc+sd-jwt").name(), Some("dc+sd-jwt"));
    /// assert_eq!(CredentialFormat::from_name("x-custom").name(), None);
    /// ```
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::SdJwtVc => Some(FORMAT_SD_JWT_VC),
            Self::MsoMdoc => Some(FORMAT_MSO_MDOC),
            Self::JwtVcJson => Some(FORMAT_JWT_VC_JSON),
            Self::JwtVcJsonLd => Some(FORMAT_JWT_VC_JSON_LD),
            Self::LdpVc => Some(FORMAT_LDP_VC),
            Self::Other => None,
        }
    }
}

/// An entry of `credential_signing_alg_values_supported`: a COSE algorithm integer
/// (`mso_mdoc`) or a name (JOSE for `dc+sd-jwt`, cryptosuites for `ldp_vc`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
#[expect(
    clippy::exhaustive_enums,
    reason = "a JSON number or a JSON string, nothing else"
)]
pub enum AlgorithmIdentifier {
    /// A COSE algorithm identifier, e.g. `-7` (ES256) or `-9` (ESP256).
    Cose(i64),
    /// An algorithm or cryptosuite name, e.g. `ES256`.
    Name(String),
}

/// A credential configuration (§12.2.4). Format-specific members (`vct`, `doctype`,
/// `credential_definition`) are typed; anything else is in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialConfiguration {
    /// REQUIRED. The format identifier (App. A).
    pub format: String,
    /// OAuth scope value for requesting this credential (HAIP requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Key binding methods (`jwk`, `cose_key`, `did:<method>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// Algorithms the issuer signs this credential with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<AlgorithmIdentifier>>,
    /// Proof types accepted for key binding, by proof type (`jwt`, `attestation`, `di_vp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<String, ProofTypeMetadata>>,
    /// Display and claims metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    /// `dc+sd-jwt`: REQUIRED credential type (App. A.3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// `mso_mdoc`: REQUIRED document type (App. A.2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctype: Option<String>,
    /// W3C formats: `type` and `@context` of the credential (App. A.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<Value>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CredentialConfiguration {
    /// A configuration with only a format; set the other fields afterwards.
    #[must_use]
    pub fn new(format: &str) -> Self {
        Self {
            format: format.into(),
            scope: None,
            cryptographic_binding_methods_supported: None,
            credential_signing_alg_values_supported: None,
            proof_types_supported: None,
            credential_metadata: None,
            vct: None,
            doctype: None,
            credential_definition: None,
            extra: Extra::new(),
        }
    }

    /// The format, classified.
    #[must_use]
    pub fn format_kind(&self) -> CredentialFormat {
        CredentialFormat::from_name(&self.format)
    }

    /// Checks the format-specific rules: `vct` for `dc+sd-jwt` and `doctype` for `mso_mdoc`
    /// are REQUIRED, `mso_mdoc` algorithms are COSE integers and `dc+sd-jwt` algorithms are
    /// JOSE names; no two claims descriptions share a path.
    ///
    /// # Errors
    ///
    /// [`Error::MissingMember`], [`Error::WrongAlgorithmKind`], [`Error::DuplicateClaimPath`].
    pub fn check(&self, configuration_id: &str) -> Result<(), Error> {
        let missing = |member: &str| Error::MissingMember {
            message: MessageKind::CredentialConfiguration,
            member: member.into(),
        };
        let (required, expected) = match self.format_kind() {
            CredentialFormat::SdJwtVc => (
                self.vct.as_ref().map(|_| ()).ok_or_else(|| missing("vct")),
                Some(AlgorithmKind::JoseName),
            ),
            CredentialFormat::MsoMdoc => (
                self.doctype
                    .as_ref()
                    .map(|_| ())
                    .ok_or_else(|| missing("doctype")),
                Some(AlgorithmKind::CoseInteger),
            ),
            _ => (Ok(()), None),
        };
        required?;
        if let (Some(expected), Some(algs)) =
            (expected, &self.credential_signing_alg_values_supported)
        {
            let ok = algs.iter().all(|a| {
                matches!(
                    (expected, a),
                    (AlgorithmKind::CoseInteger, AlgorithmIdentifier::Cose(_))
                        | (AlgorithmKind::JoseName, AlgorithmIdentifier::Name(_))
                )
            });
            if !ok {
                return Err(Error::WrongAlgorithmKind {
                    configuration_id: configuration_id.into(),
                    expected,
                });
            }
        }
        if let Some(claims) = self
            .credential_metadata
            .as_ref()
            .and_then(|m| m.claims.as_ref())
        {
            let mut paths: Vec<_> = claims.iter().map(|c| &c.path).collect();
            paths.sort();
            if paths.windows(2).any(|w| w.first() == w.get(1)) {
                return Err(Error::DuplicateClaimPath {
                    configuration_id: configuration_id.into(),
                });
            }
        }
        Ok(())
    }
}

/// Metadata of one proof type (§12.2.4 `proof_types_supported`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProofTypeMetadata {
    /// REQUIRED. Algorithms the proofs may be signed with.
    pub proof_signing_alg_values_supported: Vec<String>,
    /// Key attestation requirements; an empty object means "a key attestation is required,
    /// with no further constraint".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<KeyAttestationsRequired>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ProofTypeMetadata {
    /// Metadata allowing the given algorithms.
    #[must_use]
    pub fn new(algs: &[&str]) -> Self {
        Self {
            proof_signing_alg_values_supported: algs.iter().map(|a| (*a).into()).collect(),
            key_attestations_required: None,
            extra: Extra::new(),
        }
    }

    /// Requires a key attestation meeting `required` with proofs of this type.
    #[must_use]
    pub fn with_key_attestations_required(mut self, required: KeyAttestationsRequired) -> Self {
        self.key_attestations_required = Some(required);
        self
    }
}

impl KeyAttestationsRequired {
    /// A requirement accepting these `key_storage` and `user_authentication` values; an empty
    /// list is left out (no constraint), so `new(vec![], vec![])` is the empty object.
    #[must_use]
    pub fn new(key_storage: Vec<String>, user_authentication: Vec<String>) -> Self {
        Self {
            key_storage: (!key_storage.is_empty()).then_some(key_storage),
            user_authentication: (!user_authentication.is_empty()).then_some(user_authentication),
            extra: Extra::new(),
        }
    }
}

/// `key_attestations_required` (§12.2.4, App. D.2 values).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyAttestationsRequired {
    /// Accepted key storage attack-potential levels (e.g. `iso_18045_high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_storage: Option<Vec<String>>,
    /// Accepted user authentication levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_authentication: Option<Vec<String>>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `credential_metadata` (§12.2.4): display and claims of the credential.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialMetadata {
    /// Localized display properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<CredentialDisplay>>,
    /// Claims descriptions (App. B.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}
