//! The RFC 7518 §4.6.2 Concat KDF.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// The RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A §5.8.1) with SHA-256, as ECDH-ES direct key
/// agreement uses it: `AlgorithmID` is the `enc` name, `PartyUInfo`/`PartyVInfo` are `apu`/`apv`
/// (length-prefixed), `SuppPubInfo` is the key length in bits, `SuppPrivInfo` is empty.
///
/// ```
/// // RFC 7518 Appendix C.
/// let z = [158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251,
///     49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196];
/// let key = jose_core::jwe::concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16)?;
/// assert_eq!(jose_core::base64url::encode(&key), "VqqN6vgjbSBcIijNcacQGg");
/// # Ok::<(), jose_core::jwe::JweError>(())
/// ```
///
/// # Errors
/// [`JweError::InvalidHeader`] if a length does not fit the KDF's 32-bit fields.
pub fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Vec<u8>, JweError> {
    let too_long = |name| JweError::InvalidHeader { name };
    let alg_len = u32::try_from(algorithm_id.len()).map_err(|_| too_long("enc"))?;
    let apu_len = u32::try_from(apu.len()).map_err(|_| too_long("apu"))?;
    let apv_len = u32::try_from(apv.len()).map_err(|_| too_long("apv"))?;
    let key_bits = key_len
        .checked_mul(8)
        .and_then(|bits| u32::try_from(bits).ok())
        .ok_or(too_long("enc"))?;
    let mut out = Vec::with_capacity(key_len.saturating_add(32));
    let mut counter: u32 = 1;
    while out.len() < key_len {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&alg_len.to_be_bytes());
        ctx.update(algorithm_id.as_bytes());
        ctx.update(&apu_len.to_be_bytes());
        ctx.update(apu);
        ctx.update(&apv_len.to_be_bytes());
        ctx.update(apv);
        ctx.update(&key_bits.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter = counter.checked_add(1).ok_or(too_long("enc"))?;
    }
    out.truncate(key_len);
    Ok(out)
}
