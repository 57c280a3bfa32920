//! A small strict PEM reader for `CERTIFICATE` blocks (RFC 7468 §2 and §5.1).
//!
//! Text outside blocks is ignored (RFC 7468 allows explanatory text); inside a block every
//! line must be standard base64, the END label must match, and only `CERTIFICATE` blocks are
//! accepted, so a private key pasted by mistake is refused rather than skipped.

use base64ct::{Base64, Encoding};

use crate::error::{Error, PemError};

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";
const LABEL: &str = "CERTIFICATE";

/// Decodes every `CERTIFICATE` block of `text` to DER, in order.
pub(crate) fn certificates(text: &str, max_len: usize) -> Result<Vec<Vec<u8>>, Error> {
    if text.len() > max_len {
        return Err(Error::Pem {
            line: 1,
            reason: PemError::TooLong,
        });
    }
    let mut out = Vec::new();
    let mut body: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index.saturating_add(1);
        let line = raw.trim_end_matches([' ', '\t', '\r']);
        let err = |reason| Error::Pem {
            line: line_no,
            reason,
        };
        match body.as_mut() {
            None => {
                if let Some(rest) = line.strip_prefix(BEGIN) {
                    let label = rest
                        .strip_suffix(DASHES)
                        .ok_or(err(PemError::Unterminated))?;
                    if label != LABEL {
                        return Err(err(PemError::UnexpectedLabel));
                    }
                    body = Some((line_no, String::new()));
                } else if line.starts_with(END) {
                    return Err(err(PemError::Unterminated));
                }
            }
            Some((_, b64)) => {
                if let Some(rest) = line.strip_prefix(END) {
                    if rest.strip_suffix(DASHES) != Some(LABEL) {
                        return Err(err(PemError::Unterminated));
                    }
                    let der = Base64::decode_vec(b64).map_err(|_| err(PemError::BadBase64))?;
                    out.push(der);
                    body = None;
                } else if line.starts_with(BEGIN) {
                    return Err(err(PemError::Unterminated));
                } else {
                    b64.push_str(line);
                }
            }
        }
    }
    if let Some((line, _)) = body {
        return Err(Error::Pem {
            line,
            reason: PemError::Unterminated,
        });
    }
    if out.is_empty() {
        return Err(Error::Pem {
            line: 1,
            reason: PemError::NoCertificate,
        });
    }
    Ok(out)
}
