//! Claim paths: which claim of a JSON document a policy, a selection or a result refers to.

use serde_json::Value;

/// One step of a [`ClaimPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[expect(
    clippy::exhaustive_enums,
    reason = "complete: a JSON path step is a member name, an index, or every index (DCQL)"
)]
pub enum PathSegment {
    /// An object member by name.
    Key(String),
    /// An array element by zero-based index.
    Index(usize),
    /// Every element of an array (`null` in the OpenID4VP DCQL claims path pointer).
    AllArrayElements,
}

impl PathSegment {
    /// Whether this segment (from a pattern) matches `other` (a concrete segment).
    fn matches(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::AllArrayElements, Self::Index(_) | Self::AllArrayElements) => true,
            _ => self == other,
        }
    }
}

/// A path to a claim: a list of object member names and array indices from the top of the
/// payload, written like an OpenID4VP DCQL claims path pointer (`["address", "street_address"]`,
/// `["nationalities", 0]`, `["degrees", null, "type"]`).
///
/// ```
/// use sdjwt_vc::ClaimPath;
/// let path = ClaimPath::key("address").then_key("locality");
/// assert_eq!(path.to_string(), r#"["address","locality"]"#);
/// assert_eq!(ClaimPath::from_json(&serde_json::json!(["nationalities", null])),
///     Some(ClaimPath::key("nationalities").then_all()));
/// ```
///
/// Equality, ordering and hashing are those of its [`segments`](Self::segments).
#[derive(Clone, Default)]
pub struct ClaimPath(Segments);

/// A path's segments. A one-segment path, the path of every top-level claim, is kept inline,
/// so that a verifier records each disclosed top-level claim without allocating a list.
#[derive(Clone)]
enum Segments {
    /// Exactly one segment.
    One([PathSegment; 1]),
    /// Any other number (or one, from `from_segments` or `from_json`: it means the same).
    Many(Vec<PathSegment>),
}

impl Default for Segments {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl ClaimPath {
    /// The empty path (the payload itself).
    #[must_use]
    pub const fn root() -> Self {
        Self(Segments::Many(Vec::new()))
    }

    /// A one-segment path to a top-level claim.
    #[must_use]
    pub fn key(name: impl Into<String>) -> Self {
        Self(Segments::One([PathSegment::Key(name.into())]))
    }

    /// From segments.
    #[must_use]
    pub const fn from_segments(segments: Vec<PathSegment>) -> Self {
        Self(Segments::Many(segments))
    }

    /// A copy of `segments` as a path (one allocation fewer than a `Vec` when there is one).
    pub(crate) fn from_slice(segments: &[PathSegment]) -> Self {
        match segments {
            [one] => Self(Segments::One([one.clone()])),
            many => Self(Segments::Many(many.to_vec())),
        }
    }

    /// From the DCQL JSON form: an array of strings, non-negative integers and `null`.
    /// `None` for anything else.
    #[must_use]
    pub fn from_json(value: &Value) -> Option<Self> {
        let items = value.as_array()?;
        items
            .iter()
            .map(|item| match item {
                Value::String(name) => Some(PathSegment::Key(name.clone())),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathSegment::Index),
                Value::Null => Some(PathSegment::AllArrayElements),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Self::from_segments)
    }

    /// The DCQL JSON form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.segments()
                .iter()
                .map(|segment| match segment {
                    PathSegment::Key(name) => Value::String(name.clone()),
                    PathSegment::Index(i) => Value::from(*i),
                    PathSegment::AllArrayElements => Value::Null,
                })
                .collect(),
        )
    }

    /// This path extended by a member name.
    #[must_use]
    pub fn then_key(mut self, name: impl Into<String>) -> Self {
        self.push(PathSegment::Key(name.into()));
        self
    }

    /// This path extended by an array index.
    #[must_use]
    pub fn then_index(mut self, index: usize) -> Self {
        self.push(PathSegment::Index(index));
        self
    }

    /// This path extended by "every array element".
    #[must_use]
    pub fn then_all(mut self) -> Self {
        self.push(PathSegment::AllArrayElements);
        self
    }

    /// The segments.
    #[must_use]
    pub fn segments(&self) -> &[PathSegment] {
        match &self.0 {
            Segments::One(one) => one,
            Segments::Many(many) => many,
        }
    }

    /// The first segment's member name, if it is one (the top-level claim name).
    #[must_use]
    pub fn top_level_name(&self) -> Option<&str> {
        match self.segments().first() {
            Some(PathSegment::Key(name)) => Some(name),
            _ => None,
        }
    }

    /// Whether this path, read as a pattern (`AllArrayElements` matching any index), equals
    /// `concrete`.
    #[must_use]
    pub fn matches(&self, concrete: &Self) -> bool {
        self.segments().len() == concrete.segments().len() && self.prefix_matches(concrete)
    }

    /// Whether this pattern matches the first `self.len()` segments of `concrete` (so
    /// `concrete` is this claim or lies beneath it).
    #[must_use]
    pub fn prefix_matches(&self, concrete: &Self) -> bool {
        let (pattern, concrete) = (self.segments(), concrete.segments());
        pattern.len() <= concrete.len() && pattern.iter().zip(concrete).all(|(p, c)| p.matches(c))
    }

    /// Whether `concrete` is a proper ancestor of some claim this pattern matches.
    #[must_use]
    pub fn is_below(&self, concrete: &Self) -> bool {
        let (pattern, concrete) = (self.segments(), concrete.segments());
        concrete.len() < pattern.len() && concrete.iter().zip(pattern).all(|(c, p)| p.matches(c))
    }

    fn push(&mut self, segment: PathSegment) {
        self.0 = match core::mem::take(&mut self.0) {
            Segments::Many(many) if many.is_empty() => Segments::One([segment]),
            Segments::Many(mut many) => {
                many.push(segment);
                Segments::Many(many)
            }
            Segments::One([first]) => Segments::Many(vec![first, segment]),
        };
    }
}

impl PartialEq for ClaimPath {
    fn eq(&self, other: &Self) -> bool {
        self.segments() == other.segments()
    }
}

impl Eq for ClaimPath {}

impl PartialOrd for ClaimPath {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClaimPath {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.segments().cmp(other.segments())
    }
}

impl core::hash::Hash for ClaimPath {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.segments().hash(state);
    }
}

impl core::fmt::Debug for ClaimPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("ClaimPath").field(&self.segments()).finish()
    }
}

impl core::fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.to_json().to_string())
    }
}

impl serde::Serialize for ClaimPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ClaimPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).ok_or_else(|| {
            serde::de::Error::custom("a claim path is an array of strings, integers and null")
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn patterns_match_concrete_paths() {
        let pattern = ClaimPath::key("degrees").then_all().then_key("type");
        let concrete = ClaimPath::key("degrees").then_index(3).then_key("type");
        assert!(pattern.matches(&concrete));
        assert!(!pattern.matches(&ClaimPath::key("degrees").then_index(3)));
        assert!(pattern.is_below(&ClaimPath::key("degrees").then_index(3)));
        assert!(pattern.is_below(&ClaimPath::key("degrees")));
        assert!(!pattern.is_below(&concrete));
        assert!(ClaimPath::key("degrees").prefix_matches(&concrete));
        assert!(!ClaimPath::key("address").prefix_matches(&concrete));
    }

    /// A path's identity is its segments, however they are held (one inline, or a list).
    #[test]
    fn equal_segments_are_equal_paths() {
        use core::hash::BuildHasher;
        let inline = ClaimPath::key("a");
        let listed = ClaimPath::from_segments(vec![PathSegment::Key("a".into())]);
        let copied = ClaimPath::from_slice(&[PathSegment::Key("a".into())]);
        assert_eq!(inline, listed);
        assert_eq!(inline, copied);
        assert_eq!(inline.cmp(&listed), core::cmp::Ordering::Equal);
        let state = std::hash::RandomState::new();
        assert_eq!(state.hash_one(&inline), state.hash_one(&listed));
        assert_eq!(format!("{inline:?}"), format!("{listed:?}"));
        assert_eq!(format!("{inline:?}"), r#"ClaimPath([Key("a")])"#);
        // Ordered as their segment lists: the root first, a path before its extensions.
        let mut paths = [
            ClaimPath::key("b"),
            ClaimPath::key("a").then_index(0),
            ClaimPath::root(),
            listed,
            ClaimPath::key("a").then_all(),
        ];
        paths.sort();
        assert_eq!(paths[0], ClaimPath::root());
        assert_eq!(paths[1], ClaimPath::key("a"));
        assert_eq!(paths[2], ClaimPath::key("a").then_index(0));
        assert_eq!(paths[3], ClaimPath::key("a").then_all());
        assert_eq!(paths[4], ClaimPath::key("b"));
        // Extending an inline path, and the root, gives the same as building a list.
        assert_eq!(
            ClaimPath::key("a").then_key("b").then_index(2).segments(),
            &[
                PathSegment::Key("a".into()),
                PathSegment::Key("b".into()),
                PathSegment::Index(2)
            ]
        );
        assert_eq!(ClaimPath::root().then_key("a"), ClaimPath::key("a"));
        assert_eq!(ClaimPath::default(), ClaimPath::root());
    }

    #[test]
    fn json_form_round_trips_and_refuses_other_types() {
        let v = json!(["a", 0, null]);
        let path = ClaimPath::from_json(&v).unwrap();
        assert_eq!(path.to_json(), v);
        assert_eq!(ClaimPath::from_json(&json!(["a", -1])), None);
        assert_eq!(ClaimPath::from_json(&json!(["a", true])), None);
        assert_eq!(ClaimPath::from_json(&json!("a")), None);
    }
}
