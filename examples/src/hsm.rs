//! Keys in a PKCS#11 token (an HSM, or SoftHSM2 for the demo): the `--pkcs11-*` options of the
//! `issuer` and `attester` binaries, the token they open, the keys they create in it on first
//! use, and the `kms-key` key lookup through it.
//!
//! ```text
//! --pkcs11-module PATH      the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
//! --pkcs11-token LABEL      the token's label (softhsm2-util --init-token --label LABEL)
//! --pkcs11-pin-env NAME     the user PIN is the value of environment variable NAME, or
//! --pkcs11-pin-file PATH    the user PIN is the contents of file PATH
//! ```
//!
//! The PIN itself is never an argument and never logged. Each startup failure of the token
//! (module, token, PIN, key) is a [`DemoError::Pkcs11`] naming the option it concerns.

use std::path::PathBuf;
use std::sync::Arc;

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{Algorithm, PublicJwk, Signer, UnixTime};
use pkcs11_signer::{KeyRef, PinSource, Pkcs11Error, Pkcs11Signer, Token, TokenConfig};

use crate::args::Args;
use crate::error::DemoError;

/// The value-taking options this module reads (add them to [`Args::parse`]'s `known`).
pub const HSM_OPTIONS: &[&str] = &[
    "pkcs11-module",
    "pkcs11-token",
    "pkcs11-pin-env",
    "pkcs11-pin-file",
];

/// The label of the attester's signing key in the token (also the `kms-key` reference the
/// default issuer configuration names).
pub const ATTESTER_KEY_LABEL: &str = crate::config::DEMO_ATTESTER_KEY_REFERENCE;

/// The algorithms a `kms-key` reference is tried with, in order (the token's key type decides).
const LOOKUP_ALGORITHMS: &[Algorithm] = &[Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];

/// The label of the issuer's credential and status-list signing key for `alg`:
/// `issuer-credential-es256`, `issuer-credential-es384`, `issuer-credential-eddsa`.
#[must_use]
pub fn issuer_credential_key_label(alg: Algorithm) -> String {
    format!("issuer-credential-{}", alg.jose_name().to_ascii_lowercase())
}

/// The label of the issuer's mdoc Document Signer key (ES256).
pub const ISSUER_MDOC_KEY_LABEL: &str = "issuer-mdoc-es256";

/// The `--pkcs11-*` options: which module, which token, where the PIN is.
#[derive(Clone, Debug)]
pub struct HsmOptions {
    config: TokenConfig,
}

impl HsmOptions {
    /// Options for the token `token_label` of `module`, PIN from `pin`.
    #[must_use]
    pub fn new(module: impl Into<PathBuf>, token_label: &str, pin: PinSource) -> Self {
        Self {
            config: TokenConfig::new(module, token_label, pin),
        }
    }

    /// The options `args` give: `None` when no `--pkcs11-*` option is there.
    ///
    /// # Errors
    /// [`DemoError::Config`] when `--pkcs11-module` or `--pkcs11-token` is missing while the
    /// other options are given, or not exactly one of `--pkcs11-pin-env` and
    /// `--pkcs11-pin-file` is.
    pub fn from_args(args: &Args) -> Result<Option<Self>, DemoError> {
        if !HSM_OPTIONS.iter().any(|name| args.value(name).is_some()) {
            return Ok(None);
        }
        let required = |name: &str| {
            args.value(name).ok_or_else(|| {
                DemoError::Config(format!(
                    "--{name} is required with the other --pkcs11-* options"
                ))
            })
        };
        let module = required("pkcs11-module")?;
        let token = required("pkcs11-token")?;
        let pin = match (args.value("pkcs11-pin-env"), args.value("pkcs11-pin-file")) {
            (Some(name), None) => PinSource::Env(name.to_owned()),
            (None, Some(path)) => PinSource::File(PathBuf::from(path)),
            _ => {
                return Err(DemoError::Config(
                    "give the token's user PIN source with exactly one of --pkcs11-pin-env NAME \
                     and --pkcs11-pin-file PATH (never the PIN itself)"
                        .into(),
                ));
            }
        };
        Ok(Some(Self::new(module, token, pin)))
    }

    /// Loads the module, finds the token and logs in.
    ///
    /// # Errors
    /// [`DemoError::Pkcs11`] naming `--pkcs11-module`, `--pkcs11-token`, `--pkcs11-pin-env` or
    /// `--pkcs11-pin-file` when the module cannot be loaded, the token is missing or the PIN
    /// is unavailable or wrong.
    pub fn open(&self) -> Result<Hsm, DemoError> {
        let token = Token::open(&self.config).map_err(|e| self.error(e))?;
        tracing::info!(
            module = %self.config.module.display(),
            token = %self.config.token_label,
            pin = %self.config.pin.describe(),
            "logged in to the PKCS#11 token"
        );
        Ok(Hsm {
            options: self.clone(),
            token,
        })
    }

    /// `e` with the option it concerns.
    fn error(&self, e: Pkcs11Error) -> DemoError {
        let option = match &e {
            Pkcs11Error::ModuleLoad { .. } => {
                format!("--pkcs11-module {}", self.config.module.display())
            }
            Pkcs11Error::PinIncorrect { .. }
            | Pkcs11Error::PinLocked { .. }
            | Pkcs11Error::PinUnavailable { .. } => match &self.config.pin {
                PinSource::Env(name) => format!("--pkcs11-pin-env {name}"),
                PinSource::File(path) => format!("--pkcs11-pin-file {}", path.display()),
                _ => "--pkcs11-pin-env/--pkcs11-pin-file".to_owned(),
            },
            _ => format!("--pkcs11-token {}", self.config.token_label),
        };
        DemoError::Pkcs11 { option, error: e }
    }
}

/// A logged-in token. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Hsm {
    options: HsmOptions,
    token: Token,
}

/// A signing key in the token: its signer and public key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HsmKey {
    /// The signer (signs inside the token).
    pub signer: Arc<Pkcs11Signer>,
    /// The public key read from the token.
    pub public_jwk: PublicJwk,
    /// Whether the key pair was generated now (it was not in the token yet).
    pub created: bool,
}

impl HsmKey {
    /// The signer as the engine's seam wants it.
    #[must_use]
    pub fn dyn_signer(&self) -> Arc<dyn Signer + Send + Sync> {
        self.signer.clone()
    }
}

impl Hsm {
    /// The token's label.
    #[must_use]
    pub fn label(&self) -> &str {
        self.token.label()
    }

    /// The key labelled `label` for `alg`, generated in the token when it has none ("create
    /// on first use").
    ///
    /// # Errors
    /// [`DemoError::Pkcs11`] naming `--pkcs11-token` when the key exists but does not fit
    /// `alg`, the token cannot generate it, or lacks the mechanism.
    pub fn find_or_generate(&self, alg: Algorithm, label: &str) -> Result<HsmKey, DemoError> {
        let (signer, created) = match self.token.signer(alg, &KeyRef::label(label)) {
            Ok(signer) => (signer, false),
            Err(Pkcs11Error::KeyNotFound { .. }) => {
                let signer = self
                    .token
                    .generate(alg, label)
                    .map_err(|e| self.options.error(e))?;
                tracing::info!(token = %self.label(), key = label, %alg, "generated a key pair in the token");
                (signer, true)
            }
            Err(e) => return Err(self.options.error(e)),
        };
        Ok(HsmKey {
            public_jwk: signer.public_jwk(),
            signer: Arc::new(signer),
            created,
        })
    }

    /// The existing key labelled `label` for `alg` (never generated).
    ///
    /// # Errors
    /// [`DemoError::Pkcs11`] naming `--pkcs11-token` when the token has no such key, or it
    /// does not fit `alg`.
    pub fn key(&self, alg: Algorithm, label: &str) -> Result<HsmKey, DemoError> {
        let signer = self
            .token
            .signer(alg, &KeyRef::label(label))
            .map_err(|e| self.options.error(e))?;
        Ok(HsmKey {
            public_jwk: signer.public_jwk(),
            signer: Arc::new(signer),
            created: false,
        })
    }

    /// A new key pair labelled `label` for `alg` (a key rotation: never an existing one).
    ///
    /// # Errors
    /// [`DemoError::Pkcs11`] naming `--pkcs11-token` when a key already has the label, or
    /// the token cannot generate it.
    pub fn generate(&self, alg: Algorithm, label: &str) -> Result<HsmKey, DemoError> {
        let signer = self
            .token
            .generate(alg, label)
            .map_err(|e| self.options.error(e))?;
        tracing::info!(token = %self.label(), key = label, %alg, "generated a key pair in the token");
        Ok(HsmKey {
            public_jwk: signer.public_jwk(),
            signer: Arc::new(signer),
            created: true,
        })
    }

    /// Whether some key pair in the token is labelled `label` (any key type; a token that
    /// cannot answer counts as taken).
    #[must_use]
    pub fn label_taken(&self, label: &str) -> bool {
        !matches!(
            self.token
                .public_jwk(Algorithm::Es256, &KeyRef::label(label)),
            Err(Pkcs11Error::KeyNotFound { .. })
        )
    }

    /// The `kms-key` key lookup through this token.
    #[must_use]
    pub fn key_lookup(&self) -> TokenKeyLookup {
        TokenKeyLookup { hsm: self.clone() }
    }
}

/// The `kms-key` verification method's key lookup through a token: `keyReference` is the
/// label of a key pair in it, whose public key is read at every query (as a KMS "get public
/// key" call would be). ES256, ES384 and Ed25519 keys are found.
#[derive(Clone, Debug)]
pub struct TokenKeyLookup {
    hsm: Hsm,
}

impl KeyLookup for TokenKeyLookup {
    fn keys(&self, query: &KeyQuery<'_>, _now: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        let key_reference = query
            .key_reference()
            .ok_or_else(|| KeyLookupError::no_trusted_key("no keyReference in the query"))?;
        let key = KeyRef::label(key_reference);
        let mut last = None;
        for alg in LOOKUP_ALGORITHMS {
            match self.hsm.token.public_jwk(*alg, &key) {
                Ok(jwk) => return Ok(vec![jwk]),
                // Another key type: try the next algorithm.
                Err(e @ Pkcs11Error::KeyMismatch { .. }) => last = Some(e),
                Err(Pkcs11Error::KeyNotFound { .. }) => {
                    return Err(KeyLookupError::no_trusted_key(format!(
                        "keyReference {key_reference}: no key labelled {key_reference:?} in \
                         token {:?} (--pkcs11-token)",
                        self.hsm.label()
                    )));
                }
                Err(e) => {
                    return Err(KeyLookupError::unavailable(format!(
                        "keyReference {key_reference}: {e} (--pkcs11-token)"
                    )));
                }
            }
        }
        Err(KeyLookupError::no_trusted_key(format!(
            "keyReference {key_reference}: {} (--pkcs11-token)",
            last.map_or_else(|| "no supported key type".to_owned(), |e| e.to_string())
        )))
    }
}
