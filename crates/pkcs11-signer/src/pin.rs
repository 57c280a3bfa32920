//! Where the user PIN comes from: an environment variable or a file, never a command-line
//! argument, never a log line.

use core::hint::black_box;
use std::path::PathBuf;

use cryptoki::types::AuthPin;

use crate::error::Pkcs11Error;

/// The source of a token's user PIN. `Debug` and error messages name the source, never the PIN.
///
/// A PIN file holds the PIN, optionally followed by one line break (`\n` or `\r\n`); keep it
/// readable by the service's user only. An environment variable's value stays in the process
/// environment (visible to the same user through `/proc/<pid>/environ`); prefer a file where
/// that matters.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinSource {
    /// The value of this environment variable.
    Env(String),
    /// The contents of this file.
    File(PathBuf),
}

impl core::fmt::Debug for PinSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PinSource({}, PIN <redacted>)", self.describe())
    }
}

impl PinSource {
    /// A description for messages: `environment variable NAME` or `file PATH`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Env(name) => format!("environment variable {name}"),
            Self::File(path) => format!("file {}", path.display()),
        }
    }

    /// Reads the PIN. The returned [`AuthPin`] zeroises itself when dropped; the buffer it was
    /// read into is overwritten before it is freed (best effort: no `unsafe`, so no volatile
    /// write).
    ///
    /// # Errors
    /// [`Pkcs11Error::PinUnavailable`] when the variable is unset, the file cannot be read, the
    /// value is not UTF-8 or the PIN is empty.
    pub(crate) fn read(&self) -> Result<AuthPin, Pkcs11Error> {
        let unavailable = |reason: String| Pkcs11Error::PinUnavailable {
            source_name: self.describe(),
            reason,
        };
        let mut raw: Vec<u8> = match self {
            Self::Env(name) => std::env::var_os(name)
                .ok_or_else(|| unavailable("not set".into()))?
                .into_encoded_bytes(),
            Self::File(path) => std::fs::read(path).map_err(|e| unavailable(e.to_string()))?,
        };
        let pin = pin_from_bytes(&raw);
        raw.fill(0);
        black_box(&raw);
        pin.map_err(|reason| unavailable(reason.into()))
    }
}

/// The PIN in `raw` without one trailing line break, copied into an exactly sized buffer so
/// that the [`AuthPin`] owns the only other copy.
fn pin_from_bytes(raw: &[u8]) -> Result<AuthPin, &'static str> {
    let text = trim_pin(raw)?;
    let mut exact = String::with_capacity(text.len());
    exact.push_str(text);
    Ok(AuthPin::from(exact.into_boxed_str()))
}

/// The PIN text: `raw` without one trailing `\n` or `\r\n`, UTF-8 and not empty.
fn trim_pin(raw: &[u8]) -> Result<&str, &'static str> {
    let trimmed = raw
        .strip_suffix(b"\r\n")
        .or_else(|| raw.strip_suffix(b"\n"))
        .unwrap_or(raw);
    let text = core::str::from_utf8(trimmed).map_err(|_| "the PIN is not UTF-8")?;
    if text.is_empty() {
        return Err("the PIN is empty");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_line_break_is_dropped() {
        assert_eq!(trim_pin(b"1234\n"), Ok("1234"));
        assert_eq!(trim_pin(b"1234\r\n"), Ok("1234"));
        assert_eq!(trim_pin(b"1234\n\n"), Ok("1234\n"));
        assert_eq!(trim_pin(b" 12 34"), Ok(" 12 34"));
        assert_eq!(trim_pin(b"\n"), Err("the PIN is empty"));
        assert_eq!(trim_pin(b""), Err("the PIN is empty"));
        assert_eq!(trim_pin(&[0xff]), Err("the PIN is not UTF-8"));
        assert!(pin_from_bytes(b"1234").is_ok());
    }

    #[test]
    fn debug_names_the_source_not_the_pin() {
        let source = PinSource::Env("HSM_PIN".into());
        assert_eq!(
            format!("{source:?}"),
            "PinSource(environment variable HSM_PIN, PIN <redacted>)"
        );
    }
}
