//! Fuzz entry points: each parses hostile bytes and must never panic.

use jose_core::keys::StaticKeys;
use jose_core::{EcCurve, PublicKey, UnixTime};

use crate::{DeviceResponse, Error, Limits, MobileSecurityObject, Verifier};

/// The ISO 18013-5 Annex D Document Signer public key (P-256), so that inputs derived from the
/// Annex D seed reach the digest checks.
const ANNEX_D_DS_POINT: [u8; 65] = [
    0x04, 0xac, 0xe7, 0xab, 0x73, 0x40, 0xe5, 0xd9, 0x64, 0x8c, 0x5a, 0x72, 0xa9, 0xa6, 0xf5, 0x67,
    0x45, 0xc7, 0xaa, 0xd4, 0x36, 0xa0, 0x3a, 0x43, 0xef, 0xea, 0x77, 0xb5, 0xfa, 0x7b, 0x88, 0xf0,
    0x19, 0x7d, 0x57, 0xd8, 0x98, 0x3e, 0x1b, 0x37, 0xd3, 0xa5, 0x39, 0xf4, 0xd5, 0x88, 0x36, 0x5e,
    0x38, 0xcb, 0xbf, 0x5b, 0x94, 0xd6, 0x8c, 0x54, 0x7b, 0x5b, 0xc8, 0x73, 0x1d, 0xcd, 0x2f, 0x14,
    0x6b,
];

/// Fuzz entry: parse and verify `IssuerSigned` with a pinned key at a fixed time inside the
/// Annex D validity period.
///
/// # Errors
/// Whatever verification returns.
pub fn issuer_signed_verify(data: &[u8]) -> Result<(), Error> {
    let key = PublicKey::from_ec_point(EcCurve::P256, &ANNEX_D_DS_POINT)?;
    let trust = StaticKeys::from(jose_core::PublicJwk::new(key));
    Verifier::new(&trust)
        .verify(
            data,
            crate::MDL_DOC_TYPE,
            UnixTime::from_secs(1_610_000_000),
        )
        .map(|_| ())
}

/// Fuzz entry: parse `MobileSecurityObjectBytes` or, failing that, a bare MSO; a parsed MSO
/// must re-encode and parse back to itself.
///
/// # Errors
/// Whatever parsing returns.
///
/// # Panics
/// When a parsed MSO does not survive re-encoding (a bug).
pub fn mso_parse(data: &[u8]) -> Result<(), Error> {
    let limits = Limits::default();
    let mso = MobileSecurityObject::from_tagged_cbor(data, &limits)
        .or_else(|_| MobileSecurityObject::from_cbor(data, &limits))?;
    if let Ok(again) = mso.to_cbor() {
        assert_eq!(
            MobileSecurityObject::from_cbor(&again, &limits).ok(),
            Some(mso),
            "MSO round trip changed the value"
        );
    }
    Ok(())
}

/// Fuzz entry: parse a `DeviceResponse`.
///
/// # Errors
/// Whatever parsing returns.
pub fn device_response_parse(data: &[u8]) -> Result<(), Error> {
    DeviceResponse::parse(data, &Limits::default()).map(|_| ())
}
