//! The Status List Token as a CWT (§5.2): COSE_Sign1 tagged 18, protected `typ` (label 16)
//! `application/statuslist+cwt`, claims `sub` 2, `iat` 6, `exp` 4, `ttl` 65534 and
//! `status_list` 65533, a map with the text keys `bits`, `lst` (ZLIB bytes, no base64) and
//! optional `aggregation_uri` (§4.3).

use core::num::NonZeroU64;

use coset::cbor::value::Value;
use coset::iana::EnumI64 as _;
use coset::{CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable as _, iana};
use jose_core::{Algorithm, PublicJwk, Signer, UnixTime};

use crate::error::Error;
use crate::list::StatusList;
use crate::status::Bits;
use crate::token::{KeyHint, StatusListToken, VerifyOptions, check_subject};

/// The COSE `typ` (header label 16) of a Status List Token CWT (§5.2).
pub const CWT_TYP: &str = "application/statuslist+cwt";

const LABEL_TYP: i64 = 16;
const LABEL_X5CHAIN: i64 = 33;
const CLAIM_SUB: i64 = 2;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_STATUS_LIST: i64 = 65533;
const CLAIM_TTL: i64 = 65534;

/// A Status List Token CWT waiting for its signature (two-phase signing).
///
/// ```
/// use status_list::{Bits, KeyHint, Limits, StatusList, StatusListToken, VerifyOptions};
/// use jose_core::{Algorithm, Signer, UnixTime};
/// # use jose_core::{LocalSigner, SystemRandom};
/// let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// let list = StatusList::new(Bits::One, 16, &Limits::default())?;
/// let token = StatusListToken::new("https://example.com/statuslists/1",
///     UnixTime::from_secs(1_700_000_000), list);
/// let unsigned = token.unsigned_cwt(Algorithm::Es256, &KeyHint::Kid("12".into()))?;
/// let signature = signer.sign(unsigned.signing_input())?; // e.g. in a KMS
/// let cwt = unsigned.attach_signature(signature)?;
/// let back = StatusListToken::verify_cwt(&cwt, "https://example.com/statuslists/1",
///     &signer.public_jwk(), &VerifyOptions::new(&[Algorithm::Es256]),
///     UnixTime::from_secs(1_700_000_100))?;
/// assert_eq!(back, token);
/// # Ok::<(), status_list::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UnsignedCwt {
    alg: Algorithm,
    sign1: CoseSign1,
    to_be_signed: Vec<u8>,
}

impl UnsignedCwt {
    /// The algorithm the signature must be made with.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The exact bytes to sign: the COSE `Sig_structure` (`Signature1`, empty external AAD).
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// Attaches a signature (ECDSA as fixed-length r‖s) and returns the tagged COSE_Sign1.
    ///
    /// # Errors
    /// [`Error::Jose`] with `SignatureLength` for a signature of the wrong size;
    /// [`Error::Cbor`] if the structure cannot be serialised.
    pub fn attach_signature(self, signature: Vec<u8>) -> Result<Vec<u8>, Error> {
        if let Some(expected) = fixed_len(self.alg)
            && signature.len() != expected
        {
            return Err(Error::Jose(jose_core::Error::SignatureLength {
                alg: self.alg,
                len: signature.len(),
                expected,
            }));
        }
        let mut sign1 = self.sign1;
        sign1.signature = signature;
        sign1.to_tagged_vec().map_err(|_| Error::Cbor {
            reason: "COSE_Sign1 does not serialise",
        })
    }
}

/// The fixed signature length of ECDSA and EdDSA algorithms.
const fn fixed_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::Es256 | Algorithm::EdDsa => Some(64),
        Algorithm::Es384 => Some(96),
        Algorithm::Es512 => Some(132),
        _ => None,
    }
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn cbor_error(reason: &'static str) -> Error {
    Error::Cbor { reason }
}

impl StatusListToken {
    /// The CWT claims set as CBOR bytes (§5.2).
    fn cwt_payload(&self) -> Result<Vec<u8>, Error> {
        let mut list = vec![
            (
                Value::Text("bits".into()),
                int(i64::from(self.list().bits().get())),
            ),
            (
                Value::Text("lst".into()),
                Value::Bytes(self.list().to_zlib()),
            ),
        ];
        if let Some(uri) = self.aggregation_uri() {
            list.push((
                Value::Text("aggregation_uri".into()),
                Value::Text(uri.into()),
            ));
        }
        let mut claims = vec![
            (int(CLAIM_SUB), Value::Text(self.subject().into())),
            (int(CLAIM_IAT), int(self.issued_at().secs())),
        ];
        if let Some(exp) = self.expires_at() {
            claims.push((int(CLAIM_EXP), int(exp.secs())));
        }
        if let Some(ttl) = self.ttl() {
            claims.push((int(CLAIM_TTL), Value::Integer(ttl.get().into())));
        }
        claims.push((int(CLAIM_STATUS_LIST), Value::Map(list)));
        let mut out = Vec::new();
        coset::cbor::ser::into_writer(&Value::Map(claims), &mut out)
            .map_err(|_| cbor_error("claims do not serialise"))?;
        Ok(out)
    }

    /// Phase one of two-phase CWT signing: protected `{1: alg, 16: typ}`, unprotected `kid`
    /// (label 4) or `x5chain` (label 33), the claims as payload.
    ///
    /// # Errors
    /// [`Error::Cbor`] if the claims cannot be serialised.
    pub fn unsigned_cwt(&self, alg: Algorithm, key: &KeyHint) -> Result<UnsignedCwt, Error> {
        let cose_alg = iana::Algorithm::from_i64(alg.cose_id())
            .ok_or(cbor_error("algorithm has no COSE id"))?;
        let protected = HeaderBuilder::new()
            .algorithm(cose_alg)
            .value(LABEL_TYP, Value::Text(CWT_TYP.into()))
            .build();
        let mut unprotected = HeaderBuilder::new();
        match key {
            KeyHint::None => {}
            KeyHint::Kid(kid) => unprotected = unprotected.key_id(kid.as_bytes().to_vec()),
            KeyHint::X5c(chain) => unprotected = unprotected.value(LABEL_X5CHAIN, x5chain(chain)),
            KeyHint::KidAndX5c { kid, chain } => {
                unprotected = unprotected
                    .key_id(kid.as_bytes().to_vec())
                    .value(LABEL_X5CHAIN, x5chain(chain));
            }
        }
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected.build())
            .payload(self.cwt_payload()?)
            .build();
        let to_be_signed = sign1.tbs_data(&[]);
        Ok(UnsignedCwt {
            alg,
            sign1,
            to_be_signed,
        })
    }

    /// Issues the CWT (tagged COSE_Sign1 bytes), signed by `signer`.
    ///
    /// # Errors
    /// Those of [`Self::unsigned_cwt`], the signer's, and [`UnsignedCwt::attach_signature`].
    pub fn sign_cwt(&self, signer: &dyn Signer, key: &KeyHint) -> Result<Vec<u8>, Error> {
        let unsigned = self.unsigned_cwt(signer.algorithm(), key)?;
        let signature = signer.sign(unsigned.signing_input())?;
        unsigned.attach_signature(signature)
    }

    /// Verifies a received Status List Token CWT, with the same checks and order as
    /// [`Self::verify_jwt`]: length, tag 18 (COSE_Sign1; the CWT tag 61 is refused), `typ`,
    /// algorithm, signature over the received protected bytes, `sub` (2) == `expected_uri`,
    /// `iat` (6), `exp` (4), freshness, `ttl` (65534), then `status_list` (65533).
    ///
    /// # Errors
    /// [`Error::TokenTooLong`], [`Error::Cbor`], [`Error::WrongType`], [`Error::Jose`]
    /// (algorithm, signature), then the claim, time and list errors of [`Self::verify_jwt`].
    pub fn verify_cwt(
        token: &[u8],
        expected_uri: &str,
        key: &PublicJwk,
        options: &VerifyOptions<'_>,
        now: UnixTime,
    ) -> Result<Self, Error> {
        let sign1 = tagged_sign1(token, options.limits())?;
        let typ = sign1
            .protected
            .header
            .rest
            .iter()
            .find(|(label, _)| *label == Label::Int(LABEL_TYP))
            .map(|(_, v)| v);
        match typ {
            Some(Value::Text(t)) if jose_core::media_type_eq(t, CWT_TYP) => {}
            Some(Value::Integer(id))
                if options
                    .cwt_content_format()
                    .is_some_and(|accepted| u64::try_from(*id).ok() == Some(accepted)) => {}
            other => {
                return Err(Error::WrongType {
                    expected: CWT_TYP,
                    found: other.map(|v| match v {
                        Value::Text(t) => jose_core::short_text(t),
                        Value::Integer(id) => format!("content-format {}", i128::from(*id)),
                        _ => "(not text)".to_owned(),
                    }),
                });
            }
        }
        let alg = match &sign1.protected.header.alg {
            Some(coset::RegisteredLabelWithPrivate::Assigned(a)) => {
                Algorithm::from_cose_id(a.to_i64())
            }
            _ => None,
        }
        .ok_or(Error::Jose(jose_core::Error::MissingHeader { name: "alg" }))?;
        if !options.algorithms().contains(&alg) {
            return Err(Error::Jose(jose_core::Error::AlgorithmNotAllowed { alg }));
        }
        if !sign1.protected.header.crit.is_empty() {
            return Err(Error::Jose(jose_core::Error::CriticalNotUnderstood {
                name: "(COSE crit)".into(),
            }));
        }
        key.check_algorithm(alg)?;
        sign1.verify_signature(&[], |sig, data| key.verify(alg, data, sig))?;
        let payload = sign1
            .payload
            .as_deref()
            .ok_or(cbor_error("detached payload"))?;
        Self::from_cwt_claims(payload, expected_uri, options, now)
    }

    /// The certificates of a Status List Token CWT's `x5chain` (label 33, in the unprotected
    /// or protected header; RFC 9360), leaf first; empty without one. Nothing is verified:
    /// validate the chain (for an mdoc's list, to the IACA that anchors the mdoc), then hand
    /// its leaf's key to [`Self::verify_cwt`].
    ///
    /// # Errors
    /// [`Error::TokenTooLong`] beyond `limits`; [`Error::Cbor`] when the token is not a tagged
    /// COSE_Sign1 or `x5chain` is neither a bstr nor an array of them.
    pub fn cwt_x5chain(token: &[u8], limits: &crate::Limits) -> Result<Vec<Vec<u8>>, Error> {
        let sign1 = tagged_sign1(token, limits)?;
        let found = [&sign1.unprotected, &sign1.protected.header]
            .into_iter()
            .flat_map(|header| header.rest.iter())
            .find(|(label, _)| *label == Label::Int(LABEL_X5CHAIN))
            .map(|(_, value)| value);
        match found {
            None => Ok(Vec::new()),
            Some(Value::Bytes(one)) => Ok(vec![one.clone()]),
            Some(Value::Array(many)) => many
                .iter()
                .map(|cert| match cert {
                    Value::Bytes(der) => Ok(der.clone()),
                    _ => Err(cbor_error("x5chain holds a non-bstr")),
                })
                .collect(),
            Some(_) => Err(cbor_error("x5chain is neither a bstr nor an array")),
        }
    }

    fn from_cwt_claims(
        payload: &[u8],
        expected_uri: &str,
        options: &VerifyOptions<'_>,
        now: UnixTime,
    ) -> Result<Self, Error> {
        let Value::Map(claims) = parse_cbor(payload)? else {
            return Err(cbor_error("claims are not a map"));
        };
        no_duplicates(&claims)?;
        let claim = |label: i64| {
            claims
                .iter()
                .find(|(k, _)| as_i64(k) == Some(label))
                .map(|(_, v)| v)
        };
        let subject = match claim(CLAIM_SUB) {
            None => return Err(Error::MissingClaim { name: "sub" }),
            Some(Value::Text(s)) => s.as_str(),
            Some(_) => return Err(Error::InvalidClaim { name: "sub" }),
        };
        check_subject(subject, expected_uri)?;
        let time = |label, name| match claim(label) {
            None => Ok(None),
            Some(v) => as_i64(v)
                .map(|s| Some(UnixTime::from_secs(s)))
                .ok_or(Error::InvalidClaim { name }),
        };
        let issued_at = time(CLAIM_IAT, "iat")?.ok_or(Error::MissingClaim { name: "iat" })?;
        let expires_at = time(CLAIM_EXP, "exp")?;
        options.check_times(issued_at, expires_at, now)?;
        let ttl = match claim(CLAIM_TTL) {
            None => None,
            Some(v) => Some(
                as_i64(v)
                    .and_then(|t| u64::try_from(t).ok())
                    .and_then(NonZeroU64::new)
                    .ok_or(Error::InvalidClaim { name: "ttl" })?,
            ),
        };
        let list_map = match claim(CLAIM_STATUS_LIST) {
            None => {
                return Err(Error::MissingClaim {
                    name: "status_list",
                });
            }
            Some(Value::Map(m)) => m,
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status_list",
                });
            }
        };
        no_duplicates(list_map)?;
        let member = |name: &str| {
            list_map
                .iter()
                .find(|(k, _)| matches!(k, Value::Text(t) if t == name))
                .map(|(_, v)| v)
        };
        let bits = member("bits").ok_or(Error::MissingClaim {
            name: "status_list.bits",
        })?;
        let bits = as_i64(bits)
            .and_then(|b| u64::try_from(b).ok())
            .ok_or(Error::InvalidClaim {
                name: "status_list.bits",
            })?;
        let bits = Bits::try_from(bits)?;
        let lst = match member("lst") {
            None => {
                return Err(Error::MissingClaim {
                    name: "status_list.lst",
                });
            }
            Some(Value::Bytes(b)) => b,
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status_list.lst",
                });
            }
        };
        let aggregation_uri = match member("aggregation_uri") {
            None => None,
            Some(Value::Text(t)) => Some(t.clone()),
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status_list.aggregation_uri",
                });
            }
        };
        let list = StatusList::from_zlib(bits, lst, None, options.limits())?;
        let mut token = Self::new(subject, issued_at, list);
        if let Some(exp) = expires_at {
            token = token.with_expires_at(exp);
        }
        if let Some(ttl) = ttl {
            token = token.with_ttl(ttl);
        }
        if let Some(uri) = aggregation_uri {
            token = token.with_aggregation_uri(uri);
        }
        Ok(token)
    }
}

/// Decodes exactly one CBOR item, refusing trailing bytes.
fn parse_cbor(bytes: &[u8]) -> Result<Value, Error> {
    let mut rest = bytes;
    let value: Value = coset::cbor::de::from_reader_with_recursion_limit(&mut rest, 16)
        .map_err(|_| cbor_error("claims are not valid CBOR"))?;
    if !rest.is_empty() {
        return Err(cbor_error("trailing bytes after the claims"));
    }
    Ok(value)
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

/// Refuses a map with two equal keys (RFC 8949 §5.6: such a map is not valid).
fn no_duplicates(entries: &[(Value, Value)]) -> Result<(), Error> {
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries
            .iter()
            .skip(i.saturating_add(1))
            .any(|(other, _)| other == key)
        {
            return Err(cbor_error("duplicate map key"));
        }
    }
    Ok(())
}

/// `token` as a tagged COSE_Sign1, within `limits`.
fn tagged_sign1(token: &[u8], limits: &crate::Limits) -> Result<CoseSign1, Error> {
    if token.len() > limits.max_token_len() {
        return Err(Error::TokenTooLong {
            len: token.len(),
            max: limits.max_token_len(),
        });
    }
    CoseSign1::from_tagged_slice(token).map_err(|_| cbor_error("not a tagged COSE_Sign1"))
}

/// `x5chain` (RFC 9360): one certificate as a bstr, several as an array of them.
fn x5chain(chain: &[Vec<u8>]) -> Value {
    match chain {
        [one] => Value::Bytes(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::Bytes).collect()),
    }
}
