//! ZLIB (RFC 1950) compression of the packed bytes, and inflation with an output cap checked
//! while inflating (the zlib-bomb guard).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::Error;

/// Compresses `bytes` into a ZLIB stream at the best compression level (§4.1 recommends the
/// highest level). An empty input still gives a complete, valid stream.
pub(crate) fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = Compress::new(Compression::best(), true);
    // Stored blocks bound the output: 5 bytes per 64 KiB block plus header and trailer.
    let bound = bytes
        .len()
        .saturating_add(bytes.len() / 16_000)
        .saturating_add(64);
    let mut out = Vec::with_capacity(bound);
    loop {
        let consumed = usize::try_from(encoder.total_in()).unwrap_or(usize::MAX);
        let rest = bytes.get(consumed..).unwrap_or_default();
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(64));
        }
        match encoder.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(Status::Ok | Status::BufError) => {}
            // Compression of in-memory bytes with a growing buffer cannot fail; if it ever
            // did, retrying with more room is the only sensible reaction.
            Err(_) => out.reserve(out.capacity().max(64)),
        }
    }
}

/// Classifies a stream that is not ZLIB: GZIP, raw DEFLATE, or neither.
fn classify_non_zlib(data: &[u8], cmf: u8, flg: u8) -> Error {
    if data.starts_with(&[0x1f, 0x8b]) {
        return Error::LstGzip;
    }
    // Raw DEFLATE has no header; if a raw inflater decodes output (or a whole stream) from
    // the start of the data, call it that. The probe is bounded: 1 KiB in, 256 bytes out.
    let mut raw = Decompress::new(false);
    let mut probe = [0u8; 256];
    let head = data.get(..data.len().min(1024)).unwrap_or_default();
    match raw.decompress(head, &mut probe, FlushDecompress::None) {
        Ok(Status::StreamEnd) => Error::LstRawDeflate,
        Ok(_) if raw.total_out() > 0 => Error::LstRawDeflate,
        _ => Error::LstBadZlibHeader { cmf, flg },
    }
}

/// Checks the RFC 1950 §2.2 header: CM = 8 (deflate), CINFO ≤ 7, FCHECK, no preset dictionary.
fn check_header(data: &[u8]) -> Result<(), Error> {
    let (Some(&cmf), Some(&flg)) = (data.first(), data.get(1)) else {
        // Fewer than two bytes: nothing to classify, the stream is cut short.
        return Err(Error::LstTruncated);
    };
    let method_ok = cmf & 0x0f == 8 && cmf >> 4 <= 7;
    let check_ok = (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0;
    if method_ok && check_ok {
        if flg & 0x20 != 0 {
            // FDICT: a preset dictionary we do not have.
            return Err(Error::LstBadZlibHeader { cmf, flg });
        }
        return Ok(());
    }
    Err(classify_non_zlib(data, cmf, flg))
}

/// Inflates a ZLIB stream, refusing output past `max` bytes as soon as it is produced, data
/// after the end of the stream, truncation and corruption.
pub(crate) fn inflate_capped(data: &[u8], max: usize) -> Result<Vec<u8>, Error> {
    check_header(data)?;
    let mut decoder = Decompress::new(true);
    // DEFLATE's best ratio is about 1032:1; start from a modest guess and grow, never past
    // `max + 1` (one byte more than allowed is enough to know the cap is exceeded).
    let hard = max.saturating_add(1);
    let guess = data.len().saturating_mul(16).max(64).min(hard);
    let mut out = Vec::with_capacity(guess.min(hard));
    loop {
        if out.len() == out.capacity() {
            if out.len() >= hard {
                return Err(Error::LstTooLarge { max });
            }
            let grow = out.capacity().max(64).min(hard.saturating_sub(out.len()));
            out.reserve_exact(grow);
        }
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        let out_before = out.len();
        let status = decoder
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|_| Error::LstCorrupt)?;
        if out.len() > max {
            return Err(Error::LstTooLarge { max });
        }
        let consumed_now = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        match status {
            Status::StreamEnd => {
                let extra = data.len().saturating_sub(consumed_now);
                if extra > 0 {
                    return Err(Error::LstTrailingData { extra });
                }
                return Ok(out);
            }
            Status::Ok | Status::BufError => {
                let no_progress = consumed_now == consumed && out.len() == out_before;
                let room_left = out.len() < out.capacity();
                if no_progress && room_left {
                    // All input used, room to write, and still no end of stream.
                    return Err(Error::LstTruncated);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_compresses_to_a_valid_stream() {
        let z = compress(&[]);
        assert_eq!(z.first(), Some(&0x78));
        assert_eq!(inflate_capped(&z, 0).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn header_checks() {
        assert_eq!(inflate_capped(&[], 10), Err(Error::LstTruncated));
        assert_eq!(inflate_capped(&[0x78], 10), Err(Error::LstTruncated));
        // 0x78 0x01 passes FCHECK; 0x78 0x02 does not.
        assert_eq!(
            inflate_capped(&[0x78, 0x02, 0x00], 10),
            Err(Error::LstBadZlibHeader {
                cmf: 0x78,
                flg: 0x02
            })
        );
        // FDICT set: 0x78 0xbb (0x78bb % 31 == 0, bit 5 set).
        assert_eq!(
            inflate_capped(&[0x78, 0xbb, 0, 0, 0, 0], 10),
            Err(Error::LstBadZlibHeader {
                cmf: 0x78,
                flg: 0xbb
            })
        );
    }

    #[test]
    fn trailing_data_is_refused() {
        let mut z = compress(b"abc");
        z.push(0);
        assert_eq!(
            inflate_capped(&z, 10),
            Err(Error::LstTrailingData { extra: 1 })
        );
    }

    #[test]
    fn corrupt_checksum_is_refused() {
        let mut z = compress(b"abcdef");
        if let Some(last) = z.last_mut() {
            *last ^= 1;
        }
        assert_eq!(inflate_capped(&z, 10), Err(Error::LstCorrupt));
    }

    #[test]
    fn exact_cap_is_allowed_one_more_is_not() {
        let z = compress(&[7u8; 1000]);
        assert_eq!(inflate_capped(&z, 1000).unwrap().len(), 1000);
        assert_eq!(
            inflate_capped(&z, 999),
            Err(Error::LstTooLarge { max: 999 })
        );
    }
}
