//! Issuing an `IssuerSigned` structure: items with random salts and unlinkable digestIDs, the
//! MSO, and `issuerAuth` signed through [`Signer`] or in two phases.

use jose_core::{Algorithm, PublicJwk, RandomSource, Signer};
use serde_json::{Map, Value as Json};

use crate::cbor::{Writer, head_len, len_u64, tag24_len};
use crate::cose;
use crate::error::Error;
use crate::item::write_item;
use crate::limits::{DEFAULT_RANDOM_LEN, MIN_RANDOM_LEN};
use crate::mdl;
use crate::mso::{DigestAlgorithm, MsoFields, StatusListReference, ValidityInfo};
use crate::value::ElementValue;

/// Random bytes drawn per item for the digestID permutation (one 64-bit word).
const PERMUTATION_WORD_LEN: usize = 8;

/// Data elements by name space, each in the order it was added.
type NameSpaces = Vec<(String, Vec<(String, ElementValue)>)>;

/// The content of one mdoc to issue: docType, data elements by name space, the holder's device
/// key, the validity period and an optional status list reference.
///
/// Elements keep the order in which they were added inside `nameSpaces`; their digestIDs are a
/// random permutation of `0..n` per name space, so `valueDigests` (written sorted by digestID)
/// does not reveal which claim is which.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Issuance {
    doc_type: String,
    name_spaces: NameSpaces,
    /// The device key, already encoded as a COSE_Key.
    device_key: Vec<u8>,
    validity: ValidityInfo,
    status: Option<StatusListReference>,
    random_len: usize,
    max_depth: usize,
}

impl Issuance {
    /// An mdoc of `doc_type` bound to `device_key` (converted to a COSE_Key: EC2 P-256/384/521 or
    /// OKP Ed25519), valid for `validity`.
    ///
    /// # Errors
    /// [`Error::InvalidDeviceKey`] for an RSA key; [`Error::InvalidElement`] for an empty
    /// docType.
    pub fn new(
        doc_type: &str,
        device_key: &PublicJwk,
        validity: ValidityInfo,
    ) -> Result<Self, Error> {
        if doc_type.is_empty() {
            return Err(Error::InvalidElement {
                identifier: "docType".into(),
                reason: "docType is empty",
            });
        }
        let device_key = cose::cose_key_from_public(device_key.key())?;
        Ok(Self {
            doc_type: doc_type.to_owned(),
            name_spaces: Vec::new(),
            device_key,
            validity,
            status: None,
            random_len: DEFAULT_RANDOM_LEN,
            max_depth: crate::limits::DEFAULT_MAX_DEPTH,
        })
    }

    /// An mdoc whose elements come from JSON `{ name_space: { element: value } }`.
    ///
    /// Values are converted by [`element_from_json`](crate::element_from_json): for the mDL
    /// (`org.iso.18013.5.1`) and PID (`eu.europa.ec.eudi.pid.1`) name spaces the known date
    /// elements become `full-date`, images become byte strings (from base64url text), and
    /// `driving_privileges` dates are converted too; everything else maps from plain JSON.
    ///
    /// # Errors
    /// Those of [`Self::new`] and [`Self::add_element`]; [`Error::InvalidElement`] when a name
    /// space is not a JSON object or a typed element has the wrong JSON form.
    pub fn from_json(
        doc_type: &str,
        claims: &Map<String, Json>,
        device_key: &PublicJwk,
        validity: ValidityInfo,
    ) -> Result<Self, Error> {
        let mut issuance = Self::new(doc_type, device_key, validity)?;
        add_json(&mut issuance.name_spaces, issuance.max_depth, claims)?;
        Ok(issuance)
    }

    /// Checks JSON claims as [`Self::from_json`] reads them and [`Self::prepare`] requires
    /// them (at least one element), without a device key or validity: for a caller that takes
    /// claims now and issues later, so that a claim no mdoc could carry is refused when it
    /// is given, not when the mdoc is due.
    ///
    /// ```
    /// use mdoc_cbor::{Error, Issuance};
    /// let claims = serde_json::json!({"org.iso.18013.5.1": {"age_over_18": true}});
    /// Issuance::check_json(claims.as_object().unwrap())?;
    /// let empty = serde_json::json!({"org.iso.18013.5.1": {}});
    /// assert!(matches!(Issuance::check_json(empty.as_object().unwrap()), Err(Error::NoDataElements)));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Self::from_json`] for the claims; [`Error::NoDataElements`] when they hold
    /// no element.
    pub fn check_json(claims: &Map<String, Json>) -> Result<(), Error> {
        let mut name_spaces = NameSpaces::new();
        add_json(&mut name_spaces, crate::limits::DEFAULT_MAX_DEPTH, claims)?;
        if element_count(&name_spaces) == 0 {
            return Err(Error::NoDataElements);
        }
        Ok(())
    }

    /// Adds one data element.
    ///
    /// # Errors
    /// [`Error::InvalidElement`] for an empty name space or identifier, an identifier already
    /// present in the name space, or a value that cannot be issued (integer outside the CBOR
    /// range, malformed date, nesting deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH)).
    pub fn add_element(
        &mut self,
        name_space: &str,
        identifier: &str,
        value: ElementValue,
    ) -> Result<&mut Self, Error> {
        add_element(
            &mut self.name_spaces,
            self.max_depth,
            name_space,
            identifier,
            value,
        )?;
        Ok(self)
    }

    /// Adds one data element, builder style.
    ///
    /// # Errors
    /// Those of [`Self::add_element`].
    pub fn with_element(
        mut self,
        name_space: &str,
        identifier: &str,
        value: ElementValue,
    ) -> Result<Self, Error> {
        self.add_element(name_space, identifier, value)?;
        Ok(self)
    }

    /// Puts a Token Status List reference into the MSO: this crate's
    /// [`StatusListReference`] (which may carry a `certificate`) or the shared
    /// [`status_list::StatusListReference`].
    #[must_use]
    pub fn with_status(mut self, status: impl Into<StatusListReference>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets the length of the `random` salts.
    ///
    /// # Errors
    /// [`Error::InvalidElement`] below [`MIN_RANDOM_LEN`].
    pub fn with_random_len(mut self, len: usize) -> Result<Self, Error> {
        if len < MIN_RANDOM_LEN {
            return Err(Error::InvalidElement {
                identifier: "random".into(),
                reason: "random must be at least 16 bytes",
            });
        }
        self.random_len = len;
        Ok(self)
    }

    /// Builds the items and the MSO and returns the COSE `Sig_structure` to sign with `alg`
    /// (phase one of two). `x5chain` is the DER certificate chain, Document Signer first,
    /// without the IACA root; it goes under label 33 in the unprotected header.
    ///
    /// # Errors
    /// [`Error::NoDataElements`] when no element was added; [`Error::Jose`] when the random
    /// source fails, [`Error::UnsupportedAlgorithm`] for an algorithm other than
    /// ES256/ES384/ES512/EdDSA, [`Error::InvalidDate`] for validity times outside the years
    /// 0000–9999.
    pub fn prepare(
        &self,
        alg: Algorithm,
        x5chain: &[Vec<u8>],
        rng: &dyn RandomSource,
    ) -> Result<PreparedMdoc, Error> {
        let protected = cose::protected_header(alg)?;
        let digest_algorithm = DigestAlgorithm::Sha256;
        let count = element_count(&self.name_spaces);
        if count == 0 {
            return Err(Error::NoDataElements);
        }
        // One draw for every digestID permutation and every salt: one call into the random
        // source (a system call for `SystemRandom`) per mdoc, not per name space or item.
        let words_len = count.saturating_mul(PERMUTATION_WORD_LEN);
        let mut random = vec![0u8; words_len.saturating_add(count.saturating_mul(self.random_len))];
        rng.fill(&mut random)?;
        // Each `Error::Internal` below is built only when its invariant fails: an eager
        // `ok_or(Error::Internal { .. })` builds and drops one per item on the issuing hot path.
        let Some((mut words, salts)) = random.split_at_checked(words_len) else {
            return Err(Error::Internal {
                invariant: "the random pool holds the permutation words",
            });
        };
        let mut salts = salts.chunks_exact(self.random_len);

        // `IssuerSigned` is written in one buffer, up to the signature that `attach_signature`
        // appends; items are hashed where they lie in it.
        let mut out = Writer::with_capacity(self.size_hint(x5chain));
        let mut scratch = Writer::with_capacity(256);
        let mut value_digests = Vec::with_capacity(self.name_spaces.len());
        out.map(if self.name_spaces.is_empty() { 1 } else { 2 });
        if !self.name_spaces.is_empty() {
            out.text("nameSpaces").map(self.name_spaces.len());
        }
        for (name_space, elements) in &self.name_spaces {
            let Some((ns_words, rest)) =
                words.split_at_checked(elements.len().saturating_mul(PERMUTATION_WORD_LEN))
            else {
                return Err(Error::Internal {
                    invariant: "the random pool holds a permutation word per item",
                });
            };
            words = rest;
            let ids = random_permutation(elements.len(), ns_words)?;
            out.text(name_space).array(elements.len());
            let mut digests = Vec::with_capacity(elements.len());
            for ((identifier, value), id) in elements.iter().zip(ids) {
                // Never an empty or short salt: `chunks_exact` yields `random_len` bytes or
                // nothing, and nothing is an error.
                let Some(salt) = salts.next() else {
                    return Err(Error::Internal {
                        invariant: "the random pool holds a salt per item",
                    });
                };
                scratch.clear();
                write_item(&mut scratch, id, salt, identifier, value);
                let start = out.len();
                out.tag24(scratch.as_slice());
                let Some(item) = out.as_slice().get(start..) else {
                    return Err(Error::Internal {
                        invariant: "the item just written lies in the buffer",
                    });
                };
                digests.push((id, digest_algorithm.digest_fixed(item)));
            }
            digests.sort_unstable_by_key(|(id, _)| *id);
            value_digests.push((name_space.as_str(), digests));
        }
        // `valueDigests` by name space name, each by digestID: no trace of the input order.
        value_digests.sort_unstable_by(|a, b| a.0.cmp(b.0));

        scratch.clear();
        let fields = MsoFields {
            digest_algorithm,
            device_key: &self.device_key,
            doc_type: &self.doc_type,
            validity: &self.validity,
            status: self.status.as_ref(),
        };
        fields.encode(&mut scratch, |w| {
            w.map(value_digests.len());
            for (name_space, digests) in &value_digests {
                w.text(name_space).map(digests.len());
                for (id, digest) in digests {
                    w.uint(*id).bytes(digest.as_ref());
                }
            }
        })?;
        let mso = scratch.as_slice();

        // issuerAuth = COSE_Sign1 [protected, unprotected, payload, signature], payload =
        // MobileSecurityObjectBytes = #6.24(bstr .cbor MobileSecurityObject).
        out.text("issuerAuth").array(4).bytes(&protected);
        cose::write_unprotected(&mut out, x5chain);
        out.bytes_head(tag24_len(mso.len()));
        let payload_start = out.len();
        out.tag24(mso);
        let Some(payload) = out.as_slice().get(payload_start..) else {
            return Err(Error::Internal {
                invariant: "the MSO just written lies in the buffer",
            });
        };
        let to_be_signed = cose::sig_structure(&protected, payload);
        Ok(PreparedMdoc {
            alg,
            without_signature: out.into_bytes(),
            to_be_signed,
        })
    }

    /// The encoded size of the `IssuerSigned` to prepare, for its buffer's capacity.
    fn size_hint(&self, x5chain: &[Vec<u8>]) -> usize {
        // Per item: the tag-24 and map heads, the four member names (41 bytes), the digestID,
        // the salt and a 32-byte digest with its heads in the MSO.
        let per_item = self.random_len.saturating_add(96);
        let items = self
            .name_spaces
            .iter()
            .flat_map(|(name_space, elements)| {
                elements
                    .iter()
                    .map(|(id, value)| id.len().saturating_add(value.encoded_len()))
                    .chain([name_space.len().saturating_mul(2)])
            })
            .fold(0usize, |acc, len| {
                acc.saturating_add(len).saturating_add(per_item)
            });
        let chain = x5chain
            .iter()
            .map(|cert| cert.len().saturating_add(head_len(len_u64(cert.len()))))
            .fold(0, usize::saturating_add);
        // MSO members, dates, device key, status, COSE heads and a 132-byte signature.
        let fixed = self
            .doc_type
            .len()
            .saturating_add(self.device_key.len())
            .saturating_add(self.status.as_ref().map_or(0, |status| {
                let certificate = status.certificate.as_ref().map_or(0, Vec::len);
                status.uri.len().saturating_add(certificate)
            }))
            .saturating_add(512);
        items.saturating_add(chain).saturating_add(fixed)
    }

    /// Builds and signs in one step with `signer` (whose algorithm is used).
    ///
    /// # Errors
    /// Those of [`Self::prepare`] and [`PreparedMdoc::attach_signature`], and the signer's.
    pub fn sign(
        &self,
        signer: &dyn Signer,
        x5chain: &[Vec<u8>],
        rng: &dyn RandomSource,
    ) -> Result<IssuedMdoc, Error> {
        let prepared = self.prepare(signer.algorithm(), x5chain, rng)?;
        let signature = signer.sign(prepared.to_be_signed())?;
        prepared.attach_signature(&signature)
    }
}

/// A random permutation of `0..n` (Fisher–Yates over 64-bit random words taken from `words`;
/// the modulo bias is below 2^-40 for any realistic `n`).
///
/// # Errors
/// [`Error::Internal`] if `words` holds fewer than `n - 1` words (the caller draws `n`), rather
/// than a predictable permutation.
fn random_permutation(n: usize, words: &[u8]) -> Result<Vec<u64>, Error> {
    let internal = |invariant| Error::Internal { invariant };
    let mut ids: Vec<u64> = (0..len_u64(n)).collect();
    let (words, _) = words.as_chunks::<PERMUTATION_WORD_LEN>();
    let mut words = words.iter();
    for i in (1..n).rev() {
        let word = words
            .next()
            .ok_or_else(|| internal("a permutation word per item"))?;
        let bound = len_u64(i).saturating_add(1);
        // `word % bound <= i`, an index of `ids`.
        let j = usize::try_from(u64::from_be_bytes(*word) % bound)
            .map_err(|_| internal("the drawn index fits usize"))?;
        ids.swap(i, j);
    }
    Ok(ids)
}

/// An mdoc whose `issuerAuth` awaits its signature (two-phase signing).
#[derive(Debug)]
pub struct PreparedMdoc {
    alg: Algorithm,
    /// The encoded `IssuerSigned` up to the last element of `issuerAuth` (the signature).
    without_signature: Vec<u8>,
    to_be_signed: Vec<u8>,
}

impl PreparedMdoc {
    /// The COSE `Sig_structure` bytes to sign.
    #[must_use]
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// The algorithm the signature must be made with (the one in the protected header).
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Attaches a signature (ECDSA as fixed-length `r||s`, not DER) and encodes `IssuerSigned`.
    ///
    /// # Errors
    /// [`Error::Jose`] with [`jose_core::Error::SignatureLength`] when the signature does not
    /// have the algorithm's length (a DER ECDSA signature, for example).
    pub fn attach_signature(self, signature: &[u8]) -> Result<IssuedMdoc, Error> {
        if let Some(expected) = self.alg.fixed_signature_len()
            && signature.len() != expected
        {
            return Err(Error::Jose(jose_core::Error::SignatureLength {
                alg: self.alg,
                len: signature.len(),
                expected,
            }));
        }
        let mut w = Writer::from_bytes(self.without_signature);
        w.bytes(signature);
        Ok(IssuedMdoc {
            cbor: w.into_bytes(),
        })
    }
}

/// An issued `IssuerSigned` structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedMdoc {
    cbor: Vec<u8>,
}

impl IssuedMdoc {
    /// The CBOR encoding of `IssuerSigned`.
    #[must_use]
    pub fn as_cbor(&self) -> &[u8] {
        &self.cbor
    }

    /// The CBOR encoding, owned.
    #[must_use]
    pub fn into_cbor(self) -> Vec<u8> {
        self.cbor
    }

    /// Unpadded base64url of the CBOR: the OpenID4VCI 1.0 `mso_mdoc` `credential` value
    /// (Appendix A.2.4).
    #[must_use]
    pub fn to_base64url(&self) -> String {
        jose_core::base64url::encode(&self.cbor)
    }
}

/// Adds one element to `name_spaces`, with the checks [`Issuance::add_element`] documents.
fn add_element(
    name_spaces: &mut NameSpaces,
    max_depth: usize,
    name_space: &str,
    identifier: &str,
    value: ElementValue,
) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidElement {
        identifier: identifier.to_owned(),
        reason,
    };
    if name_space.is_empty() || identifier.is_empty() {
        return Err(invalid("empty name space or element identifier"));
    }
    value.validate(max_depth).map_err(invalid)?;
    let index = match name_spaces.iter().position(|(ns, _)| ns == name_space) {
        Some(index) => index,
        None => {
            name_spaces.push((name_space.to_owned(), Vec::new()));
            name_spaces.len().saturating_sub(1)
        }
    };
    let Some((_, elements)) = name_spaces.get_mut(index) else {
        return Err(invalid("name space vanished"));
    };
    if elements.iter().any(|(id, _)| id == identifier) {
        return Err(invalid(
            "element identifier already present in this name space",
        ));
    }
    elements.push((identifier.to_owned(), value));
    Ok(())
}

/// Adds the elements of JSON `{ name_space: { element: value } }` claims to `name_spaces`,
/// converted as [`Issuance::from_json`] documents.
fn add_json(
    name_spaces: &mut NameSpaces,
    max_depth: usize,
    claims: &Map<String, Json>,
) -> Result<(), Error> {
    for (name_space, elements) in claims {
        let Json::Object(elements) = elements else {
            return Err(Error::InvalidElement {
                identifier: name_space.clone(),
                reason: "a name space must be a JSON object of elements",
            });
        };
        for (identifier, json) in elements {
            let value = mdl::element_from_json(name_space, identifier, json)?;
            add_element(name_spaces, max_depth, name_space, identifier, value)?;
        }
    }
    Ok(())
}

/// How many elements `name_spaces` hold.
fn element_count(name_spaces: &NameSpaces) -> usize {
    name_spaces
        .iter()
        .map(|(_, elements)| elements.len())
        .fold(0, usize::saturating_add)
}
