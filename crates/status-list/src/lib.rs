#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod allocator;
#[cfg(any(feature = "cwt", fuzzing))]
mod cwt;
mod error;
mod limits;
mod list;
mod reference;
mod status;
mod token;
mod zlib;

pub use allocator::IndexAllocator;
#[cfg(any(feature = "cwt", fuzzing))]
pub use cwt::{CWT_TYP, UnsignedCwt};
pub use error::Error;
pub use limits::{
    DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_TOKEN_LEN, Limits,
};
pub use list::StatusList;
pub use reference::{StatusClaim, StatusListReference};
pub use status::{Bits, Status, StatusIndex};
pub use token::{JWT_TYP, KeyHint, StatusListToken, VerifyOptions};

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
