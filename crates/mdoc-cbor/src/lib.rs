#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cbor;
mod cose;
mod date;
mod error;
mod issue;
mod issuer_signed;
mod item;
mod limits;
mod mdl;
mod mso;
mod trust;
mod value;
mod verify;

pub use cose::{ISSUER_AUTH_ALGORITHMS, X5CHAIN_LABEL};
pub use error::Error;
pub use issue::{Issuance, IssuedMdoc, PreparedMdoc};
pub use issuer_signed::{DeviceResponse, Document, IssuerSigned};
pub use item::ReceivedItem;
pub use limits::{
    DEFAULT_MAX_CONTAINER_LEN, DEFAULT_MAX_DEPTH, DEFAULT_MAX_DOCUMENTS, DEFAULT_MAX_INPUT_LEN,
    DEFAULT_MAX_ITEMS_PER_NAME_SPACE, DEFAULT_MAX_NAME_SPACES, DEFAULT_MAX_STRUCT_ENTRIES,
    DEFAULT_MAX_X5CHAIN_LEN, DEFAULT_RANDOM_LEN, DIGEST_ID_BOUND, Limits, MIN_RANDOM_LEN,
};
pub use mdl::{MDL_DOC_TYPE, MDL_NAME_SPACE, PID_NAME_SPACE, element_from_json};
pub use mso::{
    DigestAlgorithm, MobileSecurityObject, StatusListReference, ValidityInfo, ValueDigests,
};
#[cfg(feature = "x509")]
pub use trust::IacaTrust;
pub use value::ElementValue;
pub use verify::{VerifiedMdoc, Verifier};

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
