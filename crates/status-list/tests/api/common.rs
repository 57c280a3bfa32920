//! Shared helpers: vector loading, hex, a tiny CBOR status-list reader, signing.

use std::path::PathBuf;

use jose_core::{Algorithm, Header, LocalSigner, SystemRandom, UnsignedJws};
use serde_json::Value;

pub(crate) const URI: &str = "https://example.com/statuslists/1";

pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

pub(crate) fn load(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Reads the §4.3 CBOR form `{"bits": n, "lst": bstr}` exactly as the draft's examples encode
/// it (map of 2, text keys in that order), returning `(bits, zlib bytes)`.
pub(crate) fn cbor_status_list(bytes: &[u8]) -> (u64, Vec<u8>) {
    let prefix = [0xa2, 0x64, b'b', b'i', b't', b's'];
    assert_eq!(&bytes[..6], &prefix);
    let bits = u64::from(bytes[6]);
    assert_eq!(&bytes[7..11], &[0x63, b'l', b's', b't']);
    let (len, start) = match bytes[11] {
        n @ 0x40..=0x57 => (usize::from(n - 0x40), 12),
        0x58 => (usize::from(bytes[12]), 13),
        0x59 => (usize::from(u16::from_be_bytes([bytes[12], bytes[13]])), 14),
        other => panic!("unexpected bstr header {other:#x}"),
    };
    assert_eq!(bytes.len(), start + len, "trailing bytes");
    (bits, bytes[start..].to_vec())
}

pub(crate) fn signer() -> LocalSigner {
    LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap()
}

/// Signs arbitrary claims with an arbitrary `typ`, for negative tests.
pub(crate) fn sign_raw(signer: &LocalSigner, typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::Es256);
    if let Some(typ) = typ {
        header = header.with_typ(typ);
    }
    UnsignedJws::new(&header, claims.as_object().unwrap())
        .unwrap()
        .sign(signer)
        .unwrap()
}
