//! Verifying a received `IssuerSigned` (ISO 18013-5 §9.3.1, issuer data authentication).

use std::collections::{BTreeMap, BTreeSet};

use jose_core::keys::{KeyLookup, KeyQuery};
use jose_core::{Algorithm, PublicKey, UnixTime};
use serde_json::{Map, Value as Json};

use crate::cose::ReceivedSign1;
use crate::error::Error;
use crate::issuer_signed::{DeviceResponse, IssuerSigned};
use crate::item::ReceivedItem;
use crate::limits::Limits;
use crate::mso::{DigestAlgorithm, MobileSecurityObject, StatusListReference, ValidityInfo};
use crate::trust::lookup_error;
use crate::value::ElementValue;

/// Verifies `IssuerSigned` structures against a trust policy.
///
/// The checks, in order: parse within [`Limits`]; decode `issuerAuth` (COSE_Sign1, algorithm
/// from the protected header only, no `crit`); obtain the Document Signer key from the trust
/// policy for the received `x5chain` at `now`; verify the signature over the `Sig_structure` of
/// the *received* protected-header bytes; decode the MSO; compare its docType; check
/// `validFrom - skew <= now <= validUntil + skew`; for every item, refuse a repeated digestID,
/// look its digestID up in `valueDigests` and compare the digest of the *received* tag-24 bytes.
#[derive(Clone, Copy)]
pub struct Verifier<'t> {
    trust: &'t dyn KeyLookup,
    limits: Limits,
    clock_skew_seconds: u64,
}

impl core::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("limits", &self.limits)
            .field("clock_skew_seconds", &self.clock_skew_seconds)
            .finish_non_exhaustive()
    }
}

impl<'t> Verifier<'t> {
    /// A verifier with default limits and [`jose_core::DEFAULT_CLOCK_SKEW_SECONDS`] (the skew
    /// for artefacts a server signed, as the MSO is), taking the Document Signer key from
    /// `trust`: [`IacaTrust`](crate::IacaTrust) (the ISO 18013-5 model),
    /// [`StaticKeys`](jose_core::keys::StaticKeys) (a key known in advance), a
    /// [`KeyFn`](jose_core::keys::KeyFn) or any other [`KeyLookup`]. It is asked with a
    /// [`KeyQuery`] whose `x5c` is the received `x5chain` (Document Signer first) at the
    /// verification time; candidates are tried in order. Its errors: the typed cause when it is
    /// this crate's [`Error`] or a `trust_x509::Error` ([`Error::X509`]), else
    /// [`Error::UntrustedChain`], or [`Error::KeyLookupUnavailable`] when it cannot answer.
    #[must_use]
    pub fn new(trust: &'t dyn KeyLookup) -> Self {
        Self {
            trust,
            limits: Limits::default(),
            clock_skew_seconds: jose_core::DEFAULT_CLOCK_SKEW_SECONDS,
        }
    }

    /// Sets the parsing limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the clock skew tolerance in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.clock_skew_seconds = secs;
        self
    }

    /// Parses and verifies CBOR `IssuerSigned` bytes for `expected_doc_type` at `now`.
    ///
    /// # Errors
    /// Every parse error of [`IssuerSigned::parse`] and [`MobileSecurityObject::from_cbor`];
    /// [`Error::InvalidCose`], [`Error::CriticalHeader`], [`Error::UnsupportedAlgorithm`];
    /// whatever the key lookup returns (see [`Verifier::new`]); [`Error::Jose`] when the key does not fit the
    /// algorithm; [`Error::SignatureInvalid`]; [`Error::DocTypeMismatch`];
    /// [`Error::NotYetValid`], [`Error::Expired`]; [`Error::DuplicateDigestId`],
    /// [`Error::DigestMissing`], [`Error::DigestMismatch`]; [`Error::DuplicateElement`].
    pub fn verify(
        &self,
        bytes: &[u8],
        expected_doc_type: &str,
        now: UnixTime,
    ) -> Result<VerifiedMdoc, Error> {
        let parsed = IssuerSigned::parse(bytes, &self.limits)?;
        // The parse is ours: its element values move into the result instead of being cloned.
        self.verify_items(
            parsed.issuer_auth,
            parsed.name_spaces,
            expected_doc_type,
            now,
        )
    }

    /// [`Self::verify`] for the unpadded base64url form (the OpenID4VCI `credential`).
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Base64`], then those of [`Self::verify`].
    pub fn verify_base64url(
        &self,
        text: &str,
        expected_doc_type: &str,
        now: UnixTime,
    ) -> Result<VerifiedMdoc, Error> {
        let max_text = self.limits.max_input_len().saturating_mul(4) / 3 + 3;
        if text.len() > max_text {
            return Err(Error::TooLarge {
                len: text.len(),
                max: max_text,
            });
        }
        let bytes = jose_core::base64url::decode(text).ok_or(Error::Base64)?;
        self.verify(&bytes, expected_doc_type, now)
    }

    /// Parses a `DeviceResponse` and verifies the `issuerSigned` part of every document against
    /// the document's own `docType`. `deviceSigned` is not verified.
    ///
    /// # Errors
    /// Those of [`DeviceResponse::parse`] and, for the first failing document, of
    /// [`Self::verify`].
    pub fn verify_device_response(
        &self,
        bytes: &[u8],
        now: UnixTime,
    ) -> Result<Vec<VerifiedMdoc>, Error> {
        let response = DeviceResponse::parse(bytes, &self.limits)?;
        response
            .documents
            .iter()
            .map(|doc| self.verify_parsed(&doc.issuer_signed, doc.doc_type, now))
            .collect()
    }

    /// Verifies an already parsed `IssuerSigned`.
    ///
    /// # Errors
    /// As [`Self::verify`], without the parse errors of the outer structure.
    pub fn verify_parsed(
        &self,
        issuer_signed: &IssuerSigned<'_>,
        expected_doc_type: &str,
        now: UnixTime,
    ) -> Result<VerifiedMdoc, Error> {
        self.verify_items(
            issuer_signed.issuer_auth,
            issuer_signed
                .name_spaces
                .iter()
                .map(|(name_space, items)| (*name_space, items)),
            expected_doc_type,
            now,
        )
    }

    /// [`Self::verify_parsed`] over the name spaces' items, borrowed (values cloned into the
    /// result) or owned (values moved).
    fn verify_items<'a, N, I>(
        &self,
        issuer_auth: &[u8],
        name_spaces: N,
        expected_doc_type: &str,
        now: UnixTime,
    ) -> Result<VerifiedMdoc, Error>
    where
        N: IntoIterator<Item = (&'a str, I)>,
        I: IntoIterator,
        I::Item: Item<'a>,
    {
        let sign1 = ReceivedSign1::parse(issuer_auth, self.limits.max_x5chain_len())?;
        let candidates = self
            .trust
            .keys(&KeyQuery::new().with_x5c(&sign1.x5chain), now)
            .map_err(|e| lookup_error(&e))?;
        let mut first_error = None;
        let mut verified = false;
        for candidate in &candidates {
            let ds_key = candidate.key();
            match ds_key
                .check_algorithm(sign1.alg)
                .and_then(|()| ds_key.verify(sign1.alg, &sign1.to_be_signed, &sign1.signature))
            {
                Ok(()) => {
                    verified = true;
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if !verified {
            return Err(first_error.map_or_else(
                || Error::UntrustedChain {
                    reason: "the key lookup returned no key".to_owned(),
                },
                Error::from,
            ));
        }
        let mso = MobileSecurityObject::from_tagged_cbor(&sign1.payload, &self.limits)?;
        if mso.doc_type != expected_doc_type {
            return Err(Error::DocTypeMismatch {
                expected: jose_core::short_text(expected_doc_type),
                found: jose_core::short_text(&mso.doc_type),
            });
        }
        self.check_validity(&mso.validity, now)?;
        let name_spaces = check_digests(name_spaces, &mso)?;
        Ok(VerifiedMdoc {
            doc_type: mso.doc_type,
            name_spaces,
            validity: mso.validity,
            device_key: mso.device_key,
            status: mso.status,
            algorithm: sign1.alg,
            digest_algorithm: mso.digest_algorithm,
            x5chain: sign1.x5chain,
        })
    }

    fn check_validity(&self, validity: &ValidityInfo, now: UnixTime) -> Result<(), Error> {
        if now.saturating_add(self.clock_skew_seconds) < validity.valid_from {
            return Err(Error::NotYetValid {
                now,
                valid_from: validity.valid_from,
            });
        }
        if now.saturating_sub(self.clock_skew_seconds) > validity.valid_until {
            return Err(Error::Expired {
                now,
                valid_until: validity.valid_until,
            });
        }
        Ok(())
    }
}

/// Digest checks over the received bytes; returns the verified elements.
/// A received item as [`check_digests`] reads it: borrowed from a caller's parse (the value is
/// cloned into the result) or owned (the value moves).
trait Item<'a> {
    fn item(&self) -> &ReceivedItem<'a>;
    fn into_value(self) -> ElementValue;
}

impl<'a> Item<'a> for &ReceivedItem<'a> {
    fn item(&self) -> &ReceivedItem<'a> {
        self
    }

    fn into_value(self) -> ElementValue {
        self.value.clone()
    }
}

impl<'a> Item<'a> for ReceivedItem<'a> {
    fn item(&self) -> &Self {
        self
    }

    fn into_value(self) -> ElementValue {
        self.value
    }
}

fn check_digests<'a, N, I>(
    name_spaces: N,
    mso: &MobileSecurityObject,
) -> Result<BTreeMap<String, BTreeMap<String, ElementValue>>, Error>
where
    N: IntoIterator<Item = (&'a str, I)>,
    I: IntoIterator,
    I::Item: Item<'a>,
{
    let mut out = BTreeMap::new();
    for (name_space, items) in name_spaces {
        let digests = mso.value_digests.get(name_space);
        let mut seen = BTreeSet::new();
        let mut elements = BTreeMap::new();
        for received in items {
            let item = received.item();
            let id = item.digest_id;
            if !seen.insert(id) {
                return Err(Error::DuplicateDigestId {
                    name_space: name_space.to_owned(),
                    digest_id: id,
                });
            }
            let expected =
                digests
                    .and_then(|d| d.get(&id))
                    .ok_or_else(|| Error::DigestMissing {
                        name_space: name_space.to_owned(),
                        digest_id: id,
                    })?;
            if mso.digest_algorithm.digest_fixed(item.raw).as_ref() != expected.as_slice() {
                return Err(Error::DigestMismatch {
                    name_space: name_space.to_owned(),
                    digest_id: id,
                });
            }
            let identifier = item.identifier;
            if elements
                .insert(identifier.to_owned(), received.into_value())
                .is_some()
            {
                return Err(Error::DuplicateElement {
                    name_space: name_space.to_owned(),
                    identifier: jose_core::short_text(identifier),
                });
            }
        }
        out.insert(name_space.to_owned(), elements);
    }
    Ok(out)
}

/// The outcome of a successful verification: the data elements whose digests matched, and the
/// signed facts of the MSO.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VerifiedMdoc {
    /// The MSO docType (equal to the expected one).
    pub doc_type: String,
    /// Verified elements by name space and element identifier.
    pub name_spaces: BTreeMap<String, BTreeMap<String, ElementValue>>,
    /// The MSO validity period.
    pub validity: ValidityInfo,
    /// The holder's device key from the MSO.
    pub device_key: PublicKey,
    /// The status list reference from the MSO, if any.
    pub status: Option<StatusListReference>,
    /// The `issuerAuth` signature algorithm.
    pub algorithm: Algorithm,
    /// The MSO digest algorithm.
    pub digest_algorithm: DigestAlgorithm,
    /// The received `x5chain` (DER, Document Signer first), empty if there was none.
    pub x5chain: Vec<Vec<u8>>,
}

impl VerifiedMdoc {
    /// One verified element.
    #[must_use]
    pub fn element(&self, name_space: &str, identifier: &str) -> Option<&ElementValue> {
        self.name_spaces.get(name_space)?.get(identifier)
    }

    /// The verified elements as JSON `{ name_space: { element: value } }`, for display
    /// (see [`ElementValue::to_json`]).
    #[must_use]
    pub fn to_json(&self) -> Json {
        let mut out = Map::new();
        for (name_space, elements) in &self.name_spaces {
            let members = elements
                .iter()
                .map(|(id, value)| (id.clone(), value.to_json()))
                .collect();
            out.insert(name_space.clone(), Json::Object(members));
        }
        Json::Object(out)
    }
}
