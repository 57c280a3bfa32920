//! Issuance (RFC 9901 §4, §5.1): claims plus a disclosure policy in, SD-JWT payload and
//! disclosures out, signed through a [`Signer`] or in two phases.

use std::borrow::Cow;
use std::sync::OnceLock;

use jose_core::{Algorithm, Header, RandomSource, Signer};
use serde_json::{Map, Value};

use crate::digest::{DigestText, DisclosureEncoding, SD_ALG_SHA256, prefix};
use crate::disclosure::Disclosure;
use crate::error::Error;
use crate::path::ClaimPath;
use crate::policy::DisclosurePolicy;
use crate::selection::{LastStep, Step, Summary, matches};

/// Default salt length: 16 bytes = 128 bits, the RFC 9901 §9.3 minimum.
pub const DEFAULT_SALT_LEN: usize = 16;

/// Where the issuer adds decoy digests (RFC 9901 §4.2.5).
///
/// Decoys go into every object that has at least one selectively disclosable member, at the
/// top level and in nested objects and disclosed values alike: at least
/// [`min_decoys`](Self::with_min_decoys) of them, and more if needed to bring that object's `_sd`
/// array to [`pad_to`](Self::pad_to) digests. Arrays get no decoys. Each decoy is the digest of
/// fresh random bytes from the issuer's [`RandomSource`].
///
/// ```
/// let decoys = sdjwt_vc::Decoys::pad_to(8).with_min_decoys(1);
/// assert_eq!(decoys.count_for(3), 5);
/// assert_eq!(decoys.count_for(12), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoys {
    pad_to: usize,
    min_decoys: usize,
}

impl Decoys {
    /// No decoys (the default).
    #[must_use]
    pub const fn none() -> Self {
        Self {
            pad_to: 0,
            min_decoys: 0,
        }
    }

    /// Pads each object's `_sd` array to at least `digests` entries.
    #[must_use]
    pub const fn pad_to(digests: usize) -> Self {
        Self {
            pad_to: digests,
            min_decoys: 0,
        }
    }

    /// Adds at least `count` decoys to each object that has disclosable members.
    #[must_use]
    pub const fn with_min_decoys(mut self, count: usize) -> Self {
        self.min_decoys = count;
        self
    }

    /// How many decoys an object with `real` disclosable members gets.
    #[must_use]
    pub const fn count_for(&self, real: usize) -> usize {
        let padding = self.pad_to.saturating_sub(real);
        if padding > self.min_decoys {
            padding
        } else {
            self.min_decoys
        }
    }
}

/// Builds the payload and disclosures of an SD-JWT from plain claims and a policy naming the
/// selectively disclosable claims.
///
/// Disclosures are made depth first in document order, children before the claim that holds
/// them (so a disclosable object's own disclosable members are nested inside its disclosure,
/// RFC 9901 §4.2.6), and each draws its salt from the [`RandomSource`] in that order. Digests in
/// every `_sd` array are sorted (RFC 9901 §4.2.4.1). `_sd_alg` is always `sha-256`.
///
/// The claims are owned ([`new`](Self::new)) or borrowed ([`borrowing`](Self::borrowing)).
/// Either way they are only read. The payload gets copies of the claims that stay in clear;
/// a selectively disclosable string, integer, boolean or `null` is written straight into its
/// disclosure, which reads its name and value back from that text when asked for them; any
/// other disclosed value (an object or array disclosed whole, a fraction) is copied into its
/// disclosure. An issuer that keeps each subject's claims (in its grant, say) borrows them
/// and so copies none of its disclosable strings, integers and booleans per credential.
///
/// For SD-JWT VC credentials use [`SdJwtVcBuilder`](crate::SdJwtVcBuilder), which sets the
/// registered claims and header and refuses never-disclosable claims.
#[derive(Clone, Debug)]
pub struct SdJwtBuilder<'c> {
    claims: Cow<'c, Map<String, Value>>,
    disclosable: DisclosurePolicy,
    decoys: Decoys,
    salt_len: usize,
    encoding: DisclosureEncoding,
}

impl<'c> SdJwtBuilder<'c> {
    /// Starts from the plain claims; nothing is disclosable yet.
    #[must_use]
    pub const fn new(claims: Map<String, Value>) -> Self {
        Self::from_claims(Cow::Owned(claims))
    }

    /// Starts from borrowed claims, which issuance reads without copying them whole (see the
    /// type's documentation); nothing is disclosable yet.
    ///
    /// ```
    /// use sdjwt_vc::{ClaimPath, SdJwtBuilder};
    /// let claims = serde_json::json!({"given_name": "Erika", "age": 61});
    /// let claims = claims.as_object().unwrap();
    /// let built = SdJwtBuilder::borrowing(claims)
    ///     .with_disclosable(ClaimPath::key("given_name"))
    ///     .build(&jose_core::SystemRandom::new())?;
    /// assert_eq!(built.disclosures()[0].value(), "Erika");
    /// assert_eq!(built.payload()["age"], 61);
    /// # Ok::<(), sdjwt_vc::Error>(())
    /// ```
    #[must_use]
    pub const fn borrowing(claims: &'c Map<String, Value>) -> Self {
        Self::from_claims(Cow::Borrowed(claims))
    }

    const fn from_claims(claims: Cow<'c, Map<String, Value>>) -> Self {
        Self {
            claims,
            disclosable: DisclosurePolicy::empty(),
            decoys: Decoys::none(),
            salt_len: DEFAULT_SALT_LEN,
            encoding: DisclosureEncoding::Compact,
        }
    }

    /// Marks the claims matched by `path` as selectively disclosable. Object members and array
    /// elements can be selected, at any depth, also inside other disclosable claims;
    /// [`PathSegment::AllArrayElements`](crate::PathSegment::AllArrayElements) selects every
    /// element.
    #[must_use]
    pub fn with_disclosable(mut self, path: ClaimPath) -> Self {
        self.disclosable.push(path);
        self
    }

    /// Marks several paths as selectively disclosable.
    #[must_use]
    pub fn with_disclosable_paths(mut self, paths: impl IntoIterator<Item = ClaimPath>) -> Self {
        self.disclosable.extend(paths);
        self
    }

    /// Marks every path of a [`DisclosurePolicy`] selectively disclosable. When nothing is
    /// marked yet, the builder shares the policy's list instead of copying it, so an issuer
    /// that builds its policy once pays nothing per credential for it.
    ///
    /// ```
    /// use sdjwt_vc::{ClaimPath, DisclosurePolicy, SdJwtBuilder};
    /// let policy = DisclosurePolicy::new([ClaimPath::key("given_name")])?;
    /// let claims = serde_json::json!({"given_name": "Erika", "age": 61});
    /// let built = SdJwtBuilder::new(claims.as_object().unwrap().clone())
    ///     .with_disclosure_policy(&policy)
    ///     .build(&jose_core::SystemRandom::new())?;
    /// assert_eq!(built.disclosures().len(), 1);
    /// # Ok::<(), sdjwt_vc::Error>(())
    /// ```
    #[must_use]
    pub fn with_disclosure_policy(mut self, policy: &DisclosurePolicy) -> Self {
        self.disclosable.merge(policy);
        self
    }

    /// Sets the decoy policy.
    #[must_use]
    pub const fn with_decoys(mut self, decoys: Decoys) -> Self {
        self.decoys = decoys;
        self
    }

    /// Sets the salt length in bytes (at least 16).
    #[must_use]
    pub const fn with_salt_len(mut self, bytes: usize) -> Self {
        self.salt_len = bytes;
        self
    }

    /// Sets how disclosures are written.
    #[must_use]
    pub const fn with_encoding(mut self, encoding: DisclosureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The paths marked disclosable so far.
    #[must_use]
    pub fn disclosable(&self) -> &[ClaimPath] {
        self.disclosable.paths()
    }

    /// Makes the salts, disclosures, decoys and the payload.
    ///
    /// # Errors
    /// [`Error::SaltTooShort`]; [`Error::ClaimReserved`] for a claim named `_sd`, `...` or
    /// `_sd_alg`; [`Error::InvalidPolicyPath`] for an empty path or one that selects nothing;
    /// [`Error::Random`] when the random source fails.
    pub fn build(self, rng: &dyn RandomSource) -> Result<SdJwtPayload, Error> {
        self.build_with(|_| Ok(()), rng)
    }

    /// [`Self::build`] with a check of the plain claims first.
    pub(crate) fn build_with(
        self,
        check: impl FnOnce(&Map<String, Value>) -> Result<(), Error>,
        rng: &dyn RandomSource,
    ) -> Result<SdJwtPayload, Error> {
        let claims: &Map<String, Value> = &self.claims;
        check(claims)?;
        if self.salt_len < DEFAULT_SALT_LEN {
            return Err(Error::SaltTooShort { len: self.salt_len });
        }
        let disclosable = self.disclosable.paths();
        if let Some(path) = disclosable.iter().find(|p| p.segments().is_empty()) {
            return Err(Error::InvalidPolicyPath {
                path: path.clone(),
                reason: "is empty",
            });
        }
        // First pass: which claims are selected, and how many salts and decoys follow.
        let mut plan = Plan {
            policy: disclosable,
            by_summary: self.disclosable.summary_index(),
            hits: vec![false; disclosable.len()],
            decoys: self.decoys,
            path: Vec::new(),
            selected: Vec::new(),
            draws: 0,
        };
        plan.object(claims)?;
        if let Some(position) = plan.hits.iter().position(|hit| !hit) {
            let path = disclosable.get(position).cloned().unwrap_or_default();
            return Err(Error::InvalidPolicyPath {
                path,
                reason: "selects no claim",
            });
        }
        // All random bytes in one call: the same byte stream, in the same order, as one call
        // per salt or decoy, without a system call each.
        let Some(pool_len) = plan.draws.checked_mul(self.salt_len) else {
            return Err(Error::TooManyDisclosures {
                count: plan.draws,
                max: usize::MAX / self.salt_len,
            });
        };
        let mut pool = vec![0u8; pool_len];
        rng.fill(&mut pool).map_err(Error::Random)?;
        // Second pass: salts, disclosures, decoys, digests.
        let mut maker = Maker {
            selected: plan.selected.iter(),
            decoys: self.decoys,
            salt_len: self.salt_len,
            encoding: self.encoding,
            pool: &pool,
            rng,
            disclosures: Vec::with_capacity(plan.draws),
            scratch: Vec::with_capacity(128),
            salt: String::with_capacity(jose_core::base64url::encoded_len(self.salt_len)),
        };
        // The top level's `_sd` digests stay inline: `into_unsigned` writes them straight
        // into the payload text, where the `null` standing in for them sits.
        let (clear, top_digests) = maker.members(claims)?;
        let mut payload = with_sd(owned(clear), &top_digests, || Value::Null);
        payload.insert("_sd_alg".into(), SD_ALG_SHA256.into());
        Ok(SdJwtPayload {
            payload,
            top_digests,
            disclosures: maker.disclosures,
            whole: OnceLock::new(),
        })
    }
}

/// Whether a claim is one of the names an SD-JWT reserves.
fn reserved(name: &str) -> bool {
    matches!(name, "_sd" | "..." | "_sd_alg")
}

/// The first pass over the claims: matches the policy, records whether each claim is selected
/// (in the order the [`Maker`] visits them: depth first, children before the claim holding
/// them) and counts the random draws (one salt per disclosure, one per decoy).
struct Plan<'p, 'c> {
    policy: &'p [ClaimPath],
    /// Each policy path's [`Summary`] with its position, sorted: a claim is compared only with
    /// the paths whose summary admits it. Made once per policy and kept with it.
    by_summary: &'p [(Summary, usize)],
    hits: Vec<bool>,
    decoys: Decoys,
    /// Where the walk is, borrowing the member names from the claims.
    path: Vec<Step<'c>>,
    selected: Vec<bool>,
    draws: usize,
}

impl<'c> Plan<'_, 'c> {
    fn selected(&mut self) -> bool {
        let here = Summary::of_path(&self.path);
        let mut any = self.mark(here);
        // An index is also selected by the patterns that select every element.
        if let LastStep::Index(_) = here.last {
            any |= self.mark(Summary {
                len: here.len,
                last: LastStep::AnyIndex,
            });
        }
        any
    }

    /// Marks the policy paths with summary `summary` that match the current path; whether any
    /// did.
    fn mark(&mut self, summary: Summary) -> bool {
        let start = self.by_summary.partition_point(|(s, _)| *s < summary);
        let mut any = false;
        for (candidate, position) in self.by_summary.get(start..).unwrap_or_default() {
            if *candidate != summary {
                break;
            }
            if let Some(pattern) = self.policy.get(*position)
                && matches(pattern, &self.path)
                && let Some(hit) = self.hits.get_mut(*position)
            {
                *hit = true;
                any = true;
            }
        }
        any
    }

    fn value(&mut self, value: &'c Value) -> Result<(), Error> {
        match value {
            Value::Object(map) => self.object(map),
            Value::Array(items) => self.array(items),
            _ => Ok(()),
        }
    }

    fn visit(&mut self, step: Step<'c>, value: &'c Value) -> Result<bool, Error> {
        self.path.push(step);
        let result = self.value(value);
        let selected = self.selected();
        self.path.pop();
        result?;
        self.selected.push(selected);
        if selected {
            self.draws = self.draws.saturating_add(1);
        }
        Ok(selected)
    }

    fn object(&mut self, map: &'c Map<String, Value>) -> Result<(), Error> {
        let mut real = 0usize;
        for (name, value) in map {
            if reserved(name) {
                return Err(Error::ClaimReserved { name: name.clone() });
            }
            if self.visit(Step::Key(name), value)? {
                real = real.saturating_add(1);
            }
        }
        if real > 0 {
            self.draws = self.draws.saturating_add(self.decoys.count_for(real));
        }
        Ok(())
    }

    fn array(&mut self, items: &'c [Value]) -> Result<(), Error> {
        for (index, item) in items.iter().enumerate() {
            self.visit(Step::Index(index), item)?;
        }
        Ok(())
    }
}

/// The second pass: consumes the [`Plan`]'s selection and the pooled random bytes, reading
/// the claims it borrows from the builder.
struct Maker<'p> {
    selected: core::slice::Iter<'p, bool>,
    decoys: Decoys,
    salt_len: usize,
    encoding: DisclosureEncoding,
    pool: &'p [u8],
    rng: &'p dyn RandomSource,
    disclosures: Vec<Disclosure>,
    /// Reused for the JSON text of each disclosure.
    scratch: Vec<u8>,
    /// Reused for each salt's (or decoy's) base64url text.
    salt: String,
}

/// A claim value as it goes into the payload or a disclosure: the caller's own when nothing
/// beneath it is selectively disclosable, or rebuilt with `_sd` arrays and `...` elements.
type Written<'c> = Cow<'c, Value>;

/// An object's members that stay in clear, in order.
type Clear<'c> = Vec<(&'c String, Written<'c>)>;

impl<'c> Maker<'_> {
    /// Whether the plan selected the next claim in visiting order. The plan visited the same
    /// claims in the same order; if it ran short that is a bug, and guessing "not selected"
    /// would put a claim meant to be selectively disclosable in clear.
    ///
    /// The error is built only on that path: an eager `ok_or(Error::Internal { .. })` built and
    /// dropped one per claim on the issuing hot path.
    fn selected(&mut self) -> Result<bool, Error> {
        match self.selected.next() {
            Some(&selected) => Ok(selected),
            None => Err(Error::Internal {
                invariant: "the plan has a decision for every claim",
            }),
        }
    }

    /// The next `salt_len` pooled bytes, base64url-encoded into `salt` (cleared first). The
    /// plan counted every draw, so the pool never runs short; if it did, the bytes would come
    /// from the source directly.
    fn random_text(&mut self) -> Result<(), Error> {
        self.salt.clear();
        if let Some((bytes, rest)) = self.pool.split_at_checked(self.salt_len) {
            self.pool = rest;
            jose_core::base64url::encode_to_string(&mut self.salt, bytes);
            return Ok(());
        }
        let mut bytes = vec![0u8; self.salt_len];
        self.rng.fill(&mut bytes).map_err(Error::Random)?;
        jose_core::base64url::encode_to_string(&mut self.salt, &bytes);
        Ok(())
    }

    /// Discloses `value` under `name` (or as an array element): a borrowed scalar is written
    /// without a copy, anything else is kept in the disclosure as it is written.
    fn disclose(&mut self, name: Option<&str>, value: Written<'c>) -> Result<DigestText, Error> {
        self.random_text()?;
        let (scratch, salt, encoding) = (&mut self.scratch, &self.salt, self.encoding);
        let written = match &value {
            Cow::Borrowed(value) => Disclosure::write_scalar(scratch, salt, name, value, encoding),
            Cow::Owned(_) => None,
        };
        let disclosure = written.unwrap_or_else(|| {
            let name = name.map(str::to_owned);
            Disclosure::create_with(scratch, salt, name, value.into_owned(), encoding)
        });
        let digest = disclosure.digest_text();
        self.disclosures.push(disclosure);
        Ok(digest)
    }

    fn value(&mut self, value: &'c Value) -> Result<Written<'c>, Error> {
        match value {
            Value::Object(map) => {
                let (clear, digests) = self.members(map)?;
                if digests.is_empty() && untouched(clear.iter().map(|(_, v)| v)) {
                    return Ok(Cow::Borrowed(value));
                }
                let with_sd = with_sd(owned(clear), &digests, || sd_array(&digests));
                Ok(Cow::Owned(Value::Object(with_sd)))
            }
            Value::Array(items) => self.array(value, items),
            scalar => Ok(Cow::Borrowed(scalar)),
        }
    }

    /// The members of an object that stay in clear, and the digests of its `_sd` array:
    /// one per selectively disclosable member and one per decoy, sorted, or none when no member
    /// is selectively disclosable.
    fn members(&mut self, map: &'c Map<String, Value>) -> Result<(Clear<'c>, Digests), Error> {
        let mut clear = Vec::new();
        let mut digests = Vec::new();
        for (name, value) in map {
            let value = self.value(value)?;
            if self.selected()? {
                if digests.is_empty() {
                    // Room for every member at once; objects with nothing selected allocate none.
                    digests.reserve(map.len());
                }
                let digest = self.disclose(Some(name), value)?;
                digests.push((prefix(digest.as_bytes()), digest));
            } else {
                clear.push((name, value));
            }
        }
        if digests.is_empty() {
            return Ok((clear, digests));
        }
        for _ in 0..self.decoys.count_for(digests.len()) {
            self.random_text()?;
            let decoy = DigestText::of(&self.salt);
            digests.push((prefix(decoy.as_bytes()), decoy));
        }
        // Byte order (what RFC 9901 §4.2.4.1 asks for), comparing an 8-byte prefix first: the
        // digests are random, so the prefix almost always decides. Each digest's prefix is
        // computed once, next to it, rather than twice per comparison.
        digests.sort_unstable();
        Ok((clear, digests))
    }

    /// `whole`'s `items` with each selectively disclosable element replaced by
    /// `{"...": digest}`; `whole` itself when nothing beneath it is.
    fn array(&mut self, whole: &'c Value, items: &'c [Value]) -> Result<Written<'c>, Error> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let value = self.value(item)?;
            if self.selected()? {
                let digest = self.disclose(None, value)?;
                let mut placeholder = Map::new();
                placeholder.insert("...".into(), Value::String(digest.as_str().to_owned()));
                out.push(Cow::Owned(Value::Object(placeholder)));
            } else {
                out.push(value);
            }
        }
        if untouched(&out) {
            return Ok(Cow::Borrowed(whole));
        }
        Ok(Cow::Owned(Value::Array(
            out.into_iter().map(Cow::into_owned).collect(),
        )))
    }
}

/// Whether every value is the caller's own: nothing beneath was rebuilt, so the value that
/// holds them can stay borrowed whole.
fn untouched<'a, 'c: 'a>(values: impl IntoIterator<Item = &'a Written<'c>>) -> bool {
    values
        .into_iter()
        .all(|value| matches!(value, Cow::Borrowed(_)))
}

/// The clear members as a map of their own (copies of the borrowed ones).
fn owned(clear: Clear<'_>) -> Map<String, Value> {
    clear
        .into_iter()
        .map(|(name, value)| (name.clone(), value.into_owned()))
        .collect()
}

/// An object's `_sd` digests, sorted, each beside its first eight bytes as a number.
type Digests = Vec<(u64, DigestText)>;

/// `clear` with an `_sd` member made by `sd` first (as in the RFC 9901 examples, visible with
/// `preserve_order`), or `clear` alone when there are no digests.
fn with_sd(
    clear: Map<String, Value>,
    digests: &Digests,
    sd: impl FnOnce() -> Value,
) -> Map<String, Value> {
    if digests.is_empty() {
        return clear;
    }
    let mut with_sd = Map::new();
    with_sd.insert("_sd".into(), sd());
    with_sd.extend(clear);
    with_sd
}

/// The `_sd` array of `digests` as a JSON value.
fn sd_array(digests: &Digests) -> Value {
    Value::Array(
        digests
            .iter()
            .map(|(_, digest)| Value::String(digest.as_str().to_owned()))
            .collect(),
    )
}

/// Writes the issuer-signed payload as compact JSON, as `jose_core::json::write_map` writes
/// the whole payload: the top-level `_sd` member (a `null` in `payload`) is written from
/// `top_digests`, each a base64url string that needs no escaping.
fn write_payload(
    out: &mut Vec<u8>,
    payload: &Map<String, Value>,
    top_digests: &Digests,
) -> Result<(), serde_json::Error> {
    out.push(b'{');
    for (index, (name, value)) in payload.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        jose_core::json::write_str(out, name)?;
        out.push(b':');
        if name == "_sd" {
            write_digests(out, top_digests);
        } else {
            jose_core::json::write_value(out, value)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// `["<digest>",…]`.
fn write_digests(out: &mut Vec<u8>, digests: &Digests) {
    out.push(b'[');
    for (index, (_, digest)) in digests.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(digest.as_bytes());
        out.push(b'"');
    }
    out.push(b']');
}

/// An SD-JWT payload with its disclosures, before signing.
///
/// The top-level `_sd` array is kept as its digests and written straight into the signing
/// input; [`payload`](Self::payload) builds the whole map on its first call.
#[derive(Clone)]
pub struct SdJwtPayload {
    /// The payload, with a `null` in place of the top-level `_sd` array when there is one.
    payload: Map<String, Value>,
    /// The top-level `_sd` digests, sorted.
    top_digests: Digests,
    disclosures: Vec<Disclosure>,
    /// `payload` with its `_sd` array, made when first asked for.
    whole: OnceLock<Map<String, Value>>,
}

impl core::fmt::Debug for SdJwtPayload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SdJwtPayload")
            .field("payload", self.payload())
            .field("disclosures", &self.disclosures)
            .finish()
    }
}

impl PartialEq for SdJwtPayload {
    fn eq(&self, other: &Self) -> bool {
        self.payload == other.payload
            && self.top_digests == other.top_digests
            && self.disclosures == other.disclosures
    }
}

impl Eq for SdJwtPayload {}

impl SdJwtPayload {
    /// The issuer-signed payload (with `_sd`, digest placeholders and `_sd_alg`).
    #[must_use]
    pub fn payload(&self) -> &Map<String, Value> {
        self.whole.get_or_init(|| {
            let mut whole = self.payload.clone();
            if let Some(sd) = whole.get_mut("_sd") {
                *sd = sd_array(&self.top_digests);
            }
            whole
        })
    }

    /// The payload to add members to (never `_sd`, which the builder refuses in claims).
    pub(crate) fn payload_mut(&mut self) -> &mut Map<String, Value> {
        self.whole = OnceLock::new();
        &mut self.payload
    }

    /// The disclosures, in the order they were made.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// Adds the JOSE header and serialises: the first signing phase. The signing input is
    /// the one [`jose_core::UnsignedJws::new`] makes (compact `serde_json` text of the header
    /// and payload, unpadded base64url), written into one buffer sized up front.
    ///
    /// # Errors
    /// [`Error::Jose`] with [`jose_core::Error::SigningFailed`] if the header or payload does
    /// not serialise (not reachable with `serde_json` values).
    pub fn into_unsigned(self, header: &Header) -> Result<UnsignedSdJwt, Error> {
        let header_json = header.to_json().map_err(Error::issuer_jwt)?;
        let estimate = self
            .disclosures
            .len()
            .saturating_mul(48)
            .saturating_add(512);
        let mut payload_json = Vec::with_capacity(estimate);
        write_payload(&mut payload_json, &self.payload, &self.top_digests).map_err(|_| {
            Error::issuer_jwt(jose_core::Error::SigningFailed {
                reason: "claims do not serialise".into(),
            })
        })?;
        // Room for the signature too, so attaching it does not reallocate.
        let capacity = jose_core::base64url::encoded_len(header_json.len())
            .saturating_add(jose_core::base64url::encoded_len(payload_json.len()))
            .saturating_add(SIGNATURE_ROOM);
        let mut signing_input = String::with_capacity(capacity);
        jose_core::base64url::encode_to_string(&mut signing_input, &header_json);
        signing_input.push('.');
        jose_core::base64url::encode_to_string(&mut signing_input, &payload_json);
        Ok(UnsignedSdJwt {
            alg: header.alg(),
            signing_input,
            disclosures: self.disclosures,
        })
    }
}

/// Spare capacity for `.` and the signature on the signing input: an ES512 signature (132
/// bytes) or an RSA-2048 one (256 bytes, 342 characters) fits.
const SIGNATURE_ROOM: usize = 352;

/// An SD-JWT waiting for the issuer's signature: hand [`signing_input`](Self::signing_input)
/// to a KMS and give the result to [`attach_signature`](Self::attach_signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedSdJwt {
    alg: Algorithm,
    signing_input: String,
    disclosures: Vec<Disclosure>,
}

impl UnsignedSdJwt {
    /// The exact bytes to sign.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The algorithm the signature must be made with.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The disclosures that will accompany the JWT.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// Attaches a JOSE-form signature (ECDSA as r||s).
    ///
    /// # Errors
    /// [`Error::Jose`] with [`jose_core::Error::SignatureLength`] when the signature has the
    /// wrong length for a fixed-length algorithm (for example a DER-encoded ECDSA signature).
    pub fn attach_signature(self, signature: &[u8]) -> Result<IssuedSdJwt, Error> {
        if let Some(expected) = self.alg.fixed_signature_len()
            && signature.len() != expected
        {
            return Err(Error::issuer_jwt(jose_core::Error::SignatureLength {
                alg: self.alg,
                len: signature.len(),
                expected,
            }));
        }
        let mut jwt = self.signing_input;
        jwt.push('.');
        jose_core::base64url::encode_to_string(&mut jwt, signature);
        Ok(IssuedSdJwt {
            jwt,
            disclosures: self.disclosures,
        })
    }

    /// Signs in one step.
    ///
    /// # Errors
    /// [`Error::Jose`] with [`jose_core::Error::KeyAlgorithmMismatch`] when the signer's
    /// algorithm is not the header's, the signer's own error, and those of
    /// [`Self::attach_signature`].
    pub fn sign(self, signer: &dyn Signer) -> Result<IssuedSdJwt, Error> {
        if signer.algorithm() != self.alg {
            return Err(Error::issuer_jwt(jose_core::Error::KeyAlgorithmMismatch {
                alg: self.alg,
                key: "signer",
            }));
        }
        let signature = signer
            .sign(self.signing_input())
            .map_err(Error::issuer_jwt)?;
        self.attach_signature(&signature)
    }
}

/// A signed SD-JWT as the issuer hands it to the holder: every disclosure, no KB-JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedSdJwt {
    jwt: String,
    disclosures: Vec<Disclosure>,
}

impl IssuedSdJwt {
    /// The issuer-signed JWT.
    #[must_use]
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The disclosures.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The compact serialization `<JWT>~<D1>~...~<Dn>~` (RFC 9901 §4).
    #[must_use]
    pub fn to_compact(&self) -> String {
        crate::serialization::compact(&self.jwt, self.disclosures.iter().map(Disclosure::as_str))
    }

    /// The flattened JWS JSON serialization (RFC 9901 §8.1).
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::serialization::flattened_json(
            &self.jwt,
            self.disclosures.iter().map(Disclosure::as_str),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(alg: Algorithm) -> UnsignedSdJwt {
        let claims = serde_json::json!({"a": 1});
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let Ok(payload) = SdJwtBuilder::new(claims).build(&jose_core::SystemRandom::new()) else {
            unreachable!()
        };
        let Ok(unsigned) = payload.into_unsigned(&Header::new(alg)) else {
            unreachable!()
        };
        unsigned
    }

    fn assert_send_sync<T: Send + Sync>() {}

    /// What an issuer shares or hands across threads: the builders (with owned or borrowed
    /// claims), what they make, and disclosures whose parts are still to be read back.
    #[test]
    fn issuance_types_are_send_and_sync() {
        assert_send_sync::<SdJwtBuilder<'static>>();
        assert_send_sync::<crate::SdJwtVcBuilder<'static>>();
        assert_send_sync::<SdJwtPayload>();
        assert_send_sync::<UnsignedSdJwt>();
        assert_send_sync::<IssuedSdJwt>();
        assert_send_sync::<Disclosure>();
    }

    /// The top-level `_sd` array, written from its inline digests, gives the signing input
    /// the whole payload map gives, with or without top-level and nested disclosures and
    /// decoys; the map `payload()` builds has the array in place.
    #[test]
    fn the_top_level_digests_are_written_as_the_payload_map_would_be() {
        let claims = serde_json::json!({
            "Zeta": 1, "given_name": "Erika", "address": {"street": "Heidestraße", "city": "Köln"},
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let top = ClaimPath::key("given_name");
        let nested = ClaimPath::key("address").then_key("city");
        let shapes = [
            (vec![], Decoys::none(), 0),
            (vec![top.clone()], Decoys::none(), 1),
            (vec![nested.clone()], Decoys::none(), 0),
            (vec![top, nested], Decoys::pad_to(4), 4),
        ];
        let header = Header::new(Algorithm::Es256).with_typ("example+sd-jwt");
        let rng = jose_core::SystemRandom::new();
        for (paths, decoys, top_level_digests) in shapes {
            let Ok(built) = SdJwtBuilder::new(claims.clone())
                .with_disclosable_paths(paths)
                .with_decoys(decoys)
                .build(&rng)
            else {
                unreachable!()
            };
            let sd = built.payload().get("_sd").and_then(Value::as_array);
            assert_eq!(sd.map_or(0, Vec::len), top_level_digests);
            if let Some(sd) = sd {
                let texts: Vec<&str> = sd.iter().filter_map(Value::as_str).collect();
                assert!(texts.is_sorted() && texts.iter().all(|d| d.len() == 43));
            }
            let Ok(expected) = jose_core::UnsignedJws::new(&header, built.payload()) else {
                unreachable!()
            };
            let Ok(unsigned) = built.clone().into_unsigned(&header) else {
                unreachable!()
            };
            assert_eq!(unsigned.signing_input(), expected.signing_input());
            assert!(
                !format!("{built:?}").contains("\"_sd\": Null"),
                "Debug shows the digests, not the stand-in"
            );
            // A copy compares equal whether or not its map was built.
            let Ok(fresh) = SdJwtBuilder::new(claims.clone()).build(&rng) else {
                unreachable!()
            };
            assert_eq!(fresh.clone(), {
                let _ = fresh.payload();
                fresh
            });
        }
    }

    /// The signature is appended as base64url whether it fits the stack room (ES256) or not
    /// (an RSA-4096-sized signature).
    #[test]
    fn any_signature_length_is_attached_as_base64url() {
        for (alg, len) in [(Algorithm::Es256, 64), (Algorithm::Rs256, 512)] {
            let unsigned = unsigned(alg);
            let input = String::from_utf8(unsigned.signing_input().to_vec()).unwrap_or_default();
            let signature: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i % 251).unwrap_or(0))
                .collect();
            let Ok(issued) = unsigned.attach_signature(&signature) else {
                unreachable!()
            };
            assert_eq!(
                issued.jwt(),
                format!("{input}.{}", jose_core::base64url::encode(&signature))
            );
        }
        assert!(SIGNATURE_ROOM < jose_core::base64url::encoded_len(512));
    }
}
