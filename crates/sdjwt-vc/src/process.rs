//! The disclosure processing of RFC 9901 §7.1 step 3 to 5, shared by the verifier and the holder.

use std::collections::HashSet;

use jose_core::short_text;
use serde_json::{Map, Value};

use crate::digest::{SD_ALG_SHA256, prefix};
use crate::disclosure::Disclosure;
use crate::error::Error;
use crate::path::{ClaimPath, PathSegment};

/// The payload with every disclosure applied, and where each disclosure landed.
#[derive(Debug)]
pub(crate) struct Processed {
    /// The claims, without `_sd`, `_sd_alg` and digest placeholders.
    pub(crate) claims: Map<String, Value>,
    /// For each applied disclosure: the path of the claim it disclosed (array indices count
    /// the processed array) and its index in the disclosure list.
    pub(crate) disclosed: Vec<(ClaimPath, usize)>,
    /// For each disclosure (by index), the index of the disclosure whose value contained its
    /// digest, if any.
    pub(crate) parent: Vec<Option<usize>>,
}

/// Refuses duplicate disclosures (RFC 9901 §4: the same disclosure must not be sent twice).
///
/// # Errors
/// [`Error::DuplicateDisclosure`].
pub(crate) fn index_by_digest(disclosures: &[Disclosure]) -> Result<DigestIndex<'_>, Error> {
    let mut entries: Vec<(u64, &str, usize)> = disclosures
        .iter()
        .enumerate()
        .map(|(index, disclosure)| {
            let digest = disclosure.digest();
            (prefix(digest.as_bytes()), digest, index)
        })
        .collect();
    entries.sort_unstable();
    // Report the repeat that comes first in the input, as a one-pass check would.
    let repeat = entries
        .windows(2)
        .filter_map(|pair| match pair {
            [(_, a, _), (_, b, later)] if a == b => Some((*later, *b)),
            _ => None,
        })
        .min();
    if let Some((_, digest)) = repeat {
        return Err(Error::DuplicateDisclosure {
            digest: digest.to_owned(),
        });
    }
    Ok(DigestIndex(entries))
}

/// Disclosure indices sorted by digest (a binary search is cheaper than hashing 43-byte
/// strings for the few dozen disclosures an SD-JWT carries). Each digest sits next to its
/// first eight bytes as a number, which order like the text and, the digests being random,
/// almost always decide a comparison without a call to compare the whole strings.
#[derive(Debug)]
pub(crate) struct DigestIndex<'d>(Vec<(u64, &'d str, usize)>);

impl DigestIndex<'_> {
    pub(crate) fn get(&self, digest: &str) -> Option<usize> {
        let key = (prefix(digest.as_bytes()), digest);
        let at = self
            .0
            .binary_search_by(|(first, candidate, _)| (*first, *candidate).cmp(&key))
            .ok()?;
        self.0.get(at).map(|(_, _, index)| *index)
    }
}

/// Applies `disclosures` to the issuer-signed `payload`.
///
/// # Errors
/// Every processing failure of RFC 9901 §7.1: [`Error::UnsupportedSdAlg`],
/// [`Error::SdAlgMisplaced`], [`Error::InvalidSdArray`], [`Error::InvalidArrayDigest`],
/// [`Error::DuplicateDigest`], [`Error::DisclosureKindMismatch`], [`Error::ClaimNameConflict`],
/// [`Error::UnreferencedDisclosure`], [`Error::DuplicateDisclosure`], and
/// [`Error::NestingTooDeep`].
pub(crate) fn process(
    payload: Map<String, Value>,
    disclosures: &[Disclosure],
    max_depth: usize,
) -> Result<Processed, Error> {
    walk(payload, disclosures, Taken::default(), max_depth)
}

/// As [`process`], but each applied disclosure's value is moved out of `values` (the
/// disclosures' values in the same order, taken from them with `Disclosure::take_value` by a
/// caller that does not need them afterwards) instead of cloned from its disclosure: the
/// verifier's path, which so copies no disclosed value.
///
/// # Errors
/// As [`process`]; [`Error::Internal`] when `values` is not one value per disclosure.
pub(crate) fn process_taking(
    payload: Map<String, Value>,
    disclosures: &[Disclosure],
    taken: Taken,
    max_depth: usize,
) -> Result<Processed, Error> {
    if taken.values.len() != disclosures.len() || taken.names.len() != disclosures.len() {
        return Err(Error::Internal {
            invariant: "one taken value per disclosure",
        });
    }
    walk(payload, disclosures, taken, max_depth)
}

/// The values and claim names moved out of the disclosures (with `Disclosure::take_value` and
/// `Disclosure::take_name`), in their order; both empty to clone from the disclosures instead.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    pub(crate) values: Vec<Value>,
    pub(crate) names: Vec<Option<String>>,
}

impl Taken {
    /// Moves the values and names out of `disclosures`.
    pub(crate) fn from(disclosures: &mut [Disclosure]) -> Self {
        let mut values = Vec::with_capacity(disclosures.len());
        let mut names = Vec::with_capacity(disclosures.len());
        for disclosure in disclosures {
            values.push(disclosure.take_value());
            names.push(disclosure.take_name());
        }
        Self { values, names }
    }
}

/// Removes `key` from `map` and keeps the order of the other members: with serde_json's
/// `preserve_order`, `Map::remove` moves the last member into the gap.
fn take_member(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let value = map.get_mut(key).map(core::mem::take)?;
    map.retain(|name, _| name != key);
    Some(value)
}

/// [`process`] and [`process_taking`]: `values` is empty (clone from the disclosures) or one
/// value per disclosure (move out).
fn walk(
    mut payload: Map<String, Value>,
    disclosures: &[Disclosure],
    taken: Taken,
    max_depth: usize,
) -> Result<Processed, Error> {
    match take_member(&mut payload, "_sd_alg") {
        None => {}
        Some(Value::String(alg)) if alg == SD_ALG_SHA256 => {}
        Some(Value::String(alg)) => {
            return Err(Error::UnsupportedSdAlg {
                alg: short_text(&alg),
            });
        }
        Some(_) => {
            return Err(Error::UnsupportedSdAlg {
                alg: "(not a string)".into(),
            });
        }
    }
    let mut walker = Walker {
        disclosures,
        values: taken.values,
        names: taken.names,
        by_digest: index_by_digest(disclosures)?,
        unmatched: HashSet::new(),
        used: vec![false; disclosures.len()],
        parent: vec![None; disclosures.len()],
        current: None,
        disclosed: Vec::with_capacity(disclosures.len()),
        path: Vec::new(),
        max_depth,
    };
    let claims = walker.object(payload, 1)?;
    if let Some(index) = walker.used.iter().position(|used| !used) {
        let digest = disclosures
            .get(index)
            .map(|d| d.digest().to_owned())
            .unwrap_or_default();
        return Err(Error::UnreferencedDisclosure { digest });
    }
    Ok(Processed {
        claims,
        disclosed: walker.disclosed,
        parent: walker.parent,
    })
}

struct Walker<'d> {
    disclosures: &'d [Disclosure],
    /// Empty, or the disclosures' values to move out (each disclosure is applied at most once:
    /// `used`).
    values: Vec<Value>,
    /// Empty, or the disclosures' claim names to move out (as `values`).
    names: Vec<Option<String>>,
    by_digest: DigestIndex<'d>,
    /// Unmatched digests (decoys, withheld claims); matched ones are tracked by `used`.
    unmatched: HashSet<String>,
    used: Vec<bool>,
    parent: Vec<Option<usize>>,
    /// The disclosure whose value is being walked, if any.
    current: Option<usize>,
    disclosed: Vec<(ClaimPath, usize)>,
    /// Where the walk is (copied into a [`ClaimPath`] where one is recorded or reported).
    path: Vec<PathSegment>,
    max_depth: usize,
}

impl Walker<'_> {
    /// The claim name of disclosure `index`, moved out of `names` or copied from the
    /// disclosure; `None` for an array element's disclosure. Asked once per applied
    /// disclosure (after `digest` marked it used).
    fn name(&mut self, index: usize) -> Option<String> {
        match self.names.get_mut(index) {
            Some(taken) => taken.take(),
            None => self
                .disclosures
                .get(index)
                .and_then(Disclosure::name)
                .map(str::to_owned),
        }
    }

    /// Whether disclosure `index` names a claim (an object property's disclosure).
    fn has_name(&self, index: usize) -> bool {
        match self.names.get(index) {
            Some(taken) => taken.is_some(),
            None => self
                .disclosures
                .get(index)
                .is_some_and(|d| d.name().is_some()),
        }
    }

    /// Records an embedded digest; returns the disclosure it matches, if any.
    ///
    /// Each digest may appear once (RFC 9901 §7.1 step 4); a matched digest seen again finds
    /// its disclosure already used.
    fn digest(&mut self, digest: &str) -> Result<Option<usize>, Error> {
        let Some(index) = self.by_digest.get(digest) else {
            if self.unmatched.insert(digest.to_owned()) {
                return Ok(None);
            }
            return Err(Error::DuplicateDigest {
                digest: short_text(digest),
            });
        };
        match self.used.get_mut(index) {
            Some(used) if !*used => *used = true,
            _ => {
                return Err(Error::DuplicateDigest {
                    digest: short_text(digest),
                });
            }
        }
        if let Some(parent) = self.parent.get_mut(index) {
            *parent = self.current;
        }
        Ok(Some(index))
    }

    fn value(&mut self, value: Value, depth: usize) -> Result<Value, Error> {
        match value {
            Value::Object(map) => self.object(map, depth.saturating_add(1)).map(Value::Object),
            Value::Array(items) => self.array(items, depth.saturating_add(1)).map(Value::Array),
            other => Ok(other),
        }
    }

    /// Applies a matched disclosure's value at the current path.
    fn disclose(&mut self, index: usize, depth: usize) -> Result<Value, Error> {
        // `index` came from the digest lookup over these disclosures; never disclose `null`.
        // (The error is built only when the invariant fails, not once per disclosure.)
        let value = if let Some(taken) = self.values.get_mut(index) {
            core::mem::take(taken)
        } else {
            let Some(disclosure) = self.disclosures.get(index) else {
                return Err(Error::Internal {
                    invariant: "a matched digest names one of the disclosures",
                });
            };
            disclosure.value().clone()
        };
        let outer = self.current.replace(index);
        let value = self.value(value, depth);
        self.current = outer;
        self.disclosed.push((self.here(), index));
        value
    }

    /// The current path, as a [`ClaimPath`] to record or report.
    fn here(&self) -> ClaimPath {
        ClaimPath::from_slice(&self.path)
    }

    fn check_depth(&self, depth: usize) -> Result<(), Error> {
        if depth > self.max_depth {
            return Err(Error::NestingTooDeep {
                max: self.max_depth,
            });
        }
        Ok(())
    }

    fn object(
        &mut self,
        mut map: Map<String, Value>,
        depth: usize,
    ) -> Result<Map<String, Value>, Error> {
        self.check_depth(depth)?;
        if depth > 1 && map.contains_key("_sd_alg") {
            return Err(Error::SdAlgMisplaced { path: self.here() });
        }
        if map.contains_key("...") {
            return Err(Error::InvalidArrayDigest { path: self.here() });
        }
        let digests = match take_member(&mut map, "_sd") {
            None => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(Error::InvalidSdArray { path: self.here() });
            }
        };
        // The plain members stay where they are: only objects and arrays are walked (a scalar
        // holds no digest), each taken out and put back, and the disclosed claims join them.
        for (name, value) in &mut map {
            if !matches!(value, Value::Object(_) | Value::Array(_)) {
                continue;
            }
            self.path.push(PathSegment::Key(name.clone()));
            let processed = self.value(core::mem::take(value), depth);
            self.path.pop();
            *value = processed?;
        }
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(Error::InvalidSdArray { path: self.here() });
            };
            let Some(index) = self.digest(&digest)? else {
                continue;
            };
            let Some(name) = self.name(index) else {
                return Err(Error::DisclosureKindMismatch {
                    digest: short_text(&digest),
                    expected: 3,
                    found: 2,
                });
            };
            // At the top level `_sd_alg` is the SD-JWT's own member (RFC 9901 §4.1.1): a
            // disclosure of that name would either collide with it (§7.1 step 3.c) or, when the
            // payload has none, be deleted unseen with it (step 3.f). Either way it is refused
            // as a conflict, so no verified claims ever carry a top-level `_sd_alg`.
            if map.contains_key(&name) || (depth == 1 && name == "_sd_alg") {
                return Err(Error::ClaimNameConflict {
                    name: short_text(&name),
                    path: self.here(),
                });
            }
            self.path.push(PathSegment::Key(name));
            let value = self.disclose(index, depth);
            let Some(PathSegment::Key(name)) = self.path.pop() else {
                return Err(Error::Malformed {
                    reason: "internal path error",
                });
            };
            map.insert(name, value?);
        }
        Ok(map)
    }

    fn array(&mut self, items: Vec<Value>, depth: usize) -> Result<Vec<Value>, Error> {
        self.check_depth(depth)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.path.push(PathSegment::Index(out.len()));
            let result = self.element(item, depth);
            self.path.pop();
            if let Some(value) = result? {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// One array element: a digest placeholder (disclosed or dropped) or a plain value.
    fn element(&mut self, item: Value, depth: usize) -> Result<Option<Value>, Error> {
        let digest = match &item {
            Value::Object(map) if map.contains_key("...") => match (map.len(), map.get("...")) {
                (1, Some(Value::String(digest))) => digest.clone(),
                _ => {
                    return Err(Error::InvalidArrayDigest { path: self.here() });
                }
            },
            _ => return self.value(item, depth).map(Some),
        };
        let Some(index) = self.digest(&digest)? else {
            return Ok(None);
        };
        if self.has_name(index) {
            return Err(Error::DisclosureKindMismatch {
                digest: short_text(&digest),
                expected: 2,
                found: 3,
            });
        }
        self.disclose(index, depth).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::digest::DisclosureEncoding;

    fn disclosure(salt: &str, name: Option<&str>, value: Value) -> Disclosure {
        Disclosure::create(
            salt.to_owned(),
            name.map(str::to_owned),
            value,
            DisclosureEncoding::Compact,
        )
    }

    /// Every digest is found at its own index and nothing else is found, also for digests that
    /// share their first eight bytes (where the whole strings decide) and for a text that is a
    /// prefix of a digest.
    #[test]
    fn the_digest_index_finds_exactly_the_digests() {
        let disclosures: Vec<Disclosure> = (0..40)
            .map(|n| disclosure(&format!("salt-{n}"), None, json!(n)))
            .collect();
        let index = index_by_digest(&disclosures).unwrap();
        for (at, d) in disclosures.iter().enumerate() {
            assert_eq!(index.get(d.digest()), Some(at));
            let digest = d.digest();
            assert_eq!(index.get(&digest[..8]), None, "a prefix is not a digest");
            let mut other = digest[..digest.len() - 1].to_owned();
            other.push(if digest.ends_with('A') { 'B' } else { 'A' });
            assert_eq!(
                index.get(&other),
                None,
                "same first eight bytes, another digest"
            );
        }
        assert_eq!(index.get(""), None);
        // A shared prefix orders by the rest, as the bytes do.
        let mut same_prefix: Vec<(u64, &str, usize)> = ["AAAAAAAAz", "AAAAAAAAb", "AAAAAAAA"]
            .iter()
            .zip(0..)
            .map(|(t, i)| (prefix(t.as_bytes()), *t, i))
            .collect();
        same_prefix.sort_unstable();
        let texts: Vec<&str> = same_prefix.iter().map(|(_, t, _)| *t).collect();
        assert_eq!(texts, ["AAAAAAAA", "AAAAAAAAb", "AAAAAAAAz"]);
        let index = DigestIndex(same_prefix);
        assert_eq!(index.get("AAAAAAAAb"), Some(1));
        assert_eq!(index.get("AAAAAAAAc"), None);
    }

    #[test]
    fn a_repeated_disclosure_is_refused_with_its_digest() {
        let once = disclosure("s", Some("a"), json!(1));
        let other = disclosure("t", Some("b"), json!(2));
        let digest = once.digest().to_owned();
        let list = vec![once.clone(), other, once];
        assert!(matches!(
            index_by_digest(&list),
            Err(Error::DuplicateDisclosure { digest: d }) if d == digest
        ));
    }

    /// A recursively disclosed `address` whose value holds the digest of `locality`, and an
    /// array element: what the verifier moves out is what the holder's path clones.
    #[test]
    fn taking_the_values_gives_what_cloning_gives() {
        let locality = disclosure("s1", Some("locality"), json!("Köln"));
        let address = disclosure(
            "s2",
            Some("address"),
            json!({"country": "DE", "_sd": [locality.digest()]}),
        );
        let element = disclosure("s3", None, json!({"n": 1}));
        let disclosures = vec![locality, address, element];
        let Value::Object(payload) = json!({
            "_sd": [disclosures[1].digest()],
            "list": [{"...": disclosures[2].digest()}, 2],
            "_sd_alg": "sha-256",
        }) else {
            unreachable!()
        };
        let cloned = process(payload.clone(), &disclosures, 8).unwrap();
        let mut taken_from = disclosures.clone();
        let moved = Taken::from(&mut taken_from);
        let taken = process_taking(payload, &taken_from, moved, 8).unwrap();
        assert_eq!(
            Value::Object(taken.claims.clone()),
            json!({"address": {"country": "DE", "locality": "Köln"}, "list": [{"n": 1}, 2]})
        );
        assert_eq!(taken.claims, cloned.claims);
        assert_eq!(taken.disclosed, cloned.disclosed);
        assert_eq!(taken.parent, cloned.parent);
        assert_eq!(taken_from[1].value(), &Value::Null);
        assert_eq!(taken_from[1].name(), None);
    }

    #[test]
    fn taking_needs_one_value_per_disclosure() {
        let disclosures = vec![disclosure("s1", Some("a"), json!(1))];
        assert_eq!(
            process_taking(Map::new(), &disclosures, Taken::default(), 8).unwrap_err(),
            Error::Internal {
                invariant: "one taken value per disclosure",
            }
        );
    }

    /// The processed claims keep the payload's member order (with `preserve_order`), the
    /// disclosed claims after them: removing `_sd` and `_sd_alg` moves nothing.
    #[cfg(feature = "preserve_order")]
    #[test]
    fn member_order_survives_the_removal_of_sd() {
        let d = disclosure("salt-1", Some("d"), json!(4));
        let payload = json!({
            "a": 1, "_sd": [d.digest()], "b": 2, "_sd_alg": "sha-256", "c": 3
        });
        let Value::Object(payload) = payload else {
            panic!("an object")
        };
        let processed = process(payload, &[d], 8).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = processed.claims.keys().map(String::as_str).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }
}
