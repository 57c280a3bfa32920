//! A small CBOR writer (preferred serialisation: definite lengths, shortest heads) and a strict
//! reader over `minicbor::Decoder` that maps every failure to [`Error`] with a byte position.

use minicbor::Decoder;
use minicbor::data::Type;

use crate::error::Error;

/// CBOR major types (RFC 8949 §3.1).
const MAJOR_UNSIGNED: u8 = 0;
const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;

/// Tag 24: encoded CBOR data item (RFC 8949 §3.4.5.1).
pub(crate) const TAG_ENCODED_CBOR: u64 = 24;
/// Tag 0: RFC 3339 date/time string (`tdate`).
pub(crate) const TAG_TDATE: u64 = 0;
/// Tag 1004: RFC 3339 full-date string (RFC 8943).
pub(crate) const TAG_FULL_DATE: u64 = 1004;

/// Converts a length to the CBOR argument (lossless on every supported target).
pub(crate) fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Appends CBOR items to a byte vector. Writing cannot fail.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Continues writing after `bytes`.
    pub(crate) const fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { buf: bytes }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// The number of bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Forgets the content, keeping the allocation (for a scratch writer).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Writes an initial byte and its argument in the shortest form.
    #[inline]
    fn head(&mut self, major: u8, arg: u64) {
        let major = major << 5;
        if let Ok(small) = u8::try_from(arg) {
            if small < 24 {
                self.buf.push(major | small);
            } else {
                self.buf.extend_from_slice(&[major | 24, small]);
            }
        } else if let Ok(short) = u16::try_from(arg) {
            self.buf.push(major | 25);
            self.buf.extend_from_slice(&short.to_be_bytes());
        } else if let Ok(word) = u32::try_from(arg) {
            self.buf.push(major | 26);
            self.buf.extend_from_slice(&word.to_be_bytes());
        } else {
            self.buf.push(major | 27);
            self.buf.extend_from_slice(&arg.to_be_bytes());
        }
    }

    pub(crate) fn uint(&mut self, value: u64) -> &mut Self {
        self.head(MAJOR_UNSIGNED, value);
        self
    }

    /// Writes `-1 - arg`, the CBOR negative integer with argument `arg`.
    pub(crate) fn negative(&mut self, arg: u64) -> &mut Self {
        self.head(MAJOR_NEGATIVE, arg);
        self
    }

    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.head(MAJOR_BYTES, len_u64(value.len()));
        self.buf.extend_from_slice(value);
        self
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.head(MAJOR_TEXT, len_u64(value.len()));
        self.buf.extend_from_slice(value.as_bytes());
        self
    }

    pub(crate) fn array(&mut self, len: usize) -> &mut Self {
        self.head(MAJOR_ARRAY, len_u64(len));
        self
    }

    pub(crate) fn map(&mut self, len: usize) -> &mut Self {
        self.head(MAJOR_MAP, len_u64(len));
        self
    }

    pub(crate) fn tag(&mut self, tag: u64) -> &mut Self {
        self.head(MAJOR_TAG, tag);
        self
    }

    pub(crate) fn bool(&mut self, value: bool) -> &mut Self {
        self.buf.push(if value { 0xf5 } else { 0xf4 });
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.buf.push(0xf6);
        self
    }

    pub(crate) fn f64(&mut self, value: f64) -> &mut Self {
        self.buf.push(0xfb);
        self.buf.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends already encoded CBOR.
    pub(crate) fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// Writes `#6.24(bstr .cbor item)` where `item` is already encoded.
    pub(crate) fn tag24(&mut self, item: &[u8]) -> &mut Self {
        self.tag(TAG_ENCODED_CBOR).bytes(item)
    }

    /// Writes only the head of a byte string of `len` bytes; the content must follow.
    pub(crate) fn bytes_head(&mut self, len: usize) -> &mut Self {
        self.head(MAJOR_BYTES, len_u64(len));
        self
    }
}

/// The length of a head (initial byte and argument) with argument `arg`.
pub(crate) const fn head_len(arg: u64) -> usize {
    if arg < 24 {
        1
    } else if arg <= 0xff {
        2
    } else if arg <= 0xffff {
        3
    } else if arg <= 0xffff_ffff {
        5
    } else {
        9
    }
}

/// The length of `#6.24(bstr)` around `len` bytes of encoded CBOR.
pub(crate) fn tag24_len(len: usize) -> usize {
    // Tag 24 needs a two-byte head (0xd8 0x18).
    let arg = len_u64(len);
    2usize.saturating_add(head_len(arg)).saturating_add(len)
}

/// A strict reader: definite lengths only for containers, every error typed and positioned.
#[derive(Debug)]
pub(crate) struct Reader<'b> {
    d: Decoder<'b>,
    structure: &'static str,
    /// Offset of `input` inside the outermost input, so nested readers report absolute positions.
    base: usize,
}

impl<'b> Reader<'b> {
    pub(crate) fn new(input: &'b [u8], structure: &'static str) -> Self {
        Self::nested(input, structure, 0)
    }

    /// A reader over `input`, which starts at byte `base` of the outer input.
    pub(crate) fn nested(input: &'b [u8], structure: &'static str, base: usize) -> Self {
        Self {
            d: Decoder::new(input),
            structure,
            base,
        }
    }

    /// The absolute position (for errors) of relative position `position`.
    pub(crate) const fn absolute(&self, position: usize) -> usize {
        self.base.saturating_add(position)
    }

    /// Switches the structure name used in errors (returns the previous one).
    pub(crate) fn enter(&mut self, structure: &'static str) -> &'static str {
        core::mem::replace(&mut self.structure, structure)
    }

    pub(crate) const fn structure(&self) -> &'static str {
        self.structure
    }

    pub(crate) fn position(&self) -> usize {
        self.d.position()
    }

    pub(crate) fn input(&self) -> &'b [u8] {
        self.d.input()
    }

    pub(crate) fn malformed(&self, position: usize, reason: &'static str) -> Error {
        Error::Malformed {
            structure: self.structure,
            position: self.absolute(position),
            reason,
        }
    }

    fn map_err(&self, error: &minicbor::decode::Error, at: usize) -> Error {
        let position = error.position().unwrap_or(at);
        if error.is_end_of_input() {
            Error::Truncated {
                structure: self.structure,
                position: self.absolute(position),
            }
        } else if error.is_type_mismatch() {
            self.malformed(position, "unexpected CBOR type")
        } else {
            self.malformed(position, "invalid CBOR item")
        }
    }

    pub(crate) fn datatype(&self) -> Result<Type, Error> {
        let at = self.position();
        self.d.datatype().map_err(|e| self.map_err(&e, at))
    }

    /// Reads a definite-length array header, refusing more than `max` entries.
    pub(crate) fn array(&mut self, max: usize, what: &'static str) -> Result<usize, Error> {
        let at = self.position();
        let len = self.d.array().map_err(|e| self.map_err(&e, at))?;
        self.check_len(len, max, what, at)
    }

    /// Reads a definite-length map header, refusing more than `max` entries.
    pub(crate) fn map(&mut self, max: usize, what: &'static str) -> Result<usize, Error> {
        let at = self.position();
        let len = self.d.map().map_err(|e| self.map_err(&e, at))?;
        self.check_len(len, max, what, at)
    }

    fn check_len(
        &self,
        len: Option<u64>,
        max: usize,
        what: &'static str,
        at: usize,
    ) -> Result<usize, Error> {
        let Some(len) = len else {
            return Err(self.malformed(at, "indefinite length"));
        };
        match usize::try_from(len) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(Error::TooMany {
                what,
                count: len,
                max,
            }),
        }
    }

    pub(crate) fn text(&mut self) -> Result<&'b str, Error> {
        let at = self.position();
        self.d.str().map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'b [u8], Error> {
        let at = self.position();
        self.d.bytes().map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn uint(&mut self) -> Result<u64, Error> {
        let at = self.position();
        self.d.u64().map_err(|e| self.map_err(&e, at))
    }

    /// Any CBOR integer, widened to `i128`.
    pub(crate) fn int(&mut self) -> Result<i128, Error> {
        let at = self.position();
        let value = self.d.int().map_err(|e| self.map_err(&e, at))?;
        Ok(i128::from(value))
    }

    pub(crate) fn tag(&mut self) -> Result<u64, Error> {
        let at = self.position();
        self.d
            .tag()
            .map(minicbor::data::Tag::as_u64)
            .map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, Error> {
        let at = self.position();
        self.d.bool().map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn null(&mut self) -> Result<(), Error> {
        let at = self.position();
        self.d.null().map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn undefined(&mut self) -> Result<(), Error> {
        let at = self.position();
        self.d.undefined().map_err(|e| self.map_err(&e, at))
    }

    pub(crate) fn simple(&mut self) -> Result<u8, Error> {
        let at = self.position();
        self.d.simple().map_err(|e| self.map_err(&e, at))
    }

    /// Any float (half, single, double), widened to `f64`.
    pub(crate) fn float(&mut self) -> Result<f64, Error> {
        let at = self.position();
        let input = self.d.input();
        if input.get(at) == Some(&0xf9) {
            let (Some(hi), Some(lo)) = (
                input.get(at.saturating_add(1)),
                input.get(at.saturating_add(2)),
            ) else {
                return Err(Error::Truncated {
                    structure: self.structure,
                    position: self.absolute(at),
                });
            };
            self.d.set_position(at.saturating_add(3));
            return Ok(half_to_f64(u16::from_be_bytes([*hi, *lo])));
        }
        self.d.f64().map_err(|e| self.map_err(&e, at))
    }

    /// Skips one complete item (iteratively, so depth is not a concern) and returns its bytes.
    pub(crate) fn skip(&mut self) -> Result<&'b [u8], Error> {
        let at = self.position();
        self.d.skip().map_err(|e| self.map_err(&e, at))?;
        let end = self.position();
        self.d
            .input()
            .get(at..end)
            .ok_or_else(|| self.malformed(at, "invalid CBOR item"))
    }

    /// Reads `#6.24(bstr)` and returns `(whole encoding, embedded bytes)`.
    pub(crate) fn tag24(&mut self) -> Result<(&'b [u8], &'b [u8]), Error> {
        let at = self.position();
        let tag = self.tag()?;
        if tag != TAG_ENCODED_CBOR {
            return Err(Error::UnexpectedValue {
                field: self.structure,
                reason: "expected #6.24(bstr)",
            });
        }
        let inner = self.bytes()?;
        let whole = self
            .d
            .input()
            .get(at..self.position())
            .ok_or_else(|| self.malformed(at, "invalid CBOR item"))?;
        Ok((whole, inner))
    }

    /// Fails unless every input byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        let position = self.position();
        if position == self.d.input().len() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                structure: self.structure,
                position: self.absolute(position),
            })
        }
    }

    /// Iterates a text-keyed map of at most `max` entries. `on_entry` returns `true` when it
    /// consumed the value and `false` to have it skipped. Duplicate keys are refused.
    pub(crate) fn struct_map(
        &mut self,
        max: usize,
        mut on_entry: impl FnMut(&'b str, &mut Self) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let len = self.map(max, self.structure)?;
        let mut seen: Vec<&'b str> = Vec::with_capacity(len.min(16));
        for _ in 0..len {
            let at = self.position();
            let key = self.text()?;
            if seen.contains(&key) {
                return Err(Error::DuplicateKey {
                    structure: self.structure,
                    position: self.absolute(at),
                });
            }
            seen.push(key);
            if !on_entry(key, self)? {
                self.skip()?;
            }
        }
        Ok(())
    }
}

/// IEEE 754 binary16 to f64 (RFC 8949 Appendix D).
fn half_to_f64(bits: u16) -> f64 {
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mantissa + 1024.0) * 2f64.powi(e - 25),
    };
    if bits & 0x8000 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_shortest() {
        let mut w = Writer::new();
        w.uint(23)
            .uint(24)
            .uint(255)
            .uint(256)
            .uint(65_536)
            .uint(1 << 32);
        assert_eq!(
            w.into_bytes(),
            [
                0x17, 0x18, 0x18, 0x18, 0xff, 0x19, 0x01, 0x00, 0x1a, 0x00, 0x01, 0x00, 0x00, 0x1b,
                0, 0, 0, 1, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn half_floats_decode() {
        assert_eq!(half_to_f64(0x3c00), 1.0);
        assert_eq!(half_to_f64(0x3e00), 1.5);
        assert_eq!(half_to_f64(0xc400), -4.0);
        assert_eq!(half_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(half_to_f64(0x7c00), f64::INFINITY);
        assert!(half_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn indefinite_map_is_refused() {
        let mut r = Reader::new(&[0xbf, 0xff], "test");
        assert_eq!(
            r.map(4, "test"),
            Err(Error::Malformed {
                structure: "test",
                position: 0,
                reason: "indefinite length"
            })
        );
    }

    #[test]
    fn huge_array_count_is_refused_before_allocation() {
        let mut r = Reader::new(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "t");
        assert_eq!(
            r.array(10, "entries"),
            Err(Error::TooMany {
                what: "entries",
                count: u64::MAX,
                max: 10
            })
        );
    }
}
