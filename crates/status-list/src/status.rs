//! The vocabulary: entry width ([`Bits`]), status values ([`Status`]) and indices
//! ([`StatusIndex`]).

use crate::error::Error;

/// The number of bits per entry, `bits` in the draft (§4.1): 1, 2, 4 or 8.
///
/// ```
/// use status_list::Bits;
/// assert_eq!(Bits::try_from(2).unwrap(), Bits::Two);
/// assert!(Bits::try_from(3).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[expect(
    clippy::exhaustive_enums,
    reason = "the draft fixes exactly these four widths"
)]
pub enum Bits {
    /// One bit per entry (VALID / INVALID only).
    One,
    /// Two bits per entry.
    Two,
    /// Four bits per entry.
    Four,
    /// Eight bits per entry.
    Eight,
}

impl Bits {
    /// All widths, narrowest first.
    pub const ALL: [Self; 4] = [Self::One, Self::Two, Self::Four, Self::Eight];

    /// The width as a number of bits.
    #[must_use]
    pub const fn get(self) -> u8 {
        match self {
            Self::One => 1,
            Self::Two => 2,
            Self::Four => 4,
            Self::Eight => 8,
        }
    }

    /// How many entries share one byte (`8 / bits`).
    #[must_use]
    pub const fn per_byte(self) -> u8 {
        match self {
            Self::One => 8,
            Self::Two => 4,
            Self::Four => 2,
            Self::Eight => 1,
        }
    }

    /// The mask of one entry: `(1 << bits) - 1`.
    #[must_use]
    pub const fn mask(self) -> u8 {
        match self {
            Self::One => 0x01,
            Self::Two => 0x03,
            Self::Four => 0x0f,
            Self::Eight => 0xff,
        }
    }

    /// The number of bytes needed for `entries` entries (`ceil(entries * bits / 8)`), or `None`
    /// if that does not fit in `usize`.
    #[must_use]
    pub fn bytes_for(self, entries: u64) -> Option<usize> {
        let per_byte = u64::from(self.per_byte());
        let bytes = entries.div_ceil(per_byte);
        usize::try_from(bytes).ok()
    }
}

impl TryFrom<u64> for Bits {
    type Error = Error;

    /// # Errors
    /// [`Error::InvalidBits`] for anything but 1, 2, 4 and 8.
    fn try_from(bits: u64) -> Result<Self, Error> {
        match bits {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            4 => Ok(Self::Four),
            8 => Ok(Self::Eight),
            _ => Err(Error::InvalidBits { bits }),
        }
    }
}

impl core::fmt::Display for Bits {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A status value (draft §7). The registry is open, so every byte value is kept as received;
/// the named constants are the registered ones.
///
/// ```
/// use status_list::Status;
/// assert_eq!(Status::from(1), Status::INVALID);
/// assert!(Status::from(0x0c).is_application_specific());
/// assert_eq!(Status::from(0x42).value(), 0x42);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Status(u8);

impl Status {
    /// 0x00: the token is valid, correct or legal.
    pub const VALID: Self = Self(0x00);
    /// 0x01: the token is revoked, annulled, taken back or otherwise invalidated (permanent).
    pub const INVALID: Self = Self(0x01);
    /// 0x02: the token is temporarily invalid (suspended).
    pub const SUSPENDED: Self = Self(0x02);
    /// 0x03: application-specific.
    pub const APPLICATION_SPECIFIC_3: Self = Self(0x03);

    /// The status with this raw value.
    #[must_use]
    pub const fn new(value: u8) -> Self {
        Self(value)
    }

    /// The raw value.
    #[must_use]
    pub const fn value(self) -> u8 {
        self.0
    }

    /// Whether this is VALID.
    #[must_use]
    pub const fn is_valid(self) -> bool {
        self.0 == 0
    }

    /// Whether the value is one of the application-specific ones (0x03, 0x0C–0x0F; draft -20
    /// §7.1 no longer lists 0x0B).
    #[must_use]
    pub const fn is_application_specific(self) -> bool {
        matches!(self.0, 0x03 | 0x0c..=0x0f)
    }

    /// Whether the value is registered or application-specific; everything else is reserved for
    /// future registration (still stored and returned losslessly).
    #[must_use]
    pub const fn is_known(self) -> bool {
        self.0 <= 0x02 || self.is_application_specific()
    }
}

impl From<u8> for Status {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<Status> for u8 {
    fn from(status: Status) -> Self {
        status.0
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::VALID => f.write_str("VALID"),
            Self::INVALID => f.write_str("INVALID"),
            Self::SUSPENDED => f.write_str("SUSPENDED"),
            Self(v) => write!(f, "0x{v:02X}"),
        }
    }
}

/// The position of a Referenced Token's entry in a status list (`idx`, draft §6.2).
///
/// Any non-negative integer is a well-formed index; whether it is in range is a property of the
/// list it is looked up in ([`Error::IndexOutOfRange`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct StatusIndex(u64);

impl StatusIndex {
    /// The index `idx`.
    #[must_use]
    pub const fn new(idx: u64) -> Self {
        Self(idx)
    }

    /// The index as a number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u32> for StatusIndex {
    fn from(idx: u32) -> Self {
        Self(u64::from(idx))
    }
}

impl From<u64> for StatusIndex {
    fn from(idx: u64) -> Self {
        Self(idx)
    }
}

impl core::fmt::Display for StatusIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}
