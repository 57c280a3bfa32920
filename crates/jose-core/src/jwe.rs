//! Strict compact JWE (RFC 7516 §3.1, §5.2) with ECDH-ES direct key agreement (RFC 7518 §4.6)
//! and AES-GCM content encryption (RFC 7518 §5.3): the profile OpenID4VCI 1.0 §10 and HAIP use
//! for credential request and response encryption.
//!
//! What is accepted, and nothing else:
//! - `alg` = `ECDH-ES` (direct key agreement; the JWE Encrypted Key part is empty),
//! - `enc` = `A128GCM` or `A256GCM`, from the caller's allow-list,
//! - optional `zip` = `DEF` (raw DEFLATE, RFC 1951), inflated under a hard output cap,
//! - `epk`: a public EC JWK on the recipient's curve (P-256 or P-384), checked to be on the curve,
//! - optional `apu` / `apv` (canonical base64url), fed into the Concat KDF,
//! - no `crit` extension is understood; a well-formed `crit` is refused by name.
//!
//! The protected header's received ASCII is the AES-GCM additional authenticated data: it is never
//! re-serialised. Decryption goes through the [`KeyAgreement`] seam so that the recipient's
//! private key may live in an HSM; [`LocalKeyAgreement`] is the in-process implementation.
//! Encryption takes its ephemeral key and IV from an injected [`RandomSource`].
//!
//! ```
//! use jose_core::jwe::{CompactJwe, ContentEncryption, JweEncrypter, JweLimits, JwePolicy,
//!     KeyAgreement, LocalKeyAgreement};
//! use jose_core::{EcCurve, SystemRandom};
//! let rng = SystemRandom::new();
//! let recipient = LocalKeyAgreement::generate(EcCurve::P256, &rng)?;
//! let token = JweEncrypter::new(&recipient.public_jwk(), ContentEncryption::A128Gcm)?
//!     .encrypt(b"{\"credential\":\"x\"}", &rng)?;
//! let jwe = CompactJwe::parse(&token, &JweLimits::default())?;
//! let plaintext = jwe.decrypt(&recipient, &JwePolicy::default())?;
//! assert_eq!(plaintext, b"{\"credential\":\"x\"}");
//! # Ok::<(), jose_core::jwe::JweError>(())
//! ```

mod agreement;
mod decrypt;
mod encrypt;
mod error;
mod header;
mod kdf;
mod params;

use std::io::{Read as _, Write as _};

use ring::aead;
use serde_json::{Map, Value};

use crate::base64url;
use crate::error::{Error, JsonError};
use crate::json;
use crate::jwk::{EcCurve, PublicJwk, PublicKey};
use crate::limits::DEFAULT_MAX_JSON_DEPTH;
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

pub use agreement::*;
pub use decrypt::*;
pub use encrypt::*;
pub use error::*;
pub use header::*;
pub use kdf::*;
pub use params::*;

/// The only key management algorithm accepted: ECDH-ES direct key agreement.
pub const ECDH_ES: &str = "ECDH-ES";

/// Default maximum length of one compact JWE: 512 KiB (a credential response may carry several
/// credentials, mdocs among them).
pub const DEFAULT_MAX_JWE_LEN: usize = 512 * 1024;

/// Default maximum length of a decrypted (and, with `zip`, inflated) plaintext: 1 MiB.
pub const DEFAULT_MAX_PLAINTEXT_LEN: usize = 1024 * 1024;

/// Length of the AES-GCM IV (96 bits).
pub(crate) const IV_LEN: usize = 12;
/// Length of the AES-GCM authentication tag (128 bits).
pub(crate) const TAG_LEN: usize = 16;

/// Header parameter names registered by RFC 7515, 7516 and 7518; `crit` must not list them.
pub(crate) const REGISTERED: &[&str] = &[
    "alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];
