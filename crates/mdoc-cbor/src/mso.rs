//! The Mobile Security Object (ISO 18013-5 §9.1.2.4): digests of every issued item, the device
//! key, the docType, the validity period and (2nd edition draft) the status reference.

use std::collections::BTreeMap;

use jose_core::{PublicKey, UnixTime, short_text};

use crate::cbor::{Reader, TAG_TDATE, Writer};
use crate::cose;
use crate::date;
use crate::error::Error;
use crate::limits::{DIGEST_ID_BOUND, Limits};

/// Digest of one `valueDigests` entry, keyed by name space then digestID.
pub type ValueDigests = BTreeMap<String, BTreeMap<u64, Vec<u8>>>;

/// The MSO `digestAlgorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// "SHA-256", the algorithm this crate issues with.
    Sha256,
    /// "SHA-384".
    Sha384,
    /// "SHA-512".
    Sha512,
}

impl DigestAlgorithm {
    /// The name used in the MSO.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// The algorithm with this MSO name.
    ///
    /// # Errors
    /// [`Error::UnsupportedDigestAlgorithm`] for any other name.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "SHA-256" => Ok(Self::Sha256),
            "SHA-384" => Ok(Self::Sha384),
            "SHA-512" => Ok(Self::Sha512),
            other => Err(Error::UnsupportedDigestAlgorithm {
                name: short_text(other),
            }),
        }
    }

    /// The digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        self.digest_fixed(data).as_ref().to_vec()
    }

    /// The digest of `data`, without allocating.
    pub(crate) fn digest_fixed(self, data: &[u8]) -> ring::digest::Digest {
        let alg = match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data)
    }
}

/// `validityInfo`: when the MSO was signed and the period it is valid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidityInfo {
    /// When the MSO was signed.
    pub signed: UnixTime,
    /// Start of validity.
    pub valid_from: UnixTime,
    /// End of validity.
    pub valid_until: UnixTime,
    /// When the issuer expects to re-sign the MSO, if it said so.
    pub expected_update: Option<UnixTime>,
}

impl ValidityInfo {
    /// A validity period. Times are written with whole seconds (tdate has no fractions).
    ///
    /// # Errors
    /// [`Error::InvalidValidity`] when `valid_from > valid_until` or `signed > valid_until`.
    pub fn new(
        signed: UnixTime,
        valid_from: UnixTime,
        valid_until: UnixTime,
    ) -> Result<Self, Error> {
        let info = Self {
            signed,
            valid_from,
            valid_until,
            expected_update: None,
        };
        info.check()?;
        Ok(info)
    }

    /// Sets `expectedUpdate`.
    #[must_use]
    pub const fn with_expected_update(mut self, at: UnixTime) -> Self {
        self.expected_update = Some(at);
        self
    }

    fn check(&self) -> Result<(), Error> {
        if self.valid_from > self.valid_until {
            return Err(Error::InvalidValidity {
                reason: "validFrom is after validUntil",
            });
        }
        if self.signed > self.valid_until {
            return Err(Error::InvalidValidity {
                reason: "signed is after validUntil",
            });
        }
        Ok(())
    }

    fn encode(&self, w: &mut Writer) -> Result<(), Error> {
        w.map(if self.expected_update.is_some() { 4 } else { 3 });
        write_tdate(w, "signed", self.signed)?;
        write_tdate(w, "validFrom", self.valid_from)?;
        write_tdate(w, "validUntil", self.valid_until)?;
        if let Some(at) = self.expected_update {
            write_tdate(w, "expectedUpdate", at)?;
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, limits: &Limits) -> Result<Self, Error> {
        let (mut signed, mut from, mut until, mut expected) = (None, None, None, None);
        let outer = r.enter("validityInfo");
        r.struct_map(limits.max_struct_entries(), |key, r| {
            let slot = match key {
                "signed" => &mut signed,
                "validFrom" => &mut from,
                "validUntil" => &mut until,
                "expectedUpdate" => &mut expected,
                _ => return Ok(false),
            };
            *slot = Some(read_tdate(r, "validityInfo")?);
            Ok(true)
        })?;
        r.enter(outer);
        let missing = |field| Error::MissingField {
            structure: "validityInfo",
            field,
        };
        let info = Self {
            signed: signed.ok_or_else(|| missing("signed"))?,
            valid_from: from.ok_or_else(|| missing("validFrom"))?,
            valid_until: until.ok_or_else(|| missing("validUntil"))?,
            expected_update: expected,
        };
        info.check()?;
        Ok(info)
    }
}

/// Writes `name: #6.0(tdate)`.
fn write_tdate(w: &mut Writer, name: &'static str, at: UnixTime) -> Result<(), Error> {
    let text = date::tdate_text(at, name)?;
    let text = core::str::from_utf8(&text).map_err(|_| Error::InvalidDate { field: name })?;
    w.text(name).tag(TAG_TDATE).text(text);
    Ok(())
}

fn read_tdate(r: &mut Reader<'_>, field: &'static str) -> Result<UnixTime, Error> {
    if r.tag()? != TAG_TDATE {
        return Err(Error::UnexpectedValue {
            field,
            reason: "expected tdate (tag 0)",
        });
    }
    date::parse_tdate(r.text()?, field)
}

/// The Token Status List reference in the MSO: `status: {status_list: {idx, uri}}`
/// (draft-ietf-oauth-status-list §6.3, ISO 18013-5 2nd edition draft §12.3.6).
///
/// This is the mdoc form of [`status_list::StatusListReference`] (the JOSE `status_list`
/// claim) plus the optional `certificate` that ISO 18013-5 `StatusListInfo` adds (the signer
/// of the list when it is not the IACA). The shared type refuses members other than `idx` and
/// `uri`, so it cannot carry that certificate; the two convert into each other
/// ([`From`] and [`Self::status_list_reference`]), and
/// [`Issuance::with_status`](crate::Issuance::with_status) takes either.
///
/// ```
/// use mdoc_cbor::StatusListReference;
/// use status_list::StatusIndex;
/// let shared = status_list::StatusListReference::new(StatusIndex::new(42), "https://i.example/s/1");
/// let mdoc = StatusListReference::from(shared.clone());
/// assert_eq!((mdoc.idx, mdoc.uri.as_str(), mdoc.certificate.as_ref()), (42, "https://i.example/s/1", None));
/// assert_eq!(mdoc.status_list_reference(), shared);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusListReference {
    /// The index of this credential in the list.
    pub idx: u64,
    /// The URI of the Status List Token (a CWT for mdoc).
    pub uri: String,
    /// A certificate that signs the list, when it is not the IACA (DER).
    pub certificate: Option<Vec<u8>>,
}

impl StatusListReference {
    /// A reference to entry `idx` of the list at `uri`.
    #[must_use]
    pub fn new(idx: u64, uri: impl Into<String>) -> Self {
        Self {
            idx,
            uri: uri.into(),
            certificate: None,
        }
    }

    /// Sets the optional `certificate`.
    #[must_use]
    pub fn with_certificate(mut self, der: Vec<u8>) -> Self {
        self.certificate = Some(der);
        self
    }

    /// The shared `status-list` form (`idx` and `uri`), e.g. to check the entry with the
    /// `status-list` crate. `certificate`, which that form has no member for, is left out.
    #[must_use]
    pub fn status_list_reference(&self) -> status_list::StatusListReference {
        status_list::StatusListReference::new(
            status_list::StatusIndex::new(self.idx),
            self.uri.as_str(),
        )
    }

    fn encode(&self, w: &mut Writer) {
        w.map(1).text("status_list");
        w.map(if self.certificate.is_some() { 3 } else { 2 });
        w.text("idx").uint(self.idx).text("uri").text(&self.uri);
        if let Some(cert) = &self.certificate {
            w.text("certificate").bytes(cert);
        }
    }

    /// Reads `Status`; `None` when it carries no `status_list` (e.g. only an identifier list).
    fn decode(r: &mut Reader<'_>, limits: &Limits) -> Result<Option<Self>, Error> {
        let outer = r.enter("status");
        let mut found = None;
        r.struct_map(limits.max_struct_entries(), |key, r| {
            if key != "status_list" {
                return Ok(false);
            }
            let (mut idx, mut uri, mut certificate) = (None, None, None);
            r.struct_map(limits.max_struct_entries(), |key, r| {
                match key {
                    "idx" => idx = Some(r.uint()?),
                    "uri" => uri = Some(r.text()?.to_owned()),
                    "certificate" => certificate = Some(r.bytes()?.to_vec()),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            let missing = |field| Error::MissingField {
                structure: "status_list",
                field,
            };
            found = Some(Self {
                idx: idx.ok_or_else(|| missing("idx"))?,
                uri: uri.ok_or_else(|| missing("uri"))?,
                certificate,
            });
            Ok(true)
        })?;
        r.enter(outer);
        Ok(found)
    }
}

impl From<status_list::StatusListReference> for StatusListReference {
    /// The same `idx` and `uri`, without a `certificate`.
    fn from(shared: status_list::StatusListReference) -> Self {
        Self::new(shared.idx().get(), shared.uri())
    }
}

/// A decoded `MobileSecurityObject`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MobileSecurityObject {
    /// The digest algorithm of `valueDigests`.
    pub digest_algorithm: DigestAlgorithm,
    /// Digests by name space and digestID.
    pub value_digests: ValueDigests,
    /// The holder's device key (`deviceKeyInfo.deviceKey`).
    pub device_key: PublicKey,
    /// The document type, e.g. `org.iso.18013.5.1.mDL`.
    pub doc_type: String,
    /// The validity period.
    pub validity: ValidityInfo,
    /// The status list reference, if any.
    pub status: Option<StatusListReference>,
}

impl MobileSecurityObject {
    /// Decodes the MSO from its encoding (the content of the `#6.24` bstr), with no trailing
    /// bytes. `version` must be "1.0"; unknown members are skipped.
    ///
    /// # Errors
    /// Decoding errors ([`Error::Malformed`], [`Error::Truncated`], [`Error::TooMany`],
    /// [`Error::DuplicateKey`], [`Error::TrailingBytes`]), [`Error::MissingField`],
    /// [`Error::UnexpectedValue`], [`Error::UnsupportedDigestAlgorithm`], [`Error::InvalidDate`],
    /// [`Error::InvalidValidity`], [`Error::InvalidDeviceKey`].
    pub fn from_cbor(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let mut r = Reader::new(bytes, "MobileSecurityObject");
        let (mut version, mut alg, mut digests, mut key, mut doc_type, mut validity, mut status) =
            (None, None, None, None, None, None, None);
        r.struct_map(limits.max_struct_entries(), |name, r| {
            match name {
                "version" => version = Some(r.text()?),
                "digestAlgorithm" => alg = Some(DigestAlgorithm::from_name(r.text()?)?),
                "valueDigests" => digests = Some(decode_value_digests(r, limits)?),
                "deviceKeyInfo" => key = Some(decode_device_key_info(r, limits)?),
                "docType" => doc_type = Some(r.text()?.to_owned()),
                "validityInfo" => validity = Some(ValidityInfo::decode(r, limits)?),
                "status" => status = StatusListReference::decode(r, limits)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        r.finish()?;
        let missing = |field| Error::MissingField {
            structure: "MobileSecurityObject",
            field,
        };
        if version.ok_or_else(|| missing("version"))? != "1.0" {
            return Err(Error::UnexpectedValue {
                field: "version",
                reason: "must be \"1.0\"",
            });
        }
        Ok(Self {
            digest_algorithm: alg.ok_or_else(|| missing("digestAlgorithm"))?,
            value_digests: digests.ok_or_else(|| missing("valueDigests"))?,
            device_key: key.ok_or_else(|| missing("deviceKeyInfo"))?,
            doc_type: doc_type.ok_or_else(|| missing("docType"))?,
            validity: validity.ok_or_else(|| missing("validityInfo"))?,
            status,
        })
    }

    /// Decodes `MobileSecurityObjectBytes` = `#6.24(bstr .cbor MobileSecurityObject)`, the
    /// `issuerAuth` payload.
    ///
    /// # Errors
    /// [`Error::UnexpectedValue`] when the tag is not 24, [`Error::TrailingBytes`], and those of
    /// [`Self::from_cbor`].
    pub fn from_tagged_cbor(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let mut r = Reader::new(bytes, "MobileSecurityObjectBytes");
        let (_, inner) = r.tag24()?;
        r.finish()?;
        Self::from_cbor(inner, limits)
    }

    /// The preferred-serialisation encoding (member order as in ISO 18013-5: version,
    /// digestAlgorithm, valueDigests, deviceKeyInfo, docType, validityInfo, status).
    ///
    /// # Errors
    /// [`Error::InvalidDate`] for a validity time outside 0000–9999, [`Error::InvalidDeviceKey`]
    /// for an RSA device key.
    pub fn to_cbor(&self) -> Result<Vec<u8>, Error> {
        let device_key = cose::cose_key_from_public(&self.device_key)?;
        let mut w = Writer::with_capacity(256);
        let fields = MsoFields {
            digest_algorithm: self.digest_algorithm,
            device_key: &device_key,
            doc_type: &self.doc_type,
            validity: &self.validity,
            status: self.status.as_ref(),
        };
        fields.encode(&mut w, |w| {
            w.map(self.value_digests.len());
            for (name_space, digests) in &self.value_digests {
                w.text(name_space).map(digests.len());
                for (id, digest) in digests {
                    w.uint(*id).bytes(digest);
                }
            }
        })?;
        Ok(w.into_bytes())
    }
}

/// The members of an MSO other than `valueDigests`, ready to encode: shared by
/// [`MobileSecurityObject::to_cbor`] and issuance, which writes `valueDigests` straight from
/// the digests it has just computed.
#[derive(Debug)]
pub(crate) struct MsoFields<'a> {
    pub(crate) digest_algorithm: DigestAlgorithm,
    /// The encoded COSE_Key.
    pub(crate) device_key: &'a [u8],
    pub(crate) doc_type: &'a str,
    pub(crate) validity: &'a ValidityInfo,
    pub(crate) status: Option<&'a StatusListReference>,
}

impl MsoFields<'_> {
    /// Writes the MSO; `value_digests` writes the `valueDigests` map.
    pub(crate) fn encode(
        &self,
        w: &mut Writer,
        value_digests: impl FnOnce(&mut Writer),
    ) -> Result<(), Error> {
        w.map(if self.status.is_some() { 7 } else { 6 });
        w.text("version").text("1.0");
        w.text("digestAlgorithm").text(self.digest_algorithm.name());
        w.text("valueDigests");
        value_digests(w);
        w.text("deviceKeyInfo")
            .map(1)
            .text("deviceKey")
            .raw(self.device_key);
        w.text("docType").text(self.doc_type);
        w.text("validityInfo");
        self.validity.encode(w)?;
        if let Some(status) = self.status {
            w.text("status");
            status.encode(w);
        }
        Ok(())
    }
}

fn decode_value_digests(r: &mut Reader<'_>, limits: &Limits) -> Result<ValueDigests, Error> {
    let outer = r.enter("valueDigests");
    let mut all = ValueDigests::new();
    r.struct_map(limits.max_name_spaces(), |name_space, r| {
        let mut digests = BTreeMap::new();
        let len = r.map(limits.max_items_per_name_space(), "digests in a name space")?;
        for _ in 0..len {
            let at = r.position();
            let id = read_digest_id(r)?;
            if digests.insert(id, r.bytes()?.to_vec()).is_some() {
                return Err(Error::DuplicateKey {
                    structure: "valueDigests",
                    position: r.absolute(at),
                });
            }
        }
        if digests.is_empty() {
            return Err(Error::UnexpectedValue {
                field: "valueDigests",
                reason: "every name space has at least one digest (ISO 18013-5 §9.1.2.4)",
            });
        }
        all.insert(name_space.to_owned(), digests);
        Ok(true)
    })?;
    r.enter(outer);
    if all.is_empty() {
        return Err(Error::UnexpectedValue {
            field: "valueDigests",
            reason: "at least one name space (ISO 18013-5 §9.1.2.4)",
        });
    }
    Ok(all)
}

/// Reads a digestID and checks it is below 2^31.
pub(crate) fn read_digest_id(r: &mut Reader<'_>) -> Result<u64, Error> {
    let id = r.uint()?;
    if id >= DIGEST_ID_BOUND {
        return Err(Error::UnexpectedValue {
            field: "digestID",
            reason: "must be below 2^31",
        });
    }
    Ok(id)
}

fn decode_device_key_info(r: &mut Reader<'_>, limits: &Limits) -> Result<PublicKey, Error> {
    let outer = r.enter("deviceKeyInfo");
    let mut key = None;
    r.struct_map(limits.max_struct_entries(), |name, r| {
        if name != "deviceKey" {
            return Ok(false);
        }
        key = Some(cose::public_from_cose_key(r.skip()?)?);
        Ok(true)
    })?;
    r.enter(outer);
    key.ok_or(Error::MissingField {
        structure: "deviceKeyInfo",
        field: "deviceKey",
    })
}
