//! The packed status list (§4.1) and its `lst` encoding (§4.2).

use crate::error::Error;
use crate::limits::Limits;
use crate::status::{Bits, Status, StatusIndex};
use crate::zlib;

/// A status list: `bits`-wide entries packed into bytes, index 0 in the least significant bits
/// of byte 0 (§4.1).
///
/// ```
/// use status_list::{Bits, Limits, Status, StatusIndex, StatusList};
/// let mut list = StatusList::new(Bits::Two, 12, &Limits::default())?;
/// list.set(StatusIndex::new(3), Status::SUSPENDED)?;
/// let lst = list.to_lst();
/// let back = StatusList::from_lst(Bits::Two, &lst, None, &Limits::default())?;
/// assert_eq!(back.get(StatusIndex::new(3))?, Status::SUSPENDED);
/// assert_eq!(back, list);
/// # Ok::<(), status_list::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Bits,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` entries, all VALID. The size is rounded up to whole bytes,
    /// so [`Self::len`] may be larger than `entries`.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`] if the bytes would exceed [`Limits::max_inflated_bytes`] (a list
    /// a relying party could not decode).
    pub fn new(bits: Bits, entries: u64, limits: &Limits) -> Result<Self, Error> {
        let too_large = Error::ListTooLarge {
            entries,
            bits,
            max: limits.max_inflated_bytes(),
        };
        let size = bits.bytes_for(entries).ok_or(too_large.clone())?;
        if size > limits.max_inflated_bytes() {
            return Err(too_large);
        }
        Ok(Self {
            bits,
            bytes: vec![0; size],
        })
    }

    /// A list over already packed bytes.
    #[must_use]
    pub const fn from_bytes(bits: Bits, bytes: Vec<u8>) -> Self {
        Self { bits, bytes }
    }

    /// The width of each entry.
    #[must_use]
    pub const fn bits(&self) -> Bits {
        self.bits
    }

    /// The packed bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the packed bytes out.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The number of addressable entries: bytes × (8 / bits).
    #[must_use]
    pub fn len(&self) -> u64 {
        let bytes = u64::try_from(self.bytes.len()).unwrap_or(u64::MAX);
        bytes.saturating_mul(u64::from(self.bits.per_byte()))
    }

    /// Whether the list has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The byte position and bit shift of `idx` (§4.1).
    fn locate(&self, idx: StatusIndex) -> Result<(usize, u8), Error> {
        let out_of_range = || Error::IndexOutOfRange {
            idx,
            len: self.len(),
        };
        let per_byte = u64::from(self.bits.per_byte());
        let byte = usize::try_from(idx.get() / per_byte).map_err(|_| out_of_range())?;
        if byte >= self.bytes.len() {
            return Err(out_of_range());
        }
        let slot = u8::try_from(idx.get() % per_byte).map_err(|_| out_of_range())?;
        Ok((byte, slot.saturating_mul(self.bits.get())))
    }

    /// The status at `idx`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] when `idx` is not inside the list.
    pub fn get(&self, idx: StatusIndex) -> Result<Status, Error> {
        let (byte, shift) = self.locate(idx)?;
        // `locate` checked the index; never read a missing byte as 0 (VALID).
        let value = *self.bytes.get(byte).ok_or(Error::Internal {
            invariant: "a located status lies in the list",
        })?;
        Ok(Status::new((value >> shift) & self.bits.mask()))
    }

    /// Sets the status at `idx`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] when `idx` is not inside the list, [`Error::StatusTooWide`]
    /// when the value needs more than [`Self::bits`] bits (e.g. SUSPENDED in a 1-bit list).
    pub fn set(&mut self, idx: StatusIndex, status: Status) -> Result<(), Error> {
        let mask = self.bits.mask();
        if status.value() & !mask != 0 {
            return Err(Error::StatusTooWide {
                value: status.value(),
                bits: self.bits,
            });
        }
        let (byte, shift) = self.locate(idx)?;
        if let Some(b) = self.bytes.get_mut(byte) {
            *b = (*b & !(mask << shift)) | (status.value() << shift);
        }
        Ok(())
    }

    /// The ZLIB-compressed bytes (best compression), as carried in the CBOR form (§4.3).
    #[must_use]
    pub fn to_zlib(&self) -> Vec<u8> {
        zlib::compress(&self.bytes)
    }

    /// `lst`: the ZLIB bytes as unpadded base64url, as carried in the JSON form (§4.2).
    #[must_use]
    pub fn to_lst(&self) -> String {
        jose_core::base64url::encode(&self.to_zlib())
    }

    /// The cap on the inflated size: the bytes for `expected_entries` if given, never more
    /// than the hard ceiling.
    fn cap(bits: Bits, expected_entries: Option<u64>, limits: &Limits) -> usize {
        let ceiling = limits.max_inflated_bytes();
        expected_entries
            .and_then(|n| bits.bytes_for(n))
            .map_or(ceiling, |n| n.min(ceiling))
    }

    /// Decodes ZLIB bytes (the CBOR form's `lst`). Inflation stops as soon as the output passes
    /// the cap: the bytes needed for `expected_entries` when the caller knows the size, else
    /// [`Limits::max_inflated_bytes`].
    ///
    /// # Errors
    /// [`Error::LstGzip`], [`Error::LstRawDeflate`], [`Error::LstBadZlibHeader`],
    /// [`Error::LstTruncated`], [`Error::LstCorrupt`], [`Error::LstTrailingData`],
    /// [`Error::LstTooLarge`].
    pub fn from_zlib(
        bits: Bits,
        zlib_bytes: &[u8],
        expected_entries: Option<u64>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        let max = Self::cap(bits, expected_entries, limits);
        let bytes = zlib::inflate_capped(zlib_bytes, max)?;
        Ok(Self { bits, bytes })
    }

    /// Decodes `lst` (the JSON form): strict unpadded base64url, then [`Self::from_zlib`].
    ///
    /// # Errors
    /// [`Error::LstBase64`] and those of [`Self::from_zlib`].
    pub fn from_lst(
        bits: Bits,
        lst: &str,
        expected_entries: Option<u64>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        let zlib_bytes = jose_core::base64url::decode(lst).ok_or(Error::LstBase64)?;
        Self::from_zlib(bits, &zlib_bytes, expected_entries, limits)
    }
}

#[cfg(test)]
mod tests;
