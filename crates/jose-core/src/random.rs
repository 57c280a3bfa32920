//! Injectable randomness.
//!
//! ring's `SecureRandom` is sealed, so tests cannot substitute a deterministic source through
//! it. Everything in this workspace that must be unpredictable (salts, `jti`, nonces, status
//! indices) takes a [`RandomSource`] instead; [`SystemRandom`] is the production source.

use crate::error::Error;

/// A source of cryptographically secure random bytes.
///
/// Closures implement it too, which keeps deterministic test sources short:
///
/// ```
/// use jose_core::RandomSource;
/// let zeros = |dest: &mut [u8]| -> Result<(), jose_core::Error> { dest.fill(0); Ok(()) };
/// let mut buf = [1u8; 4];
/// zeros.fill(&mut buf)?;
/// assert_eq!(buf, [0; 4]);
/// # Ok::<(), jose_core::Error>(())
/// ```
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    /// [`Error::Unsupported`] (or any error) when no randomness is available.
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error>;
}

impl<F: Fn(&mut [u8]) -> Result<(), Error>> RandomSource for F {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        self(dest)
    }
}

/// The operating system's CSPRNG, through ring.
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl SystemRandom {
    /// The system source.
    #[must_use]
    pub fn new() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl RandomSource for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        ring::rand::SecureRandom::fill(&self.0, dest).map_err(|_| Error::Unsupported {
            what: "system randomness",
        })
    }
}

/// `len` random bytes as unpadded base64url: the form used for `jti`, nonces and salts.
///
/// # Errors
/// Those of the source.
pub fn random_base64url(rng: &dyn RandomSource, len: usize) -> Result<String, Error> {
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes)?;
    Ok(crate::base64url::encode(&bytes))
}
