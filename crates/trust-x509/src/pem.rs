//! The workspace's one PEM reader, for `CERTIFICATE` blocks (RFC 7468 §2 and §5.1).
//!
//! Each block is decoded by RustCrypto's `pem-rfc7468` (through `der`'s `pem` feature), the
//! reader `x509-cert`'s `Certificate::from_pem` uses: RFC 7468 §3's strict grammar, no headers,
//! base64 wrapped at 64 characters, constant-time base64 (`base64ct`). This module only splits
//! the text into blocks: explanatory text between blocks is ignored (RFC 7468 §5.2 allows it),
//! every block must be a `CERTIFICATE` block, so a private key pasted by mistake is refused
//! rather than skipped, and a stray `-----BEGIN`/`-----END` line is an error.

use crate::error::{Error, PemError};

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const END_CERTIFICATE: &str = "-----END CERTIFICATE-----";
const DASHES: &str = "-----";
const LABEL: &str = "CERTIFICATE";

/// Decodes every `CERTIFICATE` block of PEM `text` to DER, in order: the workspace's one PEM
/// reader (see the module notes above: strict RFC 7468 blocks through `pem-rfc7468`,
/// explanatory text between blocks allowed, any other label refused).
///
/// ```
/// let text = "a root\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
/// let der = trust_x509::pem_certificates(text, &trust_x509::Limits::default())?;
/// assert_eq!(der, vec![vec![0x30, 0x00]]);
/// # Ok::<(), trust_x509::Error>(())
/// ```
///
/// # Errors
/// [`Error::Pem`] with the 1-based line of the offending block's `-----BEGIN` line (or of a
/// stray `-----END` line) and a [`PemError`]; [`PemError::TooLong`] past
/// [`Limits::max_pem_len`](crate::Limits::max_pem_len), [`PemError::NoCertificate`] when the
/// text holds no block.
pub fn pem_certificates(text: &str, limits: &crate::Limits) -> Result<Vec<Vec<u8>>, Error> {
    certificates(text, limits.max_pem_len)
}

pub(crate) fn certificates(text: &str, max_len: usize) -> Result<Vec<Vec<u8>>, Error> {
    if text.len() > max_len {
        return Err(pem_error(1, PemError::TooLong));
    }
    let mut out = Vec::new();
    let mut rest = text;
    let mut line = 1usize;
    while let Some(begin) = rest.find(BEGIN) {
        let (preamble, from_begin) = rest.split_at(begin);
        stray_end(preamble, line)?;
        let block_line = line.saturating_add(newlines(preamble));
        let label = from_begin
            .get(BEGIN.len()..)
            .and_then(|after| after.split_once(DASHES))
            .map(|(label, _)| label);
        if label != Some(LABEL) {
            return Err(pem_error(block_line, PemError::UnexpectedLabel));
        }
        let Some(end) = from_begin.find(END_CERTIFICATE) else {
            return Err(pem_error(block_line, PemError::Unterminated));
        };
        let (block, after) = from_begin.split_at(end.saturating_add(END_CERTIFICATE.len()));
        let (label, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|error| pem_error(block_line, reason(error)))?;
        if label != LABEL {
            return Err(pem_error(block_line, PemError::UnexpectedLabel));
        }
        out.push(der);
        line = block_line.saturating_add(newlines(block));
        rest = after;
    }
    stray_end(rest, line)?;
    if out.is_empty() {
        return Err(pem_error(1, PemError::NoCertificate));
    }
    Ok(out)
}

/// Refuses an `-----END` line in text outside blocks.
fn stray_end(outside: &str, first_line: usize) -> Result<(), Error> {
    match outside.find(END) {
        Some(at) => Err(pem_error(
            first_line.saturating_add(newlines(outside.get(..at).unwrap_or(outside))),
            PemError::Unterminated,
        )),
        None => Ok(()),
    }
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|b| *b == b'\n').count()
}

const fn pem_error(line: usize, reason: PemError) -> Error {
    Error::Pem { line, reason }
}

/// Classifies a `pem-rfc7468` error.
fn reason(error: der::pem::Error) -> PemError {
    match error {
        der::pem::Error::Label | der::pem::Error::UnexpectedTypeLabel { .. } => {
            PemError::UnexpectedLabel
        }
        der::pem::Error::PreEncapsulationBoundary
        | der::pem::Error::PostEncapsulationBoundary
        | der::pem::Error::Preamble => PemError::Unterminated,
        // Base64, character encoding, encapsulated text, headers, length and anything a later
        // version adds: the body is not what RFC 7468 §3 allows.
        _ => PemError::BadBase64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(body: &str) -> String {
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn blocks_between_explanatory_text_are_read_in_order() {
        let text = format!(
            "Subject: test\n{}between\r\n{}trailing text\n",
            block("MAA="),
            block("MAEA")
        );
        assert_eq!(
            certificates(&text, 10_000),
            Ok(vec![vec![0x30, 0x00], vec![0x30, 0x01, 0x00]])
        );
    }

    #[test]
    fn every_defect_is_refused_with_its_line() {
        let err = |line, reason| Err(Error::Pem { line, reason });
        assert_eq!(
            certificates("no pem here", 100),
            err(1, PemError::NoCertificate)
        );
        assert_eq!(certificates(&block("MAA="), 10), err(1, PemError::TooLong));
        let key = "x\n-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            certificates(&format!("{}{key}", block("MAA=")), 1000),
            err(5, PemError::UnexpectedLabel)
        );
        assert_eq!(
            certificates("-----BEGIN CERTIFICATE-----\nMAA=\n", 1000),
            err(1, PemError::Unterminated)
        );
        assert_eq!(
            certificates(
                &format!("a\n-----END CERTIFICATE-----\n{}", block("MAA=")),
                1000
            ),
            err(2, PemError::Unterminated)
        );
        assert_eq!(
            certificates(
                &format!("{}\n\n-----END CERTIFICATE-----\n", block("MAA=")),
                1000
            ),
            err(6, PemError::Unterminated)
        );
        assert_eq!(
            certificates(&block("M@A="), 1000),
            err(1, PemError::BadBase64)
        );
        // RFC 7468 §3 forbids headers (RFC 1421 `Proc-Type:` and the like).
        assert_eq!(
            certificates(&block("Proc-Type: 4,ENCRYPTED\n\nMAA="), 1000),
            err(1, PemError::BadBase64)
        );
        // The strict grammar wraps base64 at 64 characters.
        let short_lines = "MIIB\nMIIB\nMAA=";
        assert_eq!(
            certificates(&block(short_lines), 1000),
            err(1, PemError::BadBase64)
        );
    }
}
