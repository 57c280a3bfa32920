//! The issuer's configuration file (JSON, camelCase).
//!
//! `issuer --print-default-config` prints [`IssuerConfig::default_config`]; save it, edit it and
//! start the issuer with `--config FILE`.

use std::path::PathBuf;

use jose_core::Algorithm;
use oid4vci_issuer::SubjectClaims;
use oid4vci_types::CredentialFormat;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::DemoError;

/// The issuer configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct IssuerConfig {
    /// The credential issuer identifier and base of every endpoint URL, e.g.
    /// `http://127.0.0.1:8080`. `null`: `http://` + the address the server listens on.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The key that signs credentials and status list tokens.
    pub signing_key: SigningKeyConfig,
    /// The credential configurations offered (the order is the metadata order).
    pub credential_configurations: Vec<CredentialConfiguration>,
    /// The `clientAttestationConfig` object, in exactly the documented shape (see the
    /// `attestation-jwt` crate). `null`: no client attestation (anonymous pre-authorized access).
    #[serde(default)]
    pub client_attestation_config: Option<Value>,
    /// Trust for key attestations (OpenID4VCI 1.0 App. D), required when a credential
    /// configuration has `keyAttestationsRequired`. `null`: key attestations are not verified.
    #[serde(default)]
    pub key_attestation_config: Option<KeyAttestationConfig>,
    /// The local keystore file that `kms-key` references resolve against.
    #[serde(default)]
    pub keystore: Option<PathBuf>,
    /// The most proofs (and so credentials) one credential request may carry.
    #[serde(default = "defaults::batch_size")]
    pub batch_size: usize,
    /// Lifetime of a pre-authorized code.
    #[serde(default = "defaults::pre_authorized_code_ttl")]
    pub pre_authorized_code_ttl_seconds: u64,
    /// Wrong `tx_code` attempts after which the pre-authorized code is burnt.
    #[serde(default = "defaults::tx_code_max_attempts")]
    pub tx_code_max_attempts: u32,
    /// Lifetime of an access token.
    #[serde(default = "defaults::access_token_ttl")]
    pub access_token_ttl_seconds: u64,
    /// Lifetime of a refresh token family.
    #[serde(default = "defaults::refresh_token_ttl")]
    pub refresh_token_ttl_seconds: u64,
    /// How long a `c_nonce` (and an attestation challenge) stays valid.
    #[serde(default = "defaults::nonce_max_age")]
    pub nonce_max_age_seconds: u64,
    /// Validity of an issued credential.
    #[serde(default = "defaults::credential_ttl")]
    pub credential_ttl_seconds: u64,
    /// Entries per status list (a new list starts when one is full).
    #[serde(default = "defaults::status_list_size")]
    pub status_list_size: u32,
    /// Seconds a deferred credential takes to become ready (and the `interval` sent).
    #[serde(default = "defaults::deferred_interval")]
    pub deferred_interval_seconds: u64,
    /// Every token request must carry a DPoP proof (HAIP 1.0, FAPI 2.0: sender-constrained
    /// tokens only); off by default, so wallets without DPoP get Bearer tokens.
    #[serde(default)]
    pub require_dpop: bool,
    /// Accept the credential request shapes of pre-1.0 drafts that wallet libraries still
    /// send (a single `proof`; `credential_configuration_id` where one `credential_identifier`
    /// was issued), each logged as a lenient acceptance
    /// ([`oid4vci_issuer::IssuerSettings::draft_credential_requests`]). On by default, as the
    /// demo is lenient with wallets; `false` refuses them as OpenID4VCI 1.0 does.
    #[serde(default = "defaults::draft_credential_requests")]
    pub accept_draft_credential_requests: bool,
    /// The users who can log in at the authorization endpoint (the code flow), with the
    /// claims issued to each.
    #[serde(default)]
    pub users: Vec<DemoUser>,
}

/// A user of the demo's login page. Demo only: the password is compared in constant time but
/// kept in the configuration file in clear; a real issuer delegates login to its identity
/// provider.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct DemoUser {
    /// The login name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The subject claims of every credential issued to this user.
    pub claims: serde_json::Map<String, Value>,
    /// The mdoc data elements issued instead of `claims` in every `mso_mdoc` credential, also
    /// when the same authorization covers SD-JWT VCs, which keep `claims` (flat: they go into
    /// the configuration's name space; an mDL wants `birth_date` as a full-date,
    /// `document_number` and the other ISO 18013-5 §7.2.1 elements, which an SD-JWT VC does
    /// not). Empty: `claims` for every format.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub mdoc_claims: serde_json::Map<String, Value>,
}

impl core::fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DemoUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The login name of the built-in user.
pub const DEMO_USERNAME: &str = "erika";
/// The password of the built-in user.
pub const DEMO_PASSWORD: &str = "mustermann-demo";

impl DemoUser {
    /// The built-in user [`DEMO_USERNAME`] with the demo claims.
    #[must_use]
    pub fn erika() -> Self {
        let claims = serde_json::json!({
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birthdate": "1984-01-26"
        });
        Self {
            username: DEMO_USERNAME.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            mdoc_claims: crate::demo::mdl_claims()
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// Where the signing key comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum SigningKeyConfig {
    /// A fresh key at every start.
    Generated {
        /// The JOSE algorithm.
        alg: Algorithm,
    },
    /// A PKCS#8 DER file (`openssl pkcs8 -topk8 -nocrypt -outform DER`).
    Pkcs8File {
        /// The JOSE algorithm.
        alg: Algorithm,
        /// The file.
        path: PathBuf,
    },
}

/// One credential configuration (`credential_configurations_supported` entry).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct CredentialConfiguration {
    /// The `credential_configuration_id`.
    pub id: String,
    /// [`CredentialFormat::SdJwtVc`] (`dc+sd-jwt`) or [`CredentialFormat::MsoMdoc`]
    /// (`mso_mdoc`); any other `format` is refused when the file is read.
    #[serde(with = "format_name")]
    pub format: CredentialFormat,
    /// The SD-JWT VC type (`dc+sd-jwt`).
    #[serde(default)]
    pub vct: Option<String>,
    /// The mdoc document type (`mso_mdoc`).
    #[serde(default)]
    pub doctype: Option<String>,
    /// The OAuth scope (HAIP wants one on every configuration).
    #[serde(default)]
    pub scope: Option<String>,
    /// Display name for wallets.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Issue through the deferred endpoint (202 + `transaction_id`).
    #[serde(default)]
    pub deferred: bool,
    /// Subject claims that are always disclosed (all others are selectively disclosable).
    #[serde(default)]
    pub always_disclosed: Vec<String>,
    /// Requires a key attestation with the proofs of this configuration
    /// (`proof_types_supported.jwt.key_attestations_required`): the accepted `keyStorage` and
    /// `userAuthentication` values (an empty list: no constraint).
    #[serde(default)]
    pub key_attestations_required: Option<KeyAttestationsRequiredConfig>,
    /// The mdoc name space that flat offer claims go into (`mso_mdoc`; default: the mDL name
    /// space for the mDL doctype, else the doctype).
    #[serde(default)]
    pub name_space: Option<String>,
    /// The claims wallets may show, with their labels (`credential_metadata.claims`,
    /// OpenID4VCI 1.0 §12.2.4 and App. B): a description, not a limit (an offer may carry
    /// other claims).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimLabel>,
}

/// One entry of a configuration's `claims`: a claims path (a top-level claim name for
/// `dc+sd-jwt`, `[name space, element]` for `mso_mdoc`) and its English label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ClaimLabel {
    /// The claims path (App. C), names only.
    pub path: Vec<String>,
    /// The label (`display[].name`, locale `en`).
    pub label: String,
}

impl ClaimLabel {
    /// `label` for the claim at `path`.
    #[must_use]
    pub fn new(path: &[&str], label: &str) -> Self {
        Self {
            path: path.iter().map(|p| (*p).to_owned()).collect(),
            label: label.to_owned(),
        }
    }
}

/// The labels of the demo identity credential's claims.
fn identity_claim_labels() -> Vec<ClaimLabel> {
    [
        ("given_name", "Given name"),
        ("family_name", "Family name"),
        ("birthdate", "Date of birth"),
    ]
    .into_iter()
    .map(|(name, label)| ClaimLabel::new(&[name], label))
    .collect()
}

/// The labels of the demo mDL's elements (ISO 18013-5 §7.2.1).
fn mdl_claim_labels() -> Vec<ClaimLabel> {
    [
        ("family_name", "Family name"),
        ("given_name", "Given name"),
        ("birth_date", "Date of birth"),
        ("issue_date", "Date of issue"),
        ("expiry_date", "Date of expiry"),
        ("issuing_country", "Issuing country"),
        ("issuing_authority", "Issuing authority"),
        ("document_number", "Licence number"),
        ("portrait", "Portrait"),
        ("driving_privileges", "Driving privileges"),
        ("un_distinguishing_sign", "UN distinguishing sign"),
        ("age_over_18", "Over 18"),
    ]
    .into_iter()
    .map(|(name, label)| ClaimLabel::new(&[mdoc_cbor::MDL_NAME_SPACE, name], label))
    .collect()
}

/// `keyAttestationsRequired` of a credential configuration (OpenID4VCI 1.0 §12.2.4 and
/// App. D.2 values such as `iso_18045_high`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct KeyAttestationsRequiredConfig {
    /// Accepted `key_storage` values; the attestation must carry one of them.
    #[serde(default)]
    pub key_storage: Vec<String>,
    /// Accepted `user_authentication` values; the attestation must carry one of them.
    #[serde(default)]
    pub user_authentication: Vec<String>,
}

/// `keyAttestationConfig`: the wallet providers whose key attestations the issuer trusts.
/// Their `x5c` chain must validate to one of the roots (never the root itself, never a
/// self-signed leaf).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct KeyAttestationConfig {
    /// Root certificates (PEM).
    #[serde(default)]
    pub trusted_root_certificates_pem: Vec<String>,
    /// A PEM file of root certificates, read at start (the `attester` binary writes its CA
    /// root to `demo-attester-ca.pem`).
    #[serde(default)]
    pub trusted_root_certificates_file: Option<PathBuf>,
}

/// `format` in the file: the OpenID4VCI identifier of one of [`SUPPORTED_FORMATS`].
mod format_name {
    use oid4vci_types::CredentialFormat;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::SUPPORTED_FORMATS;

    pub(super) fn serialize<S: Serializer>(
        format: &CredentialFormat,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match format.name() {
            Some(name) if SUPPORTED_FORMATS.contains(format) => serializer.serialize_str(name),
            _ => Err(S::Error::custom(format!(
                "format: the demo issues no {format:?} credentials"
            ))),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<CredentialFormat, D::Error> {
        let name = String::deserialize(deserializer)?;
        let format = CredentialFormat::from_name(&name);
        if SUPPORTED_FORMATS.contains(&format) {
            return Ok(format);
        }
        Err(D::Error::custom(format!(
            "format: unsupported credential format `{name}` (expected `dc+sd-jwt` or `mso_mdoc`)"
        )))
    }
}

/// The formats the demo issues.
pub const SUPPORTED_FORMATS: &[CredentialFormat] =
    &[CredentialFormat::SdJwtVc, CredentialFormat::MsoMdoc];

mod defaults {
    pub(super) const fn draft_credential_requests() -> bool {
        true
    }
    pub(super) const fn batch_size() -> usize {
        3
    }
    pub(super) const fn pre_authorized_code_ttl() -> u64 {
        300
    }
    pub(super) const fn tx_code_max_attempts() -> u32 {
        3
    }
    pub(super) const fn access_token_ttl() -> u64 {
        600
    }
    pub(super) const fn refresh_token_ttl() -> u64 {
        86_400
    }
    pub(super) const fn nonce_max_age() -> u64 {
        300
    }
    pub(super) const fn credential_ttl() -> u64 {
        365 * 86_400
    }
    pub(super) const fn status_list_size() -> u32 {
        16_384
    }
    pub(super) const fn deferred_interval() -> u64 {
        1
    }
}

/// The SD-JWT VC configuration id of the default configuration.
pub const IDENTITY_CONFIGURATION_ID: &str = "IdentityCredential";
/// The `vct` of the default SD-JWT VC configurations: a URN in RFC 6963's `example`
/// namespace, which names the type without pointing at a server. An `https` `vct` is where
/// verifiers look for the type's metadata (SD-JWT VC §6), so it must resolve; a deployment
/// that publishes Type Metadata sets its own URL in `credentialConfigurations`.
pub const IDENTITY_VCT: &str = "urn:example:identity_credential:1";
/// The deferred SD-JWT VC configuration id of the default configuration.
pub const DEFERRED_CONFIGURATION_ID: &str = "IdentityCredentialDeferred";
/// The SD-JWT VC configuration id that requires key attestation in the default configuration.
pub const KEY_ATTESTED_CONFIGURATION_ID: &str = "IdentityCredentialKeyAttested";
/// The `key_storage` values the default key-attested configuration accepts.
pub const DEMO_KEY_STORAGE_REQUIRED: &[&str] = &["iso_18045_high", "iso_18045_moderate"];
/// The `user_authentication` values the default key-attested configuration accepts.
pub const DEMO_USER_AUTHENTICATION_REQUIRED: &[&str] = &["iso_18045_high", "iso_18045_moderate"];
/// The mDL (`mso_mdoc`) configuration id of the default configuration.
pub const MDL_CONFIGURATION_ID: &str = "mDL";
/// The key reference the default configuration trusts for attestations.
pub const DEMO_ATTESTER_KEY_REFERENCE: &str = "demo-attester";

impl CredentialConfiguration {
    /// A `dc+sd-jwt` configuration with `vct`.
    #[must_use]
    pub fn sd_jwt(id: &str, vct: &str) -> Self {
        Self {
            id: id.to_owned(),
            format: CredentialFormat::SdJwtVc,
            vct: Some(vct.to_owned()),
            doctype: None,
            scope: Some(id.to_owned()),
            display_name: Some(id.to_owned()),
            deferred: false,
            always_disclosed: Vec::new(),
            key_attestations_required: None,
            name_space: None,
            claims: Vec::new(),
        }
    }

    /// An `mso_mdoc` configuration with `doctype`.
    #[must_use]
    pub fn mso_mdoc(id: &str, doctype: &str) -> Self {
        Self {
            id: id.to_owned(),
            format: CredentialFormat::MsoMdoc,
            vct: None,
            doctype: Some(doctype.to_owned()),
            scope: Some(id.to_owned()),
            display_name: Some(id.to_owned()),
            deferred: false,
            always_disclosed: Vec::new(),
            key_attestations_required: None,
            name_space: None,
            claims: Vec::new(),
        }
    }

    /// The name space of flat mdoc claims of a configuration of `doctype`: `nameSpace`,
    /// else `org.iso.18013.5.1` for the mDL, else the doctype.
    #[must_use]
    pub fn mdoc_name_space<'a>(&'a self, doctype: &'a str) -> &'a str {
        match (&self.name_space, doctype) {
            (Some(ns), _) => ns,
            (None, mdoc_cbor::MDL_DOC_TYPE) => mdoc_cbor::MDL_NAME_SPACE,
            (None, doctype) => doctype,
        }
    }

    /// The `format` identifier.
    ///
    /// # Errors
    /// [`DemoError::Config`] naming the configuration when the format is not one of
    /// [`SUPPORTED_FORMATS`].
    pub fn format_name(&self) -> Result<&'static str, DemoError> {
        match self.format {
            CredentialFormat::SdJwtVc => Ok(oid4vci_types::FORMAT_SD_JWT_VC),
            CredentialFormat::MsoMdoc => Ok(oid4vci_types::FORMAT_MSO_MDOC),
            _ => Err(self.unsupported_format()),
        }
    }

    fn unsupported_format(&self) -> DemoError {
        DemoError::Config(format!(
            "{}: unsupported format {:?} (expected dc+sd-jwt or mso_mdoc)",
            self.id, self.format
        ))
    }

    /// What the engine issues for this configuration: `dc+sd-jwt` needs `vct`, `mso_mdoc`
    /// needs `doctype`.
    ///
    /// # Errors
    /// [`DemoError::Config`] naming the configuration when its format lacks its type member
    /// or is not one of [`SUPPORTED_FORMATS`].
    pub fn engine_format(&self) -> Result<oid4vci_issuer::CredentialFormat, DemoError> {
        use oid4vci_issuer::CredentialFormat as Engine;
        let id = &self.id;
        match (self.format, &self.vct, &self.doctype) {
            (CredentialFormat::SdJwtVc, Some(vct), _) => Ok(Engine::SdJwtVc {
                vct: vct.clone(),
                always_disclosed: self.always_disclosed.clone(),
            }),
            (CredentialFormat::SdJwtVc, None, _) => {
                Err(DemoError::Config(format!("{id}: dc+sd-jwt needs vct")))
            }
            (CredentialFormat::MsoMdoc, _, Some(doctype)) => Ok(Engine::Mdoc {
                doctype: doctype.clone(),
                name_space: self.mdoc_name_space(doctype).to_owned(),
            }),
            (CredentialFormat::MsoMdoc, _, None) => {
                Err(DemoError::Config(format!("{id}: mso_mdoc needs doctype")))
            }
            _ => Err(self.unsupported_format()),
        }
    }
}

impl IssuerConfig {
    /// The engine settings of this configuration for the issuer identifier `base_url`.
    #[must_use]
    pub fn engine_settings(&self, base_url: &str) -> oid4vci_issuer::IssuerSettings {
        let mut settings = oid4vci_issuer::IssuerSettings::new(base_url);
        settings.batch_size = self.batch_size;
        settings.pre_authorized_code_ttl_seconds = self.pre_authorized_code_ttl_seconds;
        settings.tx_code_max_attempts = self.tx_code_max_attempts;
        settings.access_token_ttl_seconds = self.access_token_ttl_seconds;
        settings.refresh_token_ttl_seconds = self.refresh_token_ttl_seconds;
        settings.nonce_max_age_seconds = self.nonce_max_age_seconds;
        settings.credential_ttl_seconds = self.credential_ttl_seconds;
        settings.deferred_interval_seconds = self.deferred_interval_seconds;
        settings.proof_algorithms = crate::issuer::ACCEPTED_ALGORITHMS.to_vec();
        settings.dpop_required = self.require_dpop;
        settings.draft_credential_requests = self.accept_draft_credential_requests;
        settings
    }

    /// The engine's credential profiles of [`Self::credential_configurations`].
    ///
    /// # Errors
    /// As [`CredentialConfiguration::engine_format`].
    pub fn engine_profiles(&self) -> Result<Vec<oid4vci_issuer::CredentialProfile>, DemoError> {
        self.credential_configurations
            .iter()
            .map(|c| {
                let mut profile = oid4vci_issuer::CredentialProfile::new(&c.id, c.engine_format()?);
                if let Some(scope) = &c.scope {
                    profile = profile.with_scope(scope);
                }
                if let Some(required) = &c.key_attestations_required {
                    profile = profile.requires_key_attestation(
                        pop_verifier::KeyAttestationRequirement::new(
                            required.key_storage.clone(),
                            required.user_authentication.clone(),
                        ),
                    );
                }
                Ok(if c.deferred {
                    profile.deferred()
                } else {
                    profile
                })
            })
            .collect()
    }

    /// The built-in configuration: a generated ES256 key, one immediate and one deferred
    /// `dc+sd-jwt` configuration, an `mso_mdoc` mDL configuration, a `dc+sd-jwt` configuration
    /// that requires key attestation from the wallet providers of `demo-attester-ca.pem` (the
    /// root the `attester` binary writes), lenient client attestation
    /// against the `demo-attester` key of `demo-keystore.json` (the file the `attester` binary
    /// creates), and one user, [`DEMO_USERNAME`] / [`DEMO_PASSWORD`].
    #[must_use]
    pub fn default_config() -> Self {
        let mut identity = CredentialConfiguration::sd_jwt(IDENTITY_CONFIGURATION_ID, IDENTITY_VCT);
        identity.claims = identity_claim_labels();
        let mut deferred = CredentialConfiguration::sd_jwt(DEFERRED_CONFIGURATION_ID, IDENTITY_VCT);
        deferred.deferred = true;
        deferred.claims = identity_claim_labels();
        let mut key_attested =
            CredentialConfiguration::sd_jwt(KEY_ATTESTED_CONFIGURATION_ID, IDENTITY_VCT);
        let owned = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
        key_attested.key_attestations_required = Some(KeyAttestationsRequiredConfig {
            key_storage: owned(DEMO_KEY_STORAGE_REQUIRED),
            user_authentication: owned(DEMO_USER_AUTHENTICATION_REQUIRED),
        });
        key_attested.claims = identity_claim_labels();
        let mut mdl =
            CredentialConfiguration::mso_mdoc(MDL_CONFIGURATION_ID, mdoc_cbor::MDL_DOC_TYPE);
        mdl.claims = mdl_claim_labels();
        Self {
            base_url: None,
            signing_key: SigningKeyConfig::Generated {
                alg: Algorithm::Es256,
            },
            credential_configurations: vec![identity, deferred, mdl, key_attested],
            client_attestation_config: Some(serde_json::json!({
                "required": false,
                "verificationMethod": {
                    "type": "kms-key",
                    "keyReference": DEMO_ATTESTER_KEY_REFERENCE
                },
                "clockSkewSeconds": 300,
                "replayWindowSeconds": 300,
                "challengeRequired": false
            })),
            key_attestation_config: Some(KeyAttestationConfig {
                trusted_root_certificates_pem: Vec::new(),
                trusted_root_certificates_file: Some(PathBuf::from("demo-attester-ca.pem")),
            }),
            keystore: Some(PathBuf::from("demo-keystore.json")),
            batch_size: defaults::batch_size(),
            pre_authorized_code_ttl_seconds: defaults::pre_authorized_code_ttl(),
            tx_code_max_attempts: defaults::tx_code_max_attempts(),
            access_token_ttl_seconds: defaults::access_token_ttl(),
            refresh_token_ttl_seconds: defaults::refresh_token_ttl(),
            nonce_max_age_seconds: defaults::nonce_max_age(),
            credential_ttl_seconds: defaults::credential_ttl(),
            status_list_size: defaults::status_list_size(),
            deferred_interval_seconds: defaults::deferred_interval(),
            require_dpop: false,
            accept_draft_credential_requests: defaults::draft_credential_requests(),
            users: vec![DemoUser::erika()],
        }
    }

    /// Parses a configuration file's text.
    ///
    /// # Errors
    /// [`DemoError::Config`] for malformed JSON, unknown members or bad values.
    pub fn from_json(text: &str) -> Result<Self, DemoError> {
        let config: Self =
            serde_json::from_str(text).map_err(|e| DemoError::Config(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// The configuration as pretty JSON.
    ///
    /// # Errors
    /// [`DemoError::Config`] when a credential configuration's format is not one of
    /// [`SUPPORTED_FORMATS`] (the file could not be read back).
    pub fn to_json(&self) -> Result<String, DemoError> {
        serde_json::to_string_pretty(self).map_err(|e| DemoError::Config(e.to_string()))
    }

    /// The configuration with `id`.
    #[must_use]
    pub fn configuration(&self, id: &str) -> Option<&CredentialConfiguration> {
        self.credential_configurations.iter().find(|c| c.id == id)
    }

    /// The claims `user` is issued in credentials of the configurations `ids`: their
    /// [`DemoUser::claims`], and for each `mso_mdoc` configuration among `ids` their
    /// [`DemoUser::mdoc_claims`] when they have any.
    #[must_use]
    pub fn subject_claims(&self, user: &DemoUser, ids: &[String]) -> SubjectClaims {
        let mut claims = SubjectClaims::new(user.claims.clone());
        if user.mdoc_claims.is_empty() {
            return claims;
        }
        for id in ids {
            if self
                .configuration(id)
                .is_some_and(|c| c.format == CredentialFormat::MsoMdoc)
            {
                claims = claims.with_configuration(id.clone(), user.mdoc_claims.clone());
            }
        }
        claims
    }

    /// Checks what serde cannot: unique ids, known formats, sane numbers.
    ///
    /// # Errors
    /// [`DemoError::Config`] naming the problem.
    pub fn check(&self) -> Result<(), DemoError> {
        let bad = |m: String| Err(DemoError::Config(m));
        if self.credential_configurations.is_empty() {
            return bad("credentialConfigurations is empty".into());
        }
        for (i, c) in self.credential_configurations.iter().enumerate() {
            if self
                .credential_configurations
                .iter()
                .skip(i.saturating_add(1))
                .any(|d| d.id == c.id)
            {
                return bad(format!("duplicate credential configuration id {}", c.id));
            }
            c.engine_format()?;
            for (j, claim) in c.claims.iter().enumerate() {
                let depth = claim.path.len();
                let shape_ok = match c.format {
                    CredentialFormat::MsoMdoc => depth == 2,
                    _ => depth >= 1,
                };
                if !shape_ok || claim.path.iter().any(String::is_empty) {
                    return bad(format!(
                        "credentialConfigurations[{i}].claims[{j}].path: one or more names (mso_mdoc: [nameSpace, element])"
                    ));
                }
            }
        }
        if self.batch_size == 0 {
            return bad("batchSize must be at least 1".into());
        }
        if self.status_list_size == 0 {
            return bad("statusListSize must be at least 1".into());
        }
        for (i, user) in self.users.iter().enumerate() {
            if user.username.is_empty() || user.password.is_empty() {
                return bad(format!(
                    "users[{i}]: username and password must not be empty"
                ));
            }
            if self
                .users
                .iter()
                .take(i)
                .any(|u| u.username == user.username)
            {
                return bad(format!("users[{i}]: duplicate username {}", user.username));
            }
        }
        Ok(())
    }
}
