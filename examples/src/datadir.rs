//! The demo issuer's data directory: what it keeps so that a restart changes nothing a wallet
//! or a verifier can see.
//!
//! ```text
//! DIR/issuer.sqlite3     every store of the engine and the replay guard (issuer-store)
//! DIR/issuer-keys.json   the issuer's private keys and demo CAs (mode 0600)
//! DIR/issuer-key-rotation.json
//!                        after a key rotation: the credential signing keys and their
//!                        states (mode 0600, see crate::rotation)
//! ```
//!
//! The keys file holds, as unpadded base64url or PEM: the engine secret (it keys the stateless
//! `c_nonce`s and challenges, so a nonce handed out before a restart still verifies), the
//! credential signing key, the mdoc Document Signer key, the request-encryption key published
//! in the metadata, and the two demo CAs (credential issuer CA and IACA) with their roots. The
//! leaf certificates are issued again from these CAs at every start (the base URL may have
//! changed); they chain to the same roots and certify the same keys, so every credential
//! issued before the restart still verifies, and the served `jwks` is unchanged.
//!
//! The file is written once, when the directory is new, through a temporary file linked into
//! place (never half-written; of fleet instances starting together on one directory, one
//! writes it and the others read it), readable by the owner only. Nothing from it is ever logged. A production issuer
//! keeps these keys in an HSM or KMS instead (see the `Signer` and `KeyAgreement` seams); with
//! the `issuer` binary's `--pkcs11-*` options (see [`crate::hsm`]) the credential and mdoc
//! signing keys are in a PKCS#11 token: a directory created so has no `credentialSigner` and
//! `mdocSigner` in its file (and refuses to start without the token), and those of a directory
//! created without a token are not used while the token is.

use std::path::{Path, PathBuf};

use jose_core::jwe::LocalKeyAgreement;
use jose_core::{Algorithm, EcCurve, LocalSigner, Pkcs8Secret, RandomSource, UnixTime};
use serde::{Deserialize, Serialize};

use crate::error::DemoError;
use crate::issuer::{IACA_NAME, ISSUER_CA_NAME};
use crate::pki::DemoCa;

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "issuer-data";
/// The SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "issuer.sqlite3";
/// The keys file inside the data directory.
pub const KEYS_FILE: &str = "issuer-keys.json";

const KEYS_FILE_VERSION: u32 = 1;
/// The curve of the request-encryption key.
const REQUEST_KEY_CURVE: EcCurve = EcCurve::P256;

/// A private signing key and its algorithm.
#[derive(Debug)]
#[non_exhaustive]
pub struct StoredKey {
    /// The JOSE algorithm.
    pub alg: Algorithm,
    /// The PKCS#8 DER document.
    pub pkcs8: Pkcs8Secret,
}

impl StoredKey {
    fn generate(alg: Algorithm, rng: &dyn RandomSource) -> Result<Self, DemoError> {
        Ok(Self {
            alg,
            pkcs8: LocalSigner::generate_pkcs8(alg, rng)?,
        })
    }

    /// The signer of this key.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] when the key does not parse for its algorithm.
    pub fn signer(&self) -> Result<LocalSigner, DemoError> {
        LocalSigner::from_pkcs8(self.alg, self.pkcs8.as_bytes())
            .map_err(|e| DemoError::Keystore(format!("{}: {e}", self.alg)))
    }
}

/// Every private key of a demo issuer, generated for one run or kept in a data directory.
#[derive(Debug)]
#[non_exhaustive]
pub struct KeyMaterial {
    /// The engine secret (keys nonces, challenges and other stateless values).
    pub engine_secret: [u8; 32],
    /// The credential and status list signing key (unless `signingKey` names a file); `None`
    /// when the signing keys are in a PKCS#11 token.
    pub credential_signer: Option<StoredKey>,
    /// The mdoc Document Signer key (ES256); `None` when the signing keys are in a PKCS#11
    /// token.
    pub mdoc_signer: Option<StoredKey>,
    /// The big-endian P-256 scalar of the credential request encryption key.
    request_key_scalar: Vec<u8>,
    /// The credential issuer CA.
    pub issuer_ca: DemoCa,
    /// The mdoc IACA.
    pub iaca: DemoCa,
}

impl KeyMaterial {
    /// Fresh keys and CAs: the credential signing key for `credential_alg` and the mdoc
    /// signing key, or no signing keys when `credential_alg` is `None` (they are in a token).
    /// The IACA names `issuer` (the issuer's URL) as its issuerAltName and CRL location.
    ///
    /// # Errors
    /// [`DemoError::Config`] or [`DemoError::Keystore`] when generation fails.
    pub fn generate(
        credential_alg: Option<Algorithm>,
        issuer: &str,
        rng: &dyn RandomSource,
        now: UnixTime,
    ) -> Result<Self, DemoError> {
        let mut engine_secret = [0u8; 32];
        rng.fill(&mut engine_secret)?;
        let request_key = LocalKeyAgreement::generate(REQUEST_KEY_CURVE, rng)
            .map_err(|e| DemoError::Keystore(format!("request encryption key: {e}")))?;
        Ok(Self {
            engine_secret,
            credential_signer: credential_alg
                .map(|alg| StoredKey::generate(alg, rng))
                .transpose()?,
            mdoc_signer: credential_alg
                .map(|_| StoredKey::generate(Algorithm::Es256, rng))
                .transpose()?,
            request_key_scalar: request_key.scalar_bytes(),
            issuer_ca: DemoCa::generate(ISSUER_CA_NAME, now)?,
            iaca: DemoCa::generate_iaca(IACA_NAME, issuer, now)?,
        })
    }

    /// The credential request encryption key.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] when the stored scalar is not a P-256 key.
    pub fn request_key(&self) -> Result<LocalKeyAgreement, DemoError> {
        LocalKeyAgreement::from_scalar(REQUEST_KEY_CURVE, &self.request_key_scalar)
            .map_err(|e| DemoError::Keystore(format!("request encryption key: {e}")))
    }

    fn to_file(&self) -> KeysFile {
        KeysFile {
            version: KEYS_FILE_VERSION,
            engine_secret: jose_core::base64url::encode(&self.engine_secret),
            credential_signer: self.credential_signer.as_ref().map(StoredKeyFile::of),
            mdoc_signer: self.mdoc_signer.as_ref().map(StoredKeyFile::of),
            request_encryption_key: jose_core::base64url::encode(&self.request_key_scalar),
            issuer_ca: CaFile::of(&self.issuer_ca),
            iaca: CaFile::of(&self.iaca),
        }
    }

    fn from_file(file: KeysFile) -> Result<Self, DemoError> {
        if file.version != KEYS_FILE_VERSION {
            return Err(DemoError::Keystore(format!(
                "version {} is not {KEYS_FILE_VERSION}",
                file.version
            )));
        }
        let engine_secret = jose_core::base64url::decode_secret(&file.engine_secret)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| DemoError::Keystore("engineSecret: not 32 base64url bytes".into()))?;
        let request_key_scalar = jose_core::base64url::decode_secret(&file.request_encryption_key)
            .ok_or_else(|| DemoError::Keystore("requestEncryptionKey: not base64url".into()))?;
        let material = Self {
            engine_secret,
            credential_signer: file
                .credential_signer
                .map(|key| key.key("credentialSigner"))
                .transpose()?,
            mdoc_signer: file
                .mdoc_signer
                .map(|key| key.key("mdocSigner"))
                .transpose()?,
            request_key_scalar,
            issuer_ca: file.issuer_ca.ca("issuerCa", ISSUER_CA_NAME)?,
            iaca: file.iaca.ca("iaca", IACA_NAME)?,
        };
        // Every key must load now, not at the first request that needs it.
        for key in [&material.credential_signer, &material.mdoc_signer]
            .into_iter()
            .flatten()
        {
            key.signer()?;
        }
        material.request_key()?;
        Ok(material)
    }
}

/// The data directory of a demo issuer.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

impl DataDir {
    /// The directory at `path` (created by [`Self::keys`] if missing).
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite database of the engine's stores.
    #[must_use]
    pub fn database(&self) -> PathBuf {
        self.path.join(DATABASE_FILE)
    }

    /// The keys file.
    #[must_use]
    pub fn keys_file(&self) -> PathBuf {
        self.path.join(KEYS_FILE)
    }

    /// The keys of this directory: read from the keys file, or generated (credential signing
    /// key for `credential_alg`, none when it is `None`: the signing keys are in a PKCS#11
    /// token) and written to it when the directory is new, with an IACA made for `issuer` (see
    /// [`KeyMaterial::generate`]). The second value is `true` when they were generated.
    ///
    /// # Errors
    /// [`DemoError::Io`] when the directory or file cannot be created or read;
    /// [`DemoError::Keystore`] naming the file and the member when the file is malformed,
    /// holds a credential signing key for another algorithm than `credential_alg` (the
    /// configuration changed: issued credentials would no longer verify, so the issuer
    /// refuses to start rather than replace the key silently), or holds no signing keys
    /// (created with a token) while `credential_alg` asks for local ones.
    pub fn keys(
        &self,
        credential_alg: Option<Algorithm>,
        issuer: &str,
        rng: &dyn RandomSource,
        now: UnixTime,
    ) -> Result<(KeyMaterial, bool), DemoError> {
        let path = self.keys_file();
        let named = |e: DemoError| DemoError::Keystore(format!("{}: {e}", path.display()));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: KeysFile = serde_json::from_str(&text)
                    .map_err(|e| DemoError::Keystore(format!("{}: {e}", path.display())))?;
                let material = KeyMaterial::from_file(file).map_err(named)?;
                let Some(credential_alg) = credential_alg else {
                    // The signing keys are in a token; local ones, if any, stay unused.
                    return Ok((material, false));
                };
                let (Some(credential), Some(_)) =
                    (&material.credential_signer, &material.mdoc_signer)
                else {
                    return Err(DemoError::Keystore(format!(
                        "{}: no credentialSigner and mdocSigner: this directory's signing keys are \
                         in a PKCS#11 token, start with the same --pkcs11-* options",
                        path.display()
                    )));
                };
                let stored = credential.alg;
                if stored != credential_alg {
                    return Err(DemoError::Keystore(format!(
                        "{}: credentialSigner is an {} key but signingKey.alg is {}: start with the \
                         same algorithm, or another data directory",
                        path.display(),
                        stored,
                        credential_alg
                    )));
                }
                Ok((material, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.path)?;
                let material = KeyMaterial::generate(credential_alg, issuer, rng, now)?;
                let text = serde_json::to_string_pretty(&material.to_file())
                    .map_err(|e| DemoError::Keystore(e.to_string()))?;
                if create_private(&path, text.as_bytes())? {
                    Ok((material, true))
                } else {
                    // Another instance of a fleet wrote it first: use its keys.
                    self.keys(credential_alg, issuer, rng, now)
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Creates `path` holding `bytes`, readable and writable by the owner only, unless it exists
/// (then `false`). Written to a temporary file first and linked into place, so the file is
/// never seen half-written (a crash, a second instance starting at the same moment), and of
/// two instances creating it at once exactly one wins.
fn create_private(path: &Path, bytes: &[u8]) -> Result<bool, DemoError> {
    let temporary = write_private_temporary(path, bytes)?;
    let linked = std::fs::hard_link(&temporary, path);
    std::fs::remove_file(&temporary)?;
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes `bytes` to a fresh temporary file beside `path` (this process's), readable and
/// writable by the owner only, synced to disk; the caller links or renames it into place, so
/// `path` is never seen half-written.
///
/// # Errors
/// [`DemoError::Io`] when it cannot be written.
pub(crate) fn write_private_temporary(path: &Path, bytes: &[u8]) -> Result<PathBuf, DemoError> {
    use std::io::Write as _;
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(temporary)
}

/// The keys file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeysFile {
    version: u32,
    engine_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_signer: Option<StoredKeyFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mdoc_signer: Option<StoredKeyFile>,
    request_encryption_key: String,
    issuer_ca: CaFile,
    iaca: CaFile,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredKeyFile {
    alg: Algorithm,
    pkcs8: String,
}

impl StoredKeyFile {
    fn of(key: &StoredKey) -> Self {
        Self {
            alg: key.alg,
            pkcs8: jose_core::base64url::encode(key.pkcs8.as_bytes()),
        }
    }

    fn key(self, member: &str) -> Result<StoredKey, DemoError> {
        let der = jose_core::base64url::decode_secret(&self.pkcs8)
            .ok_or_else(|| DemoError::Keystore(format!("{member}.pkcs8: not base64url")))?;
        Ok(StoredKey {
            alg: self.alg,
            pkcs8: Pkcs8Secret::new(der),
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CaFile {
    key_pkcs8: String,
    root_pem: String,
}

impl CaFile {
    fn of(ca: &DemoCa) -> Self {
        Self {
            key_pkcs8: jose_core::base64url::encode(&ca.key_pkcs8()),
            root_pem: ca.root_pem().to_owned(),
        }
    }

    fn ca(self, member: &str, common_name: &str) -> Result<DemoCa, DemoError> {
        let der = jose_core::base64url::decode_secret(&self.key_pkcs8)
            .ok_or_else(|| DemoError::Keystore(format!("{member}.keyPkcs8: not base64url")))?;
        DemoCa::restore(common_name, &der, &self.root_pem)
            .map_err(|e| DemoError::Keystore(format!("{member}: {e}")))
    }
}
